/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * u64 -> pointer hash table (open addressing, linear probing, backward-shift
 * deletion so no tombstones pile up).  The process table, the inode->path
 * cache and the rules' per-key state all sit on it.
 */
#ifndef CPRW_HASHMAP_H
#define CPRW_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap_slot {
	uint64_t key;
	void *val; /* NULL: empty slot */
};

struct hashmap {
	struct hashmap_slot *slots;
	size_t cap; /* power of two */
	size_t len;
};

int hashmap_init(struct hashmap *m, size_t cap_hint);
void hashmap_free(struct hashmap *m);
void *hashmap_get(const struct hashmap *m, uint64_t key);
/* Insert or replace; @val must not be NULL.  Returns the old value or NULL. */
int hashmap_put(struct hashmap *m, uint64_t key, void *val, void **old);
void *hashmap_del(struct hashmap *m, uint64_t key);

/* Iterate: for (i = 0; hashmap_next(m, &i, &k, &v);) ... ; no inserts meanwhile. */
bool hashmap_next(const struct hashmap *m, size_t *iter, uint64_t *key, void **val);

static inline uint64_t hashmap_hash_pair(uint64_t a, uint64_t b)
{
	return a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));
}

#endif
