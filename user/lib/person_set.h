/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Counting people, not rows: distinct CPR numbers kept as keyed hashes.
 *
 * A number is never stored: person_set_hash() turns it into SipHash-2-4 of its
 * ten digits under a key drawn from getrandom() when the agent starts (one
 * key per boot of the agent, never written anywhere), so the hashes cannot be
 * reversed by trying the few billion possible numbers without the key.  The
 * scanner hands out these hashes (struct scan_result persons) and the rules
 * add them up per login user in a person_set: a bounded table of (hash, last
 * seen) over a sliding time window.
 */
#ifndef CPRW_PERSON_SET_H
#define CPRW_PERSON_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct person_key {
	uint64_t k0, k1;
};

/* A fresh random key (getrandom); 0 or -errno. */
int person_set_key_random(struct person_key *k);
uint64_t person_set_siphash24(const struct person_key *k, const void *data, size_t len);
/* The keyed hash of one CPR number, given as its value (the ten digits read as decimal). */
uint64_t person_set_hash(const struct person_key *k, uint64_t number);

struct person_entry {
	uint64_t hash;
	uint64_t seen_ns; /* last time counted; 0: empty slot */
};

struct person_set {
	struct person_entry *tab;
	uint32_t cap; /* slots, a power of two; grows up to 2 * max */
	uint32_t len;
	uint32_t max;	     /* persons held at most */
	uint64_t window_ns;  /* 0: no expiry */
	uint64_t swept_ns;   /* last expiry pass */
	uint64_t refused_ns; /* last time a person was refused (set full) */
};

/* Holds at most @max persons seen within @window_ns; 0 or -ENOMEM. */
int person_set_init(struct person_set *s, uint32_t max, uint64_t window_ns);
void person_set_free(struct person_set *s);
/*
 * Counts @hash as seen at @now_ns (times never go backwards much: they are
 * the events' own clock).  1: new within the window, 0: already counted (its
 * time is refreshed), -ENOSPC: the set is full, not counted.
 */
int person_set_add(struct person_set *s, uint64_t hash, uint64_t now_ns);
/* Distinct persons seen within the window that ends at @now_ns. */
uint32_t person_set_count(struct person_set *s, uint64_t now_ns);
/* A person was refused within the window: the count is a lower bound. */
bool person_set_saturated(const struct person_set *s, uint64_t now_ns);

#endif
