// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "filetab.h"

static uint64_t key_of(const struct file_id *id)
{
	return hashmap_hash_pair(id->dev, id->ino);
}

int filetab_init(struct filetab *ft, size_t max)
{
	ft->max = max;
	ft->seq = 0;
	return hashmap_init(&ft->map, 256);
}

static void info_free(struct file_info *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->export_path);
	free(e);
}

void filetab_free(struct filetab *ft)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(&ft->map, &it, NULL, &v))
		info_free(v);
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
		info_free(hashmap_del(&ft->map, keys[i]));
	free(keys);
}

static struct file_info *info_new(struct filetab *ft, const struct file_id *id, const char *path)
{
	struct file_info *e, *old;

	if (ft->map.len >= ft->max)
		evict(ft);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->id = *id;
	e->path = strdup(path);
	if (!e->path || hashmap_put(&ft->map, key_of(id), e, (void **)&old)) {
		info_free(e);
		return NULL;
	}
	info_free(old); /* another file in the same slot key */
	return e;
}

struct file_info *filetab_put(struct filetab *ft, const struct file_id *id, const char *path,
			      __u32 export_kind, const struct file_id *origin)
{
	struct file_info *e = (struct file_info *)filetab_info(ft, id);
	char *name;

	if (!e)
		e = info_new(ft, id, path);
	if (!e)
		return NULL;
	if (strcmp(e->path, path)) {
		name = strdup(path);
		if (name) { /* else the older name stays: still this file */
			free(e->path);
			e->path = name;
		}
	}
	e->seq = ++ft->seq;
	e->export_kind = export_kind;
	if (origin) {
		e->tainted = true;
		e->origin = *origin;
		/* its own origin: the name it was exported under names it from now on */
		if (origin->dev == id->dev && origin->ino == id->ino && !e->export_path)
			e->export_path = strdup(path);
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

const char *filetab_export_path(const struct filetab *ft, const struct file_id *id)
{
	const struct file_info *e = filetab_info(ft, id);

	if (!e)
		return NULL;
	return e->export_path ? e->export_path : e->path;
}
