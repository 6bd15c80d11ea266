// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "filetab.h"


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
		if (((struct file_info *)v)->seq < cutoff)
			keys[n++] = key;
	for (i = 0; i < n; i++)
		free(hashmap_del(&ft->map, keys[i]));
	free(keys);
}

struct file_info *filetab_put(struct filetab *ft, const struct file_id *id, const char *path,
			      __u32 export_kind, const struct file_id *origin)
{
	size_t len = strlen(path);
	struct file_info *e, *old;

	old = hashmap_get(&ft->map, key_of(id));
	if (old && old->id.dev == id->dev && old->id.ino == id->ino && !strcmp(old->path, path)) {
		e = old;
	} else {
		if (ft->map.len >= ft->max)
			evict(ft);
		e = calloc(1, sizeof(*e) + len + 1);
		if (!e)
			return NULL;
		e->id = *id;
		memcpy(e->path, path, len + 1);
		if (hashmap_put(&ft->map, key_of(id), e, (void **)&old)) {
			free(e);
			return NULL;
		}
		free(old);
	}
	e->seq = ++ft->seq;
	e->export_kind = export_kind;
	if (origin) {
		e->tainted = true;
		e->origin = *origin;
	}
	return e;
}

void filetab_set(struct filetab *ft, const struct file_id *id, const char *path)
{
	filetab_put(ft, id, path, 0, NULL);
}

const struct file_info *filetab_info(const struct filetab *ft, const struct file_id *id)
{
	struct file_info *e = hashmap_get(&ft->map, key_of(id));

	if (!e || e->id.dev != id->dev || e->id.ino != id->ino)
		return NULL;
	return e;
}

const char *filetab_get(const struct filetab *ft, const struct file_id *id)
{
	const struct file_info *e = filetab_info(ft, id);

	return e ? e->path : NULL;
}
