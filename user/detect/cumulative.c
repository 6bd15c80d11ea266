// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "cumulative.h"

int cumulative_init(struct cumulative *c, uint64_t window_ns)
{
	memset(c, 0, sizeof(*c));
	return person_set_init(&c->persons, CUM_MAX_PERSONS, window_ns);
}

void cumulative_free(struct cumulative *c)
{
	unsigned int i;

	for (i = 0; i < CUM_FILES; i++)
		free(c->files[i].path);
	person_set_free(&c->persons);
	memset(c, 0, sizeof(*c));
}

static bool in_window(const struct cumulative *c, const struct cum_file *f, uint64_t now_ns)
{
	return !c->persons.window_ns || f->ts_ns + c->persons.window_ns > now_ns;
}

/* The same file again (rewritten, sent once more) updates its slot. */
static struct cum_file *file_slot(struct cumulative *c, const struct file_id *id)
{
	unsigned int i;
	struct cum_file *f;

	for (i = 0; i < c->len; i++) {
		f = &c->files[(c->head + i) % CUM_FILES];
		if (f->id.dev == id->dev && f->id.ino == id->ino)
			return f;
	}
	if (c->len == CUM_FILES) { /* full: the oldest name goes, its people stay counted */
		f = &c->files[c->head];
		c->head = (c->head + 1) % CUM_FILES;
		c->len--;
		free(f->path);
		f->path = NULL;
	}
	f = &c->files[(c->head + c->len++) % CUM_FILES];
	f->added = 0;
	return f;
}

uint32_t cumulative_add(struct cumulative *c, const char *path, const struct file_id *id,
			const uint64_t *persons, uint32_t n, uint64_t now_ns)
{
	struct cum_file *f;
	uint32_t i, added = 0;
	char *name;

	for (i = 0; i < n; i++)
		if (person_set_add(&c->persons, persons[i], now_ns) == 1)
			added++;
	if (!added)
		return 0;
	c->last_add_ns = now_ns;
	name = strdup(path);
	if (!name)
		return added;
	f = file_slot(c, id);
	free(f->path);
	f->path = name;
	f->id = *id;
	f->added += added;
	f->ts_ns = now_ns;
	return added;
}

uint32_t cumulative_total(struct cumulative *c, uint64_t now_ns)
{
	return person_set_count(&c->persons, now_ns);
}

unsigned int cumulative_files(const struct cumulative *c, uint64_t now_ns, const char **paths,
			      unsigned int max)
{
	unsigned int i, n = 0;
	const struct cum_file *f;

	for (i = 0; i < c->len && n < max; i++) {
		f = &c->files[(c->head + i) % CUM_FILES];
		if (f->path && in_window(c, f, now_ns))
			paths[n++] = f->path;
	}
	return n;
}
