// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "filetab.h"

struct file_entry {
	struct file_id id;
	__u64 seq;		/* insertion order, for eviction */
	char path[];
};

static uint64_t key_of(const struct file_id *id)
{
	return hash_pair(id->dev, id->ino);
}

int filetab_init(struct filetab *ft, size_t max)
{
	ft->max = max;
	ft->seq = 0;
	return hashmap_init(&ft->map, 256);
}

void filetab_free(struct filetab *ft)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(&ft->map, &it, NULL, &v))
		free(v);
	hashmap_free(&ft->map);
}

/* Forget the older half; cheaper than an LRU list for a cache this coarse. */
static void evict(struct filetab *ft)
{
	__u64 cutoff = ft->seq - ft->max / 2;
	uint64_t *keys, key;
	size_t it = 0, n = 0, i;
	void *v;

	/* collect first: deleting shifts slots under the iterator */
	keys = malloc((ft->map.len + 1) * sizeof(*keys));
	if (!keys)
		return;
	while (hashmap_next(&ft->map, &it, &key, &v))
		if (((struct file_entry *)v)->seq < cutoff)
			keys[n++] = key;
	for (i = 0; i < n; i++)
		free(hashmap_del(&ft->map, keys[i]));
	free(keys);
}

void filetab_set(struct filetab *ft, const struct file_id *id, const char *path)
{
	size_t len = strlen(path);
	struct file_entry *e, *old;

	old = hashmap_get(&ft->map, key_of(id));
	if (old && old->id.dev == id->dev && old->id.ino == id->ino && !strcmp(old->path, path)) {
		old->seq = ++ft->seq;
		return;
	}
	if (ft->map.len >= ft->max)
		evict(ft);
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return;
	e->id = *id;
	e->seq = ++ft->seq;
	memcpy(e->path, path, len + 1);
	if (hashmap_put(&ft->map, key_of(id), e, (void **)&old)) {
		free(e);
		return;
	}
	free(old);
}

const char *filetab_get(const struct filetab *ft, const struct file_id *id)
{
	struct file_entry *e = hashmap_get(&ft->map, key_of(id));

	if (!e || e->id.dev != id->dev || e->id.ino != id->ino)
		return NULL;
	return e->path;
}
