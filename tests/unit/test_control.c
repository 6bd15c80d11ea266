// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The control socket server (user/control/control.c) with fake agent callbacks and
 * clients in this process: round trips of every command, malformed and
 * oversized requests, a client that never finishes (timeout), one client
 * too many, an answer too big for the socket buffer, file modes, stale and
 * live sockets, admission by uid and group (children that drop to nobody
 * when run as root), and the "since" parser.
 *
 * The server never blocks, so the tests drive it: pump() waits on its one
 * fd and calls control_dispatch, as the agent's loop does.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "control/control.h"
#include "lib/json_parse.h"
#include "lib/time.h"
#include "unit.h"

#define ADMIN_GID 4242 /* root runs: a group nobody is in */
#define NOBODY 65534
#define BIG_ALERTS 20000 /* ~1 MiB answer: more than a socket buffer */

/* ---- fake agent -------------------------------------------------------- */

static struct {
	int status_calls;
	bool reload_fails;
	struct control_alerts_query last_q;
	char last_rule[64];
} fake;

static int fake_status(void *arg, struct json *out, char *err, size_t errlen)
{
	fake.status_calls++;
	json_kv_bool(out, "healthy", true);
	json_key(out, "problems");
	json_arr_begin(out);
	json_arr_end(out);
	json_kv_str(out, "version", "9.9.9");
	json_kv_u64(out, "uptime_s", 42);
	return 0;
}

static int fake_alerts(void *arg, const struct control_alerts_query *q, struct json *out, char *err,
		       size_t errlen)
{
	unsigned int i, n = q->rule && !strcmp(q->rule, "big") ? BIG_ALERTS : 1;

	fake.last_q = *q;
	snprintf(fake.last_rule, sizeof(fake.last_rule), "%s", q->rule ? q->rule : "");
	json_key(out, "alerts");
	json_arr_begin(out);
	for (i = 0; i < n; i++) {
		json_obj_begin(out);
		json_kv_str(out, "rule", "bulk_export");
		json_kv_str(out, "summary", "an alert long enough to fill socket buffers fast");
		json_obj_end(out);
	}
	json_arr_end(out);
	json_kv_bool(out, "truncated", false);
	return 0;
}

static int fake_reload(void *arg, struct json *out, char *err, size_t errlen)
{
	if (fake.reload_fails) {
		json_kv_str(out, "half", "written"); /* must not leak into the error */
		snprintf(err, errlen,
			 "/etc/cprwatch/cprwatch.conf:12: [rules] bulk_high: "
			 "not a number");
		return -EINVAL;
	}
	json_key(out, "config");
	json_obj_begin(out);
	json_kv_str(out, "path", "/etc/cprwatch/cprwatch.conf");
	json_kv_str(out, "sha256", "00");
	json_obj_end(out);
	return 0;
}

static int fake_test_alert(void *arg, struct json *out, char *err, size_t errlen)
{
	json_kv_str(out, "alert_id", "11111111-2222-4333-8444-555555555555");
	return 0;
}

static const struct control_ops fake_ops = {
	.status = fake_status,
	.alerts = fake_alerts,
	.reload = fake_reload,
	.test_alert = fake_test_alert,
};

/* ---- fixture ---------------------------------------------------------- */

static char dir[64], sock_path[128];
static struct control ctl;

/* Root is admitted anyway; anyone else through their own group. */
static const char *own_group(char *buf, size_t len)
{
	if (geteuid() == 0)
		return NULL;
	snprintf(buf, len, "%u", (unsigned int)getegid());
	return buf;
}

static int setup_with(const char *group)
{
	char err[256];
	int ret;

	memset(&fake, 0, sizeof(fake));
	snprintf(dir, sizeof(dir), "/tmp/cprw-control.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	ret = control_open(&ctl,
			   &(struct control_config){ .socket = sock_path, .admin_group = group },
			   &fake_ops, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "control_open: %s\n", err);
		rmdir(dir);
	}
	return ret;
}

static void setup(void)
{
	char g[32];

	CU_ASSERT_FATAL(setup_with(own_group(g, sizeof(g))) == 0);
}

static void teardown(void)
{
	control_close(&ctl);
	CU_ASSERT(access(sock_path, F_OK) != 0); /* unlinked */
	rmdir(dir);
}

/* Wait up to @ms for the server's fd and dispatch, as the agent's loop does. */
static void pump(int ms)
{
	struct pollfd pfd = { .fd = control_fd(&ctl), .events = POLLIN };

	if (poll(&pfd, 1, ms) > 0)
		control_dispatch(&ctl);
}

static int client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void client_send(int fd, const char *buf, size_t len)
{
	ssize_t n;
	int spins = 0;

	while (len && spins < 1000) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return; /* the server closed: its answer may be there */
		pump(10);
		spins++;
	}
}

/*
 * The answer line into @buf (NUL-terminated, newline dropped) while pumping
 * the server; returns its length, or -1 when none came within 3 s.
 * *eof tells whether the server then closed.
 */
static ssize_t client_read(int fd, char *buf, size_t cap, bool *eof)
{
	size_t len = 0;
	char *nl;
	ssize_t n;
	int i;

	for (i = 0; i < 300; i++) {
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n > 0) {
			len += n;
			buf[len] = '\0';
			nl = memchr(buf, '\n', len);
			if (nl) {
				*nl = '\0';
				n = recv(fd, buf + len, 1, 0);
				/* the server closes right after the answer */
				for (i = 0; n < 0 && errno == EAGAIN && i < 100; i++) {
					pump(10);
					n = recv(fd, buf + len, 1, 0);
				}
				/* a reset after the answer: it closed with our excess unread */
				*eof = n == 0 || (n < 0 && errno == ECONNRESET);
				return nl - buf;
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		pump(10);
	}
	return -1;
}

/* One request, its answer parsed into @v (0), or -1. */
static int ask(const char *req, size_t len, struct jval *v)
{
	static char buf[4 << 20];
	bool eof = false;
	ssize_t n;
	int fd;

	memset(v, 0, sizeof(*v));
	fd = client_connect();
	if (fd < 0)
		return -1;
	client_send(fd, req, len);
	n = client_read(fd, buf, sizeof(buf), &eof);
	close(fd);
	if (n < 0 || !eof)
		return -1;
	return json_parse(buf, n, v, NULL, 0);
}

static int ask_s(const char *req, struct jval *v)
{
	return ask(req, strlen(req), v);
}

static bool is_ok(const struct jval *v)
{
	bool ok = false;

	return jobj_bool(v, "ok", &ok) && ok;
}

static bool is_error(const struct jval *v, const char *code, const char *needle)
{
	const char *c = jobj_str(v, "code"), *e = jobj_str(v, "error");
	bool ok = true;

	return jobj_bool(v, "ok", &ok) && !ok && c && !strcmp(c, code) && e &&
	       (!needle || strstr(e, needle));
}

/* ---- round trips -------------------------------------------------------- */

static void test_status(void)
{
	struct jval v;
	bool healthy = false;
	uint64_t up = 0;

	setup();
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	CU_ASSERT(jobj_bool(&v, "healthy", &healthy) && healthy);
	CU_ASSERT(jobj_u64(&v, "uptime_s", &up) && up == 42);
	CU_ASSERT_STRING_EQUAL(jobj_str(&v, "version"), "9.9.9");
	CU_ASSERT(fake.status_calls == 1);
	jval_free(&v);
	teardown();
}

static uint64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void test_alerts(void)
{
	uint64_t want = now_real_ns() - 3600ULL * 1000000000ULL;
	const struct jval *arr;
	struct jval v;

	setup();
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"alerts\",\"since\":\"1h\",\"rule\":\"bulk_export\","
			      "\"limit\":5}\n",
			      &v) == 0);
	CU_ASSERT(is_ok(&v));
	arr = jobj_get(&v, "alerts");
	CU_ASSERT(arr && arr->type == JARR && arr->len == 1);
	CU_ASSERT(fake.last_q.limit == 5);
	CU_ASSERT_STRING_EQUAL(fake.last_rule, "bulk_export");
	CU_ASSERT(fake.last_q.since_ns >= want && fake.last_q.since_ns < want + 5000000000ULL);
	jval_free(&v);

	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"alerts\",\"since\":\"2024-05-01T08:00:00Z\"}\n", &v) ==
			0);
	CU_ASSERT(is_ok(&v));
	CU_ASSERT(fake.last_q.since_ns == 1714550400ULL * 1000000000ULL);
	CU_ASSERT(fake.last_q.limit == CONTROL_ALERTS_DEFAULT_LIMIT);
	CU_ASSERT_STRING_EQUAL(fake.last_rule, "");
	jval_free(&v);
	teardown();
}

static void test_alerts_bad_filters(void)
{
	static const char *const bad[] = {
		"{\"cmd\":\"alerts\",\"since\":\"yesterday\"}\n",
		"{\"cmd\":\"alerts\",\"since\":3600}\n",
		"{\"cmd\":\"alerts\",\"rule\":\"\"}\n",
		"{\"cmd\":\"alerts\",\"rule\":7}\n",
		"{\"cmd\":\"alerts\",\"limit\":0}\n",
		"{\"cmd\":\"alerts\",\"limit\":1001}\n",
		"{\"cmd\":\"alerts\",\"limit\":\"5\"}\n",
		"{\"cmd\":\"alerts\",\"limit\":2.5}\n",
	};
	struct jval v;
	size_t i;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FATAL(ask_s(bad[i], &v) == 0);
		if (!is_error(&v, "bad_request", "bad \""))
			fprintf(stderr, "not refused: %s", bad[i]);
		CU_ASSERT(is_error(&v, "bad_request", "bad \""));
		jval_free(&v);
	}
	teardown();
}

static void test_reload(void)
{
	const struct jval *cfg;
	struct jval v;

	setup();
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"reload\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	cfg = jobj_get(&v, "config");
	CU_ASSERT(cfg && jobj_str(cfg, "sha256"));
	jval_free(&v);

	fake.reload_fails = true;
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"reload\"}\n", &v) == 0);
	CU_ASSERT(is_error(&v, "failed", "cprwatch.conf:12: [rules] bulk_high"));
	CU_ASSERT(jobj_get(&v, "half") == NULL);
	jval_free(&v);
	teardown();
}

static void test_test_alert(void)
{
	struct jval v;

	setup();
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"test-alert\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	CU_ASSERT_STRING_EQUAL(jobj_str(&v, "alert_id"), "11111111-2222-4333-8444-555555555555");
	jval_free(&v);
	teardown();
}

/* A callback the agent did not provide is a clean failure, not a crash. */
static void test_missing_callback(void)
{
	struct control_ops ops = { .status = fake_status };
	char err[256], g[32];
	struct jval v;

	memset(&fake, 0, sizeof(fake));
	snprintf(dir, sizeof(dir), "/tmp/cprw-control.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	CU_ASSERT_FATAL(
		control_open(&ctl,
			     &(struct control_config){ .socket = sock_path,
						       .admin_group = own_group(g, sizeof(g)) },
			     &ops, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"test-alert\"}\n", &v) == 0);
	CU_ASSERT(is_error(&v, "failed", "not supported"));
	jval_free(&v);
	teardown();
}

/* ---- malformed requests ------------------------------------------------- */

static void test_malformed(void)
{
	static const struct {
		const char *req;
		const char *needle;
	} cases[] = {
		{ "not json\n", "not JSON" },
		{ "{\"cmd\":\"status\"\n", "not JSON" },
		{ "[\"status\"]\n", "JSON object" },
		{ "{\"command\":\"status\"}\n", "no \"cmd\"" },
		{ "{\"cmd\":1}\n", "no \"cmd\"" },
		{ "{\"cmd\":\"shutdown\"}\n", "unknown command \"shutdown\"" },
		{ "\n", "not JSON" },
	};
	struct jval v;
	size_t i;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_FATAL(ask_s(cases[i].req, &v) == 0);
		CU_ASSERT(is_error(&v, "bad_request", cases[i].needle));
		jval_free(&v);
	}
	CU_ASSERT(ctl.stats.bad_requests == i);
	CU_ASSERT(fake.status_calls == 0);
	teardown();
}

/* A request ended by EOF (shutdown) instead of a newline is still answered. */
static void test_eof_ends_request(void)
{
	static const char req[] = "{\"cmd\":\"status\"}";
	char buf[4096];
	bool eof = false;
	int fd;

	setup();
	fd = client_connect();
	CU_ASSERT_FATAL(fd >= 0);
	client_send(fd, req, strlen(req));
	shutdown(fd, SHUT_WR);
	CU_ASSERT(client_read(fd, buf, sizeof(buf), &eof) > 0);
	CU_ASSERT(strstr(buf, "\"ok\":true") != NULL);
	CU_ASSERT(eof);
	close(fd);
	teardown();
}

/* A request of exactly CONTROL_MAX_REQUEST bytes with its newline; one more is refused. */
static void test_request_size_limit(void)
{
	static const char body[] = "{\"cmd\":\"status\"}";
	char *req = malloc(CONTROL_MAX_REQUEST + 2);
	struct jval v;
	size_t n;

	CU_ASSERT_FATAL(req != NULL);
	setup();
	/* JSON allows trailing whitespace: pad the object to the limit */
	n = CONTROL_MAX_REQUEST;
	memset(req, ' ', n);
	memcpy(req, body, strlen(body));
	req[n - 1] = '\n';
	CU_ASSERT_FATAL(ask(req, n, &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);

	memset(req, ' ', n + 1);
	memcpy(req, body, strlen(body));
	req[n] = '\n';
	CU_ASSERT_FATAL(ask(req, n + 1, &v) == 0);
	CU_ASSERT(is_error(&v, "too_large", "65536"));
	jval_free(&v);
	free(req);
	teardown();
}

static void test_huge_request(void)
{
	size_t n = 1 << 20;
	char *req = malloc(n);
	struct jval v;

	CU_ASSERT_FATAL(req != NULL);
	memset(req, 'x', n);
	setup();
	CU_ASSERT_FATAL(ask(req, n, &v) == 0);
	CU_ASSERT(is_error(&v, "too_large", NULL));
	jval_free(&v);
	/* and the server is still fine */
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);
	free(req);
	teardown();
}

/* A client that never sends its newline is answered "timeout" and closed at the deadline. */
static void test_slow_client_timeout(void)
{
	static const char part[] = "{\"cmd\":";
	char buf[4096];
	bool eof = false;
	struct jval v;
	int fd, i;

	setup();
	fd = client_connect();
	CU_ASSERT_FATAL(fd >= 0);
	client_send(fd, part, strlen(part));
	for (i = 0; i < 10 && ctl.stats.accepted < 1; i++)
		pump(10);
	CU_ASSERT_FATAL(ctl.stats.accepted == 1);
	pump(10);
	control_tick(&ctl, time_mono_ms() + 1000); /* before the deadline: kept */
	CU_ASSERT(recv(fd, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
	control_tick(&ctl, time_mono_ms() + CONTROL_TIMEOUT_MS + 1);
	CU_ASSERT(ctl.stats.timeouts == 1);
	CU_ASSERT_FATAL(client_read(fd, buf, sizeof(buf), &eof) > 0);
	CU_ASSERT(eof);
	CU_ASSERT_FATAL(json_parse(buf, strlen(buf), &v, NULL, 0) == 0);
	CU_ASSERT(is_error(&v, "timeout", "timed out"));
	jval_free(&v);
	close(fd);
	teardown();
}

/* A client that hangs up before reading its answer costs nothing (no SIGPIPE). */
static void test_client_hangs_up(void)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	struct jval v;
	int fd, i;

	setup();
	for (i = 0; i < 3; i++) {
		fd = client_connect();
		CU_ASSERT_FATAL(fd >= 0);
		client_send(fd, req, strlen(req));
		close(fd);
		pump(10);
	}
	fd = client_connect(); /* connected and gone without a word */
	close(fd);
	pump(10);
	CU_ASSERT_FATAL(ask_s(req, &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);
	teardown();
}

/* ---- limits ------------------------------------------------------------ */

static void test_seventeenth_client(void)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	int fds[CONTROL_MAX_CLIENTS + 1], i, n;
	char buf[4096];
	bool eof = false;
	struct jval v;

	setup();
	for (i = 0; i <= CONTROL_MAX_CLIENTS; i++) {
		fds[i] = client_connect();
		CU_ASSERT_FATAL(fds[i] >= 0);
	}
	for (i = 0; i < 50 && ctl.stats.accepted + ctl.stats.busy < CONTROL_MAX_CLIENTS + 1; i++)
		pump(10);
	CU_ASSERT(ctl.stats.accepted == CONTROL_MAX_CLIENTS);
	CU_ASSERT(ctl.stats.busy == 1);
	/* connections are accepted in order: the last one got no slot */
	CU_ASSERT_FATAL(client_read(fds[CONTROL_MAX_CLIENTS], buf, sizeof(buf), &eof) > 0);
	CU_ASSERT(eof);
	CU_ASSERT_FATAL(json_parse(buf, strlen(buf), &v, NULL, 0) == 0);
	CU_ASSERT(is_error(&v, "busy", "try again"));
	jval_free(&v);
	/* the sixteen are served */
	for (i = 0, n = 0; i < CONTROL_MAX_CLIENTS; i++) {
		client_send(fds[i], req, strlen(req));
		if (client_read(fds[i], buf, sizeof(buf), &eof) > 0 && strstr(buf, "\"ok\":true"))
			n++;
	}
	CU_ASSERT(n == CONTROL_MAX_CLIENTS);
	for (i = 0; i <= CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	/* and the slots are free again */
	CU_ASSERT_FATAL(ask_s(req, &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);
	teardown();
}

/* An answer bigger than the socket buffer goes out as the client reads it. */
static void test_big_answer(void)
{
	static const char req[] = "{\"cmd\":\"alerts\",\"rule\":\"big\"}\n";
	const struct jval *arr;
	struct jval v;
	int fd, i;

	setup();
	CU_ASSERT_FATAL(ask_s(req, &v) == 0);
	arr = jobj_get(&v, "alerts");
	CU_ASSERT(arr && arr->len == BIG_ALERTS);
	jval_free(&v);

	/* a client that never reads it holds its slot only until the deadline */
	fd = client_connect();
	CU_ASSERT_FATAL(fd >= 0);
	client_send(fd, req, strlen(req));
	for (i = 0; i < 20; i++)
		pump(5);
	CU_ASSERT(ctl.clients[0].state == CC_WRITING);
	control_tick(&ctl, time_mono_ms() + CONTROL_TIMEOUT_MS + 1);
	CU_ASSERT(ctl.clients[0].state == CC_FREE);
	CU_ASSERT(ctl.stats.timeouts == 1);
	close(fd);
	teardown();
}

/* ---- the socket file ---------------------------------------------------- */

static void test_modes(void)
{
	struct stat st;

	setup();
	CU_ASSERT_FATAL(stat(sock_path, &st) == 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT((st.st_mode & 07777) == 0660);
	CU_ASSERT(st.st_gid == (geteuid() == 0 ? 0 : getegid()));
	CU_ASSERT_FATAL(stat(dir, &st) == 0);
	CU_ASSERT((st.st_mode & 07777) == 0750);
	teardown();
}

static void test_stale_and_live(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control other;
	char err[256], g[32];
	struct jval v;
	int fd;

	setup();
	/* a second agent on the same path is refused, and the first keeps its socket */
	CU_ASSERT(control_open(&other,
			       &(struct control_config){ .socket = sock_path,
							 .admin_group = own_group(g, sizeof(g)) },
			       &fake_ops, err, sizeof(err)) == -EADDRINUSE);
	CU_ASSERT(strstr(err, "another agent") != NULL);
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);
	control_close(&ctl);

	/* a dead agent's socket is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CU_ASSERT_FATAL(
		control_open(&ctl,
			     &(struct control_config){ .socket = sock_path,
						       .admin_group = own_group(g, sizeof(g)) },
			     &fake_ops, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_ok(&v));
	jval_free(&v);
	teardown();

	/* a file that is not a socket is never removed */
	CU_ASSERT_FATAL(mkdtemp(strcpy(dir, "/tmp/cprw-control.XXXXXX")) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CU_ASSERT(control_open(&ctl,
			       &(struct control_config){ .socket = sock_path, .admin_group = NULL },
			       &fake_ops, err, sizeof(err)) == -EEXIST);
	CU_ASSERT(access(sock_path, F_OK) == 0);
	unlink(sock_path);
	rmdir(dir);
}

static void test_bad_open_args(void)
{
	char err[256];
	bool had_fd0;

	CU_ASSERT(control_open(&ctl,
			       &(struct control_config){ .socket = "relative.sock",
							 .admin_group = NULL },
			       &fake_ops, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(control_open(&ctl,
			       &(struct control_config){
				       .socket = "/tmp/cprw-no-such-dir/x/control.sock",
				       .admin_group = NULL },
			       &fake_ops, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(control_open(&ctl,
			       &(struct control_config){ .socket = "/tmp/x.sock",
							 .admin_group = "no-such-group-cprw" },
			       &fake_ops, err, sizeof(err)) == -ENOENT);
	CU_ASSERT(strstr(err, "no-such-group-cprw") != NULL);
	control_close(&ctl); /* idempotent after a failed open */
	memset(&ctl, 0, sizeof(ctl));
	had_fd0 = fcntl(0, F_GETFD) >= 0;
	control_close(&ctl); /* a no-op on a struct never opened: fd 0 stays */
	control_tick(&ctl, time_mono_ms());
	control_dispatch(&ctl);
	CU_ASSERT((fcntl(0, F_GETFD) >= 0) == had_fd0);
}

/* ---- admission --------------------------------------------------------- */

/* A gid this process is not in, for the non-root refusal. */
static gid_t foreign_gid(void)
{
	gid_t groups[256], g = 54321;
	int i, n = getgroups(256, groups);

	for (;; g++) {
		bool mine = g == getegid() || g == getgid();

		for (i = 0; i < n; i++)
			mine |= groups[i] == g;
		if (!mine)
			return g;
	}
}

/* Not root and not in the admin group: refused, and logged once a minute at most. */
static void test_refused_in_process(void)
{
	char g[32];
	struct jval v;

	if (geteuid() == 0) {
		fprintf(stderr, "(root: the child tests below check refusal) ");
		return;
	}
	snprintf(g, sizeof(g), "%u", (unsigned int)foreign_gid());
	CU_ASSERT_FATAL(setup_with(g) == 0);
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_error(&v, "permission_denied", "permission denied"));
	CU_ASSERT(strstr(jobj_str(&v, "error"), "is not root or in group") != NULL);
	jval_free(&v);
	CU_ASSERT_FATAL(ask_s("{\"cmd\":\"status\"}\n", &v) == 0);
	CU_ASSERT(is_error(&v, "permission_denied", NULL));
	jval_free(&v);
	CU_ASSERT(ctl.stats.refused == 2);
	CU_ASSERT(ctl.stats.refusals_logged == 1);
	CU_ASSERT(fake.status_calls == 0);
	teardown();
}

enum child_result { CHILD_ADMITTED = 10, CHILD_DENIED, CHILD_EACCES, CHILD_OTHER };

/* In a child: become @uid/@gid with @groups, ask for status, exit with what happened. */
static void child_ask(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char buf[4096];
	ssize_t n, len = 0;
	int fd;

	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		_exit(CHILD_OTHER);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(errno == EACCES ? CHILD_EACCES : CHILD_OTHER);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send(fd, req, strlen(req), MSG_NOSIGNAL);
	while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
		len += n;
	buf[len] = '\0';
	if (strstr(buf, "\"ok\":true"))
		_exit(CHILD_ADMITTED);
	if (strstr(buf, "permission denied") && strstr(buf, "uid 65534 is not root"))
		_exit(CHILD_DENIED);
	_exit(CHILD_OTHER);
}

/* Fork a child that asks as @uid/@gid/@groups while this process serves it. */
static int run_child(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	int status = 0, i;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_ask(uid, gid, groups, ngroups);
	CU_ASSERT_FATAL(pid > 0);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		pump(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void test_admission_by_group(void)
{
	gid_t admin = ADMIN_GID, nogroup = NOBODY;
	char g[32];
	struct stat st;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: needs root to run children as nobody) ");
		return;
	}
	snprintf(g, sizeof(g), "%u", ADMIN_GID);
	CU_ASSERT_FATAL(setup_with(g) == 0);
	CU_ASSERT(stat(sock_path, &st) == 0 && st.st_gid == ADMIN_GID);
	CU_ASSERT(stat(dir, &st) == 0 && st.st_gid == ADMIN_GID);
	/* the file modes stop nobody first */
	CU_ASSERT(run_child(NOBODY, NOBODY, NULL, 0) == CHILD_EACCES);
	/* open them up, to test the peer credential check behind them */
	chmod(dir, 0755);
	chmod(sock_path, 0666);
	CU_ASSERT(run_child(NOBODY, NOBODY, NULL, 0) == CHILD_DENIED);
	CU_ASSERT(run_child(NOBODY, NOBODY, NULL, 0) == CHILD_DENIED);
	CU_ASSERT(ctl.stats.refused == 2);
	CU_ASSERT(ctl.stats.refusals_logged == 1);
	/* primary group, then a supplementary one (SO_PEERGROUPS) */
	CU_ASSERT(run_child(NOBODY, ADMIN_GID, NULL, 0) == CHILD_ADMITTED);
	CU_ASSERT(run_child(NOBODY, NOBODY, &admin, 1) == CHILD_ADMITTED);
	CU_ASSERT(run_child(NOBODY, NOBODY, &nogroup, 1) == CHILD_DENIED);
	CU_ASSERT(fake.status_calls == 2);
	teardown();
}

/* Root only (no admin group): root is in, everyone else is out. */
static void test_root_only(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: needs root) ");
		return;
	}
	CU_ASSERT_FATAL(setup_with(NULL) == 0);
	chmod(dir, 0755);
	chmod(sock_path, 0666);
	CU_ASSERT(run_child(0, 0, NULL, 0) == CHILD_ADMITTED);
	CU_ASSERT(run_child(NOBODY, 0, NULL, 0) == CHILD_DENIED);
	CU_ASSERT(ctl.stats.refused == 1);
	teardown();
}

/* ---- since ------------------------------------------------------------- */

static void test_parse_since(void)
{
	static const uint64_t now = 1714550400ULL * 1000000000ULL; /* 2024-05-01T08:00:00Z */
	static const struct {
		const char *s;
		uint64_t secs_ago;
	} ages[] = {
		{ "0s", 0 },	   { "90s", 90 },    { "15m", 900 },   { "1h", 3600 },
		{ "1h30m", 5400 }, { "2d", 172800 }, { "1w", 604800 },
	};
	static const struct {
		const char *s;
		uint64_t ns;
	} times[] = {
		{ "2024-05-01T08:00:00Z", now },
		{ "2024-05-01t08:00:00z", now },
		{ "2024-05-01 08:00:00Z", now },
		{ "2024-05-01T10:00:00+02:00", now },
		{ "2024-05-01T05:30:00-02:30", now },
		{ "2024-05-01T08:00:00.5Z", now + 500000000 },
		{ "2024-05-01T08:00:00.123456789123Z", now + 123456789 },
		{ "2024-02-29T00:00:00Z", 1709164800ULL * 1000000000ULL },
		{ "1970-01-01T00:00:00Z", 0 },
	};
	static const char *const bad[] = {
		"",
		"1",
		"h",
		"1x",
		"-1h",
		"1h-",
		"h1",
		"1.5h",
		"99999999999999999999s",
		"2024-05-01",
		"2024-05-01T08:00:00",
		"2024-05-01T08:00Z",
		"2024-13-01T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2024-05-01T24:00:00Z",
		"2024-05-01T08:00:00.Z",
		"2024-05-01T08:00:00+2:00",
		"2024-05-01T08:00:00Zjunk",
		" 1h",
		"1h ",
		"1969-12-31T23:59:59Z",
	};
	uint64_t out;
	size_t i;

	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		CU_ASSERT(control_parse_since(ages[i].s, now, &out) == 0);
		CU_ASSERT(out == now - ages[i].secs_ago * 1000000000ULL);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		out = 1;
		CU_ASSERT(control_parse_since(times[i].s, now, &out) == 0);
		if (out != times[i].ns)
			fprintf(stderr, "%s -> %llu\n", times[i].s, (unsigned long long)out);
		CU_ASSERT(out == times[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (control_parse_since(bad[i], now, &out) != -EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CU_ASSERT(control_parse_since(bad[i], now, &out) == -EINVAL);
	}
	/* an age before the epoch is the earliest bound, never "no bound" (0) */
	CU_ASSERT(control_parse_since("1w", 1000, &out) == 0 && out == 1);
	CU_ASSERT(control_parse_since(NULL, now, &out) == -EINVAL);
}

static CU_TestInfo control_tests[] = {
	{ "status round trip", test_status },
	{ "alerts round trip and filters", test_alerts },
	{ "alerts: bad filters refused", test_alerts_bad_filters },
	{ "reload: applied, and refused with the file and line", test_reload },
	{ "test-alert round trip", test_test_alert },
	{ "a missing callback fails cleanly", test_missing_callback },
	{ "malformed requests", test_malformed },
	{ "EOF ends a request", test_eof_ends_request },
	{ "64 KiB request limit, exactly", test_request_size_limit },
	{ "1 MiB request refused, server still fine", test_huge_request },
	{ "slow client timed out", test_slow_client_timeout },
	{ "client hangs up early", test_client_hangs_up },
	{ "17th client refused, 16 served", test_seventeenth_client },
	{ "answer bigger than the socket buffer", test_big_answer },
	{ "socket 0660, directory 0750", test_modes },
	{ "live socket kept, stale one replaced", test_stale_and_live },
	{ "bad path or group", test_bad_open_args },
	{ "non-admin refused in process (non-root)", test_refused_in_process },
	{ "admission by primary and supplementary group (root)", test_admission_by_group },
	{ "root only without an admin group (root)", test_root_only },
	{ "since: RFC 3339 and ages", test_parse_since },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(control, control_tests)
