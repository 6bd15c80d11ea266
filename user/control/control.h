/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The control socket: cprwatchctl talks to the running agent through it.
 *
 * Protocol.  A unix stream socket, by default CONTROL_DEFAULT_PATH (its
 * directory 0750, the socket 0660, both group-owned by the admin group, or
 * by root when none is configured).  One request per connection: one line
 * of JSON (at most CONTROL_MAX_REQUEST bytes with its newline; EOF also
 * ends it), answered with one line of JSON, then the server closes.
 *
 *   {"cmd":"status"}
 *   {"cmd":"alerts","since":"2024-05-01T08:00:00Z" or "1h","rule":"x","limit":N}
 *   {"cmd":"reload"}
 *   {"cmd":"test-alert"}
 *
 *   {"ok":true, ...}                                    (per command, below)
 *   {"ok":false,"error":"human message","code":"..."}   code: permission_denied,
 *           busy, bad_request, too_large, timeout, failed (a callback said no)
 *
 * Admission: the peer's credentials (SO_PEERCRED, taken at connect) are
 * checked at accept.  uid 0 is admitted; anyone else only when their gid or
 * one of their supplementary groups (SO_PEERGROUPS) is the admin group.
 * A refused peer gets a permission_denied answer and is logged, once per
 * uid per minute so a loop cannot flood the log.
 *
 * The agent is single-threaded, so nothing here blocks: every socket is
 * non-blocking, each client has its own buffers and a deadline
 * (CONTROL_TIMEOUT_MS from accept to the last byte of the answer), and at
 * most CONTROL_MAX_CLIENTS are served at once; one more is answered "busy"
 * and closed.  Sockets are watched by an epoll fd inside struct control, so
 * the agent adds ONE fd (control_fd) to its loop and calls control_dispatch
 * when it is readable, and control_tick from its timer.
 *
 * Per-command answers, the keys the callbacks add after "ok":true:
 *
 * status (control_ops.status): the health report cprwatchctl status shows.
 *   "healthy": bool          false makes `cprwatchctl status` exit 1
 *   "problems": [string]     why not healthy, one sentence each ([] when healthy)
 *   "version": string        CPRW_VERSION
 *   "build_id": string       CPRW_BUILD_ID
 *   "uptime_s": int          seconds since the agent started
 *   "config": {"path": string, "sha256": hex string of the file's bytes}
 *   "probes": [{"name": string, "hook": string (e.g. "tp/syscalls/sys_enter_openat"),
 *               "attached": bool}]
 *   "events": {"total": int, "per_second": number (last tick),
 *              "kernel_drops": int (ring buffer full), "ring_mib": int (its size),
 *              "decode_errors": int, "x11_framing_lost": int (a tracked client's
 *              X11 stream no longer framed, resynced at its next write)}
 *   "scan": {"queue": int (pending now), "scanned": int, "dropped": int (queue full),
 *            "cache_hits": int}
 *   "sinks": [{"name": string, "transport": string, "state": string (a word:
 *              "ok", "retrying", "spooling", "down", ...), "last_error": string or null,
 *              "spool_depth": int, "sent": int, "dropped": int}]
 *   "rules": [{"name": string, "alerts": int, "folded": int}]
 *
 * alerts (control_ops.alerts, with the query already checked and parsed):
 *   "alerts": [alert objects as in the alert log (alert_json), oldest first,
 *              the newest q->limit that match]
 *   "truncated": bool        more matched than q->limit
 *
 * reload (control_ops.reload): validate the config and apply it, or keep the
 *   old one and fail with the loader's message (it names file, line and key).
 *   "config": {"path", "sha256"} of the config now in force
 *   "message": string        optional, what changed, for humans
 *
 * test-alert (control_ops.test_alert): a marked test alert through every sink.
 *   "alert_id": string
 *   "sinks": [{"name": string, "state": string}]   optional: where it went
 */
#ifndef CPRW_CONTROL_H
#define CPRW_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/json.h"
#include "lib/json_parse.h"

#define CONTROL_DEFAULT_PATH "/run/cprwatch/control.sock"
#define CONTROL_MAX_REQUEST (64 * 1024) /* bytes, newline included */
#define CONTROL_MAX_CLIENTS 16
#define CONTROL_TIMEOUT_MS 5000
#define CONTROL_ALERTS_DEFAULT_LIMIT 50
#define CONTROL_ALERTS_MAX_LIMIT 1000
#define CONTROL_REFUSED_LOG_MS 60000 /* a refused uid is logged once per minute */
#define CONTROL_REFUSED_SLOTS 32     /* uids remembered for that */

/* An alerts request, validated. */
struct control_alerts_query {
	uint64_t since_ns;	/* CLOCK_REALTIME ns; 0: no lower bound */
	const char *rule;	/* NULL: every rule */
	unsigned int limit;	/* 1..CONTROL_ALERTS_MAX_LIMIT */
	const struct jval *req; /* the whole request, for keys added later */
};

/*
 * Callbacks into the agent, run on the agent's thread; they must not block.
 * Each adds its keys (see above) to @out, an object already holding
 * "ok":true, and returns 0; or returns a negative errno with a message in
 * @err (what they added is thrown away and {"ok":false,"error":err} sent).
 */
struct control_ops {
	int (*status)(void *arg, struct json *out, char *err, size_t errlen);
	int (*alerts)(void *arg, const struct control_alerts_query *q, struct json *out, char *err,
		      size_t errlen);
	int (*reload)(void *arg, struct json *out, char *err, size_t errlen);
	int (*test_alert)(void *arg, struct json *out, char *err, size_t errlen);
	void *arg;
};

enum control_client_state {
	CC_FREE = 0,
	CC_READING,
	CC_WRITING,
};

struct control_client {
	enum control_client_state state;
	int fd;
	uid_t uid;
	pid_t pid;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	char *in;	      /* request bytes so far */
	size_t in_len;
	size_t in_cap;
	struct json out; /* the answer, newline included */
	size_t out_off;	 /* bytes of it already sent */
};

struct control_refusal {
	uid_t uid;
	uint64_t logged_ms; /* 0: slot unused */
};

struct control_stats {
	uint64_t accepted; /* admitted and given a slot */
	uint64_t refused;  /* permission denied */
	uint64_t busy;	   /* every slot taken */
	uint64_t timeouts;
	uint64_t bad_requests;
	uint64_t refusals_logged;
};

struct control {
	bool opened;	/* control_open ran: a zeroed struct is closed */
	int lfd;	/* the listening socket */
	int epfd;	/* lfd and the clients: what control_fd returns */
	bool paused;	/* lfd out of epoll until the next tick (EMFILE) */
	char path[108]; /* sizeof(sun_path) */
	dev_t sock_dev; /* the socket file we made: close unlinks only it */
	ino_t sock_ino;
	bool has_group;
	gid_t admin_gid;
	char group_name[64]; /* for messages */
	struct control_ops ops;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	struct control_refusal refusals[CONTROL_REFUSED_SLOTS];
	struct control_stats stats;
};

/* The [control] settings of the agent's config (agent/config.c fills them). */
struct control_config {
	const char *socket;	 /* the unix socket; NULL: CONTROL_DEFAULT_PATH */
	const char *admin_group; /* besides root, who may use it (NULL or "": root only) */
};

/*
 * Create the socket at @cfg->socket, making its directory when missing.
 * @cfg->admin_group: a group name or number whose members may use the
 * socket.  A stale socket
 * left by a dead agent is replaced; a live one is an error.  Returns 0 or a
 * negative errno with a message in @err.  @c need not be initialised.
 */
int control_open(struct control *c, const struct control_config *cfg, const struct control_ops *ops,
		 char *err, size_t errlen);
/* The one fd to watch for EPOLLIN (an epoll fd over the socket and its clients). */
int control_fd(const struct control *c);
/* Accept, read, answer and write whatever is ready; never blocks. */
void control_dispatch(struct control *c);
/* Close clients past their deadline; @now_ms is CLOCK_MONOTONIC (time_mono_ms). */
void control_tick(struct control *c, uint64_t now_ms);
/*
 * Close everything and unlink the socket (when it is still ours).
 * Idempotent, and a no-op on a zeroed struct that was never opened.
 */
void control_close(struct control *c);

/*
 * "since" as the alerts request has it: RFC 3339 ("2024-05-01T08:00:00Z",
 * "2024-05-01T10:00:00.5+02:00") or an age before @now_ns ("90s", "15m",
 * "1h", "2d", "1w", "1h30m").  Into CLOCK_REALTIME ns.  Returns 0 or -EINVAL.
 * cprwatchctl uses it too, to reject a bad --since before asking the agent.
 */
int control_parse_since(const char *s, uint64_t now_ns, uint64_t *out_ns);

#endif
