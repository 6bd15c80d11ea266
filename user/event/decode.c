// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "decode.h"

static const char *const type_names[EV_TYPE_MAX] = {
	[EV_EXEC] = "exec",
	[EV_FORK] = "fork",
	[EV_EXIT] = "exit",
	[EV_OPEN] = "open",
	[EV_CLOSE] = "close",
	[EV_RENAME] = "rename",
	[EV_UNLINK] = "unlink",
	[EV_CONNECT] = "connect",
	[EV_ACCEPT] = "accept",
	[EV_TCP_CLOSE] = "tcp_close",
	[EV_CLIPBOARD] = "clipboard",
	[EV_TURNS] = "turns",
	[EV_TLS] = "tls",
	[EV_IOURING_SETUP] = "io_uring_setup",
};

/* Fixed part of each record type. */
static const size_t fixed_size[EV_TYPE_MAX] = {
	[EV_EXEC] = sizeof(struct exec_event),
	[EV_FORK] = sizeof(struct fork_event),
	[EV_EXIT] = sizeof(struct exit_event),
	[EV_OPEN] = sizeof(struct open_event),
	[EV_CLOSE] = sizeof(struct close_event),
	[EV_RENAME] = sizeof(struct rename_event),
	[EV_UNLINK] = sizeof(struct unlink_event),
	[EV_CONNECT] = sizeof(struct connect_event),
	[EV_ACCEPT] = sizeof(struct connect_event),
	[EV_TCP_CLOSE] = sizeof(struct tcp_close_event),
	[EV_CLIPBOARD] = sizeof(struct clipboard_event),
	[EV_TURNS] = sizeof(struct turns_event),
	[EV_TLS] = sizeof(struct tls_event),
	[EV_IOURING_SETUP] = sizeof(struct iouring_setup_event),
};

const char *const event_class_name_table[] = {
	"cpr_client", "messaging", "browser", "sync", "archiver",
	"clipboard",  "tainted",   "printer", NULL,
};

const char *event_type_name(unsigned int type)
{
	if (type >= EV_TYPE_MAX || !type_names[type])
		return "unknown";
	return type_names[type];
}

const char *event_tls_lib_name(__u32 lib)
{
	static const char *const names[] = {
		[TLS_LIB_OPENSSL] = "openssl",
		[TLS_LIB_GNUTLS] = "gnutls",
		[TLS_LIB_NSS] = "nss",
	};

	return lib < sizeof(names) / sizeof(names[0]) && names[lib] ? names[lib] : "?";
}

const char *event_export_kind_name(__u32 kind)
{
	switch (kind) {
	case EXPORT_LOCAL:
		return "local";
	case EXPORT_REMOVABLE:
		return "removable";
	case EXPORT_NETWORK:
		return "network";
	default:
		return NULL;
	}
}

const char *event_class_names(__u32 classes, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; event_class_name_table[i]; i++) {
		if (!(classes & (1u << i)))
			continue;
		if (off >= len)
			break;
		off += snprintf(buf + off, len - off, "%s%s", off ? "," : "",
				event_class_name_table[i]);
	}
	return buf;
}

static int bad(char *err, size_t errlen, const char *fmt, unsigned int a, unsigned int b)
{
	snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

/* A string of @len bytes (NUL included) at @s: must end in its NUL. */
static int check_str(const char *s, __u32 len, size_t *out_len, char *err, size_t errlen,
		     const char *what)
{
	if (len == 0 || len > CPRW_PATH_MAX || s[len - 1] != '\0') {
		snprintf(err, errlen, "%s: length %u without a terminating NUL", what, len);
		return -EINVAL;
	}
	*out_len = strnlen(s, len - 1);
	return 0;
}

static int decode_exec(const struct exec_event *e, size_t size, struct event *ev, char *err,
		       size_t errlen)
{
	size_t want = sizeof(*e) + (size_t)e->path_len + e->args_len;

	if (e->path_len > CPRW_PATH_MAX || e->args_len > CPRW_ARGS_MAX || want != size)
		return bad(err, errlen, "exec: lengths (path %u, args %u) do not match the record",
			   e->path_len, e->args_len);
	ev->path = e->data;
	ev->args = e->data + e->path_len;
	ev->args_len = e->args_len;
	return check_str(e->data, e->path_len, &ev->path_len, err, errlen, "exec path");
}

static int decode_open(const struct open_event *e, size_t size, struct event *ev, char *err,
		       size_t errlen)
{
	if (sizeof(*e) + (size_t)e->path_len != size)
		return bad(err, errlen, "open: path length %u does not match record size %u",
			   e->path_len, size);
	ev->path = e->path;
	return check_str(e->path, e->path_len, &ev->path_len, err, errlen, "open path");
}

static int decode_rename(const struct rename_event *e, size_t size, struct event *ev, char *err,
			 size_t errlen)
{
	if (e->old_len > CPRW_PATH_MAX || e->new_len > CPRW_PATH_MAX ||
	    sizeof(*e) + (size_t)e->old_len + e->new_len != size)
		return bad(err, errlen, "rename: lengths (%u, %u) do not match the record",
			   e->old_len, e->new_len);
	ev->path = e->data;
	ev->path2 = e->data + e->old_len;
	if (check_str(ev->path, e->old_len, &ev->path_len, err, errlen, "rename old path"))
		return -EINVAL;
	return check_str(ev->path2, e->new_len, &ev->path2_len, err, errlen, "rename new path");
}

static int decode_unlink(const struct unlink_event *e, size_t size, struct event *ev, char *err,
			 size_t errlen)
{
	if (sizeof(*e) + (size_t)e->path_len != size)
		return bad(err, errlen, "unlink: path length %u does not match record size %u",
			   e->path_len, size);
	ev->path = e->path;
	return check_str(e->path, e->path_len, &ev->path_len, err, errlen, "unlink path");
}

static int decode_clipboard(const struct clipboard_event *e, size_t size, struct event *ev,
			    char *err, size_t errlen)
{
	if (e->data_len > CPRW_CLIP_DATA_MAX || sizeof(*e) + (size_t)e->data_len != size)
		return bad(err, errlen, "clipboard: data length %u does not match record size %u",
			   e->data_len, size);
	ev->args = e->data; /* content for the scanner only */
	ev->args_len = e->data_len;
	return 0;
}

static int decode_tls(const struct tls_event *e, size_t size, struct event *ev, char *err,
		      size_t errlen)
{
	if (e->data_len > CPRW_TLS_DATA_MAX || sizeof(*e) + (size_t)e->data_len != size)
		return bad(err, errlen, "tls: data length %u does not match record size %u",
			   e->data_len, size);
	ev->args = e->data; /* plaintext for the request parser and the scanner only */
	ev->args_len = e->data_len;
	return 0;
}

int event_decode(const void *data, size_t size, struct event *ev, char *err, size_t errlen)
{
	const struct event_hdr *h = data;

	memset(ev, 0, sizeof(*ev));
	if (size < sizeof(*h))
		return bad(err, errlen, "record of %u bytes is shorter than a header (%u)", size,
			   sizeof(*h));
	if (h->type == 0 || h->type >= EV_TYPE_MAX)
		return bad(err, errlen, "unknown event type %u (record %u bytes)", h->type, size);
	if (h->size != size)
		return bad(err, errlen, "header says %u bytes, record has %u", h->size, size);
	if (size < fixed_size[h->type])
		return bad(err, errlen, "record of %u bytes is shorter than its type needs (%u)",
			   size, fixed_size[h->type]);
	ev->hdr = h;
	ev->raw = data;
	switch (h->type) {
	case EV_EXEC:
		return decode_exec(data, size, ev, err, errlen);
	case EV_OPEN:
		return decode_open(data, size, ev, err, errlen);
	case EV_RENAME:
		return decode_rename(data, size, ev, err, errlen);
	case EV_UNLINK:
		return decode_unlink(data, size, ev, err, errlen);
	case EV_CLIPBOARD:
		return decode_clipboard(data, size, ev, err, errlen);
	case EV_TLS:
		return decode_tls(data, size, ev, err, errlen);
	default:
		if (size != fixed_size[h->type])
			return bad(err, errlen, "%u-byte record for a fixed %u-byte type", size,
				   fixed_size[h->type]);
		return 0;
	}
}

__u64 event_kernel_dev(dev_t dev)
{
	return ((__u64)major(dev) << 20) | minor(dev);
}

unsigned int event_kdev_major(__u64 kdev)
{
	return kdev >> 20;
}

unsigned int event_kdev_minor(__u64 kdev)
{
	return kdev & ((1U << 20) - 1);
}
