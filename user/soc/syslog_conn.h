/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One connection to a remote syslog destination (a SOC receiver), fed from
 * the spool: struct syslog_conn.  The agent calls each one a "sink" (agent_sinks.c,
 * the "sinks" of status and heartbeat); nothing else is called that.
 *
 * Transports: unix (a SOCK_DGRAM socket, /dev/log by default), udp (RFC 5426,
 * one message per datagram), tcp (RFC 6587 octet counting "LEN SP MSG") and
 * tls (RFC 5425, the same framing inside TLS 1.2+, OpenSSL; the server
 * certificate is verified against ca_file and the host name or IP address;
 * optional client certificate).
 *
 * Nothing blocks: name resolution (getaddrinfo_a), connect, the TLS handshake
 * and writes all proceed from syslog_conn_tick()/syslog_conn_on_io() as the socket allows,
 * so a slow or dead receiver never stalls the agent's event loop.  TLS runs
 * over memory BIOs and every socket write is send(MSG_NOSIGNAL): a receiver
 * that hangs up never raises SIGPIPE.
 *
 * Acknowledgement: unix/udp acknowledge a record to the spool once send()
 * took the datagram (there is nothing more to know).  tcp/tls go further than
 * "written to the socket": a record is acknowledged once the receiver's TCP
 * has acknowledged every byte of its frame (SIOCOUTQ), so a receiver that
 * dies with our data in flight gets it again after the reconnect instead of
 * losing it.  Duplicates are possible (at-least-once); losses are not, short
 * of the receiver itself losing what its TCP acknowledged (RELP would close
 * that gap).
 *
 * Reconnects back off exponentially, 1 s doubling to 60 s, with jitter (a
 * random delay between half and all of the backoff), reset once a record is
 * acknowledged on the new connection.
 *
 * Time: syslog_conn_tick()'s now_ms (CLOCK_MONOTONIC ms); syslog_conn_on_io() uses the last
 * tick's value.
 */
#ifndef CPRW_SYSLOG_CONN_H
#define CPRW_SYSLOG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spool.h"
#include "syslog_fmt.h"

#define SYSLOG_CONN_BACKOFF_MIN_MS 1000
#define SYSLOG_CONN_BACKOFF_MAX_MS 60000
#define SYSLOG_CONN_CONNECT_TIMEOUT_MS 10000 /* resolve + connect + TLS handshake */

enum syslog_conn_transport {
	SYSLOG_CONN_UNIX,
	SYSLOG_CONN_UDP,
	SYSLOG_CONN_TCP,
	SYSLOG_CONN_TLS,
};

enum syslog_conn_state {
	SYSLOG_CONN_DOWN,	/* waiting for the next attempt */
	SYSLOG_CONN_CONNECTING, /* resolving, connecting or in the TLS handshake */
	SYSLOG_CONN_UP,
};

/* Strings are copied by syslog_conn_open. */
struct syslog_conn_cfg {
	const char *name; /* also its name in the spool (its .ack file) */
	enum syslog_conn_transport transport;
	const char *host;  /* udp, tcp, tls: name or address */
	unsigned int port; /* 0: 514 (udp, tcp), 6514 (tls) */
	const char *path;  /* unix: NULL = /dev/log */
	enum syslog_format format;
	/* 0..23; 0 (kern, which is the kernel's own) means the default, local4 */
	unsigned int facility;
	const char *ca_file;   /* tls: CAs to verify the server; NULL = system store */
	const char *cert_file; /* tls: client certificate chain (PEM), optional */
	const char *key_file;  /* tls: its key (PEM); NULL = in cert_file */
	size_t max_msg;	       /* bytes; 0: 2048 (unix, udp), 8192 (tcp, tls) */
};

struct syslog_conn_stats {
	uint64_t sent;	     /* alert messages written to the socket */
	uint64_t acked;	     /* ... and acknowledged to the spool */
	uint64_t heartbeats; /* heartbeats written */
	uint64_t failed;     /* connects, handshakes and sends that failed */
	uint64_t connects;   /* connections established */
	uint64_t reconnects; /* ... after the first */
	uint64_t dropped;    /* records not renderable: acknowledged unsent */
	uint64_t truncated;  /* messages cut to max_msg */
};

struct syslog_conn_inflight {
	uint64_t seq; /* 0: a heartbeat */
	uint64_t end; /* stream offset just past its frame */
};

struct resolver;
struct addrinfo;
struct ssl_ctx_st;
struct ssl_st;

struct syslog_conn {
	char *name, *host, *path;
	enum syslog_conn_transport transport;
	unsigned int port;
	size_t max_msg;
	struct syslog_ctx fmt;
	struct spool *sp;
	unsigned int idx; /* in the spool */

	enum syslog_conn_state state;
	int fd;
	uint64_t fd_gen;	      /* bumped for every new socket */
	struct resolver *res;	      /* name resolution in progress */
	struct addrinfo *ai, *ai_cur; /* addresses to try */
	struct ssl_ctx_st *ssl_ctx;
	struct ssl_st *ssl;
	bool handshaking;
	bool connecting; /* a non-blocking connect is in progress */

	struct buf line; /* the message being rendered */
	struct buf hb;	 /* the newest heartbeat not yet sent */
	bool hb_pending;
	bool dgram_pending; /* line holds a datagram send() refused with EAGAIN */
	uint64_t dgram_seq;
	/* stream transports: bytes queued for the socket, and frames not yet acked */
	unsigned char *out;
	size_t out_off, out_len, out_cap;
	unsigned char *frame;
	size_t frame_cap;
	uint64_t enq_bytes, sent_bytes; /* since the connection started */
	struct syslog_conn_inflight *infl;
	size_t infl_head, infl_n, infl_cap;
	bool busy; /* stopped for fairness with work left: want EPOLLOUT */

	uint64_t now_ms;
	uint64_t state_since_ms;
	uint64_t next_attempt_ms;
	uint64_t backoff_ms;
	uint64_t rng;
	char last_error[256];
	struct syslog_conn_stats stats;

	int ep_fd; /* syslog_conn_epoll_update's registration */
	uint64_t ep_gen;
	uint32_t ep_events;
};

/*
 * Set up (no I/O yet: the first syslog_conn_tick connects).  TLS files are loaded
 * here, so a bad CA or key is a configuration error with a message in @err.
 * Returns 0 or a negative errno.
 */
int syslog_conn_open(struct syslog_conn *s, const struct syslog_conn_cfg *cfg, struct spool *sp,
		     unsigned int spool_idx, char *err, size_t errlen);
void syslog_conn_close(struct syslog_conn *s);

/* The socket to watch (-1: none now) and the EPOLL* events it wants. */
int syslog_conn_fd(const struct syslog_conn *s);
uint32_t syslog_conn_events(const struct syslog_conn *s);
/*
 * Keep an epoll registration in step with syslog_conn_fd/syslog_conn_events (the socket
 * changes on every reconnect).  Call after syslog_conn_open, syslog_conn_tick, syslog_conn_on_io
 * and syslog_conn_heartbeat.  @data is the epoll_data u64 to register with.
 */
int syslog_conn_epoll_update(struct syslog_conn *s, int epfd, uint64_t data);

/* The socket is ready (epoll revents). */
void syslog_conn_on_io(struct syslog_conn *s, uint32_t revents);
/*
 * Timers and work: connect when the backoff is over, time out a stuck
 * connect, read acknowledgements, send what the spool holds.  Call it every
 * second and right after spool_append, so alerts leave at once.
 */
void syslog_conn_tick(struct syslog_conn *s, uint64_t now_ms);
/* ms until syslog_conn_tick has something to do without I/O (for an epoll timeout). */
uint64_t syslog_conn_next_timeout(const struct syslog_conn *s, uint64_t now_ms);

/* Queue a heartbeat (replacing one not yet sent); it goes before spooled records. */
int syslog_conn_heartbeat(struct syslog_conn *s, const struct heartbeat *hb);

const char *syslog_conn_state_name(enum syslog_conn_state st);
const char *syslog_conn_transport_name(enum syslog_conn_transport t);
/* "unix", "udp", "tcp", "tls": 0 or -EINVAL */
int syslog_conn_parse_transport(const char *s, enum syslog_conn_transport *out);

#endif
