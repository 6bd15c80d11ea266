/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The messages between the agent and its sandboxed scanner (cprwatch-scand),
 * one per SOCK_SEQPACKET datagram, fields little-endian at fixed offsets:
 *
 *   hello   agent -> helper, once: magic, version, the person-hash key
 *   request agent -> helper: magic, version, seq, flags, the scan limits; the
 *           file's descriptor rides along as SCM_RIGHTS
 *   reply   helper -> agent: magic, version, seq, the scan result (counts,
 *           masked samples, status, message, how many persons follow)
 *   persons helper -> agent, after a reply with nr_persons: the keyed hashes
 *           of the distinct numbers (person_set_hash()), SBX_CHUNK per datagram
 *
 * The agent decodes a reply as hostile input: a subverted helper may send
 * anything, so every field is range-checked, samples must be masked and the
 * message is re-compacted so it cannot carry a number.
 */
#ifndef CPRW_SANDBOX_PROTO_H
#define CPRW_SANDBOX_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "lib/person_set.h"
#include "scan.h"

#define SBX_MAGIC 0x63707273u /* "cprs" */
#define SBX_VERSION 1
#define SBX_HELLO_LEN (4 + 4 + 2 * 8)
#define SBX_REQUEST_LEN (4 * 4 + 3 * 8 + 9 * 4 + 4)
#define SBX_REPLY_LEN                                                                       \
	(3 * 4 + 3 * 4 + 128 + 4 + 6 * 8 + 4 + 4 + CPR_MAX_SAMPLES * CPR_MASK_LEN + 3 * 8 + \
	 3 * 4 + 8 + 4 + 4 + 4)
#define SBX_CHUNK 8192		    /* persons per datagram: 64 KiB, under any socket buffer */
#define SBX_MSG_MAX (SBX_CHUNK * 8) /* the largest datagram either side sends */

#define SBX_REQ_PERSONS 0x1   /* collect person hashes (lim.max_persons of them) */
#define SBX_REPLY_RECYCLE 0x1 /* the helper exits after this reply (CPU budget used) */

struct sbx_request {
	uint32_t seq;
	uint32_t flags;		/* SBX_REQ_* */
	struct scan_limits lim; /* person_key: not sent (NULL when decoded) */
};

/* res.persons is not part of the reply: res.nr_persons hashes follow in chunks. */
struct sbx_reply {
	uint32_t seq;
	uint32_t flags; /* SBX_REPLY_* */
	struct scan_result res;
};

/* Encoders return the length written (buf must hold the message). */
size_t sbx_hello_encode(uint8_t *buf, const struct person_key *key);
size_t sbx_request_encode(uint8_t *buf, const struct sbx_request *rq);
size_t sbx_reply_encode(uint8_t *buf, const struct sbx_reply *rp);
/* Persons [from, from + n) as one datagram, n <= SBX_CHUNK. */
size_t sbx_persons_encode(uint8_t *buf, const uint64_t *persons, size_t n);

/* Decoders: 0, or -EPROTO for a malformed message (nothing trusted from it). */
int sbx_hello_decode(const uint8_t *buf, size_t len, struct person_key *key);
int sbx_request_decode(const uint8_t *buf, size_t len, struct sbx_request *rq);
int sbx_reply_decode(const uint8_t *buf, size_t len, struct sbx_reply *rp);
/* A chunk must hold exactly n persons. */
int sbx_persons_decode(const uint8_t *buf, size_t len, uint64_t *persons, size_t n);

#endif
