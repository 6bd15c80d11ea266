// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "person_set.h"

#define MIN_CAP 64U

int person_set_key_random(struct person_key *k)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*k)) {
		n = getrandom((char *)k + got, sizeof(*k) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += n;
	}
	return 0;
}

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t load_le64(const unsigned char *p, size_t n)
{
	uint64_t x = 0;

	while (n--)
		x |= (uint64_t)p[n] << (8 * n);
	return x;
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012), byte order independent of the host. */
uint64_t person_set_siphash24(const struct person_key *k, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t v[4] = {
		k->k0 ^ 0x736f6d6570736575ULL,
		k->k1 ^ 0x646f72616e646f6dULL,
		k->k0 ^ 0x6c7967656e657261ULL,
		k->k1 ^ 0x7465646279746573ULL,
	};
	uint64_t m;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i, 8);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	m = load_le64(p + i, len - i) | (uint64_t)(len & 0xff) << 56;
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t person_set_hash(const struct person_key *k, uint64_t number)
{
	char digits[10];
	uint64_t h;
	int i;

	for (i = 9; i >= 0; i--) {
		digits[i] = '0' + number % 10;
		number /= 10;
	}
	h = person_set_siphash24(k, digits, sizeof(digits));
	explicit_bzero(digits, sizeof(digits));
	return h;
}

static uint32_t slot_of(uint64_t hash, uint32_t cap)
{
	/* the hashes are keyed and uniform already */
	return (uint32_t)hash & (cap - 1);
}

int person_set_init(struct person_set *s, uint32_t max, uint64_t window_ns)
{
	memset(s, 0, sizeof(*s));
	s->max = max ? max : 1;
	s->window_ns = window_ns;
	s->cap = MIN_CAP;
	s->tab = calloc(s->cap, sizeof(*s->tab));
	return s->tab ? 0 : -ENOMEM;
}

void person_set_free(struct person_set *s)
{
	free(s->tab);
	s->tab = NULL;
	s->cap = s->len = 0;
}

static bool expired(const struct person_set *s, const struct person_entry *e, uint64_t now_ns)
{
	return s->window_ns && e->seen_ns + s->window_ns <= now_ns;
}

/* Moves the live entries into a table of @cap slots; 0 or -ENOMEM (the old table stays). */
static int rebuild(struct person_set *s, uint32_t cap, uint64_t now_ns)
{
	struct person_entry *n = calloc(cap, sizeof(*n));
	uint32_t i, j;

	if (!n)
		return -ENOMEM;
	s->len = 0;
	for (i = 0; i < s->cap; i++) {
		if (!s->tab[i].seen_ns || expired(s, &s->tab[i], now_ns))
			continue;
		for (j = slot_of(s->tab[i].hash, cap); n[j].seen_ns; j = (j + 1) & (cap - 1))
			;
		n[j] = s->tab[i];
		s->len++;
	}
	free(s->tab);
	s->tab = n;
	s->cap = cap;
	s->swept_ns = now_ns;
	return 0;
}

/* Expired entries go at most every 1/64 of the window, or at once when the set is full. */
static void sweep(struct person_set *s, uint64_t now_ns, bool force)
{
	if (!s->window_ns || (!force && now_ns < s->swept_ns + s->window_ns / 64))
		return;
	rebuild(s, s->cap, now_ns);
}

int person_set_add(struct person_set *s, uint64_t hash, uint64_t now_ns)
{
	uint32_t i;

	if (!now_ns)
		now_ns = 1; /* 0 marks an empty slot */
	sweep(s, now_ns, false);
	for (i = slot_of(hash, s->cap); s->tab[i].seen_ns; i = (i + 1) & (s->cap - 1)) {
		if (s->tab[i].hash != hash)
			continue;
		if (expired(s, &s->tab[i], now_ns)) {
			s->tab[i].seen_ns = now_ns;
			return 1;
		}
		if (now_ns > s->tab[i].seen_ns)
			s->tab[i].seen_ns = now_ns;
		return 0;
	}
	if (s->len >= s->max) {
		sweep(s, now_ns, true);
		if (s->len >= s->max) {
			s->refused_ns = now_ns;
			return -ENOSPC;
		}
	}
	/* keep the load under 1/2 so probes stay short */
	if ((s->len + 1) * 2 > s->cap)
		rebuild(s, s->cap * 2, now_ns); /* failed: the 7/8 check decides */
	if ((s->len + 1) * 8 > s->cap * 7) {
		s->refused_ns = now_ns;
		return -ENOSPC;
	}
	for (i = slot_of(hash, s->cap); s->tab[i].seen_ns; i = (i + 1) & (s->cap - 1))
		;
	s->tab[i].hash = hash;
	s->tab[i].seen_ns = now_ns;
	s->len++;
	return 1;
}

uint32_t person_set_count(struct person_set *s, uint64_t now_ns)
{
	uint32_t i, n = 0;

	if (!s->window_ns)
		return s->len;
	for (i = 0; i < s->cap; i++)
		if (s->tab[i].seen_ns && !expired(s, &s->tab[i], now_ns))
			n++;
	return n;
}

bool person_set_saturated(const struct person_set *s, uint64_t now_ns)
{
	return s->refused_ns && (!s->window_ns || s->refused_ns + s->window_ns > now_ns);
}
