// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sink: delivery from a real spool to receivers started here on 127.0.0.1 (a
 * TCP or TLS server thread, a UDP socket, a unix datagram socket in a temp
 * directory), driven by an epoll loop like the agent's.
 *
 *  - TCP: octet-counting frames parse back to exactly the rendered lines, in
 *    order; a heartbeat goes first; a receiver that hangs up gets the rest on
 *    the next connection.
 *  - Receiver down: records stay unacked, the sink backs off (1 s doubling to
 *    60 s, with jitter) and no call blocks; receiver up: all delivered in order.
 *  - A connect or TLS handshake that never completes times out.
 *  - UDP and unix: one message per datagram, cut to max_msg; a receiver that
 *    does not read never blocks the sink.
 *  - TLS: CA and certificates made with the openssl command; delivery by IP
 *    and by name (through the asynchronous resolver), and refusal of a server
 *    certificate the CA did not sign and of a name mismatch.
 *
 * The clock the sink sees is the monotonic clock plus a skew the tests add to
 * jump over backoff delays instead of sleeping through them.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "lib/json_parse.h"
#include "lib/log.h"
#include "soc/syslog_conn.h"
#include "soc/spool.h"

#define ERRLEN 256
#define MAX_FRAMES 4096
/* A sink call this slow blocked: a blocking connect or handshake takes seconds. */
#define SLOW_CALL_MS 1000

static const char *const soc_sink[] = { "soc" };

/* ---- time ---------------------------------------------------------------------- */

static uint64_t skew;

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t sink_now(void)
{
	return real_ms() + skew;
}

/* ---- a test bed: temp dir, spool, sink, epoll ------------------------------------- */

struct bed {
	char dir[64];
	struct spool sp;
	struct syslog_conn s;
	int epfd;
	uint64_t slowest_ms; /* the longest single sink call */
	uint64_t appended;
};

static void bed_init(struct bed *b)
{
	char err[ERRLEN];

	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "/tmp/cprw-sink-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(b->dir) != NULL);
	CU_ASSERT_FATAL(spool_open(&b->sp, b->dir, NULL, soc_sink, 1, err, sizeof(err)) == 0);
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	CU_ASSERT_FATAL(b->epfd >= 0);
}

static int bed_sink(struct bed *b, struct syslog_conn_cfg *cfg)
{
	char err[ERRLEN] = "";
	int rc;

	cfg->name = "soc";
	rc = syslog_conn_open(&b->s, cfg, &b->sp, 0, err, sizeof(err));
	if (rc)
		fprintf(stderr, "syslog_conn_open: %s\n", err);
	return rc;
}

static void bed_fini(struct bed *b)
{
	char cmd[128];

	if (getenv("SINK_TEST_TIMING"))
		fprintf(stderr, "[slowest sink call %llu ms] ", (unsigned long long)b->slowest_ms);
	syslog_conn_close(&b->s);
	spool_close(&b->sp);
	close(b->epfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	CU_ASSERT(system(cmd) == 0);
	skew = 0;
}

static void alert_json(char *buf, size_t len, uint64_t n, size_t summary_len)
{
	size_t k;

	k = snprintf(buf, len,
		     "{\"alert_id\":\"id-%llu\",\"time\":\"2025-03-04T05:06:07.123456Z\","
		     "\"host\":\"ws01\",\"rule\":\"bulk_export\",\"severity\":\"high\","
		     "\"user\":\"alice\",\"uid\":1000,\"pid\":%llu,"
		     "\"file\":{\"path\":\"/media/usb/export %llu.csv\",\"dev\":\"8:17\","
		     "\"ino\":12},"
		     "\"counts\":{\"cpr_distinct\":%llu},\"summary\":\"alert %llu \\\"quoted\\\" ",
		     (unsigned long long)n, (unsigned long long)n, (unsigned long long)n,
		     (unsigned long long)n, (unsigned long long)n);
	while (summary_len-- && k < len - 8)
		k += snprintf(buf + k, len - k, "\xc3\xa6");
	snprintf(buf + k, len - k, "\"}");
}

static void append_alerts(struct bed *b, uint64_t count, size_t summary_len)
{
	char buf[8192];
	uint64_t seq, i;

	for (i = 0; i < count; i++) {
		alert_json(buf, sizeof(buf), ++b->appended, summary_len);
		CU_ASSERT_EQUAL_FATAL(spool_append(&b->sp, buf, strlen(buf), &seq), 0);
		CU_ASSERT_EQUAL(seq, b->appended);
	}
}

/* What the sink must send for record @n: rendered here the same way. */
static char *expected_line(struct bed *b, uint64_t n, size_t summary_len)
{
	struct buf out;
	struct jval v;
	char buf[8192];

	alert_json(buf, sizeof(buf), n, summary_len);
	CU_ASSERT_FATAL(json_parse(buf, strlen(buf), &v, NULL, 0) == 0);
	buf_init(&out);
	CU_ASSERT(syslog_fmt_alert(&out, &b->s.fmt, &v) >= 0);
	jval_free(&v);
	return out.data;
}

static void timed_call_end(struct bed *b, uint64_t t0)
{
	uint64_t d = real_ms() - t0;

	if (d > b->slowest_ms)
		b->slowest_ms = d;
}

typedef bool (*cond_fn)(struct bed *b, void *arg);

/* Run the event loop until @done holds or @ms pass.  Every sink call is timed. */
static bool drive(struct bed *b, int ms, cond_fn done, void *arg)
{
	uint64_t deadline = real_ms() + ms, t0;
	struct epoll_event ev[4];
	int n, i;

	for (;;) {
		t0 = real_ms();
		syslog_conn_tick(&b->s, sink_now());
		timed_call_end(b, t0);
		CU_ASSERT(syslog_conn_epoll_update(&b->s, b->epfd, 1) == 0);
		if (done && done(b, arg))
			return true;
		if (real_ms() >= deadline)
			return false;
		n = epoll_wait(b->epfd, ev, 4, 10);
		for (i = 0; i < n; i++) {
			t0 = real_ms();
			syslog_conn_on_io(&b->s, ev[i].events);
			timed_call_end(b, t0);
			CU_ASSERT(syslog_conn_epoll_update(&b->s, b->epfd, 1) == 0);
		}
	}
}

static bool all_acked(struct bed *b, void *arg)
{
	return spool_depth(&b->sp, 0) == 0;
}

static bool is_state(struct bed *b, void *arg)
{
	return b->s.state == *(enum syslog_conn_state *)arg;
}

static bool failed_once(struct bed *b, void *arg)
{
	return b->s.stats.failed > 0;
}

/* ---- a receiver on a thread: TCP or TLS, octet-counted frames --------------------- */

struct server {
	int lfd;
	unsigned int port;
	SSL_CTX *ctx;
	pthread_t th;
	bool running;
	int stop;
	int drop; /* hang up the current connection */
	pthread_mutex_t lock;
	char *buf;
	size_t len, cap;
	int conns;
	int tls_failures;
};

static void rx_append(struct server *sv, const char *data, size_t n)
{
	pthread_mutex_lock(&sv->lock);
	if (sv->len + n > sv->cap) {
		sv->cap = (sv->len + n) * 2;
		sv->buf = realloc(sv->buf, sv->cap);
	}
	if (sv->buf) {
		memcpy(sv->buf + sv->len, data, n);
		sv->len += n;
	}
	pthread_mutex_unlock(&sv->lock);
}

static bool flag(int *f)
{
	return __atomic_load_n(f, __ATOMIC_SEQ_CST);
}

/* TLS accept with a 50 ms receive timeout: retry until done or told to stop. */
static SSL *server_tls_accept(struct server *sv, int fd)
{
	SSL *ssl = SSL_new(sv->ctx);
	int rc;

	SSL_set_fd(ssl, fd);
	while ((rc = SSL_accept(ssl)) <= 0 && SSL_get_error(ssl, rc) == SSL_ERROR_WANT_READ &&
	       !flag(&sv->stop))
		;
	if (rc <= 0) {
		__atomic_add_fetch(&sv->tls_failures, 1, __ATOMIC_SEQ_CST);
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static void serve_conn(struct server *sv, int fd)
{
	struct timeval tv = { .tv_usec = 50000 };
	SSL *ssl = NULL;
	char buf[16384];
	int n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sv->ctx && !(ssl = server_tls_accept(sv, fd)))
		return;
	while (!flag(&sv->stop) && !flag(&sv->drop)) {
		n = ssl ? SSL_read(ssl, buf, sizeof(buf)) : recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			rx_append(sv, buf, n);
			continue;
		}
		if (ssl ? SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ :
			  (n < 0 && (errno == EAGAIN || errno == EINTR)))
			continue;
		break;
	}
	__atomic_store_n(&sv->drop, 0, __ATOMIC_SEQ_CST);
	if (ssl)
		SSL_free(ssl);
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
	sigset_t pipe;
	int fd;

	/*
	 * OpenSSL writes to the server's socket with write(): a client that hung
	 * up must not kill the test.  Blocked in this thread only, so a SIGPIPE
	 * from the sink (main thread) still would.
	 */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	while (!flag(&sv->stop)) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		__atomic_add_fetch(&sv->conns, 1, __ATOMIC_SEQ_CST);
		serve_conn(sv, fd);
		close(fd);
	}
	return NULL;
}

/* Bound to 127.0.0.1 on a free port, not listening yet: connects are refused. */
static void server_bind(struct server *sv, const char *cert, const char *key)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->lock, NULL);
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(sv->lfd >= 0);
	CU_ASSERT_FATAL(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(getsockname(sv->lfd, (struct sockaddr *)&a, &len) == 0);
	sv->port = ntohs(a.sin_port);
	if (!cert)
		return;
	sv->ctx = SSL_CTX_new(TLS_server_method());
	CU_ASSERT_FATAL(sv->ctx != NULL);
	CU_ASSERT_FATAL(SSL_CTX_use_certificate_chain_file(sv->ctx, cert) == 1);
	CU_ASSERT_FATAL(SSL_CTX_use_PrivateKey_file(sv->ctx, key, SSL_FILETYPE_PEM) == 1);
}

static void server_listen(struct server *sv, int backlog)
{
	CU_ASSERT_FATAL(listen(sv->lfd, backlog) == 0);
	CU_ASSERT_FATAL(pthread_create(&sv->th, NULL, server_main, sv) == 0);
	sv->running = true;
}

static void server_start(struct server *sv, const char *cert, const char *key)
{
	server_bind(sv, cert, key);
	server_listen(sv, 16);
}

static void server_stop(struct server *sv)
{
	__atomic_store_n(&sv->stop, 1, __ATOMIC_SEQ_CST);
	if (sv->running)
		pthread_join(sv->th, NULL);
	close(sv->lfd);
	if (sv->ctx)
		SSL_CTX_free(sv->ctx);
	free(sv->buf);
	pthread_mutex_destroy(&sv->lock);
}

/*
 * Split octet-counted frames; returns how many complete frames there are
 * (at most max, into msgs/lens) or -1 if the stream is not "LEN SP MSG"*.
 */
static int parse_frames(const char *buf, size_t len, const char **msgs, size_t *lens, int max)
{
	size_t off = 0, n;
	int count = 0;
	char *end;

	while (off < len && count < max) {
		if (buf[off] < '1' || buf[off] > '9')
			return -1;
		n = strtoul(buf + off, &end, 10);
		if ((size_t)(end - buf) >= len)
			break; /* incomplete */
		if (*end != ' ')
			return -1;
		if ((size_t)(end + 1 - buf) + n > len)
			break;
		msgs[count] = end + 1;
		lens[count++] = n;
		off = end + 1 - buf + n;
	}
	return count;
}

/* Wait up to @ms for @want frames; returns how many complete ones there are. */
static int wait_frames(struct server *sv, int want, int ms, const char **msgs, size_t *lens)
{
	uint64_t deadline = real_ms() + ms;
	int n;

	for (;;) {
		pthread_mutex_lock(&sv->lock);
		n = parse_frames(sv->buf, sv->len, msgs, lens, MAX_FRAMES);
		pthread_mutex_unlock(&sv->lock);
		if (n < 0 || n >= want || real_ms() >= deadline)
			return n;
		usleep(5000);
	}
}

static bool frame_is(struct bed *b, const char *msg, size_t len, uint64_t n, size_t summary_len)
{
	char *want = expected_line(b, n, summary_len);
	bool same = want && strlen(want) == len && !memcmp(want, msg, len);

	free(want);
	return same;
}

/* ---- TCP ------------------------------------------------------------------------ */

static const char **frames_msgs(void)
{
	static const char *msgs[MAX_FRAMES];

	return msgs;
}

static size_t *frames_lens(void)
{
	static size_t lens[MAX_FRAMES];

	return lens;
}

static void test_tcp_delivery(void)
{
	const char **msgs = frames_msgs();
	size_t *lens = frames_lens();
	struct server sv;
	struct bed b;
	struct heartbeat hb = { .real_ns = 1, .host = "ws01", .sinks = 1 };
	int n, i;

	server_start(&sv, NULL, NULL);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TCP,
								.host = "127.0.0.1",
								.port = sv.port }) == 0);
	CU_ASSERT_EQUAL(syslog_conn_fd(&b.s), -1); /* nothing until the first tick */
	CU_ASSERT_EQUAL(syslog_conn_heartbeat(&b.s, &hb), 0);
	append_alerts(&b, 300, 3);
	CU_ASSERT(drive(&b, 5000, all_acked, NULL));
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_UP);
	n = wait_frames(&sv, 301, 3000, msgs, lens);
	CU_ASSERT_EQUAL_FATAL(n, 301);
	CU_ASSERT(!strncmp(msgs[0], "<166>1 1970-01-01T00:00:00.000000Z ws01 cprwatch ", 49));
	CU_ASSERT_PTR_NOT_NULL(memmem(msgs[0], lens[0], " heartbeat [cprwatch@32473 ", 27));
	for (i = 1; i < n; i++)
		CU_ASSERT(frame_is(&b, msgs[i], lens[i], i, 3));
	CU_ASSERT_EQUAL(b.s.stats.sent, 300);
	CU_ASSERT_EQUAL(b.s.stats.acked, 300);
	CU_ASSERT_EQUAL(b.s.stats.heartbeats, 1);
	CU_ASSERT_EQUAL(b.s.stats.connects, 1);
	CU_ASSERT_EQUAL(b.s.stats.failed, 0);
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);
	/* idle and up: only input (a hang-up) is of interest */
	CU_ASSERT_EQUAL(syslog_conn_events(&b.s) & EPOLLOUT, 0);
	CU_ASSERT(syslog_conn_events(&b.s) & EPOLLIN);
	CU_ASSERT_EQUAL(syslog_conn_next_timeout(&b.s, sink_now()), UINT64_MAX);
	bed_fini(&b);
	server_stop(&sv);
}

static void test_tcp_down_then_up(void)
{
	const char **msgs = frames_msgs();
	size_t *lens = frames_lens();
	enum log_level old = log_get_level();
	uint64_t prev_backoff = 0, wait;
	struct server sv;
	struct bed b;
	int n, i, failures = 0;

	log_set_level(LOG_LVL_ERROR);
	server_bind(&sv, NULL, NULL); /* bound, not listening: refused */
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TCP,
								.host = "127.0.0.1",
								.port = sv.port }) == 0);
	append_alerts(&b, 40, 0);
	CU_ASSERT(drive(&b, 2000, failed_once, NULL));
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "refused"));
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 40);
	/* the first retry comes after 0.5-1 s */
	wait = syslog_conn_next_timeout(&b.s, b.s.now_ms);
	CU_ASSERT(wait >= 500 && wait <= 1000);
	/* each failure doubles the backoff, up to 60 s, with the delay in [backoff/2, backoff] */
	for (i = 0; i < 9; i++) {
		uint64_t backoff = b.s.backoff_ms;

		skew += syslog_conn_next_timeout(&b.s, sink_now()) + 1;
		b.s.stats.failed = 0;
		CU_ASSERT(drive(&b, 1000, failed_once, NULL));
		CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
		failures++;
		wait = syslog_conn_next_timeout(&b.s, b.s.now_ms);
		CU_ASSERT(wait >= backoff / 2 && wait <= backoff);
		CU_ASSERT(b.s.backoff_ms >= prev_backoff);
		prev_backoff = b.s.backoff_ms;
	}
	CU_ASSERT_EQUAL(b.s.backoff_ms, SYSLOG_CONN_BACKOFF_MAX_MS);
	CU_ASSERT_EQUAL(failures, 9);
	CU_ASSERT_EQUAL(b.s.stats.acked, 0);
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 40);
	/* nothing waits on a dead receiver */
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);

	/* the receiver comes up: after the backoff, everything, in order */
	server_listen(&sv, 16);
	append_alerts(&b, 10, 0);
	skew += SYSLOG_CONN_BACKOFF_MAX_MS;
	CU_ASSERT(drive(&b, 5000, all_acked, NULL));
	n = wait_frames(&sv, 50, 3000, msgs, lens);
	CU_ASSERT_EQUAL_FATAL(n, 50);
	for (i = 0; i < n; i++)
		CU_ASSERT(frame_is(&b, msgs[i], lens[i], i + 1, 0));
	CU_ASSERT_EQUAL(b.s.stats.connects, 1);
	CU_ASSERT_EQUAL(b.s.backoff_ms, SYSLOG_CONN_BACKOFF_MIN_MS); /* reset by the first ack */
	bed_fini(&b);
	server_stop(&sv);
	log_set_level(old);
}

/* The receiver hangs up between batches: the rest goes on the next connection. */
static void test_tcp_reconnect(void)
{
	const char **msgs = frames_msgs();
	size_t *lens = frames_lens();
	enum log_level old = log_get_level();
	enum syslog_conn_state down = SYSLOG_CONN_DOWN;
	struct server sv;
	struct bed b;
	int n, i;

	log_set_level(LOG_LVL_ERROR);
	server_start(&sv, NULL, NULL);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TCP,
								.host = "127.0.0.1",
								.port = sv.port }) == 0);
	append_alerts(&b, 20, 0);
	CU_ASSERT(drive(&b, 5000, all_acked, NULL));
	CU_ASSERT_EQUAL(wait_frames(&sv, 20, 3000, msgs, lens), 20);
	__atomic_store_n(&sv.drop, 1, __ATOMIC_SEQ_CST);
	CU_ASSERT(drive(&b, 3000, is_state, &down));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "closed the connection"));
	append_alerts(&b, 20, 0);
	skew += SYSLOG_CONN_BACKOFF_MIN_MS;
	CU_ASSERT(drive(&b, 5000, all_acked, NULL));
	n = wait_frames(&sv, 40, 3000, msgs, lens);
	CU_ASSERT_EQUAL_FATAL(n, 40);
	for (i = 0; i < n; i++)
		CU_ASSERT(frame_is(&b, msgs[i], lens[i], i + 1, 0));
	CU_ASSERT_EQUAL(sv.conns, 2);
	CU_ASSERT_EQUAL(b.s.stats.reconnects, 1);
	bed_fini(&b);
	server_stop(&sv);
	log_set_level(old);
}

/* A connect that never completes (the listener's queue is full) times out. */
static void test_tcp_connect_timeout(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	enum log_level old = log_get_level();
	int fillers[4], i, lfd;
	socklen_t len = sizeof(a);
	struct bed b;

	log_set_level(LOG_LVL_ERROR);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&a, &len) == 0 && listen(lfd, 0) == 0);
	for (i = 0; i < 4; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(fillers[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TCP,
								.host = "127.0.0.1",
								.port = ntohs(a.sin_port) }) == 0);
	append_alerts(&b, 3, 0);
	drive(&b, 300, NULL, NULL);
	if (b.s.state == SYSLOG_CONN_CONNECTING) {
		CU_ASSERT(b.s.connecting);
		CU_ASSERT_EQUAL(syslog_conn_events(&b.s), EPOLLOUT);
		skew += SYSLOG_CONN_CONNECT_TIMEOUT_MS;
		drive(&b, 0, NULL, NULL);
		CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "timed out"));
	}
	/* else this kernel took the connection after all: nothing to time out */
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 3);
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);
	bed_fini(&b);
	for (i = 0; i < 4; i++)
		close(fillers[i]);
	close(lfd);
	log_set_level(old);
}

/* ---- datagrams -------------------------------------------------------------------- */

static int recv_dgrams(int fd, char **out, size_t *lens, int want, int ms, struct bed *b)
{
	uint64_t deadline = real_ms() + ms;
	char buf[70000];
	int n = 0;
	ssize_t r;

	while (n < want && real_ms() < deadline) {
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0) {
			if (b)
				drive(b, 5, NULL, NULL);
			else
				usleep(2000);
			continue;
		}
		out[n] = malloc(r + 1);
		memcpy(out[n], buf, r);
		out[n][r] = '\0';
		lens[n++] = r;
	}
	return n;
}

static void free_dgrams(char **d, int n)
{
	while (n--)
		free(d[n]);
}

static int udp_receiver(unsigned int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_udp(void)
{
	static char *d[64];
	static size_t lens[64];
	unsigned int port;
	struct bed b;
	int fd, n, i;

	fd = udp_receiver(&port);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_UDP,
								.host = "127.0.0.1",
								.port = port,
								.format = SYSLOG_FMT_CEF }) == 0);
	append_alerts(&b, 10, 0);
	append_alerts(&b, 1, 1500); /* 3000 bytes of summary: cut to 2048 */
	CU_ASSERT(drive(&b, 3000, all_acked, NULL));
	n = recv_dgrams(fd, d, lens, 11, 2000, NULL);
	CU_ASSERT_EQUAL_FATAL(n, 11);
	for (i = 0; i < 10; i++)
		CU_ASSERT(frame_is(&b, d[i], lens[i], i + 1, 0));
	/* one message per datagram, no framing, within the limit */
	CU_ASSERT(!strncmp(d[0], "<163>1 ", 7));
	CU_ASSERT_PTR_NOT_NULL(strstr(d[0], " - CEF:0|cprwatch|"));
	CU_ASSERT(lens[10] <= SYSLOG_MAX_MSG_DGRAM);
	CU_ASSERT(frame_is(&b, d[10], lens[10], 11, 1500));
	CU_ASSERT_EQUAL(b.s.stats.truncated, 1);
	CU_ASSERT_EQUAL(b.s.stats.sent, 11);
	free_dgrams(d, n);
	bed_fini(&b);
	close(fd);
}

/* ICMP port unreachable: the sink notices and stops sending into the void. */
static void test_udp_refused(void)
{
	enum log_level old = log_get_level();
	unsigned int port;
	struct bed b;
	int fd;

	log_set_level(LOG_LVL_ERROR);
	fd = udp_receiver(&port);
	close(fd);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_UDP,
								.host = "127.0.0.1",
								.port = port }) == 0);
	append_alerts(&b, 5, 0);
	CU_ASSERT(drive(&b, 2000, failed_once, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "refused"));
	/* what was not taken by send() stays in the spool */
	CU_ASSERT(spool_depth(&b.sp, 0) > 0);
	bed_fini(&b);
	log_set_level(old);
}

static int unix_receiver(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

static void test_unix(void)
{
	static char *d[2100];
	static size_t lens[2100];
	enum log_level old = log_get_level();
	char path[128];
	struct bed b;
	int fd, n, i;
	bool ok = true;

	log_set_level(LOG_LVL_ERROR);
	bed_init(&b);
	snprintf(path, sizeof(path), "%s/log.sock", b.dir);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_UNIX,
								.path = path }) == 0);
	/* no receiver yet */
	append_alerts(&b, 5, 0);
	CU_ASSERT(drive(&b, 1000, failed_once, NULL));
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, path));
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 5);

	/* a receiver that does not read: the queue fills, the sink waits without blocking */
	fd = unix_receiver(path);
	append_alerts(&b, 1995, 0);
	skew += SYSLOG_CONN_BACKOFF_MIN_MS;
	drive(&b, 500, NULL, NULL);
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_UP);
	CU_ASSERT(spool_depth(&b.sp, 0) > 0);
	CU_ASSERT(b.s.dgram_pending);
	CU_ASSERT(syslog_conn_events(&b.s) & EPOLLOUT);
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);

	/* it reads: everything arrives, in order */
	n = recv_dgrams(fd, d, lens, 2000, 10000, &b);
	CU_ASSERT_EQUAL(n, 2000);
	for (i = 0; i < n && ok; i++)
		ok = frame_is(&b, d[i], lens[i], i + 1, 0);
	CU_ASSERT(ok);
	CU_ASSERT(drive(&b, 1000, all_acked, NULL));
	free_dgrams(d, n);
	bed_fini(&b);
	close(fd);
	log_set_level(old);
}

/* ---- TLS ---------------------------------------------------------------------------- */

static char pki[64];

static void remove_pki(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki);
	if (system(cmd))
		fprintf(stderr, "test_syslog_conn: could not remove %s\n", pki);
}

/* CA, a server certificate it signs, one it does not, and one for another name. */
static bool make_pki(void)
{
	char cmd[2048];

	if (pki[0])
		return true;
	snprintf(pki, sizeof(pki), "/tmp/cprw-pki-XXXXXX");
	if (!mkdtemp(pki))
		return false;
	atexit(remove_pki);
	snprintf(cmd, sizeof(cmd),
		 "(cd %s && EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		 "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 2 "
		 "  -subj /CN=cprwatch-test-ca && "
		 "openssl req $EC -keyout srv.key -out srv.csr -subj /CN=localhost && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
		 "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "  -out srv.pem -days 2 -extfile ext.cnf && "
		 "printf 'subjectAltName=DNS:elsewhere.example\\n' > other.cnf && "
		 "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "  -out other.pem -days 2 -extfile other.cnf && "
		 "openssl req -x509 $EC -keyout rogue.key -out rogue.pem -days 2 "
		 "  -subj /CN=localhost "
		 "  -addext subjectAltName=DNS:localhost,IP:127.0.0.1) >/dev/null 2>&1",
		 pki);
	return system(cmd) == 0;
}

static void pki_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", pki, name);
}

static void tls_deliver(const char *host)
{
	const char **msgs = frames_msgs();
	size_t *lens = frames_lens();
	char ca[128], cert[128], key[128];
	struct server sv;
	struct bed b;
	int n, i;

	CU_ASSERT_FATAL(make_pki());
	pki_path(ca, sizeof(ca), "ca.pem");
	pki_path(cert, sizeof(cert), "srv.pem");
	pki_path(key, sizeof(key), "srv.key");
	server_start(&sv, cert, key);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TLS,
								.host = host,
								.port = sv.port,
								.ca_file = ca }) == 0);
	append_alerts(&b, 100, 2);
	CU_ASSERT(drive(&b, 10000, all_acked, NULL));
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_UP);
	n = wait_frames(&sv, 100, 3000, msgs, lens);
	CU_ASSERT_EQUAL_FATAL(n, 100);
	for (i = 0; i < n; i++)
		CU_ASSERT(frame_is(&b, msgs[i], lens[i], i + 1, 2));
	CU_ASSERT_EQUAL(b.s.stats.failed, 0);
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);
	bed_fini(&b);
	server_stop(&sv);
}

static void test_tls_delivery(void)
{
	tls_deliver("127.0.0.1");
}

static void test_tls_by_name(void)
{
	tls_deliver("localhost"); /* getaddrinfo_a, SNI and a DNS name check */
}

static void tls_refused(const char *cert_name, const char *key_name, const char *why)
{
	enum log_level old = log_get_level();
	char ca[128], cert[128], key[128];
	struct server sv;
	struct bed b;

	log_set_level(LOG_LVL_ERROR);
	CU_ASSERT_FATAL(make_pki());
	pki_path(ca, sizeof(ca), "ca.pem");
	pki_path(cert, sizeof(cert), cert_name);
	pki_path(key, sizeof(key), key_name);
	server_start(&sv, cert, key);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TLS,
								.host = "127.0.0.1",
								.port = sv.port,
								.ca_file = ca }) == 0);
	append_alerts(&b, 5, 0);
	CU_ASSERT(drive(&b, 5000, failed_once, NULL));
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "certificate verification failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, why));
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 5);
	CU_ASSERT_EQUAL(b.s.stats.sent, 0);
	CU_ASSERT_EQUAL(b.s.stats.connects, 0);
	bed_fini(&b);
	server_stop(&sv);
	log_set_level(old);
}

static void test_tls_untrusted(void)
{
	tls_refused("rogue.pem", "rogue.key", "self-signed");
}

static void test_tls_wrong_name(void)
{
	tls_refused("other.pem", "srv.key", "mismatch");
}

/* A server that accepts TCP but never speaks TLS: the handshake times out. */
static void test_tls_stall(void)
{
	enum log_level old = log_get_level();
	enum syslog_conn_state st = SYSLOG_CONN_CONNECTING;
	char ca[128];
	struct server sv;
	struct bed b;

	log_set_level(LOG_LVL_ERROR);
	CU_ASSERT_FATAL(make_pki());
	pki_path(ca, sizeof(ca), "ca.pem");
	server_start(&sv, NULL, NULL);
	bed_init(&b);
	CU_ASSERT_FATAL(bed_sink(&b, &(struct syslog_conn_cfg){ .transport = SYSLOG_CONN_TLS,
								.host = "127.0.0.1",
								.port = sv.port,
								.ca_file = ca }) == 0);
	append_alerts(&b, 2, 0);
	drive(&b, 300, NULL, NULL);
	CU_ASSERT(is_state(&b, &st));
	CU_ASSERT(b.s.handshaking);
	skew += SYSLOG_CONN_CONNECT_TIMEOUT_MS;
	drive(&b, 0, NULL, NULL);
	CU_ASSERT_EQUAL(b.s.state, SYSLOG_CONN_DOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s.last_error, "TLS handshake"));
	CU_ASSERT_EQUAL(spool_depth(&b.sp, 0), 2);
	CU_ASSERT(b.slowest_ms < SLOW_CALL_MS);
	bed_fini(&b);
	server_stop(&sv);
	log_set_level(old);
}

static void test_open_errors(void)
{
	char err[ERRLEN], ca[128];
	struct syslog_conn_cfg cfg;
	struct bed b;

	CU_ASSERT_FATAL(make_pki());
	bed_init(&b);
	cfg = (struct syslog_conn_cfg){ .name = "other",
					.transport = SYSLOG_CONN_TCP,
					.host = "127.0.0.1" };
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "spool"));
	cfg = (struct syslog_conn_cfg){ .name = "soc", .transport = SYSLOG_CONN_UDP };
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "host is required"));
	cfg = (struct syslog_conn_cfg){ .name = "soc",
					.transport = SYSLOG_CONN_TLS,
					.host = "h",
					.ca_file = "/nonexistent/ca.pem" };
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
	pki_path(ca, sizeof(ca), "ca.pem");
	cfg = (struct syslog_conn_cfg){ .name = "soc",
					.transport = SYSLOG_CONN_TLS,
					.host = "h",
					.ca_file = ca,
					.key_file = ca };
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	cfg = (struct syslog_conn_cfg){ .name = "soc",
					.transport = SYSLOG_CONN_TLS,
					.host = "h",
					.ca_file = ca,
					.cert_file = ca }; /* no key in it */
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	cfg = (struct syslog_conn_cfg){
		.name = "soc", .transport = SYSLOG_CONN_TCP, .host = "h", .facility = 24
	};
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), -EINVAL);
	/* defaults */
	cfg = (struct syslog_conn_cfg){
		.name = "soc", .transport = SYSLOG_CONN_TLS, .host = "h", .ca_file = ca
	};
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.s.port, 6514);
	CU_ASSERT_EQUAL(b.s.max_msg, SYSLOG_MAX_MSG_STREAM);
	CU_ASSERT_EQUAL(b.s.fmt.facility, SYSLOG_FAC_DEFAULT);
	syslog_conn_close(&b.s);
	cfg = (struct syslog_conn_cfg){ .name = "soc",
					.transport = SYSLOG_CONN_UNIX,
					.max_msg = 100 };
	CU_ASSERT_EQUAL(syslog_conn_open(&b.s, &cfg, &b.sp, 0, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(b.s.path, "/dev/log");
	CU_ASSERT_EQUAL(b.s.max_msg, SYSLOG_MIN_MSG);
	bed_fini(&b);
}

static void test_names(void)
{
	enum syslog_conn_transport t;

	CU_ASSERT(syslog_conn_parse_transport("tls", &t) == 0 && t == SYSLOG_CONN_TLS);
	CU_ASSERT(syslog_conn_parse_transport("unix", &t) == 0 && t == SYSLOG_CONN_UNIX);
	CU_ASSERT_EQUAL(syslog_conn_parse_transport("relp", &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(syslog_conn_state_name(SYSLOG_CONN_CONNECTING), "connecting");
	CU_ASSERT_STRING_EQUAL(syslog_conn_transport_name(SYSLOG_CONN_UDP), "udp");
}

static CU_TestInfo tests[] = {
	{ "tcp: frames, order, heartbeat first", test_tcp_delivery },
	{ "tcp: receiver down, backoff, then up", test_tcp_down_then_up },
	{ "tcp: receiver hangs up, rest on reconnect", test_tcp_reconnect },
	{ "tcp: connect timeout", test_tcp_connect_timeout },
	{ "udp: datagrams, CEF, cut to 2048", test_udp },
	{ "udp: port unreachable", test_udp_refused },
	{ "unix: down, full queue, delivered", test_unix },
	{ "tls: delivery, verified by IP", test_tls_delivery },
	{ "tls: delivery, verified by name", test_tls_by_name },
	{ "tls: server cert not from the CA refused", test_tls_untrusted },
	{ "tls: name mismatch refused", test_tls_wrong_name },
	{ "tls: handshake timeout", test_tls_stall },
	{ "open errors and defaults", test_open_errors },
	{ "names", test_names },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(syslog_conn, tests)
