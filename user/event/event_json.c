// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "clip.h"
#include "event_json.h"
#include "decode.h"
#include "lib/time.h"

static void kv_dev(struct json *j, const char *key, __u64 kdev)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u:%u", event_kdev_major(kdev), event_kdev_minor(kdev));
	json_kv_str(j, key, buf);
}

static void kv_classes(struct json *j, __u32 classes)
{
	int i;

	json_key(j, "classes");
	json_arr_begin(j);
	for (i = 0; event_class_name_table[i]; i++)
		if (classes & (1u << i))
			json_str(j, event_class_name_table[i]);
	json_arr_end(j);
}

static void kv_uid(struct json *j, const char *key, __u32 uid)
{
	json_key(j, key);
	if (uid == (__u32)-1)
		json_null(j);
	else
		json_u64(j, uid);
}

static void put_header(struct json *j, const struct event *ev, const struct proc *p, int64_t offset)
{
	const struct event_hdr *h = ev->hdr;
	char tbuf[40], comm[CPRW_COMM_LEN + 1];

	json_kv_str(j, "event", event_type_name(h->type));
	json_kv_str(j, "time", time_format(h->ts_ns + offset, tbuf, sizeof(tbuf)));
	json_kv_u64(j, "ts_ns", h->ts_ns);
	json_kv_u64(j, "pid", h->tgid);
	json_kv_u64(j, "tid", h->pid);
	json_kv_u64(j, "uid", h->uid);
	json_kv_u64(j, "gid", h->gid);
	memcpy(comm, h->comm, CPRW_COMM_LEN);
	comm[CPRW_COMM_LEN] = '\0';
	json_kv_str(j, "comm", comm);
	kv_classes(j, h->classes);
	if (h->flags & EVF_TRUNCATED)
		json_kv_bool(j, "truncated", true);
	if (h->flags & EVF_IOURING)
		json_kv_bool(j, "io_uring", true);
	if (h->flags & EVF_FIXED_FILE)
		json_kv_bool(j, "fixed_file", true);
	if (p && h->type != EV_EXEC) {
		json_kv_u64(j, "ppid", p->ppid);
		json_kv_str(j, "exe", p->exe);
		kv_uid(j, "loginuid", p->loginuid);
	}
}

static void put_exec(struct json *j, const struct event *ev)
{
	const struct exec_event *e = ev->raw;
	size_t i, start = 0;

	json_kv_u64(j, "ppid", e->ppid);
	json_key(j, "exe");
	json_strn(j, ev->path, ev->path_len);
	kv_dev(j, "dev", e->dev);
	json_kv_u64(j, "ino", e->ino);
	json_key(j, "argv");
	json_arr_begin(j);
	for (i = 0; i < ev->args_len; i++) {
		if (ev->args[i])
			continue;
		json_strn(j, ev->args + start, i - start);
		start = i + 1;
	}
	if (start < ev->args_len) /* the last argument was cut */
		json_strn(j, ev->args + start, ev->args_len - start);
	json_arr_end(j);
	json_kv_bool(j, "argv_truncated", e->args_full_len > e->args_len);
	kv_uid(j, "loginuid", e->loginuid);
	kv_uid(j, "sessionid", e->sessionid);
	json_kv_u64(j, "cgroup_id", e->cgroup_id);
}

static const char *access_name(__u32 flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return "read";
	case O_WRONLY:
		return "write";
	default:
		return "read_write";
	}
}

static void put_open(struct json *j, const struct event *ev)
{
	const struct open_event *e = ev->raw;
	char mode[16];

	json_key(j, "path");
	json_strn(j, ev->path, ev->path_len);
	json_kv_i64(j, "ret", e->ret);
	json_kv_u64(j, "flags", e->flags);
	json_kv_str(j, "access", access_name(e->flags));
	json_kv_bool(j, "create", e->flags & O_CREAT);
	json_kv_bool(j, "truncate", e->flags & O_TRUNC);
	snprintf(mode, sizeof(mode), "%04o", e->mode & 07777);
	json_kv_str(j, "mode", mode);
	if (e->ret < 0)
		return;
	kv_dev(j, "dev", e->dev);
	json_kv_u64(j, "ino", e->ino);
	json_kv_u64(j, "size", e->size);
	json_kv_str(j, "export", event_export_kind_name(e->export_kind));
	json_kv_bool(j, "tainted", ev->hdr->flags & EVF_TAINTED_FILE);
	if (ev->hdr->flags & EVF_TAINTED_FILE) {
		json_key(j, "taint_origin");
		json_obj_begin(j);
		kv_dev(j, "dev", e->taint_dev);
		json_kv_u64(j, "ino", e->taint_ino);
		json_obj_end(j);
	}
}

static void put_close(struct json *j, const struct event *ev)
{
	const struct close_event *e = ev->raw;

	json_kv_i64(j, "fd", e->fd);
	json_kv_str(j, "path", ev->file_path);
	kv_dev(j, "dev", e->dev);
	json_kv_u64(j, "ino", e->ino);
	json_kv_str(j, "access", access_name(e->open_flags));
	json_kv_u64(j, "bytes_read", e->bytes_read);
	/* written through a shared mapping: how much is unknown, not 0 */
	json_key(j, "bytes_written");
	if (ev->hdr->flags & EVF_MMAP_WRITE)
		json_null(j);
	else
		json_u64(j, e->bytes_written);
	json_kv_u64(j, "reads", e->reads);
	json_kv_u64(j, "writes", e->writes);
	json_kv_bool(j, "at_exit", ev->hdr->flags & EVF_AT_EXIT);
	json_kv_bool(j, "mmap_write", ev->hdr->flags & EVF_MMAP_WRITE);
}

static void put_addr(struct json *j, const char *prefix, __u16 family, const __u8 *addr, __u16 port)
{
	char buf[INET6_ADDRSTRLEN], key[32];

	snprintf(key, sizeof(key), "%saddr", prefix);
	if (family == AF_INET)
		json_kv_str(j, key, inet_ntop(AF_INET, addr, buf, sizeof(buf)));
	else if (family == AF_INET6)
		json_kv_str(j, key, inet_ntop(AF_INET6, addr, buf, sizeof(buf)));
	else
		return;
	snprintf(key, sizeof(key), "%sport", prefix);
	json_kv_u64(j, key, port);
}

static const char *family_name(__u16 family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	default:
		return "other";
	}
}

static void put_connect(struct json *j, const struct event *ev)
{
	const struct connect_event *e = ev->raw;

	json_kv_i64(j, "ret", e->ret);
	json_kv_i64(j, "fd", e->fd);
	json_kv_str(j, "family", family_name(e->addr.family));
	if (e->addr.family == AF_UNIX) {
		json_key(j, "unix_path");
		json_strn(j, e->addr.unix_path, strnlen(e->addr.unix_path, CPRW_UNIX_PATH_MAX));
	} else {
		put_addr(j, "", e->addr.family, e->addr.addr, e->addr.port);
	}
}

static void put_tcp_close(struct json *j, const struct event *ev)
{
	const struct tcp_close_event *e = ev->raw;

	json_kv_str(j, "family", family_name(e->family));
	put_addr(j, "s", e->family, e->saddr, e->sport);
	put_addr(j, "d", e->family, e->daddr, e->dport);
	json_kv_u64(j, "bytes_sent", e->bytes_sent);
	json_kv_u64(j, "bytes_received", e->bytes_received);
	json_kv_u64(j, "duration_ns", e->duration_ns);
	json_kv_bool(j, "adopted", ev->hdr->flags & EVF_SOCK_ADOPTED);
}

/* Never the content: what was done, through which API, how much, and its CPR count. */
static void put_clipboard(struct json *j, const struct event *ev)
{
	const struct clipboard_event *e = ev->raw;

	json_kv_str(j, "op", clip_op_name(e->op));
	json_kv_str(j, "api", clip_api_name(e->api));
	json_kv_u64(j, "selection", e->selection);
	json_kv_u64(j, "total_len", e->total_len);
	json_kv_u64(j, "data_len", e->data_len);
	json_kv_u64(j, "cpr_distinct", clip_cpr_distinct(e));
}

static void put_turns(struct json *j, const struct event *ev)
{
	const struct turns_event *e = ev->raw;
	char addr[INET6_ADDRSTRLEN] = "";

	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	json_kv_u64(j, "turns", e->turns);
	json_kv_u64(j, "total_turns", e->total);
	json_kv_str(j, "daddr", addr);
	json_kv_u64(j, "dport", e->dport);
	json_kv_bool(j, "closed", ev->hdr->flags & EVF_CONN_CLOSED);
}

/* Never the plaintext: direction, library, sizes and the CPR count of a read. */
static void put_tls(struct json *j, const struct event *ev)
{
	const struct tls_event *e = ev->raw;

	json_kv_str(j, "dir", e->dir == TLS_WRITE ? "write" : "read");
	json_kv_str(j, "lib", event_tls_lib_name(e->lib));
	json_kv_u64(j, "total_len", e->total_len);
	json_kv_u64(j, "data_len", e->data_len);
	json_kv_u64(j, "cpr_distinct", e->cpr_distinct);
}

/* The ring's IORING_SETUP_* flags by name: SQPOLL means a kernel thread submits for it. */
static void put_iouring_setup(struct json *j, const struct event *ev)
{
	static const struct {
		__u32 bit;
		const char *name;
	} names[] = {
		{ IORING_SETUP_IOPOLL, "iopoll" },
		{ IORING_SETUP_SQPOLL, "sqpoll" },
		{ IORING_SETUP_SQ_AFF, "sq_aff" },
		{ IORING_SETUP_ATTACH_WQ, "attach_wq" },
		{ IORING_SETUP_R_DISABLED, "r_disabled" },
		{ IORING_SETUP_COOP_TASKRUN, "coop_taskrun" },
		{ IORING_SETUP_SINGLE_ISSUER, "single_issuer" },
		{ IORING_SETUP_DEFER_TASKRUN, "defer_taskrun" },
	};
	const struct iouring_setup_event *e = ev->raw;
	size_t i;

	json_kv_i64(j, "fd", e->fd);
	json_kv_u64(j, "sq_entries", e->sq_entries);
	json_kv_u64(j, "cq_entries", e->cq_entries);
	json_kv_u64(j, "flags", e->flags);
	json_key(j, "setup_flags");
	json_arr_begin(j);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (e->flags & names[i].bit)
			json_str(j, names[i].name);
	json_arr_end(j);
}

void event_json(struct json *j, const struct event *ev, const struct proc *p, int64_t offset)
{
	json_obj_begin(j);
	put_header(j, ev, p, offset);
	switch (ev->hdr->type) {
	case EV_EXEC:
		put_exec(j, ev);
		/* clipboard tools: the processes at the other end of their pipes */
		if (p && p->stdin_from)
			json_kv_u64(j, "stdin_from_pid", p->stdin_from);
		if (p && p->stdout_to)
			json_kv_u64(j, "stdout_to_pid", p->stdout_to);
		break;
	case EV_FORK:
		json_kv_u64(j, "child_pid", ((const struct fork_event *)ev->raw)->child_tgid);
		break;
	case EV_EXIT: {
		__u32 code = ((const struct exit_event *)ev->raw)->exit_code;

		json_kv_u64(j, "exit_status", (code >> 8) & 0xff);
		json_kv_u64(j, "signal", code & 0x7f);
		break;
	}
	case EV_OPEN:
		put_open(j, ev);
		break;
	case EV_CLOSE:
		put_close(j, ev);
		break;
	case EV_RENAME:
		json_kv_i64(j, "ret", ((const struct rename_event *)ev->raw)->ret);
		json_key(j, "old_path");
		json_strn(j, ev->path, ev->path_len);
		json_key(j, "new_path");
		json_strn(j, ev->path2, ev->path2_len);
		break;
	case EV_UNLINK:
		json_kv_i64(j, "ret", ((const struct unlink_event *)ev->raw)->ret);
		json_key(j, "path");
		json_strn(j, ev->path, ev->path_len);
		break;
	case EV_CONNECT:
	case EV_ACCEPT:
		put_connect(j, ev);
		break;
	case EV_TCP_CLOSE:
		put_tcp_close(j, ev);
		break;
	case EV_CLIPBOARD:
		put_clipboard(j, ev);
		break;
	case EV_TURNS:
		put_turns(j, ev);
		break;
	case EV_TLS:
		put_tls(j, ev);
		break;
	case EV_IOURING_SETUP:
		put_iouring_setup(j, ev);
		break;
	}
	json_obj_end(j);
}
