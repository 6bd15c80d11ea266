/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Syslog renderings of an alert (and of the agent heartbeat) for the SOC:
 *
 *   RFC 5424  <PRI>1 TIMESTAMP HOSTNAME cprwatch PROCID MSGID [cprwatch@32473 ...] MSG
 *   CEF       <PRI>1 TIMESTAMP HOSTNAME cprwatch PROCID MSGID - CEF:0|cprwatch|cprwatch|...
 *
 * CEF travels as the MSG of an RFC 5424 line with no structured data, so both
 * formats share one framing and one transport code path.
 *
 * The input is the parsed alert JSON (the canonical form the spool keeps), so
 * a record is rendered the same way after an agent restart.  Output is one
 * line: no CR, LF or NUL anywhere, header fields printable US-ASCII, the rest
 * valid UTF-8 (invalid bytes become U+FFFD).  No trailing newline: framing is
 * the transport's business (syslog_conn.c).
 *
 * MSG and the BOM: RFC 5424 6.4 says a UTF-8 MSG MUST start with a BOM, and
 * also allows MSG-ANY.  We write the BOM only when the summary holds non-ASCII
 * text: an ASCII summary is equally valid as MSG-ANY, and leaving the BOM out
 * then keeps the SIEM's regexes and the analysts' grep working (many receivers
 * show a BOM as "ï»¿").  A CEF MSG never gets a BOM, because CEF parsers
 * match "CEF:0|" at the start of MSG.
 *
 * The SD-ID uses enterprise number 32473, the IANA example PEN (RFC 5612):
 * a placeholder until cprwatch has a registered number of its own.
 */
#ifndef CPRW_SYSLOG_FMT_H
#define CPRW_SYSLOG_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/buf.h"
#include "lib/json_parse.h"

#define SYSLOG_PEN "32473" /* placeholder, see above */
#define SYSLOG_SD_ID "cprwatch@" SYSLOG_PEN
#define SYSLOG_APP_NAME "cprwatch"
#define SYSLOG_FAC_DEFAULT 20	   /* local4 */
#define SYSLOG_MAX_MSG_DGRAM 2048  /* RFC 5426: receivers should take 2048 */
#define SYSLOG_MAX_MSG_STREAM 8096 /* rsyslog 8.2302 truncates past 8096 by default */
#define SYSLOG_MIN_MSG 480	   /* RFC 5426: what every receiver takes */

enum syslog_format {
	SYSLOG_FMT_RFC5424,
	SYSLOG_FMT_CEF,
};

/* How one sink wants its lines. */
struct syslog_ctx {
	enum syslog_format format;
	unsigned int facility; /* 0..23 */
	pid_t procid;	       /* PROCID: the agent's pid, 0 = "-" */
	const char *hostname;  /* used when the alert has no host; NULL = "-" */
	size_t max_len;	       /* whole line in bytes, 0 = unbounded */
};

/* The agent's liveness report, so that silence is itself an alert at the SOC. */
struct heartbeat {
	uint64_t real_ns; /* wall clock, 0 = now */
	const char *host;
	const char *version;	   /* NULL = this build's */
	const char *build_id;	   /* which build runs where; NULL = none */
	const char *config_sha256; /* and with which config; NULL = none */
	uint64_t uptime_s;
	uint64_t events;
	uint64_t kernel_drops;
	uint64_t alerts;
	uint64_t spool_depth;
	uint64_t spool_dropped; /* alerts the SOC will never get: dropped or never spooled */
	uint64_t scans_dropped; /* scans the queue dropped (full) */
	unsigned int sinks_up;
	unsigned int sinks;
};

/* A growable output buffer; buf is NUL-terminated after a successful call. */

/*
 * Render @alert (a parsed alert object) into @out (replacing its contents).
 * Returns 0; 1 when the line was shortened to fit ctx->max_len (RFC 5424:
 * MSG cut at a character boundary, then SD values capped, then SD params left
 * out, and the SD says truncated="1"; CEF: values capped, then the
 * extension's tail cut); -EINVAL when @alert is not an object; -EMSGSIZE when
 * the header alone does not fit (never for max_len >= SYSLOG_MIN_MSG); or
 * -ENOMEM.
 */
int syslog_fmt_alert(struct buf *out, const struct syslog_ctx *ctx, const struct jval *alert);
int syslog_fmt_heartbeat(struct buf *out, const struct syslog_ctx *ctx, const struct heartbeat *hb);

/* Severity (RFC 5424, 0..7) and CEF severity (0..10) for an alert severity name. */
unsigned int syslog_severity(const char *alert_severity);
unsigned int syslog_cef_severity(const char *alert_severity);

/* "local4", "authpriv", ... or a number 0..23.  0 or -EINVAL. */
int syslog_parse_facility(const char *s, unsigned int *out);
/* "rfc5424" or "cef".  0 or -EINVAL. */
int syslog_parse_format(const char *s, enum syslog_format *out);

#endif
