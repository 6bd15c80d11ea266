// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "hashmap.h"

static size_t slot_of(const struct hashmap *m, uint64_t key)
{
	/* splitmix64 finaliser: keys are often small sequential pids */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key & (m->cap - 1);
}

int hashmap_init(struct hashmap *m, size_t cap_hint)
{
	size_t cap = 16;

	while (cap < cap_hint * 2)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->cap = cap;
	m->len = 0;
	return 0;
}

void hashmap_free(struct hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

void *hashmap_get(const struct hashmap *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot_of(m, key); m->slots[i].val; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			return m->slots[i].val;
	return NULL;
}

/* Build the bigger table aside: on ENOMEM the map stays as it was. */
static int grow(struct hashmap *m)
{
	struct hashmap bigger;
	size_t i;

	if (hashmap_init(&bigger, m->cap))
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].val)
			hashmap_put(&bigger, m->slots[i].key, m->slots[i].val, NULL);
	free(m->slots);
	*m = bigger;
	return 0;
}

int hashmap_put(struct hashmap *m, uint64_t key, void *val, void **old)
{
	size_t i;

	if (old)
		*old = NULL;
	if (!m->cap && hashmap_init(m, 8))
		return -ENOMEM;
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	for (i = slot_of(m, key); m->slots[i].val; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key) {
			if (old)
				*old = m->slots[i].val;
			m->slots[i].val = val;
			return 0;
		}
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->len++;
	return 0;
}

void *hashmap_del(struct hashmap *m, uint64_t key)
{
	size_t i, j, home;
	void *val;

	if (!m->cap)
		return NULL;
	for (i = slot_of(m, key); m->slots[i].val; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			break;
	if (!m->slots[i].val)
		return NULL;
	val = m->slots[i].val;
	m->slots[i].val = NULL;
	m->len--;
	/* shift later members of the run back so lookups never stop early */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].val; j = (j + 1) & (m->cap - 1)) {
		home = slot_of(m, m->slots[j].key);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	return val;
}

bool hashmap_next(const struct hashmap *m, size_t *iter, uint64_t *key, void **val)
{
	while (*iter < m->cap) {
		size_t i = (*iter)++;

		if (m->slots[i].val) {
			if (key)
				*key = m->slots[i].key;
			if (val)
				*val = m->slots[i].val;
			return true;
		}
	}
	return false;
}
