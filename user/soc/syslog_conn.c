// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A syslog sink: connection state machine, framing, and the spool cursor.
 *
 * Stream transports (tcp, tls) queue bytes in s->out and write them with
 * non-blocking send(); a frame is recorded in the in-flight ring with the
 * stream offset just past it, and acknowledged to the spool once the
 * receiver's TCP has acknowledged that offset (bytes sent minus SIOCOUTQ).
 * TLS encrypts into a memory BIO that is drained into s->out, so the byte
 * accounting and the non-blocking writes are the same code for both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "lib/json_parse.h"
#include "lib/log.h"
#include "syslog_conn.h"
#include "lib/buf.h"

#define OUT_HIGH (256 * 1024) /* queued bytes before we stop taking records */
#define INFL_MAX 4096	      /* frames written but not yet acknowledged */
#define PUMP_BUDGET 64	      /* messages per call, so other fds get their turn */
#define ACK_POLL_MS 200	      /* SIOCOUTQ polling while frames are in flight */
#define RESOLVE_POLL_MS 100
#define UDP_MAX_PAYLOAD 65507
#define DEV_LOG "/dev/log"

struct resolver {
	struct gaicb cb;
	struct addrinfo hints;
	char service[8];
	char host[];
};

static bool is_stream(const struct syslog_conn *s)
{
	return s->transport == SYSLOG_CONN_TCP || s->transport == SYSLOG_CONN_TLS;
}

static bool is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static uint64_t next_rand(struct syslog_conn *s)
{
	/* xorshift64: jitter needs spread, not secrecy */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static const char *peer_name(const struct syslog_conn *s, char *buf, size_t len)
{
	if (s->transport == SYSLOG_CONN_UNIX)
		snprintf(buf, len, "%s", s->path);
	else
		snprintf(buf, len, "%s:%u", s->host, s->port);
	return buf;
}

/* ---- connection teardown and backoff ------------------------------------------- */

static void close_fd(struct syslog_conn *s)
{
	if (s->ssl)
		SSL_free(s->ssl); /* frees both memory BIOs */
	s->ssl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connecting = false;
	s->handshaking = false;
}

static void free_addrs(struct syslog_conn *s)
{
	if (s->ai)
		freeaddrinfo(s->ai);
	s->ai = s->ai_cur = NULL;
}

/* Drop the connection and everything queued on it; unacked records go out again. */
static void disconnect(struct syslog_conn *s, bool rewind)
{
	close_fd(s);
	free_addrs(s);
	s->out_off = s->out_len = 0;
	s->enq_bytes = s->sent_bytes = 0;
	s->infl_head = s->infl_n = 0;
	s->dgram_pending = false;
	s->busy = false;
	if (rewind && s->sp)
		spool_rewind(s->sp, s->idx);
}

static void __attribute__((format(printf, 2, 3)))
sink_fail(struct syslog_conn *s, const char *fmt, ...)
{
	char msg[sizeof(s->last_error)];
	uint64_t delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line per outage, not one per retry */
	if (s->state == SYSLOG_CONN_UP || strcmp(msg, s->last_error))
		log_warn("sink %s: %s", s->name, msg);
	snprintf(s->last_error, sizeof(s->last_error), "%s", msg);
	s->stats.failed++;
	disconnect(s, true);
	s->state = SYSLOG_CONN_DOWN;
	s->state_since_ms = s->now_ms;
	delay = s->backoff_ms / 2 + next_rand(s) % (s->backoff_ms / 2 + 1);
	s->next_attempt_ms = s->now_ms + delay;
	s->backoff_ms = s->backoff_ms * 2 < SYSLOG_CONN_BACKOFF_MAX_MS ? s->backoff_ms * 2 :
									 SYSLOG_CONN_BACKOFF_MAX_MS;
}

static void on_up(struct syslog_conn *s)
{
	char peer[300];

	s->state = SYSLOG_CONN_UP;
	s->state_since_ms = s->now_ms;
	s->stats.connects++;
	if (s->stats.connects > 1)
		s->stats.reconnects++;
	log_info("sink %s: connected to %s", s->name, peer_name(s, peer, sizeof(peer)));
}

/* ---- stream output ---------------------------------------------------------------- */

static size_t out_pending(const struct syslog_conn *s)
{
	return s->out_len - s->out_off;
}

static bool out_reserve(struct syslog_conn *s, size_t n)
{
	if (s->out_off && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_off > s->out_cap / 2) {
		memmove(s->out, s->out + s->out_off, out_pending(s));
		s->out_len -= s->out_off;
		s->out_off = 0;
	}
	return !buf_grow(&s->out, &s->out_cap, s->out_len + n, 16384, 0);
}

static int out_append(struct syslog_conn *s, const void *data, size_t n)
{
	if (!out_reserve(s, n))
		return -ENOMEM;
	memcpy(s->out + s->out_len, data, n);
	s->out_len += n;
	s->enq_bytes += n;
	return 0;
}

/* Write what the socket takes now.  0, or -1 when the connection failed. */
static int flush_out(struct syslog_conn *s)
{
	char peer[300];
	ssize_t n;

	while (out_pending(s)) {
		n = send(s->fd, s->out + s->out_off, out_pending(s), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			sink_fail(s, "send to %s: %s", peer_name(s, peer, sizeof(peer)),
				  strerror(errno));
			return -1;
		}
		s->out_off += n;
		s->sent_bytes += n;
	}
	return 0;
}

/* TLS records the library produced go to the socket queue. */
static int tls_drain(struct syslog_conn *s)
{
	BIO *wbio = SSL_get_wbio(s->ssl);
	size_t pending;
	int n;

	while ((pending = BIO_ctrl_pending(wbio)) > 0) {
		if (!out_reserve(s, pending))
			return -ENOMEM;
		n = BIO_read(wbio, s->out + s->out_len, pending);
		if (n <= 0)
			break;
		s->out_len += n;
		s->enq_bytes += n;
	}
	return 0;
}

static void tls_fail(struct syslog_conn *s, const char *what)
{
	long v = SSL_get_verify_result(s->ssl);
	unsigned long e = ERR_get_error();
	char peer[300], msg[160] = "connection failed";

	peer_name(s, peer, sizeof(peer));
	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	if (v != X509_V_OK)
		sink_fail(s, "tls %s with %s: certificate verification failed: %s", what, peer,
			  X509_verify_cert_error_string(v));
	else
		sink_fail(s, "tls %s with %s: %s", what, peer, msg);
}

static void push_inflight(struct syslog_conn *s, uint64_t seq)
{
	size_t i = (s->infl_head + s->infl_n) % INFL_MAX;

	s->infl[i].seq = seq;
	s->infl[i].end = s->enq_bytes;
	s->infl_n++;
}

/*
 * Acknowledge every record whose frame the receiver's TCP has acknowledged:
 * bytes we sent minus what is still in our send queue (SIOCOUTQ counts both
 * unsent and sent-but-unacknowledged bytes).
 */
static void poll_acks(struct syslog_conn *s)
{
	uint64_t done = s->sent_bytes, last = 0, n = 0;
	int outq = 0;

	if (!s->infl_n)
		return;
	if (!ioctl(s->fd, SIOCOUTQ, &outq) && outq > 0)
		done -= (uint64_t)outq < done ? (uint64_t)outq : done;
	while (s->infl_n && s->infl[s->infl_head].end <= done) {
		if (s->infl[s->infl_head].seq) {
			last = s->infl[s->infl_head].seq;
			n++;
		}
		s->infl_head = (s->infl_head + 1) % INFL_MAX;
		s->infl_n--;
	}
	if (!last)
		return;
	spool_ack(s->sp, s->idx, last);
	s->stats.acked += n;
	/* the receiver works: a new outage starts at 1 s */
	s->backoff_ms = SYSLOG_CONN_BACKOFF_MIN_MS;
}

/* "LEN SP MSG" (RFC 6587 3.4.1, RFC 5425 4.3) onto the stream. */
static int enqueue_frame(struct syslog_conn *s, uint64_t seq)
{
	char prefix[24];
	int n = snprintf(prefix, sizeof(prefix), "%zu ", s->line.len);
	size_t len = n + s->line.len;

	if (s->transport == SYSLOG_CONN_TCP) {
		if (out_append(s, prefix, n) || out_append(s, s->line.data, s->line.len))
			return -ENOMEM;
		push_inflight(s, seq);
		return 0;
	}
	if (buf_grow(&s->frame, &s->frame_cap, len, len, 0))
		return -ENOMEM;
	memcpy(s->frame, prefix, n);
	memcpy(s->frame + n, s->line.data, s->line.len);
	ERR_clear_error();
	if (SSL_write(s->ssl, s->frame, len) != (int)len) {
		tls_fail(s, "write");
		return -EIO;
	}
	if (tls_drain(s))
		return -ENOMEM;
	push_inflight(s, seq);
	return 0;
}

/* ---- datagram output ----------------------------------------------------------------- */

static void ack_now(struct syslog_conn *s, uint64_t seq)
{
	if (!seq)
		return;
	spool_ack(s->sp, s->idx, seq);
	s->stats.acked++;
}

/* 0: sent (or dropped as unsendable); 1: try again on EPOLLOUT; -1: connection failed. */
static int send_dgram(struct syslog_conn *s)
{
	char peer[300];
	ssize_t n;

	n = send(s->fd, s->line.data, s->line.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n < 0 && errno == EMSGSIZE) {
		/* retrying cannot help; max_msg is above what the socket takes */
		log_warn("sink %s: record %llu: %zu bytes too big for the socket, dropped", s->name,
			 (unsigned long long)s->dgram_seq, s->line.len);
		s->stats.dropped++;
	} else if (n < 0) {
		sink_fail(s, "send to %s: %s", peer_name(s, peer, sizeof(peer)), strerror(errno));
		return -1;
	} else if (s->dgram_seq) {
		s->stats.sent++;
		s->backoff_ms = SYSLOG_CONN_BACKOFF_MIN_MS;
	} else {
		s->stats.heartbeats++;
	}
	ack_now(s, s->dgram_seq);
	s->dgram_pending = false;
	return 0;
}

/* ---- records to messages -------------------------------------------------------- */

static int render_record(struct syslog_conn *s, const void *data, size_t len)
{
	struct jval v;
	int rc;

	rc = json_parse(data, len, &v, NULL, 0);
	if (rc)
		return rc;
	rc = syslog_fmt_alert(&s->line, &s->fmt, &v);
	jval_free(&v);
	return rc;
}

/* A record that cannot be rendered is skipped, in order with the others. */
static void skip_record(struct syslog_conn *s, uint64_t seq, int rc)
{
	log_warn("sink %s: record %llu cannot be rendered (%s), skipped", s->name,
		 (unsigned long long)seq, strerror(-rc));
	s->stats.dropped++;
	if (is_stream(s))
		push_inflight(s, seq);
	else
		ack_now(s, seq);
}

/* 1: s->line holds the next message (*seq 0 for a heartbeat); 0: nothing to send. */
static int next_message(struct syslog_conn *s, uint64_t *seq)
{
	struct buf tmp;
	const void *data;
	size_t len;
	int rc;

	if (s->hb_pending) {
		tmp = s->line;
		s->line = s->hb;
		s->hb = tmp;
		s->hb_pending = false;
		*seq = 0;
		return 1;
	}
	for (;;) {
		rc = spool_next(s->sp, s->idx, &data, &len, seq);
		if (rc == -EAGAIN)
			return 0;
		if (rc) {
			snprintf(s->last_error, sizeof(s->last_error), "spool read: %s",
				 strerror(-rc));
			return 0;
		}
		rc = render_record(s, data, len);
		if (rc >= 0)
			break;
		skip_record(s, *seq, rc);
		if (is_stream(s) && s->infl_n == INFL_MAX)
			return 0;
	}
	if (rc == 1)
		s->stats.truncated++;
	return 1;
}

static bool can_take_more(struct syslog_conn *s)
{
	if (!is_stream(s))
		return !s->dgram_pending;
	return out_pending(s) < OUT_HIGH && s->infl_n < INFL_MAX;
}

/* Hand one message to the connection.  0, or -1 when it failed. */
static int send_message(struct syslog_conn *s, uint64_t seq)
{
	if (!is_stream(s)) {
		s->dgram_pending = true;
		s->dgram_seq = seq;
		return send_dgram(s) < 0 ? -1 : 0;
	}
	if (enqueue_frame(s, seq)) {
		if (s->state == SYSLOG_CONN_UP)
			sink_fail(s, "out of memory queueing a message");
		return -1;
	}
	if (seq)
		s->stats.sent++;
	else
		s->stats.heartbeats++;
	return flush_out(s);
}

/* Send what there is, up to PUMP_BUDGET messages. */
static void pump(struct syslog_conn *s)
{
	int budget = PUMP_BUDGET;
	uint64_t seq;

	s->busy = false;
	if (is_stream(s) && flush_out(s))
		return;
	if (s->dgram_pending && send_dgram(s))
		return;
	while (s->state == SYSLOG_CONN_UP && can_take_more(s)) {
		if (!budget--) {
			s->busy = true; /* more to do: EPOLLOUT brings us back */
			break;
		}
		if (!next_message(s, &seq) || send_message(s, seq))
			break;
	}
	if (s->state == SYSLOG_CONN_UP && is_stream(s))
		poll_acks(s);
}

/* ---- TLS --------------------------------------------------------------------------- */

static void tls_handshake(struct syslog_conn *s)
{
	int rc, e;

	ERR_clear_error();
	rc = SSL_do_handshake(s->ssl);
	e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, rc);
	if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		/* our alert to the server goes out first: it says why we hang up */
		tls_drain(s);
		flush_out(s);
		if (s->state != SYSLOG_CONN_DOWN)
			tls_fail(s, "handshake");
		return;
	}
	if (tls_drain(s) || flush_out(s))
		return;
	if (rc == 1) {
		s->handshaking = false;
		on_up(s);
	}
}

static void tls_start(struct syslog_conn *s)
{
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());

	ERR_clear_error();
	s->ssl = SSL_new(s->ssl_ctx);
	if (!s->ssl || !rbio || !wbio) {
		BIO_free(rbio);
		BIO_free(wbio);
		sink_fail(s, "tls: out of memory");
		return;
	}
	SSL_set_bio(s->ssl, rbio, wbio);
	SSL_set_connect_state(s->ssl);
	if (is_ip(s->host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->host);
	} else {
		SSL_set_tlsext_host_name(s->ssl, s->host);
		SSL_set1_host(s->ssl, s->host);
	}
	s->handshaking = true;
	tls_handshake(s);
}

/* Application data from a syslog server is unexpected; read it to see alerts and close_notify. */
static void tls_read(struct syslog_conn *s)
{
	char buf[4096];
	int n, e;

	for (;;) {
		ERR_clear_error();
		n = SSL_read(s->ssl, buf, sizeof(buf));
		if (n > 0)
			continue;
		e = SSL_get_error(s->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_ZERO_RETURN) {
			sink_fail(s, "tls: %s:%u closed the connection", s->host, s->port);
			return;
		}
		tls_fail(s, "read");
		return;
	}
	if (!tls_drain(s))
		flush_out(s);
}

/* ---- input -------------------------------------------------------------------------- */

/* Drain the socket.  0, or -1 when the connection is gone. */
static int read_input(struct syslog_conn *s)
{
	char buf[16384], peer[300];
	bool eof = false;
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			sink_fail(s, "recv from %s: %s", peer_name(s, peer, sizeof(peer)),
				  strerror(errno));
			return -1;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (s->ssl)
			BIO_write(SSL_get_rbio(s->ssl), buf, n);
		/* a plain syslog receiver sends nothing; whatever it sends is ignored */
	}
	/* TLS first: a fatal alert before the close explains it better than "closed" */
	if (s->ssl && s->handshaking)
		tls_handshake(s);
	else if (s->ssl)
		tls_read(s);
	if (s->state == SYSLOG_CONN_DOWN)
		return -1;
	if (eof) {
		sink_fail(s, "%s closed the connection", peer_name(s, peer, sizeof(peer)));
		return -1;
	}
	return 0;
}

/* ---- connecting --------------------------------------------------------------------- */

static void tune_tcp(int fd)
{
	int on = 1, idle = 60, intvl = 10, cnt = 3;
	unsigned int user_timeout = 30000;

	/* alerts are small and should leave at once */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* a receiver that vanished (no RST) is noticed in about a minute, not hours */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

static int new_socket(struct syslog_conn *s, int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		tune_tcp(fd);
	s->fd = fd;
	s->fd_gen++;
	return 0;
}

static void connected(struct syslog_conn *s)
{
	s->connecting = false;
	free_addrs(s);
	if (s->transport == SYSLOG_CONN_TLS)
		tls_start(s);
	else
		on_up(s);
}

/* Try the remaining addresses in order; @err is why the previous one failed. */
static void connect_next(struct syslog_conn *s, int err)
{
	char peer[300];

	for (; s->ai_cur; s->ai_cur = s->ai_cur->ai_next) {
		struct addrinfo *a = s->ai_cur;

		err = -new_socket(s, a->ai_family, is_stream(s) ? SOCK_STREAM : SOCK_DGRAM);
		if (err)
			continue;
		if (!connect(s->fd, a->ai_addr, a->ai_addrlen)) {
			connected(s);
			return;
		}
		if (errno == EINPROGRESS) {
			s->connecting = true;
			return;
		}
		err = errno;
		close_fd(s);
	}
	sink_fail(s, "connect to %s: %s", peer_name(s, peer, sizeof(peer)),
		  strerror(err ? err : EHOSTUNREACH));
}

static void finish_connect(struct syslog_conn *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (!err) {
		connected(s);
		return;
	}
	close_fd(s);
	s->ai_cur = s->ai_cur ? s->ai_cur->ai_next : NULL;
	connect_next(s, err);
}

static void connect_unix(struct syslog_conn *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int rc;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	rc = new_socket(s, AF_UNIX, SOCK_DGRAM);
	if (!rc && connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)))
		rc = -errno;
	if (rc) {
		sink_fail(s, "connect to %s: %s", s->path, strerror(-rc));
		return;
	}
	on_up(s);
}

/* Addresses for host:port: at once for a literal, else through getaddrinfo_a. */
static int resolve_start(struct syslog_conn *s)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = is_stream(s) ? SOCK_STREAM : SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct gaicb *list[1];
	struct resolver *r;
	char service[8];
	int rc;

	snprintf(service, sizeof(service), "%u", s->port);
	rc = getaddrinfo(s->host, service, &hints, &s->ai);
	if (rc != EAI_NONAME)
		return rc;
	r = calloc(1, sizeof(*r) + strlen(s->host) + 1);
	if (!r)
		return EAI_MEMORY;
	strcpy(r->host, s->host);
	memcpy(r->service, service, sizeof(service));
	r->hints = hints;
	r->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->service;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc) {
		free(r);
		return rc;
	}
	s->res = r;
	return EAI_INPROGRESS;
}

/* 0: s->ai is ready; EAI_INPROGRESS; or an EAI_* error. */
static int resolve_poll(struct syslog_conn *s)
{
	int rc = gai_error(&s->res->cb);

	if (rc == EAI_INPROGRESS)
		return rc;
	if (!rc)
		s->ai = s->res->cb.ar_result;
	free(s->res);
	s->res = NULL;
	return rc;
}

static void resolve_then_connect(struct syslog_conn *s, int rc)
{
	if (rc == EAI_INPROGRESS)
		return;
	if (rc) {
		sink_fail(s, "resolve %s: %s", s->host, gai_strerror(rc));
		return;
	}
	s->ai_cur = s->ai;
	connect_next(s, 0);
}

static void attempt(struct syslog_conn *s)
{
	s->state = SYSLOG_CONN_CONNECTING;
	s->state_since_ms = s->now_ms;
	if (s->transport == SYSLOG_CONN_UNIX) {
		connect_unix(s);
		return;
	}
	/* a lookup that outlived the last attempt's timeout is still ours to collect */
	resolve_then_connect(s, s->res ? resolve_poll(s) : resolve_start(s));
}

/* ---- the event loop's view ------------------------------------------------------- */

int syslog_conn_fd(const struct syslog_conn *s)
{
	return s->fd;
}

uint32_t syslog_conn_events(const struct syslog_conn *s)
{
	uint32_t ev = 0;

	if (s->fd < 0)
		return 0;
	if (s->connecting)
		return EPOLLOUT;
	if (is_stream(s))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (out_pending(s) || s->busy || s->dgram_pending)
		ev |= EPOLLOUT;
	return ev;
}

int syslog_conn_epoll_update(struct syslog_conn *s, int epfd, uint64_t data)
{
	struct epoll_event ee = { .events = syslog_conn_events(s), .data.u64 = data };

	/* a closed socket left epoll by itself; the same number may be a new socket now */
	if (s->ep_fd >= 0 && (s->ep_fd != s->fd || s->ep_gen != s->fd_gen))
		s->ep_fd = -1;
	if (s->fd < 0)
		return 0;
	if (s->ep_fd < 0) {
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ee))
			return -errno;
		s->ep_fd = s->fd;
		s->ep_gen = s->fd_gen;
		s->ep_events = ee.events;
		return 0;
	}
	if (ee.events == s->ep_events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ee))
		return -errno;
	s->ep_events = ee.events;
	return 0;
}

void syslog_conn_on_io(struct syslog_conn *s, uint32_t revents)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char peer[300];

	if (s->fd < 0)
		return;
	if (s->connecting) {
		if (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			finish_connect(s);
		return;
	}
	if (is_stream(s) && (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    read_input(s))
		return;
	/* the TLS handshake has output of its own */
	if (is_stream(s) && (revents & EPOLLOUT) && flush_out(s))
		return;
	/* a datagram socket's error: an ICMP unreachable, the receiver is down */
	if (!is_stream(s) && (revents & EPOLLERR) &&
	    !getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) && err) {
		sink_fail(s, "%s: %s", peer_name(s, peer, sizeof(peer)), strerror(err));
		return;
	}
	if (s->state == SYSLOG_CONN_UP)
		pump(s);
}

void syslog_conn_tick(struct syslog_conn *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	if (s->state == SYSLOG_CONN_DOWN && now_ms >= s->next_attempt_ms)
		attempt(s);
	if (s->state == SYSLOG_CONN_CONNECTING &&
	    now_ms - s->state_since_ms >= SYSLOG_CONN_CONNECT_TIMEOUT_MS) {
		char peer[300];

		sink_fail(s, "connect to %s: timed out%s", peer_name(s, peer, sizeof(peer)),
			  s->handshaking ? " in the TLS handshake" :
			  s->res	 ? " resolving" :
					   "");
	}
	if (s->state == SYSLOG_CONN_CONNECTING && s->res && !s->connecting)
		resolve_then_connect(s, resolve_poll(s));
	if (s->state == SYSLOG_CONN_UP)
		pump(s);
}

uint64_t syslog_conn_next_timeout(const struct syslog_conn *s, uint64_t now_ms)
{
	uint64_t deadline;

	switch (s->state) {
	case SYSLOG_CONN_DOWN:
		return s->next_attempt_ms > now_ms ? s->next_attempt_ms - now_ms : 0;
	case SYSLOG_CONN_CONNECTING:
		if (s->res)
			return RESOLVE_POLL_MS;
		deadline = s->state_since_ms + SYSLOG_CONN_CONNECT_TIMEOUT_MS;
		return deadline > now_ms ? deadline - now_ms : 0;
	case SYSLOG_CONN_UP:
		if (s->busy)
			return 0;
		return s->infl_n ? ACK_POLL_MS : UINT64_MAX;
	}
	return UINT64_MAX;
}

int syslog_conn_heartbeat(struct syslog_conn *s, const struct heartbeat *hb)
{
	int rc = syslog_fmt_heartbeat(&s->hb, &s->fmt, hb);

	if (rc < 0)
		return rc;
	s->hb_pending = true;
	if (s->state == SYSLOG_CONN_UP)
		pump(s);
	return 0;
}

/* ---- setup -------------------------------------------------------------------------- */

static int tls_error(char *err, size_t errlen, const char *what, const char *file)
{
	char msg[160] = "unknown error";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	snprintf(err, errlen, "%s %s: %s", what, file ? file : "", msg);
	return -EINVAL;
}

static int tls_init(struct syslog_conn *s, const struct syslog_conn_cfg *cfg, char *err,
		    size_t errlen)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return tls_error(err, errlen, "tls", NULL);
	s->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file && *cfg->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1)
			return tls_error(err, errlen, "tls: CA file", cfg->ca_file);
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return tls_error(err, errlen, "tls: system CA store", NULL);
	}
	if (cfg->key_file && *cfg->key_file && !(cfg->cert_file && *cfg->cert_file)) {
		snprintf(err, errlen, "tls: key_file without cert_file");
		return -EINVAL;
	}
	if (!cfg->cert_file || !*cfg->cert_file)
		return 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return tls_error(err, errlen, "tls: certificate", cfg->cert_file);
	if (SSL_CTX_use_PrivateKey_file(
		    ctx, cfg->key_file && *cfg->key_file ? cfg->key_file : cfg->cert_file,
		    SSL_FILETYPE_PEM) != 1)
		return tls_error(err, errlen, "tls: key",
				 cfg->key_file ? cfg->key_file : cfg->cert_file);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_error(err, errlen, "tls: key does not match", cfg->cert_file);
	return 0;
}

static int check_cfg(const struct syslog_conn_cfg *cfg, struct spool *sp, unsigned int idx,
		     char *err, size_t errlen)
{
	const char *name = cfg->name ? cfg->name : "";

	if (!sp || idx >= sp->nr_sinks || strcmp(sp->sinks[idx].name, name)) {
		snprintf(err, errlen, "sink '%s': not spool sink %u", name, idx);
		return -EINVAL;
	}
	if (cfg->transport > SYSLOG_CONN_TLS || cfg->format > SYSLOG_FMT_CEF) {
		snprintf(err, errlen, "sink %s: bad transport or format", name);
		return -EINVAL;
	}
	if (cfg->transport != SYSLOG_CONN_UNIX && (!cfg->host || !*cfg->host)) {
		snprintf(err, errlen, "sink %s: host is required for %s", name,
			 syslog_conn_transport_name(cfg->transport));
		return -EINVAL;
	}
	if (cfg->transport == SYSLOG_CONN_UNIX && cfg->path &&
	    strlen(cfg->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "sink %s: socket path too long", name);
		return -EINVAL;
	}
	if (cfg->port > 65535 || cfg->facility > 23) {
		snprintf(err, errlen, "sink %s: port or facility out of range", name);
		return -EINVAL;
	}
	return 0;
}

static size_t max_msg(const struct syslog_conn_cfg *cfg)
{
	size_t m = cfg->max_msg;

	if (!m)
		m = cfg->transport == SYSLOG_CONN_TCP || cfg->transport == SYSLOG_CONN_TLS ?
			    SYSLOG_MAX_MSG_STREAM :
			    SYSLOG_MAX_MSG_DGRAM;
	if (m < SYSLOG_MIN_MSG)
		m = SYSLOG_MIN_MSG;
	if (cfg->transport == SYSLOG_CONN_UDP && m > UDP_MAX_PAYLOAD)
		m = UDP_MAX_PAYLOAD;
	return m;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int syslog_conn_open(struct syslog_conn *s, const struct syslog_conn_cfg *cfg, struct spool *sp,
		     unsigned int spool_idx, char *err, size_t errlen)
{
	static char hostname[256];
	bool oom = false;
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = s->ep_fd = -1;
	rc = check_cfg(cfg, sp, spool_idx, err, errlen);
	if (rc)
		return rc;
	s->sp = sp;
	s->idx = spool_idx;
	s->transport = cfg->transport;
	s->port = cfg->port ? cfg->port : cfg->transport == SYSLOG_CONN_TLS ? 6514 : 514;
	s->max_msg = max_msg(cfg);
	s->name = dup_or_null(cfg->name, &oom);
	s->host = dup_or_null(cfg->host, &oom);
	s->path = dup_or_null(cfg->path ? cfg->path : DEV_LOG, &oom);
	if (is_stream(s))
		s->infl = calloc(INFL_MAX, sizeof(*s->infl));
	if (oom || (is_stream(s) && !s->infl)) {
		snprintf(err, errlen, "sink %s: out of memory", cfg->name);
		rc = -ENOMEM;
		goto out;
	}
	if (!hostname[0] && gethostname(hostname, sizeof(hostname) - 1))
		snprintf(hostname, sizeof(hostname), "-");
	s->fmt = (struct syslog_ctx){
		.format = cfg->format,
		.facility = cfg->facility ? cfg->facility : SYSLOG_FAC_DEFAULT,
		.procid = getpid(),
		.hostname = hostname,
		.max_len = s->max_msg,
	};
	if (cfg->transport == SYSLOG_CONN_TLS)
		rc = tls_init(s, cfg, err, errlen);
	s->backoff_ms = SYSLOG_CONN_BACKOFF_MIN_MS;
	s->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uintptr_t)s;
	s->rng |= 1;
out:
	if (rc)
		syslog_conn_close(s);
	return rc;
}

/* A TLS close_notify, best effort and without waiting: the receiver sees a clean end. */
static void tls_goodbye(struct syslog_conn *s)
{
	if (!s->ssl || s->handshaking || s->fd < 0)
		return;
	ERR_clear_error();
	SSL_shutdown(s->ssl);
	ERR_clear_error();
	if (tls_drain(s) || !out_pending(s))
		return;
	if (send(s->fd, s->out + s->out_off, out_pending(s), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return; /* the connection is going anyway */
}

void syslog_conn_close(struct syslog_conn *s)
{
	struct gaicb *list[1];
	struct timespec ts = { .tv_sec = 1 };

	tls_goodbye(s);
	disconnect(s, false);
	if (s->res) {
		list[0] = &s->res->cb;
		if (gai_cancel(&s->res->cb) == EAI_NOTCANCELED)
			gai_suspend((const struct gaicb *const *)list, 1, &ts);
		/* memory the resolver thread still writes to must not be freed: leak it */
		if (gai_error(&s->res->cb) != EAI_INPROGRESS) {
			if (s->res->cb.ar_result)
				freeaddrinfo(s->res->cb.ar_result);
			free(s->res);
		}
		s->res = NULL;
	}
	if (s->ssl_ctx)
		SSL_CTX_free(s->ssl_ctx);
	buf_free(&s->line);
	buf_free(&s->hb);
	free(s->out);
	free(s->frame);
	free(s->infl);
	free(s->name);
	free(s->host);
	free(s->path);
	memset(s, 0, sizeof(*s));
	s->fd = s->ep_fd = -1;
}

const char *syslog_conn_state_name(enum syslog_conn_state st)
{
	switch (st) {
	case SYSLOG_CONN_DOWN:
		return "down";
	case SYSLOG_CONN_CONNECTING:
		return "connecting";
	case SYSLOG_CONN_UP:
		return "up";
	}
	return "unknown";
}

static const char *const transports[] = { "unix", "udp", "tcp", "tls" };

const char *syslog_conn_transport_name(enum syslog_conn_transport t)
{
	return t <= SYSLOG_CONN_TLS ? transports[t] : "unknown";
}

int syslog_conn_parse_transport(const char *s, enum syslog_conn_transport *out)
{
	unsigned int i;

	for (i = 0; s && i <= SYSLOG_CONN_TLS; i++) {
		if (!strcmp(s, transports[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}
