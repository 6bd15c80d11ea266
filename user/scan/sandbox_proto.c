// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "sandbox_proto.h"
#include "scan_int.h"

struct wr {
	uint8_t *p;
	size_t n;
};

struct rd {
	const uint8_t *p;
	size_t n, len;
	bool bad;
};

static void w_u32(struct wr *w, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		w->p[w->n++] = v >> (8 * i);
}

static void w_u64(struct wr *w, uint64_t v)
{
	w_u32(w, (uint32_t)v);
	w_u32(w, (uint32_t)(v >> 32));
}

static void w_bytes(struct wr *w, const void *p, size_t n)
{
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

static uint32_t r_u32(struct rd *r)
{
	uint32_t v = 0;
	int i;

	if (r->len - r->n < 4) {
		r->bad = true;
		return 0;
	}
	for (i = 3; i >= 0; i--)
		v = v << 8 | r->p[r->n + i];
	r->n += 4;
	return v;
}

static uint64_t r_u64(struct rd *r)
{
	uint64_t lo = r_u32(r);

	return lo | (uint64_t)r_u32(r) << 32;
}

static void r_bytes(struct rd *r, void *p, size_t n)
{
	if (r->len - r->n < n) {
		r->bad = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, r->p + r->n, n);
	r->n += n;
}

static void w_head(struct wr *w)
{
	w_u32(w, SBX_MAGIC);
	w_u32(w, SBX_VERSION);
}

static bool r_head(struct rd *r)
{
	return r_u32(r) == SBX_MAGIC && r_u32(r) == SBX_VERSION && !r->bad;
}

size_t sbx_hello_encode(uint8_t *buf, const struct person_key *key)
{
	struct wr w = { buf, 0 };

	w_head(&w);
	w_u64(&w, key->k0);
	w_u64(&w, key->k1);
	return w.n;
}

int sbx_hello_decode(const uint8_t *buf, size_t len, struct person_key *key)
{
	struct rd r = { buf, 0, len, false };

	if (len != SBX_HELLO_LEN || !r_head(&r))
		return -EPROTO;
	key->k0 = r_u64(&r);
	key->k1 = r_u64(&r);
	return 0;
}

size_t sbx_persons_encode(uint8_t *buf, const uint64_t *persons, size_t n)
{
	struct wr w = { buf, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		w_u64(&w, persons[i]);
	return w.n;
}

int sbx_persons_decode(const uint8_t *buf, size_t len, uint64_t *persons, size_t n)
{
	struct rd r = { buf, 0, len, false };
	size_t i;

	if (n > SBX_CHUNK || len != n * 8)
		return -EPROTO;
	for (i = 0; i < n; i++)
		persons[i] = r_u64(&r);
	return 0;
}

size_t sbx_request_encode(uint8_t *buf, const struct sbx_request *rq)
{
	const struct scan_limits *l = &rq->lim;
	struct wr w = { buf, 0 };

	w_head(&w);
	w_u32(&w, rq->seq);
	w_u32(&w, rq->flags);
	w_u64(&w, l->max_file_size);
	w_u64(&w, l->max_inflated);
	w_u64(&w, l->max_buffer);
	w_u32(&w, l->max_entries);
	w_u32(&w, l->max_depth);
	w_u32(&w, l->max_ratio);
	w_u32(&w, l->max_time_ms);
	w_u32(&w, l->max_samples);
	w_u32(&w, l->max_distinct);
	w_u32(&w, l->read_size);
	w_u32(&w, l->substitutes);
	w_u32(&w, l->max_persons);
	w_u32(&w, 0);
	return w.n;
}

int sbx_request_decode(const uint8_t *buf, size_t len, struct sbx_request *rq)
{
	struct scan_limits *l = &rq->lim;
	struct rd r = { buf, 0, len, false };

	memset(rq, 0, sizeof(*rq));
	if (len != SBX_REQUEST_LEN || !r_head(&r))
		return -EPROTO;
	rq->seq = r_u32(&r);
	rq->flags = r_u32(&r);
	l->max_file_size = r_u64(&r);
	l->max_inflated = r_u64(&r);
	l->max_buffer = r_u64(&r);
	l->max_entries = r_u32(&r);
	l->max_depth = r_u32(&r);
	l->max_ratio = r_u32(&r);
	l->max_time_ms = r_u32(&r);
	l->max_samples = r_u32(&r);
	l->max_distinct = r_u32(&r);
	l->read_size = r_u32(&r);
	l->substitutes = r_u32(&r) != 0;
	l->max_persons = r_u32(&r);
	r_u32(&r);
	if (l->max_samples > CPR_MAX_SAMPLES)
		l->max_samples = CPR_MAX_SAMPLES;
	/* read_size sizes the helper's buffers: keep it sane whatever was sent */
	if (l->read_size > (16U << 20))
		l->read_size = 16U << 20;
	return r.bad ? -EPROTO : 0;
}

size_t sbx_reply_encode(uint8_t *buf, const struct sbx_reply *rp)
{
	const struct scan_result *res = &rp->res;
	const struct cpr_stats *st = &res->cpr;
	struct wr w = { buf, 0 };
	char samples[CPR_MAX_SAMPLES][CPR_MASK_LEN] = { { 0 } };
	uint32_t i;

	w_head(&w);
	w_u32(&w, rp->seq);
	w_u32(&w, res->status);
	w_u32(&w, res->reason);
	w_u32(&w, res->err);
	w_bytes(&w, res->msg, sizeof(res->msg));
	w_u32(&w, res->problems);
	w_u64(&w, st->matches);
	w_u64(&w, st->distinct);
	w_u64(&w, st->distinct_mod11);
	w_u64(&w, st->keyword_matches);
	w_u64(&w, st->substitutes);
	w_u64(&w, st->bytes);
	w_u32(&w, st->distinct_lower_bound);
	w_u32(&w, st->nr_samples);
	for (i = 0; i < st->nr_samples && i < CPR_MAX_SAMPLES; i++)
		memcpy(samples[i], st->samples[i], CPR_MASK_LEN);
	w_bytes(&w, samples, sizeof(samples));
	w_u64(&w, res->bytes_in);
	w_u64(&w, res->bytes_inflated);
	w_u64(&w, res->bytes_scanned);
	w_u32(&w, res->entries);
	w_u32(&w, res->formats);
	w_u32(&w, res->pages_without_text);
	w_u64(&w, res->elapsed_us);
	w_u32(&w, rp->flags);
	w_u32(&w, res->nr_persons);
	w_u32(&w, res->persons_truncated);
	return w.n;
}

/* Nothing from the helper is believed: ranges, masks and the message are checked. */
static int reply_check(struct sbx_reply *rp)
{
	struct scan_result *res = &rp->res;
	struct cpr_stats *st = &res->cpr;
	unsigned int i;

	if (res->status < SCAN_OK || res->status > SCAN_CANCELLED || res->reason < SCAN_R_NONE ||
	    res->reason > SCAN_R_MAX || res->err < 0 || res->err > 4095 ||
	    st->nr_samples > CPR_MAX_SAMPLES || res->nr_persons > st->distinct ||
	    st->distinct_mod11 > st->distinct || st->nr_samples > st->distinct)
		return -EPROTO;
	for (i = 0; i < st->nr_samples; i++)
		if (!cpr_is_masked(st->samples[i]))
			return -EPROTO;
	res->msg[sizeof(res->msg) - 1] = 0;
	scan_compact_digits(res->msg, sizeof(res->msg));
	return 0;
}

int sbx_reply_decode(const uint8_t *buf, size_t len, struct sbx_reply *rp)
{
	struct scan_result *res = &rp->res;
	struct cpr_stats *st = &res->cpr;
	struct rd r = { buf, 0, len, false };

	memset(rp, 0, sizeof(*rp));
	if (len != SBX_REPLY_LEN || !r_head(&r))
		return -EPROTO;
	rp->seq = r_u32(&r);
	res->status = (int32_t)r_u32(&r);
	res->reason = (int32_t)r_u32(&r);
	res->err = (int32_t)r_u32(&r);
	r_bytes(&r, res->msg, sizeof(res->msg));
	res->problems = r_u32(&r);
	st->matches = r_u64(&r);
	st->distinct = r_u64(&r);
	st->distinct_mod11 = r_u64(&r);
	st->keyword_matches = r_u64(&r);
	st->substitutes = r_u64(&r);
	st->bytes = r_u64(&r);
	st->distinct_lower_bound = r_u32(&r) != 0;
	st->nr_samples = r_u32(&r);
	r_bytes(&r, st->samples, sizeof(st->samples));
	res->bytes_in = r_u64(&r);
	res->bytes_inflated = r_u64(&r);
	res->bytes_scanned = r_u64(&r);
	res->entries = r_u32(&r);
	res->formats = r_u32(&r);
	res->pages_without_text = r_u32(&r);
	res->elapsed_us = r_u64(&r);
	rp->flags = r_u32(&r);
	res->nr_persons = r_u32(&r);
	res->persons_truncated = r_u32(&r) != 0;
	return r.bad ? -EPROTO : reply_check(rp);
}
