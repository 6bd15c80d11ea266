// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "cprwatch/events.h"
#include "clip.h"
#include "decode.h"
#include "event_parse.h"

bool event_parse_kdev(const char *s, __u64 *out)
{
	unsigned int maj, min;
	char tail;

	if (!s || sscanf(s, "%u:%u%c", &maj, &min, &tail) != 2 || maj > 4095 || min >= (1U << 20))
		return false;
	*out = (__u64)maj << 20 | min;
	return true;
}

__u32 event_parse_classes(const struct jval *arr)
{
	__u32 bits = 0;
	size_t i;
	int k;

	if (!arr || arr->type != JARR)
		return 0;
	for (i = 0; i < arr->len; i++) {
		if (arr->items[i].type != JSTR)
			continue;
		for (k = 0; event_class_name_table[k]; k++)
			if (!strcmp(arr->items[i].str, event_class_name_table[k]))
				bits |= 1u << k;
	}
	return bits;
}

static __u32 get_u32(const struct jval *o, const char *key, __u32 dflt)
{
	int64_t v;

	return jobj_i64(o, key, &v) ? (__u32)v : dflt;
}

static __u64 get_u64(const struct jval *o, const char *key)
{
	uint64_t v;

	return jobj_u64(o, key, &v) ? v : 0;
}

static bool get_flag(const struct jval *o, const char *key)
{
	bool b = false;

	jobj_bool(o, key, &b);
	return b;
}

static __u64 get_dev(const struct jval *o, const char *key)
{
	__u64 d = 0;

	event_parse_kdev(jobj_str(o, key), &d);
	return d;
}

/* Copy a string with its NUL into @dst (at most @max bytes); returns bytes used. */
static __u32 put_str(char *dst, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max - 1) : 0;

	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return n + 1;
}

/* The common header of a recorded event (the kernel fills its own in bpf/emit.h). */
static int hdr_from_json(const struct jval *o, struct event_hdr *h, unsigned int type)
{
	const char *comm = jobj_str(o, "comm");
	uint64_t ts;

	if (!jobj_u64(o, "ts_ns", &ts) || !jobj_get(o, "pid"))
		return -EINVAL;
	h->type = type;
	h->ts_ns = ts;
	h->tgid = get_u32(o, "pid", 0);
	h->pid = get_u32(o, "tid", h->tgid);
	h->uid = get_u32(o, "uid", 0);
	h->gid = get_u32(o, "gid", 0);
	h->classes = event_parse_classes(jobj_get(o, "classes"));
	if (get_flag(o, "truncated"))
		h->flags |= EVF_TRUNCATED;
	if (get_flag(o, "io_uring"))
		h->flags |= EVF_IOURING;
	if (get_flag(o, "fixed_file"))
		h->flags |= EVF_FIXED_FILE;
	if (comm)
		strncpy(h->comm, comm, sizeof(h->comm) - 1);
	return 0;
}

static size_t exec_from(const struct jval *o, struct exec_event *e)
{
	const struct jval *argv = jobj_get(o, "argv");
	__u32 plen = put_str(e->data, jobj_str(o, "exe"), CPRW_PATH_MAX), alen = 0;
	size_t i;

	e->ppid = get_u32(o, "ppid", 0);
	e->loginuid = get_u32(o, "loginuid", (__u32)-1);
	e->sessionid = get_u32(o, "sessionid", (__u32)-1);
	e->cgroup_id = get_u64(o, "cgroup_id");
	e->dev = get_dev(o, "dev");
	e->ino = get_u64(o, "ino");
	for (i = 0; argv && argv->type == JARR && i < argv->len; i++) {
		const struct jval *a = &argv->items[i];

		if (a->type != JSTR || alen + a->len + 1 > CPRW_ARGS_MAX)
			break;
		memcpy(e->data + plen + alen, a->str, a->len + 1);
		alen += a->len + 1;
	}
	e->path_len = plen;
	e->args_len = alen;
	e->args_full_len = alen + (get_flag(o, "argv_truncated") ? 1 : 0);
	return sizeof(*e) + plen + alen;
}

static __u32 parse_mode(const char *s)
{
	return s ? strtoul(s, NULL, 8) : 0;
}

static size_t open_from(const struct jval *o, struct open_event *e)
{
	const struct jval *origin = jobj_get(o, "taint_origin");
	const char *kind = jobj_str(o, "export");
	int64_t ret = 0;

	jobj_i64(o, "ret", &ret);
	e->ret = ret;
	e->flags = get_u32(o, "flags", 0);
	e->mode = parse_mode(jobj_str(o, "mode"));
	e->dev = get_dev(o, "dev");
	e->ino = get_u64(o, "ino");
	e->size = get_u64(o, "size");
	e->export_kind = !kind			    ? 0 :
			 !strcmp(kind, "local")	    ? EXPORT_LOCAL :
			 !strcmp(kind, "removable") ? EXPORT_REMOVABLE :
			 !strcmp(kind, "network")   ? EXPORT_NETWORK :
						      0;
	if (get_flag(o, "tainted") && origin) {
		e->hdr.flags |= EVF_TAINTED_FILE;
		e->taint_dev = get_dev(origin, "dev");
		e->taint_ino = get_u64(origin, "ino");
	}
	if (e->export_kind)
		e->hdr.flags |= EVF_EXPORT_DIR;
	e->path_len = put_str(e->path, jobj_str(o, "path"), CPRW_PATH_MAX);
	return sizeof(*e) + e->path_len;
}

static __u32 access_flags(const char *access)
{
	if (access && !strcmp(access, "write"))
		return O_WRONLY;
	if (access && !strcmp(access, "read_write"))
		return O_RDWR;
	return O_RDONLY;
}

static size_t close_from(const struct jval *o, struct close_event *e)
{
	e->fd = get_u32(o, "fd", 0);
	e->open_flags = access_flags(jobj_str(o, "access"));
	e->dev = get_dev(o, "dev");
	e->ino = get_u64(o, "ino");
	e->bytes_read = get_u64(o, "bytes_read");
	e->bytes_written = get_u64(o, "bytes_written");
	e->reads = get_u64(o, "reads");
	e->writes = get_u64(o, "writes");
	if (get_flag(o, "at_exit"))
		e->hdr.flags |= EVF_AT_EXIT;
	if (get_flag(o, "mmap_write"))
		e->hdr.flags |= EVF_MMAP_WRITE;
	return sizeof(*e);
}

static __u16 family_of(const char *s)
{
	if (s && !strcmp(s, "inet"))
		return AF_INET;
	if (s && !strcmp(s, "inet6"))
		return AF_INET6;
	if (s && !strcmp(s, "unix"))
		return AF_UNIX;
	return 0;
}

static void addr_from(const struct jval *o, const char *key, __u16 family, __u8 *out)
{
	const char *s = jobj_str(o, key);

	if (s)
		inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, s, out);
}

static size_t connect_from(const struct jval *o, struct connect_event *e)
{
	int64_t ret = 0;

	jobj_i64(o, "ret", &ret);
	e->ret = ret;
	e->fd = get_u32(o, "fd", 0);
	e->addr.family = family_of(jobj_str(o, "family"));
	e->addr.port = get_u32(o, "port", 0);
	addr_from(o, "addr", e->addr.family, e->addr.addr);
	put_str(e->addr.unix_path, jobj_str(o, "unix_path"), CPRW_UNIX_PATH_MAX);
	return sizeof(*e);
}

static size_t tcp_close_from(const struct jval *o, struct tcp_close_event *e)
{
	e->family = family_of(jobj_str(o, "family"));
	e->sport = get_u32(o, "sport", 0);
	e->dport = get_u32(o, "dport", 0);
	addr_from(o, "saddr", e->family, e->saddr);
	addr_from(o, "daddr", e->family, e->daddr);
	e->bytes_sent = get_u64(o, "bytes_sent");
	e->bytes_received = get_u64(o, "bytes_received");
	e->duration_ns = get_u64(o, "duration_ns");
	if (get_flag(o, "adopted"))
		e->hdr.flags |= EVF_SOCK_ADOPTED;
	return sizeof(*e);
}

static size_t rename_from(const struct jval *o, struct rename_event *e)
{
	int64_t ret = 0;

	jobj_i64(o, "ret", &ret);
	e->ret = ret;
	e->old_len = put_str(e->data, jobj_str(o, "old_path"), CPRW_PATH_MAX);
	e->new_len = put_str(e->data + e->old_len, jobj_str(o, "new_path"), CPRW_PATH_MAX);
	return sizeof(*e) + e->old_len + e->new_len;
}

static size_t unlink_from(const struct jval *o, struct unlink_event *e)
{
	int64_t ret = 0;

	jobj_i64(o, "ret", &ret);
	e->ret = ret;
	e->path_len = put_str(e->path, jobj_str(o, "path"), CPRW_PATH_MAX);
	return sizeof(*e) + e->path_len;
}

static size_t turns_from(const struct jval *o, struct turns_event *e)
{
	const char *s = jobj_str(o, "daddr");

	e->turns = get_u64(o, "turns");
	e->total = get_u64(o, "total_turns");
	e->dport = get_u32(o, "dport", 0);
	/* the JSON names the peer, not its family: an address with a colon is v6 */
	e->family = s && strchr(s, ':') ? AF_INET6 : AF_INET;
	addr_from(o, "daddr", e->family, e->daddr);
	if (get_flag(o, "closed"))
		e->hdr.flags |= EVF_CONN_CLOSED;
	return sizeof(*e);
}

/*
 * A recorded TLS call has no plaintext (the agent never writes it): the
 * record gets none, and the CPR count it was recorded with.
 */
static size_t tls_from(const struct jval *o, struct tls_event *e)
{
	const char *dir = jobj_str(o, "dir"), *lib = jobj_str(o, "lib");
	uint64_t n = get_u64(o, "cpr_distinct");

	e->dir = dir && !strcmp(dir, "write") ? TLS_WRITE : TLS_READ;
	for (e->lib = TLS_LIB_NSS; lib && e->lib; e->lib--)
		if (!strcmp(lib, event_tls_lib_name(e->lib)))
			break;
	e->total_len = get_u64(o, "total_len");
	e->data_len = 0;
	e->cpr_distinct = n > UINT32_MAX ? UINT32_MAX : (__u32)n;
	return sizeof(*e);
}

static size_t iouring_setup_from(const struct jval *o, struct iouring_setup_event *e)
{
	int64_t fd = 0;

	jobj_i64(o, "fd", &fd);
	e->fd = fd;
	e->flags = get_u32(o, "flags", 0);
	e->sq_entries = get_u32(o, "sq_entries", 0);
	e->cq_entries = get_u32(o, "cq_entries", 0);
	return sizeof(*e);
}

/*
 * A recorded clipboard event holds no content (the agent never writes it):
 * the record gets none, data_len 0, and the recorded CPR count.
 */
static size_t clipboard_from(const struct jval *o, struct clipboard_event *e)
{
	uint64_t n = get_u64(o, "cpr_distinct");

	e->op = clip_op_from_name(jobj_str(o, "op"));
	e->api = clip_api_from_name(jobj_str(o, "api"));
	e->selection = get_u64(o, "selection");
	e->total_len = get_u64(o, "total_len");
	e->data_len = 0;
	clip_set_cpr_distinct(e, n > UINT32_MAX ? UINT32_MAX : (__u32)n);
	return sizeof(*e);
}

static unsigned int type_of(const char *name)
{
	unsigned int t;

	for (t = 1; t < EV_TYPE_MAX; t++)
		if (!strcmp(name, event_type_name(t)))
			return t;
	return 0;
}

int event_from_json(const struct jval *obj, void *buf, size_t cap, char *err, size_t errlen)
{
	const char *name = jobj_str(obj, "event");
	struct event_hdr *h = buf;
	unsigned int type;
	size_t size;

	if (obj->type != JOBJ) {
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	if (!name)
		return 0;
	type = type_of(name);
	if (!type)
		return 0; /* "scan" and future kinds: the caller decides */
	if (cap < EVENT_PARSE_BUF)
		return -EINVAL;
	memset(buf, 0, EVENT_PARSE_BUF);
	if (hdr_from_json(obj, h, type)) {
		snprintf(err, errlen, "%s event without ts_ns or pid", name);
		return -EINVAL;
	}
	switch (type) {
	case EV_EXEC:
		size = exec_from(obj, buf);
		break;
	case EV_FORK:
		((struct fork_event *)buf)->child_tgid = get_u32(obj, "child_pid", 0);
		((struct fork_event *)buf)->child_pid = ((struct fork_event *)buf)->child_tgid;
		size = sizeof(struct fork_event);
		break;
	case EV_EXIT:
		((struct exit_event *)buf)->exit_code = get_u32(obj, "exit_status", 0) << 8 |
							get_u32(obj, "signal", 0);
		size = sizeof(struct exit_event);
		break;
	case EV_OPEN:
		size = open_from(obj, buf);
		break;
	case EV_CLOSE:
		size = close_from(obj, buf);
		break;
	case EV_RENAME:
		size = rename_from(obj, buf);
		break;
	case EV_UNLINK:
		size = unlink_from(obj, buf);
		break;
	case EV_CONNECT:
	case EV_ACCEPT:
		size = connect_from(obj, buf);
		break;
	case EV_CLIPBOARD:
		size = clipboard_from(obj, buf);
		break;
	case EV_IOURING_SETUP:
		size = iouring_setup_from(obj, buf);
		break;
	case EV_TURNS:
		size = turns_from(obj, buf);
		break;
	case EV_TLS:
		size = tls_from(obj, buf);
		break;
	case EV_TCP_CLOSE:
		size = tcp_close_from(obj, buf);
		break;
	default:
		return 0; /* a kind the kernel sends but replay has no use for: skipped */
	}
	h->size = size;
	return size;
}
