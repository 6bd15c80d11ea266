/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The clipboard channel: uprobes (bpf/clipboard.bpf.c) on every copy of the
 * X11, xcb, GTK, Qt and Wayland client libraries found on the machine, one
 * per (library file, symbol), each with its status, registered with the
 * per-process uprobes (uprobes_proc.h) so they are attached to tracked
 * processes only.  The names and helpers the event, JSON and rule code share
 * are in event/clip.h.
 */
#ifndef CPRW_CLIPBOARD_H
#define CPRW_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include "cprwatch/events.h"

struct loader;

/* One (library file, symbol) and what became of it. */
struct clip_probe {
	char lib[48];	/* the library's soname, "libX11.so.6" */
	char path[256]; /* the file attached to; "" when no copy was found */
	char symbol[80];
	const char *prog; /* BPF program name */
	bool ready;	  /* registered: attached to every tracked process */
	int err;	  /* -errno of a failed attach, 0 otherwise */
	char note[96];	  /* why it is not attached */
};

struct clip_probes {
	struct clip_probe *probes;
	size_t nr, cap;
};

struct uprobes_proc;

/*
 * Find the libraries and register every clipboard program on them with @up;
 * each probe and its status is logged at info level and kept in *@out (free
 * it with clipboard_free).  A library that is not installed is a note, not
 * an error.  Returns the number of probes ready, or -errno.
 */
int clipboard_register(struct loader *ld, struct uprobes_proc *up, struct clip_probes **out);
/* Free @cp (NULL is fine); the links belong to the uprobes_proc. */
void clipboard_free(struct clip_probes *cp);
/*
 * The probes as a JSON array for status: library, path, symbol, program,
 * ready, note (why not).  @cp may be NULL (replay: an empty array).
 */
struct json;
void clipboard_status_json(struct json *j, const struct clip_probes *cp);

#endif
