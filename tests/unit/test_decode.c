// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/event/decode.c: every record type decodes, and every malformed record the
 * kernel (or a corrupted ring) could hand us is refused with a reason.
 *
 * Records are built in a scratch buffer with the structs from events.h and
 * then copied to a heap block of exactly the record's size, so ASan flags a
 * decoder that reads one byte past the record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "event/decode.h"

/* Big enough for any record we build, including oversized ones. */
#define DECODE_SCRATCH (CPRW_EVENT_MAX + 2 * CPRW_PATH_MAX)

static union {
	struct event_hdr hdr;
	__u64 align;
	unsigned char b[DECODE_SCRATCH];
} decode_scratch;

static void *decode_buf(void)
{
	memset(&decode_scratch, 0, sizeof(decode_scratch));
	return decode_scratch.b;
}

static void decode_set_hdr(void *rec, __u16 type, size_t size)
{
	struct event_hdr *h = rec;

	h->type = type;
	h->size = size;
	h->ts_ns = 123456789;
	h->pid = 4321;
	h->tgid = 4320;
	h->uid = 1000;
	h->gid = 1000;
	h->classes = CLASS_CPR_CLIENT;
	memcpy(h->comm, "cprklient", 10);
}

static size_t decode_mk_exec(void *rec, const char *path, __u32 plen, const char *args, __u32 alen)
{
	struct exec_event *e = rec;
	size_t size = sizeof(*e) + plen + alen;

	decode_set_hdr(rec, EV_EXEC, size);
	e->ppid = 1;
	e->loginuid = 1000;
	e->sessionid = 3;
	e->path_len = plen;
	e->args_len = alen;
	e->args_full_len = alen;
	e->dev = 8 << 20 | 1;
	e->ino = 42;
	if (plen)
		memcpy(e->data, path, plen);
	if (alen)
		memcpy(e->data + plen, args, alen);
	return size;
}

static size_t decode_mk_open(void *rec, __u16 type, const char *path, __u32 plen)
{
	size_t size;

	if (type == EV_UNLINK) {
		struct unlink_event *u = rec;

		size = sizeof(*u) + plen;
		u->path_len = plen;
		if (plen)
			memcpy(u->path, path, plen);
	} else {
		struct open_event *o = rec;

		size = sizeof(*o) + plen;
		o->ret = 3;
		o->path_len = plen;
		if (plen)
			memcpy(o->path, path, plen);
	}
	decode_set_hdr(rec, type, size);
	return size;
}

static size_t decode_mk_rename(void *rec, const char *old, __u32 olen, const char *new, __u32 nlen)
{
	struct rename_event *r = rec;
	size_t size = sizeof(*r) + olen + nlen;

	decode_set_hdr(rec, EV_RENAME, size);
	r->old_len = olen;
	r->new_len = nlen;
	if (olen)
		memcpy(r->data, old, olen);
	if (nlen)
		memcpy(r->data + olen, new, nlen);
	return size;
}

static size_t decode_mk_clip(void *rec, const char *data, __u32 len)
{
	struct clipboard_event *c = rec;
	size_t size = sizeof(*c) + len;

	decode_set_hdr(rec, EV_CLIPBOARD, size);
	c->op = CLIP_SET_TEXT;
	c->api = CLIP_API_GTK3;
	c->total_len = len;
	c->data_len = len;
	if (len)
		memcpy(c->data, data, len);
	return size;
}

static size_t decode_mk_tls(void *rec, const char *data, __u32 len)
{
	struct tls_event *t = rec;
	size_t size = sizeof(*t) + len;

	decode_set_hdr(rec, EV_TLS, size);
	t->dir = TLS_READ;
	t->lib = TLS_LIB_OPENSSL;
	t->total_len = len;
	t->data_len = len;
	if (len)
		memcpy(t->data, data, len);
	return size;
}

/*
 * Decode @size bytes of @rec from an exact-size heap copy.  The copy is
 * returned in @copy (the event points into it); the caller frees it.
 */
static int decode_exact(const void *rec, size_t size, struct event *ev, char *err, size_t errlen,
			void **copy)
{
	void *c = malloc(size ? size : 1);
	int ret;

	CU_ASSERT_FATAL(c != NULL);
	memcpy(c, rec, size);
	ret = event_decode(c, size, ev, err, errlen);
	if (copy)
		*copy = c;
	else
		free(c);
	return ret;
}

/* ---- valid records ------------------------------------------------------ */

static void test_fixed_types_decode(void)
{
	static const struct {
		__u16 type;
		size_t size;
	} cases[] = {
		{ EV_FORK, sizeof(struct fork_event) },
		{ EV_EXIT, sizeof(struct exit_event) },
		{ EV_CLOSE, sizeof(struct close_event) },
		{ EV_CONNECT, sizeof(struct connect_event) },
		{ EV_ACCEPT, sizeof(struct connect_event) },
		{ EV_TCP_CLOSE, sizeof(struct tcp_close_event) },
		{ EV_IOURING_SETUP, sizeof(struct iouring_setup_event) },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *rec = decode_buf(), *copy;
		struct event ev;
		char err[128] = "";

		decode_set_hdr(rec, cases[i].type, cases[i].size);
		CU_ASSERT_EQUAL(decode_exact(rec, cases[i].size, &ev, err, sizeof(err), &copy), 0);
		CU_ASSERT_STRING_EQUAL(err, "");
		CU_ASSERT_PTR_EQUAL(ev.hdr, copy);
		CU_ASSERT_PTR_EQUAL(ev.raw, copy);
		CU_ASSERT_PTR_NULL(ev.path);
		CU_ASSERT_PTR_NULL(ev.path2);
		CU_ASSERT_PTR_NULL(ev.args);
		CU_ASSERT_EQUAL(ev.hdr->tgid, 4320);
		free(copy);
	}
}

static void test_exec_decodes(void)
{
	static const char path[] = "/usr/bin/zip";
	static const char args[] = "zip\0-r\0out dir/x.zip"; /* last NUL from the literal */
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size = decode_mk_exec(rec, path, sizeof(path), args, sizeof(args));

	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev.path);
	CU_ASSERT_EQUAL(ev.path_len, strlen(path));
	CU_ASSERT_STRING_EQUAL(ev.path, path);
	CU_ASSERT_PTR_EQUAL(ev.path, ((struct exec_event *)copy)->data);
	CU_ASSERT_EQUAL(ev.args_len, sizeof(args));
	CU_ASSERT_EQUAL(memcmp(ev.args, args, sizeof(args)), 0);
	CU_ASSERT_PTR_EQUAL(ev.args, ev.path + sizeof(path));
	free(copy);
}

static void test_exec_without_args_decodes(void)
{
	void *rec = decode_buf();
	struct event ev;
	char err[128] = "";
	size_t size = decode_mk_exec(rec, "/bin/true", 10, NULL, 0);

	CU_ASSERT_EQUAL(decode_exact(rec, size, &ev, err, sizeof(err), NULL), 0);
	CU_ASSERT_EQUAL(ev.args_len, 0);
}

static void test_exec_at_limits_decodes(void)
{
	static char path[CPRW_PATH_MAX], args[CPRW_ARGS_MAX];
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size;

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	memset(args, 'a', sizeof(args)); /* a cut argv need not end in NUL */
	size = decode_mk_exec(rec, path, sizeof(path), args, sizeof(args));
	CU_ASSERT_EQUAL_FATAL(size, sizeof(struct exec_event) + CPRW_PATH_MAX + CPRW_ARGS_MAX);
	CU_ASSERT(size <= CPRW_EVENT_MAX);
	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_EQUAL(ev.path_len, CPRW_PATH_MAX - 1);
	CU_ASSERT_EQUAL(ev.args_len, CPRW_ARGS_MAX);
	free(copy);
}

static void test_open_unlink_decode(void)
{
	static const char path[] = "/home/a/Downloads/export \"1\".csv";
	static const __u16 types[] = { EV_OPEN, EV_UNLINK };
	size_t i;

	for (i = 0; i < 2; i++) {
		void *rec = decode_buf(), *copy;
		struct event ev;
		char err[128] = "";
		size_t size = decode_mk_open(rec, types[i], path, sizeof(path));

		CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev.path);
		CU_ASSERT_STRING_EQUAL(ev.path, path);
		CU_ASSERT_EQUAL(ev.path_len, strlen(path));
		CU_ASSERT_PTR_NULL(ev.path2);
		CU_ASSERT_EQUAL(ev.hdr->type, types[i]);
		free(copy);
	}
}

static void test_open_path_max_decodes(void)
{
	static char path[CPRW_PATH_MAX];
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size;

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	size = decode_mk_open(rec, EV_OPEN, path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_EQUAL(ev.path_len, CPRW_PATH_MAX - 1);
	free(copy);
}

/* An inner NUL ends the path: what follows it is never shown as part of it. */
static void test_open_inner_nul_cuts_path(void)
{
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size = decode_mk_open(rec, EV_OPEN, "/tmp/a\0hidden", 14);

	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_EQUAL(ev.path_len, 6);
	free(copy);
}

static void test_rename_decodes(void)
{
	static const char old[] = "/tmp/report.csv", new[] = "/media/usb/report.csv";
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size = decode_mk_rename(rec, old, sizeof(old), new, sizeof(new));

	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev.path2);
	CU_ASSERT_STRING_EQUAL(ev.path, old);
	CU_ASSERT_EQUAL(ev.path_len, strlen(old));
	CU_ASSERT_STRING_EQUAL(ev.path2, new);
	CU_ASSERT_EQUAL(ev.path2_len, strlen(new));
	free(copy);
}

static void test_rename_at_limits_decodes(void)
{
	static char path[CPRW_PATH_MAX];
	void *rec = decode_buf(), *copy;
	struct event ev;
	char err[128] = "";
	size_t size;

	memset(path, 'r', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	size = decode_mk_rename(rec, path, sizeof(path), path, sizeof(path));
	CU_ASSERT(size <= CPRW_EVENT_MAX);
	CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
	CU_ASSERT_EQUAL(ev.path_len, CPRW_PATH_MAX - 1);
	CU_ASSERT_EQUAL(ev.path2_len, CPRW_PATH_MAX - 1);
	CU_ASSERT_PTR_EQUAL(ev.path2, ev.path + CPRW_PATH_MAX);
	free(copy);
}

/* Clipboard content is bytes, not a string: no NUL needed, none required. */
static void test_clipboard_decodes(void)
{
	static char big[CPRW_CLIP_DATA_MAX];
	static const struct {
		const char *data;
		__u32 len;
	} cases[] = {
		{ "", 0 },
		{ "copied text", 11 },
		{ "a\0b\xff", 4 },
		{ big, sizeof(big) },
	};
	size_t i;

	memset(big, 'c', sizeof(big));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *rec = decode_buf(), *copy;
		struct event ev;
		char err[128] = "";
		size_t size = decode_mk_clip(rec, cases[i].data, cases[i].len);

		CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
		CU_ASSERT_EQUAL(ev.args_len, cases[i].len);
		CU_ASSERT_PTR_EQUAL(ev.args, ((struct clipboard_event *)copy)->data);
		CU_ASSERT_EQUAL(memcmp(ev.args, cases[i].data, cases[i].len), 0);
		CU_ASSERT_PTR_NULL(ev.path);
		free(copy);
	}
}

/* ---- rejected records ----------------------------------------------------- */

/* Each builder fills the scratch record and returns the size handed to the decoder. */
typedef size_t (*decode_builder)(void *rec);

static size_t bad_empty(void *rec)
{
	return 0;
}

static size_t bad_short_hdr(void *rec)
{
	decode_set_hdr(rec, EV_FORK, sizeof(struct event_hdr) - 1);
	return sizeof(struct event_hdr) - 1;
}

static size_t bad_type_zero(void *rec)
{
	decode_set_hdr(rec, 0, sizeof(struct fork_event));
	return sizeof(struct fork_event);
}

static size_t bad_type_max(void *rec)
{
	decode_set_hdr(rec, EV_TYPE_MAX, sizeof(struct fork_event));
	return sizeof(struct fork_event);
}

static size_t bad_type_huge(void *rec)
{
	decode_set_hdr(rec, 0xffff, sizeof(struct fork_event));
	return sizeof(struct fork_event);
}

static size_t bad_hdr_size_bigger(void *rec)
{
	decode_set_hdr(rec, EV_EXIT, sizeof(struct exit_event) + 8);
	return sizeof(struct exit_event);
}

static size_t bad_hdr_size_smaller(void *rec)
{
	decode_set_hdr(rec, EV_EXIT, sizeof(struct exit_event) - 8);
	return sizeof(struct exit_event);
}

static size_t bad_fixed_short(void *rec)
{
	size_t size = sizeof(struct close_event) - 8;

	decode_set_hdr(rec, EV_CLOSE, size);
	return size;
}

static size_t bad_fixed_extra(void *rec)
{
	size_t size = sizeof(struct close_event) + 8;

	decode_set_hdr(rec, EV_CLOSE, size);
	return size;
}

static size_t bad_tcp_close_extra(void *rec)
{
	size_t size = sizeof(struct tcp_close_event) + 1;

	decode_set_hdr(rec, EV_TCP_CLOSE, size);
	return size;
}

static size_t bad_exec_short(void *rec)
{
	size_t size = sizeof(struct exec_event) - 4;

	decode_set_hdr(rec, EV_EXEC, size);
	return size;
}

static size_t bad_open_path_len_0(void *rec)
{
	return decode_mk_open(rec, EV_OPEN, NULL, 0);
}
static size_t bad_unlink_path_len_0(void *rec)
{
	return decode_mk_open(rec, EV_UNLINK, NULL, 0);
}

static size_t bad_open_path_too_long(void *rec)
{
	static char path[CPRW_PATH_MAX + 1];

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	return decode_mk_open(rec, EV_OPEN, path, sizeof(path));
}

static size_t bad_open_no_nul(void *rec)
{
	return decode_mk_open(rec, EV_OPEN, "/tmp/abc", 8);
}
static size_t bad_unlink_no_nul(void *rec)
{
	return decode_mk_open(rec, EV_UNLINK, "/tmp/a", 6);
}

static size_t bad_open_len_past_record(void *rec)
{
	size_t size = decode_mk_open(rec, EV_OPEN, "/tmp/abc", 9);

	((struct open_event *)rec)->path_len = 100;
	return size;
}

static size_t bad_open_len_short_of_record(void *rec)
{
	size_t size = decode_mk_open(rec, EV_OPEN, "/tmp/abc", 9);

	((struct open_event *)rec)->path_len = 4;
	return size;
}

static size_t bad_open_len_wraps(void *rec)
{
	size_t size = decode_mk_open(rec, EV_OPEN, "/tmp/abc", 9);

	((struct open_event *)rec)->path_len = 0xffffffffu;
	return size;
}

static size_t bad_unlink_len_mismatch(void *rec)
{
	size_t size = decode_mk_open(rec, EV_UNLINK, "/tmp/abc", 9);

	((struct unlink_event *)rec)->path_len = 10;
	return size;
}

static size_t bad_exec_path_len_0(void *rec)
{
	return decode_mk_exec(rec, NULL, 0, "a\0", 2);
}

static size_t bad_exec_path_too_long(void *rec)
{
	static char path[CPRW_PATH_MAX + 1];

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	return decode_mk_exec(rec, path, sizeof(path), "a", 1);
}

static size_t bad_exec_no_nul(void *rec)
{
	return decode_mk_exec(rec, "/bin/sh", 7, "sh", 3);
}

static size_t bad_exec_args_too_long(void *rec)
{
	static char args[CPRW_ARGS_MAX + 1];

	memset(args, 'a', sizeof(args));
	return decode_mk_exec(rec, "/bin/sh", 8, args, sizeof(args));
}

static size_t bad_exec_lengths_not_summing(void *rec)
{
	size_t size = decode_mk_exec(rec, "/bin/sh", 8, "sh\0-c\0", 6);

	((struct exec_event *)rec)->args_len = 7;
	return size;
}

static size_t bad_exec_lengths_short(void *rec)
{
	size_t size = decode_mk_exec(rec, "/bin/sh", 8, "sh\0-c\0", 6);

	((struct exec_event *)rec)->args_len = 5;
	return size;
}

static size_t bad_exec_args_len_wraps(void *rec)
{
	size_t size = decode_mk_exec(rec, "/bin/sh", 8, "sh\0", 3);

	((struct exec_event *)rec)->args_len = 0xffffffffu;
	return size;
}

static size_t bad_rename_not_summing(void *rec)
{
	size_t size = decode_mk_rename(rec, "/a", 3, "/b", 3);

	((struct rename_event *)rec)->new_len = 2;
	return size;
}

static size_t bad_rename_past_record(void *rec)
{
	size_t size = decode_mk_rename(rec, "/a", 3, "/b", 3);

	((struct rename_event *)rec)->new_len = 4;
	return size;
}

static size_t bad_unlink_len_short(void *rec)
{
	size_t size = decode_mk_open(rec, EV_UNLINK, "/tmp/abc", 9);

	((struct unlink_event *)rec)->path_len = 8;
	return size;
}

static size_t bad_rename_old_len_0(void *rec)
{
	return decode_mk_rename(rec, NULL, 0, "/b", 3);
}
static size_t bad_rename_new_len_0(void *rec)
{
	return decode_mk_rename(rec, "/a", 3, NULL, 0);
}
static size_t bad_rename_old_no_nul(void *rec)
{
	return decode_mk_rename(rec, "/ab", 3, "/b", 3);
}
static size_t bad_rename_new_no_nul(void *rec)
{
	return decode_mk_rename(rec, "/a", 3, "/bc", 3);
}

static size_t bad_rename_too_long(void *rec)
{
	static char path[CPRW_PATH_MAX + 1];

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	return decode_mk_rename(rec, "/a", 3, path, sizeof(path));
}

static size_t bad_rename_lens_wrap(void *rec)
{
	/* 0x80000000 + 0x80000000 + 6 wraps a 32-bit sum back to 6 */
	size_t size = decode_mk_rename(rec, "/a", 3, "/b", 3);

	((struct rename_event *)rec)->old_len = 0x80000003u;
	((struct rename_event *)rec)->new_len = 0x80000003u;
	return size;
}

static size_t bad_clip_too_long(void *rec)
{
	static char big[CPRW_CLIP_DATA_MAX + 1];

	return decode_mk_clip(rec, big, sizeof(big));
}

static size_t bad_clip_len_mismatch(void *rec)
{
	size_t size = decode_mk_clip(rec, "abc", 3);

	((struct clipboard_event *)rec)->data_len = 4;
	return size;
}

static size_t bad_clip_len_wraps(void *rec)
{
	size_t size = decode_mk_clip(rec, "abc", 3);

	((struct clipboard_event *)rec)->data_len = 0xffffffffu;
	return size;
}

static size_t bad_clip_short(void *rec)
{
	size_t size = sizeof(struct clipboard_event) - 8;

	decode_set_hdr(rec, EV_CLIPBOARD, size);
	return size;
}

static size_t bad_tls_too_long(void *rec)
{
	static char big[CPRW_TLS_DATA_MAX + 1];

	return decode_mk_tls(rec, big, sizeof(big));
}

static size_t bad_tls_len_mismatch(void *rec)
{
	size_t size = decode_mk_tls(rec, "GET / HTTP/1.1", 14);

	((struct tls_event *)rec)->data_len = 15;
	return size;
}

static size_t bad_tls_len_wraps(void *rec)
{
	size_t size = decode_mk_tls(rec, "abc", 3);

	((struct tls_event *)rec)->data_len = 0xffffffffu;
	return size;
}

static size_t bad_turns_extra(void *rec)
{
	size_t size = sizeof(struct turns_event) + 1;

	decode_set_hdr(rec, EV_TURNS, size);
	return size;
}

static size_t bad_iouring_setup_extra(void *rec)
{
	size_t size = sizeof(struct iouring_setup_event) + 1;

	decode_set_hdr(rec, EV_IOURING_SETUP, size);
	return size;
}

static size_t bad_iouring_setup_short(void *rec)
{
	size_t size = sizeof(struct iouring_setup_event) - 4;

	decode_set_hdr(rec, EV_IOURING_SETUP, size);
	return size;
}

/* TLS plaintext is bytes: the whole capture, up to its bound, reaches the parser and scanner. */
static void test_tls_decodes(void)
{
	static char big[CPRW_TLS_DATA_MAX];
	const __u32 lens[] = { 0, 14, sizeof(big) };
	size_t i;

	memcpy(big, "GET /api/person/1 HTTP/1.1", 26);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		void *rec = decode_buf(), *copy;
		struct event ev;
		char err[128] = "";
		size_t size = decode_mk_tls(rec, big, lens[i]);

		CU_ASSERT_EQUAL_FATAL(decode_exact(rec, size, &ev, err, sizeof(err), &copy), 0);
		CU_ASSERT_EQUAL(ev.args_len, lens[i]);
		CU_ASSERT_PTR_EQUAL(ev.args, ((struct tls_event *)copy)->data);
		free(copy);
	}
}

static void test_rejects(void)
{
	static const struct {
		const char *name;
		decode_builder build;
		const char *needle; /* must appear in the error text */
	} cases[] = {
		{ "empty", bad_empty, "shorter than a header" },
		{ "short header", bad_short_hdr, "shorter than a header" },
		{ "type 0", bad_type_zero, "unknown event type 0" },
		{ "type max", bad_type_max, "unknown event type" },
		{ "type 0xffff", bad_type_huge, "unknown event type 65535" },
		{ "hdr.size > size", bad_hdr_size_bigger, "header says" },
		{ "hdr.size < size", bad_hdr_size_smaller, "header says" },
		{ "fixed too short", bad_fixed_short, "shorter than its type" },
		{ "fixed extra bytes", bad_fixed_extra, "fixed" },
		{ "tcp_close extra byte", bad_tcp_close_extra, "fixed" },
		{ "exec too short", bad_exec_short, "shorter than its type" },
		{ "open path_len 0", bad_open_path_len_0, "open path" },
		{ "unlink path_len 0", bad_unlink_path_len_0, "unlink path" },
		{ "open path_len > max", bad_open_path_too_long, "open path" },
		{ "open no NUL", bad_open_no_nul, "NUL" },
		{ "unlink no NUL", bad_unlink_no_nul, "NUL" },
		{ "open len past record", bad_open_len_past_record, "open: path length 100" },
		{ "open len short of record", bad_open_len_short_of_record, "open: path length 4" },
		{ "open len wraps", bad_open_len_wraps, "open:" },
		{ "unlink len mismatch", bad_unlink_len_mismatch, "unlink:" },
		{ "exec path_len 0", bad_exec_path_len_0, "exec path" },
		{ "exec path_len > max", bad_exec_path_too_long, "exec:" },
		{ "exec no NUL", bad_exec_no_nul, "exec path" },
		{ "exec args > max", bad_exec_args_too_long, "args 1025" },
		{ "exec lengths", bad_exec_lengths_not_summing, "exec:" },
		{ "exec lengths short", bad_exec_lengths_short, "exec:" },
		{ "exec args wrap", bad_exec_args_len_wraps, "exec:" },
		{ "rename not summing", bad_rename_not_summing, "rename:" },
		{ "rename past record", bad_rename_past_record, "rename:" },
		{ "unlink len short", bad_unlink_len_short, "unlink:" },
		{ "rename old_len 0", bad_rename_old_len_0, "rename old path" },
		{ "rename new_len 0", bad_rename_new_len_0, "rename new path" },
		{ "rename old no NUL", bad_rename_old_no_nul, "rename old path" },
		{ "rename new no NUL", bad_rename_new_no_nul, "rename new path" },
		{ "rename > max", bad_rename_too_long, "rename:" },
		{ "rename lens wrap", bad_rename_lens_wrap, "rename:" },
		{ "clipboard > max", bad_clip_too_long, "clipboard: data length 4097" },
		{ "clipboard len mismatch", bad_clip_len_mismatch, "clipboard: data length 4" },
		{ "clipboard len wraps", bad_clip_len_wraps, "clipboard:" },
		{ "clipboard too short", bad_clip_short, "shorter than its type" },
		{ "tls > max", bad_tls_too_long, "tls: data length 4097" },
		{ "tls len mismatch", bad_tls_len_mismatch, "tls: data length 15" },
		{ "tls len wraps", bad_tls_len_wraps, "tls:" },
		{ "turns extra byte", bad_turns_extra, "fixed" },
		{ "io_uring_setup extra byte", bad_iouring_setup_extra, "fixed" },
		{ "io_uring_setup short", bad_iouring_setup_short, "shorter than its type" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *rec = decode_buf();
		size_t size = cases[i].build(rec);
		struct event ev;
		char err[160] = "";
		int ret = decode_exact(rec, size, &ev, err, sizeof(err), NULL);

		if (ret != -EINVAL || !strstr(err, cases[i].needle))
			fprintf(stderr, "\n  case '%s': ret %d, err '%s' (want '%s')",
				cases[i].name, ret, err, cases[i].needle);
		CU_ASSERT_EQUAL(ret, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].needle));
	}
}

/* The reason is cut to the caller's buffer, never written past it. */
static void test_error_text_bounded(void)
{
	char err[12];
	struct event ev;
	unsigned char rec[8] = { 0 };

	memset(err, 'Z', sizeof(err));
	CU_ASSERT_EQUAL(event_decode(rec, 4, &ev, err, 8), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), 7);
	CU_ASSERT_EQUAL(err[8], 'Z');
}

/* ---- names --------------------------------------------------------------- */

static void test_class_names(void)
{
	static const struct {
		__u32 classes;
		const char *want;
	} cases[] = {
		{ 0, "" },
		{ CLASS_CPR_CLIENT, "cpr_client" },
		{ CLASS_MESSAGING, "messaging" },
		{ CLASS_CPR_CLIENT | CLASS_TAINTED, "cpr_client,tainted" },
		{ CLASS_BROWSER | CLASS_SYNC | CLASS_CLIPBOARD, "browser,sync,clipboard" },
		{ CLASS_ALL,
		  "cpr_client,messaging,browser,sync,archiver,clipboard,tainted,printer" },
		{ 1u << 8 | 1u << 31, "" }, /* unknown bits are not named */
		{ CLASS_ARCHIVER | 1u << 20, "archiver" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];

		memset(buf, 'Z', sizeof(buf));
		CU_ASSERT_PTR_EQUAL(event_class_names(cases[i].classes, buf, sizeof(buf)), buf);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].want);
	}
}

static void test_class_names_bounded(void)
{
	char buf[32];

	memset(buf, 'Z', sizeof(buf));
	event_class_names(CLASS_ALL, buf, 12);
	CU_ASSERT_STRING_EQUAL(buf, "cpr_client,");
	CU_ASSERT_EQUAL(buf[12], 'Z');
	event_class_names(CLASS_MESSAGING | CLASS_BROWSER, buf, 10);
	CU_ASSERT_STRING_EQUAL(buf, "messaging");
}

static void test_type_and_export_names(void)
{
	static const char *const want[EV_TYPE_MAX] = {
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
	unsigned int t;

	for (t = 1; t < EV_TYPE_MAX; t++) {
		/* a new type needs its name here, and cases in this suite */
		CU_ASSERT_PTR_NOT_NULL_FATAL(want[t]);
		CU_ASSERT_STRING_EQUAL(event_type_name(t), want[t]);
	}
	CU_ASSERT_STRING_EQUAL(event_type_name(0), "unknown");
	CU_ASSERT_STRING_EQUAL(event_type_name(EV_TYPE_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(event_type_name(~0u), "unknown");

	CU_ASSERT_STRING_EQUAL(event_export_kind_name(EXPORT_LOCAL), "local");
	CU_ASSERT_STRING_EQUAL(event_export_kind_name(EXPORT_REMOVABLE), "removable");
	CU_ASSERT_STRING_EQUAL(event_export_kind_name(EXPORT_NETWORK), "network");
	CU_ASSERT_PTR_NULL(event_export_kind_name(0));
	CU_ASSERT_PTR_NULL(event_export_kind_name(4));
}

static CU_TestInfo decode_tests[] = {
	{ "fixed types decode", test_fixed_types_decode },
	{ "exec decodes path and args", test_exec_decodes },
	{ "exec without args decodes", test_exec_without_args_decodes },
	{ "exec at path and args limits", test_exec_at_limits_decodes },
	{ "open and unlink decode", test_open_unlink_decode },
	{ "open path at CPRW_PATH_MAX", test_open_path_max_decodes },
	{ "inner NUL ends the path", test_open_inner_nul_cuts_path },
	{ "rename decodes both paths", test_rename_decodes },
	{ "rename at path limits", test_rename_at_limits_decodes },
	{ "clipboard decodes its bytes", test_clipboard_decodes },
	{ "tls decodes its bytes", test_tls_decodes },
	{ "malformed records rejected", test_rejects },
	{ "error text bounded", test_error_text_bounded },
	{ "event_class_names", test_class_names },
	{ "event_class_names bounded", test_class_names_bounded },
	{ "type and export names", test_type_and_export_names },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(decode, decode_tests)
