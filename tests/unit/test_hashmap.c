// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/lib/hashmap.c, and user/event/filetab.c which sits on it: put/get/del/replace,
 * growth, backward-shift deletion (every key stays findable whatever was
 * deleted around it), iteration, and the inode->path cache's eviction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "lib/hashmap.h"
#include "event/filetab.h"

/* Values are never dereferenced: encode the index so a wrong value is caught. */
#define HM_VAL(i) ((void *)(uintptr_t)((i)*16 + 8))

/* Deterministic generator, so a failure can be replayed. */
static uint64_t hashmap_rng_state;

static uint64_t hashmap_rng(void)
{
	uint64_t z = (hashmap_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_basic(void)
{
	struct hashmap m;
	void *old = HM_VAL(99);

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 4), 0);
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 1));
	CU_ASSERT_PTR_NULL(hashmap_del(&m, 1));

	CU_ASSERT_EQUAL(hashmap_put(&m, 1, HM_VAL(1), &old), 0);
	CU_ASSERT_PTR_NULL(old);
	CU_ASSERT_EQUAL(hashmap_put(&m, 2, HM_VAL(2), NULL), 0);
	CU_ASSERT_EQUAL(m.len, 2);
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 1), HM_VAL(1));
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 2), HM_VAL(2));
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 3));

	/* replace: the old value comes back, the count does not change */
	CU_ASSERT_EQUAL(hashmap_put(&m, 1, HM_VAL(11), &old), 0);
	CU_ASSERT_PTR_EQUAL(old, HM_VAL(1));
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 1), HM_VAL(11));
	CU_ASSERT_EQUAL(m.len, 2);

	CU_ASSERT_PTR_EQUAL(hashmap_del(&m, 1), HM_VAL(11));
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 1));
	CU_ASSERT_PTR_NULL(hashmap_del(&m, 1));
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 2), HM_VAL(2));
	CU_ASSERT_EQUAL(m.len, 1);
	hashmap_free(&m);
	CU_ASSERT_PTR_NULL(m.slots);
	CU_ASSERT_EQUAL(m.len, 0);
}

/* Extreme keys are ordinary keys. */
static void test_extreme_keys(void)
{
	static const uint64_t keys[] = { 0,	     1,
					 UINT64_MAX, UINT64_MAX - 1,
					 1ULL << 63, 0x9e3779b97f4a7c15ULL };
	struct hashmap m;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 0), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CU_ASSERT_EQUAL(hashmap_put(&m, keys[i], HM_VAL(i), NULL), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CU_ASSERT_PTR_EQUAL(hashmap_get(&m, keys[i]), HM_VAL(i));
	CU_ASSERT_PTR_EQUAL(hashmap_del(&m, 0), HM_VAL(0));
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 0));
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, UINT64_MAX), HM_VAL(2));
	hashmap_free(&m);
}

/* A zeroed map works without init; a freed one can be reused. */
static void test_zeroed_map(void)
{
	struct hashmap m;

	memset(&m, 0, sizeof(m));
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 5));
	CU_ASSERT_PTR_NULL(hashmap_del(&m, 5));
	CU_ASSERT_EQUAL(hashmap_put(&m, 5, HM_VAL(5), NULL), 0);
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 5), HM_VAL(5));
	hashmap_free(&m);
	CU_ASSERT_PTR_NULL(hashmap_get(&m, 5));
	CU_ASSERT_EQUAL(hashmap_put(&m, 6, HM_VAL(6), NULL), 0);
	CU_ASSERT_PTR_EQUAL(hashmap_get(&m, 6), HM_VAL(6));
	hashmap_free(&m);
}

#define HM_BIG 100000

static uint64_t *hashmap_keys(size_t n, uint64_t seed)
{
	uint64_t *k = malloc(n * sizeof(*k));
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	hashmap_rng_state = seed;
	for (i = 0; i < n; i++) {
		/* half sequential pids, half random: both the common and the bad case */
		k[i] = i % 2 ? hashmap_rng() : i;
	}
	return k;
}

static void test_growth_100k(void)
{
	uint64_t *k = hashmap_keys(HM_BIG, 1);
	struct hashmap m;
	size_t i, bad = 0, cap0;

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 16), 0);
	cap0 = m.cap;
	for (i = 0; i < HM_BIG; i++)
		bad += hashmap_put(&m, k[i], HM_VAL(i), NULL) != 0;
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	CU_ASSERT_EQUAL(m.len, HM_BIG);
	CU_ASSERT(m.cap > cap0);
	CU_ASSERT_EQUAL(m.cap & (m.cap - 1), 0); /* power of two */
	CU_ASSERT(m.len * 4 <= m.cap * 3);	 /* load factor kept */
	for (i = 0; i < HM_BIG; i++)
		bad += hashmap_get(&m, k[i]) != HM_VAL(i);
	CU_ASSERT_EQUAL(bad, 0);
	/* keys never inserted are not found */
	for (i = 0, bad = 0; i < 1000; i++)
		bad += hashmap_get(&m, HM_BIG + 2 * i + 2) != NULL;
	CU_ASSERT_EQUAL(bad, 0);
	hashmap_free(&m);
	free(k);
}

static void test_delete_random_half(void)
{
	uint64_t *k = hashmap_keys(HM_BIG, 2);
	char *gone = calloc(HM_BIG, 1);
	struct hashmap m;
	size_t i, bad = 0, ndel = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gone);
	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 16), 0);
	for (i = 0; i < HM_BIG; i++)
		bad += hashmap_put(&m, k[i], HM_VAL(i), NULL) != 0;
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	hashmap_rng_state = 3;
	for (i = 0; i < HM_BIG; i++) {
		if (hashmap_rng() & 1) {
			bad += hashmap_del(&m, k[i]) != HM_VAL(i);
			gone[i] = 1;
			ndel++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.len, HM_BIG - ndel);
	CU_ASSERT(ndel > HM_BIG / 3 && ndel < HM_BIG * 2 / 3);
	for (i = 0, bad = 0; i < HM_BIG; i++)
		bad += hashmap_get(&m, k[i]) != (gone[i] ? NULL : HM_VAL(i));
	CU_ASSERT_EQUAL(bad, 0);

	/* put the deleted ones back, under new values */
	for (i = 0; i < HM_BIG; i++)
		if (gone[i])
			bad += hashmap_put(&m, k[i], HM_VAL(i + 1), NULL) != 0;
	CU_ASSERT_EQUAL(m.len, HM_BIG);
	for (i = 0, bad = 0; i < HM_BIG; i++)
		bad += hashmap_get(&m, k[i]) != HM_VAL(gone[i] ? i + 1 : i);
	CU_ASSERT_EQUAL(bad, 0);

	/* and delete everything: the map ends empty */
	for (i = 0, bad = 0; i < HM_BIG; i++)
		bad += hashmap_del(&m, k[i]) == NULL;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.len, 0);
	for (i = 0; i < m.cap; i++)
		bad += m.slots[i].val != NULL;
	CU_ASSERT_EQUAL(bad, 0);
	hashmap_free(&m);
	free(gone);
	free(k);
}

/* The slot a key lands in when the map is empty: its home. */
static size_t hashmap_home(uint64_t key)
{
	struct hashmap m;
	size_t i, home = SIZE_MAX;

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 8), 0);
	hashmap_put(&m, key, HM_VAL(1), NULL);
	for (i = 0; i < m.cap; i++)
		if (m.slots[i].val)
			home = i;
	hashmap_free(&m);
	return home;
}

/*
 * A run of colliding keys that wraps from the last slot to the first: delete
 * each member in turn and every other member must still be found.  This is
 * where a backward shift goes wrong (moving a key before its home, or
 * stopping at the wrap).
 */
static void test_backward_shift_wrap(void)
{
	uint64_t keys[10];
	size_t want_home[10] = { 13, 14, 14, 15, 15, 15, 0, 0, 1, 14 };
	struct hashmap m;
	size_t n = 0, i, d, bad = 0;
	uint64_t cand;

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 8), 0);
	CU_ASSERT_EQUAL_FATAL(m.cap, 16);
	hashmap_free(&m);
	/* find keys with the homes we want */
	for (i = 0; i < 10; i++) {
		for (cand = 1000 * (i + 1); hashmap_home(cand) != want_home[i]; cand++)
			;
		keys[n] = cand;
		n++;
	}
	for (d = 0; d < n; d++) {
		CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 8), 0);
		for (i = 0; i < n; i++)
			CU_ASSERT_EQUAL_FATAL(hashmap_put(&m, keys[i], HM_VAL(i), NULL), 0);
		CU_ASSERT_EQUAL_FATAL(m.cap, 16); /* no growth: the run stays wrapped */
		CU_ASSERT_PTR_EQUAL(hashmap_del(&m, keys[d]), HM_VAL(d));
		for (i = 0; i < n; i++)
			bad += hashmap_get(&m, keys[i]) != (i == d ? NULL : HM_VAL(i));
		/* then delete the rest in a scrambled order */
		for (i = 0; i < n; i++) {
			size_t j = (i * 7 + d) % n, k;

			if (j == d || !hashmap_get(&m, keys[j]))
				continue;
			bad += hashmap_del(&m, keys[j]) != HM_VAL(j);
			for (k = 0; k < n; k++) {
				void *v = hashmap_get(&m, keys[k]);

				bad += v && v != HM_VAL(k);
			}
		}
		CU_ASSERT_EQUAL(m.len, 0);
		hashmap_free(&m);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Random put/del mixed, checked against a plain array after every step. */
static void test_against_model(void)
{
	enum { N = 512, STEPS = 40000 };
	void *model[N] = { 0 };
	struct hashmap m;
	size_t step, i, bad = 0, len = 0;

	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 0), 0);
	hashmap_rng_state = 4;
	for (step = 0; step < STEPS; step++) {
		uint64_t r = hashmap_rng();
		size_t k = r % N;
		uint64_t key = k * 0x100000001ULL; /* spread, but with shared low bits */

		if (r & (1ULL << 40)) {
			void *old;

			hashmap_put(&m, key, HM_VAL(step + 1), &old);
			bad += old != model[k];
			len += !model[k];
			model[k] = HM_VAL(step + 1);
		} else {
			bad += hashmap_del(&m, key) != model[k];
			len -= !!model[k];
			model[k] = NULL;
		}
		if (step % 97 == 0)
			for (i = 0; i < N; i++)
				bad += hashmap_get(&m, i * 0x100000001ULL) != model[i];
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.len, len);
	hashmap_free(&m);
}

static void test_iteration(void)
{
	enum { N = 3000 };
	unsigned char *seen = calloc(N, 1);
	struct hashmap m;
	size_t it = 0, visits = 0, bad = 0, i;
	uint64_t key;
	void *val;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	CU_ASSERT_EQUAL_FATAL(hashmap_init(&m, 0), 0);
	CU_ASSERT_FALSE(hashmap_next(&m, &it, &key, &val));
	for (i = 0; i < N; i++)
		hashmap_put(&m, i * 3 + 1, HM_VAL(i), NULL);
	for (i = 0; i < N; i += 3)
		hashmap_del(&m, i * 3 + 1);
	it = 0;
	while (hashmap_next(&m, &it, &key, &val)) {
		size_t idx = (key - 1) / 3;

		visits++;
		if (idx >= N || (key - 1) % 3 || val != HM_VAL(idx) || idx % 3 == 0) {
			bad++;
			continue;
		}
		seen[idx]++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(visits, m.len);
	for (i = 0; i < N; i++)
		bad += seen[i] != (i % 3 ? 1 : 0);
	CU_ASSERT_EQUAL(bad, 0);
	/* finished iterators stay finished; NULL outputs are allowed */
	CU_ASSERT_FALSE(hashmap_next(&m, &it, &key, &val));
	it = 0;
	visits = 0;
	while (hashmap_next(&m, &it, NULL, NULL))
		visits++;
	CU_ASSERT_EQUAL(visits, m.len);
	hashmap_free(&m);
	free(seen);
}

static void test_hash_pair(void)
{
	/* filetab keys on it: swapped or neighbouring (dev, ino) must not collide */
	CU_ASSERT_NOT_EQUAL(hashmap_hash_pair(1, 2), hashmap_hash_pair(2, 1));
	CU_ASSERT_NOT_EQUAL(hashmap_hash_pair(8 << 20 | 1, 100),
			    hashmap_hash_pair(8 << 20 | 1, 101));
	CU_ASSERT_NOT_EQUAL(hashmap_hash_pair(8 << 20 | 1, 100),
			    hashmap_hash_pair(8 << 20 | 2, 100));
	CU_ASSERT_EQUAL(hashmap_hash_pair(5, 6), hashmap_hash_pair(5, 6));
}

/* ---- filetab ------------------------------------------------------------------ */

static void test_filetab_set_get(void)
{
	struct filetab ft;
	struct file_id a = { 8 << 20 | 1, 100 }, b = { 8 << 20 | 1, 101 };
	struct file_id a_other_dev = { 8 << 20 | 2, 100 };

	CU_ASSERT_EQUAL_FATAL(filetab_init(&ft, 100), 0);
	CU_ASSERT_PTR_NULL(filetab_get(&ft, &a));
	filetab_set(&ft, &a, "/home/u/Downloads/a.csv");
	filetab_set(&ft, &b, "/tmp/b \"quoted\"");
	CU_ASSERT_STRING_EQUAL(filetab_get(&ft, &a), "/home/u/Downloads/a.csv");
	CU_ASSERT_STRING_EQUAL(filetab_get(&ft, &b), "/tmp/b \"quoted\"");
	CU_ASSERT_PTR_NULL(filetab_get(&ft, &a_other_dev)); /* same ino, other fs */

	/* overwrite: a rename or a new hard link name replaces the path */
	filetab_set(&ft, &a, "/media/usb/a.csv");
	CU_ASSERT_STRING_EQUAL(filetab_get(&ft, &a), "/media/usb/a.csv");
	CU_ASSERT_EQUAL(ft.map.len, 2);
	/* the same path again is not a second entry */
	filetab_set(&ft, &a, "/media/usb/a.csv");
	CU_ASSERT_EQUAL(ft.map.len, 2);
	filetab_free(&ft);
}

static void test_filetab_put_info(void)
{
	struct filetab ft;
	struct file_id a = { 8 << 20 | 1, 100 }, origin = { 8 << 20 | 3, 7 };
	const struct file_info *fi;

	CU_ASSERT_EQUAL_FATAL(filetab_init(&ft, 100), 0);
	CU_ASSERT_PTR_NOT_NULL(
		filetab_put(&ft, &a, "/home/u/Downloads/x.csv", EXPORT_LOCAL, &origin));
	fi = filetab_info(&ft, &a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
	CU_ASSERT_EQUAL(fi->export_kind, EXPORT_LOCAL);
	CU_ASSERT_TRUE(fi->tainted);
	CU_ASSERT_EQUAL(fi->origin.dev, origin.dev);
	CU_ASSERT_EQUAL(fi->origin.ino, origin.ino);
	CU_ASSERT_EQUAL(fi->id.ino, 100);
	CU_ASSERT_STRING_EQUAL(fi->path, "/home/u/Downloads/x.csv");
	/* a later open of another name under another kind: path and kind follow it */
	filetab_put(&ft, &a, "/media/usb/x.csv", EXPORT_REMOVABLE, NULL);
	fi = filetab_info(&ft, &a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
	CU_ASSERT_EQUAL(fi->export_kind, EXPORT_REMOVABLE);
	CU_ASSERT_STRING_EQUAL(fi->path, "/media/usb/x.csv");
	filetab_free(&ft);
}

/* A file is its inode: a new name moves the path and keeps what is known (issue 11). */
static void test_filetab_keeps_on_rename(void)
{
	struct filetab ft;
	struct file_id exp = { 8 << 20 | 1, 100 };
	struct file_info *fi;

	CU_ASSERT_EQUAL_FATAL(filetab_init(&ft, 100), 0);
	/* the CPR client's export, its own origin, scanned: 600 numbers */
	fi = filetab_put(&ft, &exp, "/home/u/Downloads/export.csv", EXPORT_LOCAL, &exp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
	fi->cpr_distinct = 600;
	/* mv, then python3 opens it under the new name (no origin in that open) */
	fi = filetab_put(&ft, &exp, "/home/u/tmp/renamed.csv", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
	CU_ASSERT_STRING_EQUAL(fi->path, "/home/u/tmp/renamed.csv");
	CU_ASSERT_EQUAL(fi->cpr_distinct, 600);
	CU_ASSERT_TRUE(fi->tainted);
	CU_ASSERT_EQUAL(fi->origin.ino, exp.ino);
	CU_ASSERT_EQUAL(ft.map.len, 1);
	/* ln: the app opens the link; the export is still named by its export path */
	filetab_put(&ft, &exp, "/home/u/Desktop/link.csv", 0, NULL);
	CU_ASSERT_STRING_EQUAL(filetab_get(&ft, &exp), "/home/u/Desktop/link.csv");
	CU_ASSERT_STRING_EQUAL(filetab_export_path(&ft, &exp), "/home/u/Downloads/export.csv");
	/* a file that is no origin of its own is named by its latest path */
	fi = filetab_put(&ft, &(struct file_id){ 1, 5 }, "/tmp/a", 0, &exp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
	CU_ASSERT_PTR_NULL(fi->export_path);
	filetab_put(&ft, &(struct file_id){ 1, 5 }, "/tmp/b", 0, NULL);
	CU_ASSERT_STRING_EQUAL(filetab_export_path(&ft, &(struct file_id){ 1, 5 }), "/tmp/b");
	filetab_free(&ft);
}

static void test_filetab_eviction(void)
{
	enum { MAX = 100 };
	struct filetab ft;
	struct file_id id;
	size_t i, bad = 0;
	char path[32];

	CU_ASSERT_EQUAL_FATAL(filetab_init(&ft, MAX), 0);
	for (i = 1; i <= MAX; i++) {
		id.dev = 1;
		id.ino = i;
		snprintf(path, sizeof(path), "/f/%zu", i);
		filetab_set(&ft, &id, path);
	}
	CU_ASSERT_EQUAL(ft.map.len, MAX);
	/* touch the oldest: seen again, it is new again */
	id.ino = 1;
	filetab_set(&ft, &id, "/f/1");
	/* one past the bound: the older half goes, the newer half stays */
	id.ino = MAX + 1;
	filetab_set(&ft, &id, "/f/new");
	CU_ASSERT(ft.map.len <= MAX / 2 + 2);
	CU_ASSERT(ft.map.len >= MAX / 2);
	id.ino = MAX + 1;
	CU_ASSERT_PTR_NOT_NULL(filetab_get(&ft, &id));
	id.ino = 1;
	CU_ASSERT_PTR_NOT_NULL(filetab_get(&ft, &id));
	for (i = 2; i < MAX / 2; i++) {
		id.ino = i;
		bad += filetab_get(&ft, &id) != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (i = MAX / 2 + 2; i <= MAX; i++) {
		id.ino = i;
		snprintf(path, sizeof(path), "/f/%zu", i);
		bad += !filetab_get(&ft, &id) || strcmp(filetab_get(&ft, &id), path);
	}
	CU_ASSERT_EQUAL(bad, 0);
	filetab_free(&ft);
}

/* Under a long stream of opens the table never exceeds its bound. */
static void test_filetab_bounded(void)
{
	enum { MAX = 1000, N = 20000 };
	struct filetab ft;
	struct file_id id = { 1, 0 };
	size_t i, over = 0;

	CU_ASSERT_EQUAL_FATAL(filetab_init(&ft, MAX), 0);
	for (i = 0; i < N; i++) {
		id.ino = i;
		filetab_set(&ft, &id, "/some/path/that/is/long/enough/to/matter");
		over += ft.map.len > MAX;
		if (!filetab_get(&ft, &id))
			over++;
	}
	CU_ASSERT_EQUAL(over, 0);
	filetab_free(&ft);
}

static CU_TestInfo hashmap_tests[] = {
	{ "put/get/del/replace", test_basic },
	{ "extreme keys", test_extreme_keys },
	{ "zeroed map works", test_zeroed_map },
	{ "growth to 100k keys", test_growth_100k },
	{ "delete random half of 100k", test_delete_random_half },
	{ "backward shift across the wrap", test_backward_shift_wrap },
	{ "random ops against a model", test_against_model },
	{ "iteration visits each once", test_iteration },
	{ "hashmap_hash_pair", test_hash_pair },
	{ "filetab set/get/overwrite", test_filetab_set_get },
	{ "filetab put/info", test_filetab_put_info },
	{ "filetab keeps counts and taint across names", test_filetab_keeps_on_rename },
	{ "filetab eviction keeps newer half", test_filetab_eviction },
	{ "filetab stays bounded", test_filetab_bounded },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(hashmap, hashmap_tests)
