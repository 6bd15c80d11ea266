// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The clipboard uprobes.  Each program of bpf/clipboard.bpf.c goes on one
 * symbol of one library, once per copy of that library on the machine: the system one and those inside Flatpak runtimes,
 * snaps and /opt bundles, which are different files to the kernel.  A copy
 * is one inode: the same file under two names (merged /usr, symlinks) is
 * used once.  They are registered with the per-process uprobes
 * (uprobes_proc.h): attached to each tracked process, not system-wide.
 *
 * libxcb's request entry points call one another (in 1.15:
 * xcb_send_request -> xcb_send_request64 -> xcb_send_request_with_fds64),
 * and the typed wrappers (xcb_change_property, ...) call xcb_send_request,
 * so only the innermost entry point a library has is attached and the rest
 * are reported as covered by it; otherwise one request would be counted two
 * or three times.  The typed wrappers are attached only to a libxcb without
 * any of them.
 *
 * With the raw syscall dispatcher, X11 requests are read off the wire
 * instead (bpf/x11_handlers.h): whatever library, or none, wrote them.  The
 * libX11 and libxcb probes whose requests it sees are then not attached
 * (`wire` below); XGetWindowProperty stays, for the content a paste reads,
 * which comes back in a reply the wire parser does not follow.  With the
 * per-syscall tracepoints (the fallback) every probe is used.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "clipboard.h"
#include "lib/json.h"
#include "loader.h"
#include "uprobes_proc.h"
#include "lib/log.h"

#define MAX_COPIES 16 /* copies of one library attached */
#define QT_SET_TEXT_PREFIX "_ZN10QClipboard7setTextERK7QString"

enum lib_kind {
	LIB_X11,
	LIB_XCB,
	LIB_GTK3,
	LIB_GTK4,
	LIB_QT5,
	LIB_QT6,
	LIB_WAYLAND,
	LIB_KINDS,
};

static const char *const sonames[LIB_KINDS] = {
	[LIB_X11] = "libX11.so.6",
	[LIB_XCB] = "libxcb.so.1",
	[LIB_GTK3] = "libgtk-3.so.0",
	[LIB_GTK4] = "libgtk-4.so.1",
	[LIB_QT5] = "libQt5Gui.so.5",
	[LIB_QT6] = "libQt6Gui.so.6",
	[LIB_WAYLAND] = "libwayland-client.so.0",
};

/*
 * xcb request entry points: one of the first three, innermost first, and
 * xcb_send_request_with_fds beside it when there is no fds64 one to call.
 */
enum xcb_send {
	XS_FDS64,
	XS_64,
	XS_PLAIN,
	XS_FDS,
};

struct target {
	enum lib_kind lib;
	const char *symbol; /* NULL: Qt's setText, found in the library's symbols */
	const char *prog;
	bool retprobe;
	int xcb_send;	/* enum xcb_send + 1, or 0 */
	bool xcb_typed; /* a typed wrapper: only without any entry point */
	bool wire;	/* its requests are seen on the wire by the dispatcher */
};

static const struct target targets[] = {
	{ LIB_X11, "XSetSelectionOwner", "xlib_set_selection_owner", .wire = true },
	{ LIB_X11, "XConvertSelection", "xlib_convert_selection", .wire = true },
	{ LIB_X11, "XChangeProperty", "xlib_change_property", .wire = true },
	{ LIB_X11, "XGetWindowProperty", "xlib_get_window_property", .retprobe = false },
	{ LIB_X11, "XGetWindowProperty", "xlib_get_window_property_ret", .retprobe = true },
	{ LIB_XCB, "xcb_send_request_with_fds64", "xcb_send_request", .xcb_send = XS_FDS64 + 1,
	  .wire = true },
	{ LIB_XCB, "xcb_send_request64", "xcb_send_request", .xcb_send = XS_64 + 1, .wire = true },
	{ LIB_XCB, "xcb_send_request_with_fds", "xcb_send_request", .xcb_send = XS_FDS + 1,
	  .wire = true },
	{ LIB_XCB, "xcb_send_request", "xcb_send_request", .xcb_send = XS_PLAIN + 1, .wire = true },
	{ LIB_XCB, "xcb_set_selection_owner", "xcb_set_selection_owner", .xcb_typed = true,
	  .wire = true },
	{ LIB_XCB, "xcb_convert_selection", "xcb_convert_selection", .xcb_typed = true,
	  .wire = true },
	{ LIB_XCB, "xcb_change_property", "xcb_change_property", .xcb_typed = true, .wire = true },
	{ LIB_GTK3, "gtk_clipboard_set_text", "gtk3_set_text", .retprobe = false },
	{ LIB_GTK4, "gdk_clipboard_set_text", "gtk4_set_text", .retprobe = false },
	{ LIB_QT5, NULL, "qt5_set_text", .retprobe = false },
	{ LIB_QT6, NULL, "qt6_set_text", .retprobe = false },
	{ LIB_WAYLAND, "wl_proxy_marshal_flags", "wl_marshal_flags", .retprobe = false },
	{ LIB_WAYLAND, "wl_proxy_marshal", "wl_marshal", .retprobe = false },
};

#define NR_TARGETS (sizeof(targets) / sizeof(targets[0]))

/*
 * Where libraries live: the system directories, then root's bundles (globs),
 * and users' own Flatpak runtimes last.  Users can plant any number of files
 * in their homes, so their copies come after every root-installed one and
 * only USER_COPIES of them count: they can never crowd the real libraries
 * out of the MAX_COPIES attached.
 */
static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu",
	"/usr/lib64",
	"/lib64",
	"/usr/lib",
	"/lib",
	"/usr/local/lib",
	"/var/lib/flatpak/runtime/*/x86_64/*/active/files/lib/x86_64-linux-gnu",
	"/snap/*/current/usr/lib/x86_64-linux-gnu",
	"/snap/*/current/lib/x86_64-linux-gnu",
	"/opt/*",
	"/opt/*/lib",
	"/opt/*/lib64",
	"/home/*/.local/share/flatpak/runtime/*/x86_64/*/active/files/lib/x86_64-linux-gnu",
	NULL,
};

#define USER_COPIES 4 /* copies owned by someone other than root */

struct lib_copy {
	char path[256];
	dev_t dev;
	ino_t ino;
};

struct lib_copies {
	struct lib_copy c[MAX_COPIES];
	int n;
	int user_owned; /* of n, not owned by root */
};

/* Qt's QClipboard::setText(const QString &, Mode), whatever its mangled tail: its index, or -1. */
static long qt_set_text(const struct uprobe_syms *d)
{
	return uprobe_syms_find_prefix(d, QT_SET_TEXT_PREFIX);
}

static void add_copy(struct lib_copies *lc, const char *path)
{
	struct stat st;
	int i;

	if (lc->n == MAX_COPIES || stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (st.st_uid && lc->user_owned == USER_COPIES)
		return;
	for (i = 0; i < lc->n; i++)
		if (lc->c[i].dev == st.st_dev && lc->c[i].ino == st.st_ino)
			return;
	lc->user_owned += st.st_uid != 0;
	snprintf(lc->c[lc->n].path, sizeof(lc->c[lc->n].path), "%s", path);
	lc->c[lc->n].dev = st.st_dev;
	lc->c[lc->n].ino = st.st_ino;
	lc->n++;
}

static void find_copies(const char *soname, struct lib_copies *lc)
{
	char pattern[512];
	glob_t g;
	size_t i;
	int d;

	lc->n = 0;
	lc->user_owned = 0;
	for (d = 0; lib_dirs[d]; d++) {
		snprintf(pattern, sizeof(pattern), "%s/%s", lib_dirs[d], soname);
		if (!strchr(lib_dirs[d], '*')) {
			add_copy(lc, pattern);
			continue;
		}
		if (glob(pattern, GLOB_NOSORT, NULL, &g))
			continue;
		for (i = 0; i < g.gl_pathc; i++)
			add_copy(lc, g.gl_pathv[i]);
		globfree(&g);
	}
}

static struct clip_probe *new_probe(struct clip_probes *cp, const struct target *t,
				    const char *path, const char *symbol)
{
	struct clip_probe *p;

	if (cp->nr == cp->cap) {
		size_t cap = cp->cap ? 2 * cp->cap : 32;

		p = realloc(cp->probes, cap * sizeof(*p));
		if (!p)
			return NULL;
		cp->probes = p;
		cp->cap = cap;
	}
	p = &cp->probes[cp->nr++];
	memset(p, 0, sizeof(*p));
	snprintf(p->lib, sizeof(p->lib), "%s", sonames[t->lib]);
	snprintf(p->path, sizeof(p->path), "%s", path ? path : "");
	snprintf(p->symbol, sizeof(p->symbol), "%s", symbol);
	p->prog = t->prog;
	return p;
}

/* Register @p (symbol index @sym in @d) for every tracked process. */
static void register_one(struct uprobes_proc *up, struct bpf_object *obj, const struct target *t,
			 struct clip_probe *p, const struct uprobe_syms *d, long sym)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, t->prog);
	int ret;

	if (!prog) {
		p->err = -ENOENT;
		snprintf(p->note, sizeof(p->note), "program %s is not in the BPF object", t->prog);
		return;
	}
	ret = uprobes_proc_add(up, prog, "clipboard", p->path, d->offsets[sym], t->retprobe, 0);
	if (ret) {
		p->err = ret;
		snprintf(p->note, sizeof(p->note), "%s", strerror(-ret));
		return;
	}
	p->ready = true;
}

static const char *xcb_symbol(int which)
{
	size_t k;

	for (k = 0; k < NR_TARGETS; k++)
		if (targets[k].xcb_send == which + 1)
			return targets[k].symbol;
	return "?";
}

/* Which xcb entry point of this library is attached (enum xcb_send), or -1. */
static int xcb_entry(const struct uprobe_syms *d)
{
	int i;

	for (i = 0; i < XS_FDS; i++)
		if (uprobe_syms_find(d, xcb_symbol(i)) >= 0)
			return i;
	return -1;
}

/*
 * Why @t is left alone in a libxcb whose attached entry point is @entry, or
 * NULL when it is attached.  xcb_send_request_with_fds calls the fds64 one
 * like the others do; in a libxcb without fds64 it is attached beside the
 * 64-bit or plain entry point, which do not call it.
 */
static const char *xcb_skip(const struct target *t, int entry, char *buf, size_t len)
{
	const char *inner = entry >= 0 ? xcb_symbol(entry) : NULL;

	if (t->xcb_typed) {
		if (entry < 0)
			return NULL;
		snprintf(buf, len, "covered by %s (the typed wrappers call it)", inner);
		return buf;
	}
	if (t->xcb_send - 1 == entry)
		return NULL;
	if (t->xcb_send - 1 == XS_FDS && entry != XS_FDS64)
		return NULL;
	if (entry < 0)
		return "symbol not in the library";
	snprintf(buf, len, "covered by %s (it calls it)", inner);
	return buf;
}

#define WIRE_NOTE "the X11 requests are read on the wire (raw syscall dispatcher)"

static void register_copy(struct clip_probes *cp, struct uprobes_proc *up, struct bpf_object *obj,
			  enum lib_kind kind, const char *path, bool wire)
{
	struct uprobe_syms d;
	int entry = -1;
	size_t k;

	if (uprobe_syms_read(path, &d)) {
		log_warn("clipboard: cannot read the symbols of %s", path);
		memset(&d, 0, sizeof(d));
	}
	if (kind == LIB_XCB)
		entry = xcb_entry(&d);
	for (k = 0; k < NR_TARGETS; k++) {
		const struct target *t = &targets[k];
		long sym = t->symbol ? uprobe_syms_find(&d, t->symbol) : qt_set_text(&d);
		const char *why = NULL;
		struct clip_probe *p;
		char buf[96];

		if (t->lib != kind)
			continue;
		p = new_probe(cp, t, path,
			      t->symbol	       ?:
				      sym >= 0 ? d.names[sym] :
						 "QClipboard::setText");
		if (!p)
			break;
		if (sym < 0)
			why = "symbol not in the library";
		else if (wire && t->wire)
			why = WIRE_NOTE;
		else if (kind == LIB_XCB)
			why = xcb_skip(t, entry, buf, sizeof(buf));
		if (why) {
			snprintf(p->note, sizeof(p->note), "%s", why);
			continue;
		}
		register_one(up, obj, t, p, &d, sym);
	}
	uprobe_syms_free(&d);
}

static void log_probe(const struct clip_probe *p)
{
	const char *ret = !strncmp(p->prog, "xlib_get_window_property_ret", 28) ? " (return)" : "";

	if (p->ready)
		log_info("clipboard probe %s:%s%s ready (%s)", p->lib, p->symbol, ret, p->path);
	else if (p->err)
		log_warn("clipboard probe %s:%s%s not used: %s%s%s", p->lib, p->symbol, ret,
			 p->note, *p->path ? " in " : "", p->path);
	else
		log_info("clipboard probe %s:%s%s not used: %s%s%s", p->lib, p->symbol, ret,
			 p->note, *p->path ? " in " : "", p->path);
}

int clipboard_register(struct loader *ld, struct uprobes_proc *up, struct clip_probes **out)
{
	struct bpf_object *obj = loader_object(ld);
	struct clip_probes *cp;
	bool wire = loader_x11_wire(ld);
	struct lib_copies lc;
	int kind, i, ready = 0;
	size_t k;

	*out = NULL;
	if (!obj)
		return -EINVAL;
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	for (kind = 0; kind < LIB_KINDS; kind++) {
		find_copies(sonames[kind], &lc);
		for (i = 0; i < lc.n; i++)
			register_copy(cp, up, obj, kind, lc.c[i].path, wire);
		if (lc.n)
			continue;
		for (k = 0; k < NR_TARGETS; k++) {
			struct clip_probe *p;

			if (targets[k].lib != (enum lib_kind)kind)
				continue;
			p = new_probe(cp, &targets[k], NULL,
				      targets[k].symbol ?: "QClipboard::setText");
			if (p)
				snprintf(p->note, sizeof(p->note), "library not installed");
		}
	}
	for (k = 0; k < cp->nr; k++) {
		log_probe(&cp->probes[k]);
		ready += cp->probes[k].ready;
	}
	log_info("clipboard: %d of %zu probes ready, attached to each tracked process; X11 "
		 "requests %s",
		 ready, cp->nr, wire ? "read on the wire" : "through the library probes");
	*out = cp;
	return ready;
}

void clipboard_free(struct clip_probes *cp)
{
	if (!cp)
		return;
	free(cp->probes);
	free(cp);
}

void clipboard_status_json(struct json *j, const struct clip_probes *cp)
{
	size_t i;

	json_arr_begin(j);
	for (i = 0; cp && i < cp->nr; i++) {
		const struct clip_probe *p = &cp->probes[i];

		json_obj_begin(j);
		json_kv_str(j, "library", p->lib);
		json_kv_str(j, "path", *p->path ? p->path : NULL);
		json_kv_str(j, "symbol", p->symbol);
		json_kv_str(j, "program", p->prog);
		json_kv_bool(j, "ready", p->ready);
		json_kv_str(j, "note", *p->note ? p->note : NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
}
