// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/event/event_json.c: one event of each type, built with the events.h
 * structs, decoded, rendered, and checked for the fields the README's event
 * schema promises.  Every line must also parse (jq, when installed).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "event/event_json.h"
#include "event/event_parse.h"
#include "lib/json_parse.h"

#define EJ_JQ "/usr/bin/jq"

/* 2024-01-02T03:04:05.123456789Z, reached from a monotonic 1000.5 s */
#define EJ_TS 1000500000000ULL
#define EJ_REAL 1704164645123456789LL
#define EJ_OFFSET ((int64_t)(EJ_REAL - (int64_t)EJ_TS))

static union {
	struct event_hdr hdr;
	__u64 align;
	unsigned char b[8192];
} ej_rec;

static void *ej_new(__u16 type, size_t fixed)
{
	struct event_hdr *h = &ej_rec.hdr;

	memset(&ej_rec, 0, sizeof(ej_rec));
	h->type = type;
	h->size = fixed;
	h->ts_ns = EJ_TS;
	h->pid = 4321;
	h->tgid = 4320;
	h->uid = 1000;
	h->gid = 1001;
	h->classes = CLASS_CPR_CLIENT | CLASS_TAINTED;
	memcpy(h->comm, "cprklient", 10);
	return ej_rec.b;
}

static int ej_jq_valid(const char *text)
{
	char cmd[64];
	FILE *f;

	if (access(EJ_JQ, X_OK))
		return 1;
	snprintf(cmd, sizeof(cmd), EJ_JQ " -e . >/dev/null 2>&1");
	f = popen(cmd, "w");
	if (!f)
		return 0;
	fputs(text, f);
	return pclose(f) == 0;
}

/*
 * Decode the record in ej_rec, render it and return the line (malloc'd).
 * @file_path is what the agent joins into a close; @p the process, or NULL.
 */
static char *ej_render(const char *file_path, const struct proc *p)
{
	struct event ev;
	struct json j;
	char err[160] = "", *out;
	/* an exact-size copy: a read past the record is an ASan error */
	void *rec = malloc(ej_rec.hdr.size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	memcpy(rec, ej_rec.b, ej_rec.hdr.size);
	CU_ASSERT_EQUAL_FATAL(event_decode(rec, ej_rec.hdr.size, &ev, err, sizeof(err)), 0);
	ev.file_path = file_path;
	json_init(&j);
	event_json(&j, &ev, p, EJ_OFFSET);
	CU_ASSERT_FALSE(j.out.oom);
	out = strdup(j.out.data);
	json_free(&j);
	free(rec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (!ej_jq_valid(out))
		fprintf(stderr, "\n  not valid JSON: %s", out);
	CU_ASSERT(ej_jq_valid(out));
	return out;
}

/* Assert that @line holds each of the NULL-terminated fragments. */
static void ej_has(const char *line, const char *const *frags)
{
	for (; *frags; frags++) {
		if (!strstr(line, *frags))
			fprintf(stderr, "\n  missing %s in %s", *frags, line);
		CU_ASSERT_PTR_NOT_NULL(strstr(line, *frags));
	}
}

static void ej_lacks(const char *line, const char *const *frags)
{
	for (; *frags; frags++) {
		if (strstr(line, *frags))
			fprintf(stderr, "\n  unexpected %s in %s", *frags, line);
		CU_ASSERT_PTR_NULL(strstr(line, *frags));
	}
}

static void test_header(void)
{
	static const char *const want[] = {
		"{\"event\":\"fork\",",
		"\"time\":\"2024-01-02T03:04:05.123456Z\"",
		"\"ts_ns\":1000500000000",
		"\"pid\":4320",
		"\"tid\":4321",
		"\"uid\":1000",
		"\"gid\":1001",
		"\"comm\":\"cprklient\"",
		"\"classes\":[\"cpr_client\",\"tainted\"]",
		"\"child_pid\":4400",
		NULL,
	};
	static const char *const absent[] = { "\"truncated\"", "\"ppid\"", "\"exe\"", NULL };
	struct fork_event *f = ej_new(EV_FORK, sizeof(*f));
	char *line;

	f->child_pid = 4401;
	f->child_tgid = 4400;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	ej_lacks(line, absent);
	CU_ASSERT_EQUAL(line[strlen(line) - 1], '}');
	CU_ASSERT_PTR_NULL(strchr(line, '\n')); /* one line per event */
	free(line);
}

/* A comm that fills all 16 bytes, or holds a quote, still renders safely. */
static void test_header_comm_and_flags(void)
{
	static const char *const want[] = {
		"\"comm\":\"0123456789abcdef\"",
		"\"truncated\":true",
		"\"classes\":[]",
		NULL,
	};
	struct exit_event *x = ej_new(EV_EXIT, sizeof(*x));
	char *line;

	memcpy(x->hdr.comm, "0123456789abcdef", 16);
	x->hdr.flags = EVF_TRUNCATED;
	x->hdr.classes = 0;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	free(line);

	x = ej_new(EV_EXIT, sizeof(*x));
	memcpy(x->hdr.comm, "a\"b\\c\n", 7);
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"comm\":\"a\\\"b\\\\c\\n\""));
	free(line);
}

/* With a known process: parent, image and login user join the event. */
static void test_header_with_proc(void)
{
	static const char *const want[] = {
		"\"ppid\":77",
		"\"exe\":\"/opt/cpr/bin/cprklient\"",
		"\"loginuid\":1000",
		NULL,
	};
	static const char *const want_unset[] = { "\"loginuid\":null", "\"exe\":null", NULL };
	struct proc p;
	char *line;

	memset(&p, 0, sizeof(p));
	p.tgid = 4320;
	p.ppid = 77;
	p.exe = "/opt/cpr/bin/cprklient";
	p.loginuid = 1000;
	ej_new(EV_EXIT, sizeof(struct exit_event));
	line = ej_render(NULL, &p);
	ej_has(line, want);
	free(line);

	p.exe = NULL;
	p.loginuid = (__u32)-1;
	ej_new(EV_EXIT, sizeof(struct exit_event));
	line = ej_render(NULL, &p);
	ej_has(line, want_unset);
	free(line);
}

static struct exec_event *ej_exec(const char *path, const void *args, __u32 alen, __u32 full)
{
	struct exec_event *e = ej_new(EV_EXEC, 0);
	__u32 plen = strlen(path) + 1;

	e->ppid = 77;
	e->loginuid = 1000;
	e->sessionid = 5;
	e->path_len = plen;
	e->args_len = alen;
	e->args_full_len = full;
	e->cgroup_id = 9876;
	e->dev = (259ULL << 20) | 300;
	e->ino = 123456;
	memcpy(e->data, path, plen);
	memcpy(e->data + plen, args, alen);
	e->hdr.size = sizeof(*e) + plen + alen;
	return e;
}

static void test_exec(void)
{
	static const char args[] = "zip\0-r\0out dir/x.zip\0\"q\"";
	static const char *const want[] = {
		"{\"event\":\"exec\",",
		"\"ppid\":77",
		"\"exe\":\"/usr/bin/zip\"",
		"\"dev\":\"259:300\"",
		"\"ino\":123456",
		"\"argv\":[\"zip\",\"-r\",\"out dir/x.zip\",\"\\\"q\\\"\"]",
		"\"argv_truncated\":false",
		"\"loginuid\":1000",
		"\"sessionid\":5",
		"\"cgroup_id\":9876",
		NULL,
	};
	struct proc p;
	char *line;

	ej_exec("/usr/bin/zip", args, sizeof(args), sizeof(args));
	/* for an exec the record itself is the truth, not the table */
	memset(&p, 0, sizeof(p));
	p.ppid = 1;
	p.exe = "/stale";
	line = ej_render(NULL, &p);
	ej_has(line, want);
	CU_ASSERT_PTR_NULL(strstr(line, "/stale"));
	CU_ASSERT_PTR_NULL(strstr(line, "\"ppid\":1,"));
	free(line);
}

static void test_exec_truncated_args(void)
{
	static const char *const want[] = {
		"\"argv\":[\"python3\",\"-c\",\"print(1\"]", /* the cut argument is kept */
		"\"argv_truncated\":true",
		"\"loginuid\":null",
		"\"sessionid\":null",
		NULL,
	};
	struct exec_event *e = ej_exec("/usr/bin/python3", "python3\0-c\0print(1", 18, 4000);
	char *line;

	e->loginuid = (__u32)-1;
	e->sessionid = (__u32)-1;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	free(line);

	/* no argv at all, and an empty argument inside */
	ej_exec("/bin/true", "", 0, 0);
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"argv\":[]"));
	free(line);
	ej_exec("/bin/echo", "echo\0\0x\0", 8, 8);
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"argv\":[\"echo\",\"\",\"x\"]"));
	free(line);
}

static void test_exit(void)
{
	static const struct {
		__u32 code;
		const char *status, *sig;
	} cases[] = {
		{ 0, "\"exit_status\":0", "\"signal\":0" },
		{ 1 << 8, "\"exit_status\":1", "\"signal\":0" },
		{ 255 << 8, "\"exit_status\":255", "\"signal\":0" },
		{ 9, "\"exit_status\":0", "\"signal\":9" },
		{ 0x80 | 11, "\"exit_status\":0", "\"signal\":11" }, /* core dumped */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct exit_event *x = ej_new(EV_EXIT, sizeof(*x));
		const char *const want[] = { "\"event\":\"exit\"", cases[i].status, cases[i].sig,
					     NULL };
		char *line;

		x->exit_code = cases[i].code;
		line = ej_render(NULL, NULL);
		ej_has(line, want);
		free(line);
	}
}

static struct open_event *ej_open(const char *path)
{
	struct open_event *o = ej_new(EV_OPEN, 0);
	__u32 plen = strlen(path) + 1;

	o->ret = 5;
	o->flags = O_WRONLY | O_CREAT | O_TRUNC;
	o->mode = 0100644;
	o->path_len = plen;
	o->dev = (8ULL << 20) | 1;
	o->ino = 4242;
	o->size = 0;
	o->export_kind = EXPORT_LOCAL;
	memcpy(o->path, path, plen);
	o->hdr.size = sizeof(*o) + plen;
	return o;
}

static void test_open(void)
{
	static const char *const want[] = {
		"{\"event\":\"open\",",
		"\"path\":\"/home/u/Downloads/a\\\"b\\nc\\\\d.csv\"",
		"\"ret\":5",
		"\"access\":\"write\"",
		"\"create\":true",
		"\"truncate\":true",
		"\"mode\":\"0644\"",
		"\"dev\":\"8:1\"",
		"\"ino\":4242",
		"\"export\":\"local\"",
		"\"tainted\":false",
		NULL,
	};
	static const char *const absent[] = { "taint_origin", NULL };
	char *line;

	ej_open("/home/u/Downloads/a\"b\nc\\d.csv");
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	ej_lacks(line, absent);
	free(line);
}

static void test_open_tainted_and_kinds(void)
{
	static const char *const want[] = {
		"\"access\":\"read\"", "\"create\":false",
		"\"truncate\":false",  "\"export\":\"removable\"",
		"\"tainted\":true",    "\"taint_origin\":{\"dev\":\"8:2\",\"ino\":77}",
		"\"size\":1048576",    NULL,
	};
	struct open_event *o = ej_open("/media/usb/x.csv");
	char *line;

	o->flags = O_RDONLY;
	o->export_kind = EXPORT_REMOVABLE;
	o->size = 1048576;
	o->hdr.flags = EVF_TAINTED_FILE;
	o->taint_dev = (8ULL << 20) | 2;
	o->taint_ino = 77;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	free(line);

	/* not below an export directory: null, not a made-up kind */
	o = ej_open("/etc/passwd");
	o->export_kind = 0;
	o->flags = O_RDWR;
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"export\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"access\":\"read_write\""));
	free(line);
}

/* A failed open says why, and nothing about a file it never reached. */
static void test_open_failed(void)
{
	static const char *const want[] = { "\"ret\":-13", "\"path\":\"/root/secret\"", NULL };
	static const char *const absent[] = { "\"dev\"", "\"ino\"", "\"export\"",
					      "\"tainted\":", NULL };
	struct open_event *o = ej_open("/root/secret");
	char *line;

	o->ret = -13;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	ej_lacks(line, absent);
	free(line);
}

/* Path bytes that are not UTF-8 still give a line that parses. */
static void test_open_binary_path(void)
{
	char *line;

	ej_open("/tmp/\xff\xfe\x01name\xc3\xa6");
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"path\":\"/tmp/\\u00ff\\u00fe\\u0001name\xc3\xa6\""));
	free(line);
}

static void test_close(void)
{
	static const char *const want[] = {
		"{\"event\":\"close\",",
		"\"fd\":5",
		"\"path\":\"/home/u/Downloads/export.csv\"",
		"\"dev\":\"8:1\"",
		"\"ino\":4242",
		"\"access\":\"write\"",
		"\"bytes_read\":0",
		"\"bytes_written\":1048576",
		"\"reads\":0",
		"\"writes\":256",
		"\"at_exit\":false",
		NULL,
	};
	struct close_event *c = ej_new(EV_CLOSE, sizeof(*c));
	char *line;

	c->fd = 5;
	c->open_flags = O_WRONLY | O_CREAT;
	c->dev = (8ULL << 20) | 1;
	c->ino = 4242;
	c->bytes_written = 1048576;
	c->writes = 256;
	line = ej_render("/home/u/Downloads/export.csv", NULL);
	ej_has(line, want);
	free(line);

	/* path unknown (open not seen), closed by the kernel at exit */
	c = ej_new(EV_CLOSE, sizeof(*c));
	c->hdr.flags = EVF_AT_EXIT;
	c->bytes_read = 10;
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"path\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"at_exit\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"bytes_read\":10"));
	free(line);
}

static void test_rename_unlink(void)
{
	static const char old[] = "/tmp/r.csv", new[] = "/media/usb/r \"1\".csv";
	static const char *const want_rename[] = {
		"\"event\":\"rename\"",
		"\"ret\":0",
		"\"old_path\":\"/tmp/r.csv\"",
		"\"new_path\":\"/media/usb/r \\\"1\\\".csv\"",
		NULL,
	};
	static const char *const want_unlink[] = {
		"\"event\":\"unlink\"",
		"\"ret\":-2",
		"\"path\":\"/tmp/gone\"",
		NULL,
	};
	struct rename_event *r = ej_new(EV_RENAME, 0);
	struct unlink_event *u;
	char *line;

	r->old_len = sizeof(old);
	r->new_len = sizeof(new);
	memcpy(r->data, old, sizeof(old));
	memcpy(r->data + sizeof(old), new, sizeof(new));
	r->hdr.size = sizeof(*r) + sizeof(old) + sizeof(new);
	line = ej_render(NULL, NULL);
	ej_has(line, want_rename);
	free(line);

	u = ej_new(EV_UNLINK, 0);
	u->ret = -2;
	u->path_len = 10;
	memcpy(u->path, "/tmp/gone", 10);
	u->hdr.size = sizeof(*u) + 10;
	line = ej_render(NULL, NULL);
	ej_has(line, want_unlink);
	free(line);
}

static void test_connect(void)
{
	static const char *const want4[] = {
		"{\"event\":\"connect\",", "\"ret\":0",	   "\"fd\":7", "\"family\":\"inet\"",
		"\"addr\":\"10.0.0.1\"",   "\"port\":443", NULL,
	};
	static const char *const want6[] = {
		"{\"event\":\"accept\",",
		"\"family\":\"inet6\"",
		"\"addr\":\"2001:db8::1\"",
		"\"port\":8443",
		NULL,
	};
	struct connect_event *c = ej_new(EV_CONNECT, sizeof(*c));
	char *line;

	c->fd = 7;
	c->addr.family = AF_INET;
	c->addr.port = 443;
	inet_pton(AF_INET, "10.0.0.1", c->addr.addr);
	line = ej_render(NULL, NULL);
	ej_has(line, want4);
	free(line);

	c = ej_new(EV_ACCEPT, sizeof(*c));
	c->addr.family = AF_INET6;
	c->addr.port = 8443;
	inet_pton(AF_INET6, "2001:db8::1", c->addr.addr);
	line = ej_render(NULL, NULL);
	ej_has(line, want6);
	free(line);

	/* unix socket: the path, bounded even when it fills the whole field */
	c = ej_new(EV_CONNECT, sizeof(*c));
	c->ret = -111;
	c->addr.family = AF_UNIX;
	memset(c->addr.unix_path, 'u', CPRW_UNIX_PATH_MAX);
	/* and whatever follows the field is not part of the path */
	memset(c->addr.unix_path + CPRW_UNIX_PATH_MAX, 'v',
	       sizeof(*c) - offsetof(struct connect_event, addr.unix_path) - CPRW_UNIX_PATH_MAX);
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"family\":\"unix\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"ret\":-111"));
	{
		char want[CPRW_UNIX_PATH_MAX + 32];

		snprintf(want, sizeof(want), "\"unix_path\":\"%.*s\"", CPRW_UNIX_PATH_MAX,
			 c->addr.unix_path);
		CU_ASSERT_PTR_NOT_NULL(strstr(line, want));
	}
	free(line);

	/* another family: named, but no address made up */
	c = ej_new(EV_CONNECT, sizeof(*c));
	c->addr.family = 16; /* AF_NETLINK */
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"family\":\"other\""));
	CU_ASSERT_PTR_NULL(strstr(line, "\"addr\""));
	free(line);
}

static void test_tcp_close(void)
{
	static const char *const want[] = {
		"{\"event\":\"tcp_close\",",
		"\"family\":\"inet\"",
		"\"saddr\":\"192.168.1.10\"",
		"\"sport\":51234",
		"\"daddr\":\"1.2.3.4\"",
		"\"dport\":443",
		"\"bytes_sent\":25165824",
		"\"bytes_received\":4096",
		"\"duration_ns\":60000000000",
		"\"adopted\":false",
		NULL,
	};
	struct tcp_close_event *t = ej_new(EV_TCP_CLOSE, sizeof(*t));
	char *line;

	t->family = AF_INET;
	t->sport = 51234;
	t->dport = 443;
	inet_pton(AF_INET, "192.168.1.10", t->saddr);
	inet_pton(AF_INET, "1.2.3.4", t->daddr);
	t->bytes_sent = 24ULL << 20;
	t->bytes_received = 4096;
	t->duration_ns = 60000000000ULL;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	free(line);

	/* connected before its process was tracked: the kernel counted sends from adoption */
	ej_rec.hdr.flags |= EVF_SOCK_ADOPTED;
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"adopted\":true"));
	free(line);
}

/* Clipboard content goes to the scanner only: it never appears in the event line. */
static void test_clipboard_content_not_logged(void)
{
	static const char content[] = "SECRET-CLIPBOARD-CONTENT";
	struct clipboard_event *c = ej_new(EV_CLIPBOARD, 0);
	char *line;

	c->op = CLIP_SET_TEXT;
	c->api = CLIP_API_GTK3;
	c->total_len = sizeof(content) - 1;
	c->data_len = sizeof(content) - 1;
	memcpy(c->data, content, sizeof(content) - 1);
	c->hdr.size = sizeof(*c) + c->data_len;
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{\"event\":\"clipboard\","));
	CU_ASSERT_PTR_NULL(strstr(line, "SECRET"));
	free(line);
}

/* Several events into one writer, reset between: each line stands alone. */
static void test_lines_reuse_writer(void)
{
	struct json j;
	struct event ev;
	char err[64];
	int i;

	json_init(&j);
	for (i = 0; i < 3; i++) {
		struct fork_event *f = ej_new(EV_FORK, sizeof(*f));

		f->child_tgid = 100 + i;
		CU_ASSERT_EQUAL_FATAL(event_decode(ej_rec.b, sizeof(*f), &ev, err, sizeof(err)), 0);
		json_reset(&j);
		event_json(&j, &ev, NULL, 0);
	}
	CU_ASSERT_EQUAL(strncmp(j.out.data, "{\"event\":\"fork\"", 15), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.out.data, "\"child_pid\":102}"));
	CU_ASSERT(ej_jq_valid(j.out.data));
	json_free(&j);
}

/*
 * A tainted process's io_uring: who, the ring's size and its flags by name;
 * a recording of it replays into the same record (event_from_json).
 */
static void test_iouring_setup(void)
{
	static const char *const want[] = {
		"{\"event\":\"io_uring_setup\",",
		"\"pid\":4320",
		"\"uid\":1000",
		"\"comm\":\"cprklient\"",
		"\"fd\":3",
		"\"sq_entries\":8",
		"\"cq_entries\":16",
		"\"flags\":8194",
		"\"setup_flags\":[\"sqpoll\",\"defer_taskrun\"]",
		NULL,
	};
	struct iouring_setup_event *e = ej_new(EV_IOURING_SETUP, sizeof(*e)), back;
	static char buf[EVENT_PARSE_BUF];
	char err[128] = "", *line;
	struct jval v;

	e->fd = 3;
	e->sq_entries = 8;
	e->cq_entries = 16;
	e->flags = IORING_SETUP_SQPOLL | IORING_SETUP_DEFER_TASKRUN;
	back = *e;
	line = ej_render(NULL, NULL);
	ej_has(line, want);
	CU_ASSERT_EQUAL_FATAL(json_parse(line, strlen(line), &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(event_from_json(&v, buf, sizeof(buf), err, sizeof(err)), sizeof(back));
	e = (struct iouring_setup_event *)buf;
	CU_ASSERT_EQUAL(e->hdr.type, EV_IOURING_SETUP);
	CU_ASSERT_EQUAL(e->hdr.tgid, back.hdr.tgid);
	CU_ASSERT_EQUAL(e->fd, back.fd);
	CU_ASSERT_EQUAL(e->flags, back.flags);
	CU_ASSERT_EQUAL(e->sq_entries, back.sq_entries);
	CU_ASSERT_EQUAL(e->cq_entries, back.cq_entries);
	jval_free(&v);
	free(line);
}

/* Opens and closes done by io_uring requests say so, and name fixed-file slots. */
static void test_iouring_flags(void)
{
	struct close_event *c = ej_new(EV_CLOSE, sizeof(*c));
	static char buf[EVENT_PARSE_BUF];
	char err[128] = "", *line;
	struct jval v;

	c->fd = 1;
	c->hdr.flags = EVF_IOURING | EVF_FIXED_FILE;
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"io_uring\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"fixed_file\":true"));
	CU_ASSERT_EQUAL_FATAL(json_parse(line, strlen(line), &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(event_from_json(&v, buf, sizeof(buf), err, sizeof(err)), sizeof(*c));
	CU_ASSERT_EQUAL(((struct event_hdr *)buf)->flags, EVF_IOURING | EVF_FIXED_FILE);
	jval_free(&v);
	free(line);

	ej_new(EV_CLOSE, sizeof(*c));
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NULL(strstr(line, "io_uring"));
	CU_ASSERT_PTR_NULL(strstr(line, "fixed_file"));
	free(line);
}

/* Parse a rendered line back into a record (as --replay does) in @buf. */
static int ej_parse_back(const char *line, void *buf)
{
	char err[128] = "";
	struct jval v;
	int n;

	CU_ASSERT_EQUAL_FATAL(json_parse(line, strlen(line), &v, err, sizeof(err)), 0);
	n = event_from_json(&v, buf, EVENT_PARSE_BUF, err, sizeof(err));
	jval_free(&v);
	return n;
}

/*
 * Turns reports of a CPR client's connection (v4 and v6) and TLS calls replay
 * as themselves: the look-up rules count turns from a recording as they did
 * live.  A TLS call's recording has its CPR count and no plaintext.
 */
static void test_turns_tls_replay(void)
{
	static const char *const peers[] = { "10.1.2.3", "fd00::17" };
	static char buf[EVENT_PARSE_BUF];
	struct turns_event *t, *tb = (struct turns_event *)buf;
	struct tls_event *l, *lb = (struct tls_event *)buf;
	char *line;
	size_t i;

	for (i = 0; i < 2; i++) {
		t = ej_new(EV_TURNS, sizeof(*t));
		t->turns = 7;
		t->total = 19;
		t->dport = 8443;
		t->family = i ? AF_INET6 : AF_INET;
		inet_pton(t->family, peers[i], t->daddr);
		t->hdr.flags = i ? EVF_CONN_CLOSED : 0;
		line = ej_render(NULL, NULL);
		CU_ASSERT_EQUAL(ej_parse_back(line, buf), sizeof(*t));
		CU_ASSERT_EQUAL(tb->hdr.type, EV_TURNS);
		CU_ASSERT_EQUAL(tb->turns, 7);
		CU_ASSERT_EQUAL(tb->total, 19);
		CU_ASSERT_EQUAL(tb->dport, 8443);
		CU_ASSERT_EQUAL(tb->family, t->family);
		CU_ASSERT_EQUAL(memcmp(tb->daddr, t->daddr, sizeof(t->daddr)), 0);
		CU_ASSERT_EQUAL(!!(tb->hdr.flags & EVF_CONN_CLOSED), i);
		free(line);
	}

	l = ej_new(EV_TLS, sizeof(*l) + 5);
	l->dir = TLS_READ;
	l->lib = TLS_LIB_GNUTLS;
	l->total_len = 4000;
	l->data_len = 5;
	l->cpr_distinct = 3;
	memcpy(l->data, "hello", 5);
	line = ej_render(NULL, NULL);
	CU_ASSERT_PTR_NULL(strstr(line, "hello"));
	CU_ASSERT_EQUAL(ej_parse_back(line, buf), sizeof(*l));
	CU_ASSERT_EQUAL(lb->hdr.type, EV_TLS);
	CU_ASSERT_EQUAL(lb->dir, TLS_READ);
	CU_ASSERT_EQUAL(lb->lib, TLS_LIB_GNUTLS);
	CU_ASSERT_EQUAL(lb->total_len, 4000);
	CU_ASSERT_EQUAL(lb->data_len, 0);
	CU_ASSERT_EQUAL(lb->cpr_distinct, 3);
	free(line);
}

static CU_TestInfo event_json_tests[] = {
	{ "header fields", test_header },
	{ "header: full comm, flags", test_header_comm_and_flags },
	{ "header with process", test_header_with_proc },
	{ "exec", test_exec },
	{ "exec: cut and empty argv", test_exec_truncated_args },
	{ "exit status and signal", test_exit },
	{ "open", test_open },
	{ "open: tainted, kinds, access", test_open_tainted_and_kinds },
	{ "open failed", test_open_failed },
	{ "open: non-UTF-8 path", test_open_binary_path },
	{ "close", test_close },
	{ "rename and unlink", test_rename_unlink },
	{ "connect and accept", test_connect },
	{ "tcp_close", test_tcp_close },
	{ "clipboard content not logged", test_clipboard_content_not_logged },
	{ "writer reused across lines", test_lines_reuse_writer },
	{ "turns and TLS calls replay as themselves", test_turns_tls_replay },
	{ "io_uring_setup: flags by name, replayed", test_iouring_setup },
	{ "io_uring and fixed-file flags", test_iouring_flags },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(event_json, event_json_tests)
