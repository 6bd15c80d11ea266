// SPDX-License-Identifier: GPL-2.0
/*
 * Clipboard: uprobes on the libraries programs copy and paste through.
 * user/agent/clipboard.c attaches each program system-wide (pid -1) to every copy
 * of its library it finds; a program here never knows which file it runs in.
 *
 *   libX11     XSetSelectionOwner (TAKE), XConvertSelection (REQUEST),
 *              XChangeProperty (SEND: the owner writing the content into the
 *              requester's property), XGetWindowProperty (READ, content
 *              captured at return)
 *   libxcb     xcb_send_request_with_fds64 and the older entry points, which
 *              every xcb request goes through: the typed wrappers (Qt) and the
 *              raw requests Chromium/Electron serialise themselves; decoded by
 *              the X major opcode.  The typed wrappers have programs too, for
 *              a libxcb without the raw entry points.
 *   toolkits   gtk_clipboard_set_text (GTK3), gdk_clipboard_set_text (GTK4),
 *              QClipboard::setText (Qt5, Qt6): SET_TEXT with the text
 *   Wayland    wl_proxy_marshal_flags / wl_proxy_marshal: set_selection on a
 *              data device (TAKE) and receive on an offer (REQUEST).  The
 *              content goes through a pipe between the two programs and is
 *              never seen here.
 *
 * Only tracked processes send anything (trace_all: every process), so for
 * everybody else a probe costs the uprobe trap and one map lookup.  SEND and
 * READ carry text only (8-bit properties: format 8); 32-bit properties
 * (TARGETS lists, timestamps, window hints) are skipped.  READ goes up only
 * within READ_WINDOW_NS of the same process's REQUEST, so the window-property
 * reads toolkits do all the time stay in the kernel.  At most
 * CPRW_CLIP_DATA_MAX bytes of content go up: user space scans them for CPR
 * numbers and drops them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.h"
#include "emit.h"
#include "clip_emit.h"

char LICENSE[] SEC("license") = "GPL";

#define X_SUCCESS 0
#define XCB_REQUEST_RAW_FLAG 2
#define XCB_IOV_MAX 8 /* iovecs of one request looked at */
#define XCB_HDR 32    /* request bytes read: 24 fixed + 4 BIG-REQUESTS + slack */
#define WL_NAME_MAX 32
#define QT_MODE_SELECTION 1

/* XGetWindowProperty's out-parameters, from entry to return, by pid_tgid. */
struct xgwp_args {
	__u64 format; /* int *actual_format_return */
	__u64 nitems; /* unsigned long *nitems_return */
	__u64 prop;   /* unsigned char **prop_return */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CLIP_PROCS);
	__type(key, __u64);
	__type(value, struct xgwp_args);
} clip_getprop SEC(".maps");

/* The parts of libxcb's xcb_protocol_request_t and struct iovec read here. */
struct xcb_req {
	__u64 count; /* iovecs in the request */
	__u64 ext;   /* xcb_extension_t *, NULL for core requests */
	__u8 opcode;
	__u8 isvoid;
	__u8 pad[6];
};

struct user_iov {
	__u64 base;
	__u64 len;
};

/* The @n-th argument passed on the stack (7th and later on x86-64), at function entry. */
static __always_inline __u64 stack_arg(struct pt_regs *ctx, int n)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8 * (n - 6)));
	return v;
}

/* An event with the first CPRW_CLIP_DATA_MAX of @len bytes at @src. */
static __always_inline void clip_data(__u32 op, __u32 api, __u64 selection, const void *src,
				      __u64 len, __u32 classes)
{
	struct clipboard_event *ev = clip_start(op, api, selection, len, classes);
	__u32 n;

	if (!ev)
		return;
	n = len < CPRW_CLIP_DATA_MAX ? len : CPRW_CLIP_DATA_MAX;
	barrier_var(n);
	if (n > CPRW_CLIP_DATA_MAX)
		return;
	if (src && n && !bpf_probe_read_user(ev->data, n, src))
		ev->data_len = n;
	if (ev->data_len < len)
		ev->hdr.flags |= EVF_TRUNCATED;
	clip_send(ev);
}

/* A NUL-terminated text of unknown length: total_len is what was captured. */
static __always_inline void clip_str(__u32 op, __u32 api, __u64 selection, const char *src,
				     __u32 classes)
{
	struct clipboard_event *ev = clip_start(op, api, selection, 0, classes);
	long n;

	if (!ev)
		return;
	n = src ? bpf_probe_read_user_str(ev->data, CPRW_CLIP_DATA_MAX, src) : 0;
	if (n > 0) {
		ev->data_len = (n - 1) & CLIP_MASK; /* without the NUL */
		ev->total_len = ev->data_len;
		if (n == CPRW_CLIP_DATA_MAX)
			ev->hdr.flags |= EVF_TRUNCATED; /* longer than we read */
	}
	clip_send(ev);
}

/* ---- libX11 ----------------------------------------------------------------------- */

/* XSetSelectionOwner(Display *, Atom selection, Window owner, Time) */
SEC("uprobe")
int BPF_KPROBE(xlib_set_selection_owner, void *dpy, __u64 selection, __u64 owner)
{
	__u32 classes;

	if (!owner || !clip_wanted(cur_tgid(), &classes))
		return 0; /* owner None gives the selection up */
	clip_op(CLIP_TAKE, CLIP_API_XLIB, selection, classes);
	return 0;
}

/* XConvertSelection(Display *, Atom selection, Atom target, Atom property, Window, Time) */
SEC("uprobe")
int BPF_KPROBE(xlib_convert_selection, void *dpy, __u64 selection)
{
	__u32 tgid = cur_tgid(), classes;

	if (!clip_wanted(tgid, &classes))
		return 0;
	note_request(tgid);
	clip_op(CLIP_REQUEST, CLIP_API_XLIB, selection, classes);
	return 0;
}

/*
 * XChangeProperty(Display *, Window, Atom property, Atom type, int format, int mode,
 *                 const unsigned char *data, int nelements): data and nelements are
 * the 7th and 8th arguments, on the stack.
 */
SEC("uprobe")
int BPF_KPROBE(xlib_change_property, void *dpy, __u64 w, __u64 property, __u64 type, int format)
{
	__u32 classes;
	__s32 nelements;

	if (format != 8 || !clip_wanted(cur_tgid(), &classes))
		return 0;
	nelements = (__s32)stack_arg(ctx, 8);
	if (nelements < 0)
		return 0;
	clip_data(CLIP_SEND, CLIP_API_XLIB, 0, (const void *)stack_arg(ctx, 7), nelements, classes);
	return 0;
}

/*
 * XGetWindowProperty(Display *, Window, Atom property, long offset, long length,
 *                    Bool delete, Atom req_type, Atom *actual_type_return,
 *                    int *actual_format_return, unsigned long *nitems_return,
 *                    unsigned long *bytes_after_return, unsigned char **prop_return)
 * The content exists only when it returns: remember where it will be.
 */
SEC("uprobe")
int BPF_KPROBE(xlib_get_window_property)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct xgwp_args args;
	__u32 classes;

	if (!clip_wanted(id >> 32, &classes) || !recent_request(id >> 32))
		return 0;
	args.format = stack_arg(ctx, 9);
	args.nitems = stack_arg(ctx, 10);
	args.prop = stack_arg(ctx, 12);
	bpf_map_update_elem(&clip_getprop, &id, &args, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(xlib_get_window_property_ret, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), nitems = 0, prop = 0;
	struct xgwp_args *args = bpf_map_lookup_elem(&clip_getprop, &id);
	__u32 classes;
	int format = 0;

	if (!args)
		return 0;
	if (ret == X_SUCCESS) {
		bpf_probe_read_user(&format, sizeof(format), (void *)args->format);
		bpf_probe_read_user(&nitems, sizeof(nitems), (void *)args->nitems);
		bpf_probe_read_user(&prop, sizeof(prop), (void *)args->prop);
	}
	bpf_map_delete_elem(&clip_getprop, &id);
	if (format != 8 || !prop || !clip_wanted(id >> 32, &classes))
		return 0;
	clip_data(CLIP_READ, CLIP_API_XLIB, 0, (const void *)prop, nitems, classes);
	return 0;
}

/* ---- libxcb ----------------------------------------------------------------------- */

/*
 * The content of a ChangeProperty request: the bytes after its @skip header
 * bytes, across the request's iovecs.  Core requests are little-endian on
 * the wire from a little-endian client.
 */
static __always_inline void xcb_property_data(struct clipboard_event *ev,
					      const struct user_iov *vec, __u64 count, __u32 skip,
					      __u32 want)
{
	struct user_iov v;
	__u64 pos = 0;
	__u32 got = 0, start, n;
	int i;

	if (want > CPRW_CLIP_DATA_MAX)
		want = CPRW_CLIP_DATA_MAX;
#pragma unroll
	for (i = 0; i < XCB_IOV_MAX; i++) {
		if (i >= count || got >= want)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), &vec[i]))
			break;
		start = skip > pos ? skip - pos : 0;
		if (start < v.len && v.base) {
			n = v.len - start < want - got ? v.len - start : want - got;
			barrier_var(n);
			if (n > CPRW_CLIP_DATA_MAX)
				break;
			if (bpf_probe_read_user(ev->data + (got & CLIP_MASK), n,
						(const void *)(v.base + start)))
				break;
			got += n;
		}
		pos += v.len;
	}
	ev->data_len = got;
	if (got < ev->total_len)
		ev->hdr.flags |= EVF_TRUNCATED;
}

/*
 * xcb_send_request_with_fds64(c, flags, struct iovec *vector, const xcb_protocol_request_t *req,
 *                             ...) and the older entry points, which share the first four
 * arguments.  vector[0] starts with the request's fixed part.  For a request built by
 * xcb's own wrappers (flags without XCB_REQUEST_RAW) the opcode and length bytes are not
 * filled in yet: xcb writes req->opcode and the length into them after this probe, and
 * may use vector[-1] and vector[-2] for its own queue and the BIG-REQUESTS prefix, which
 * the caller reserves and which hold nothing of the request.  A raw request (Chromium,
 * Electron) is complete: the opcode is its first byte, and a zero 16-bit length means
 * the BIG-REQUESTS form with a 32-bit length and every field 4 bytes later.
 * Extension requests (req->ext set) are not clipboard traffic.
 */
SEC("uprobe")
int BPF_KPROBE(xcb_send_request, void *c, int flags, const struct user_iov *vector,
	       const struct xcb_req *req)
{
	__u32 tgid = cur_tgid(), classes, off = 0, opcode;
	struct clipboard_event *ev;
	__u8 hdr[XCB_HDR] = {};
	struct xcb_req r;
	struct user_iov v0;
	__u32 n;

	if (!clip_wanted(tgid, &classes))
		return 0;
	if (bpf_probe_read_user(&r, sizeof(r), req) || bpf_probe_read_user(&v0, sizeof(v0), vector))
		return 0;
	if (!(flags & XCB_REQUEST_RAW_FLAG) && r.ext)
		return 0;
	n = v0.len < XCB_HDR ? v0.len : XCB_HDR;
	barrier_var(n);
	if (n < 4 || n > XCB_HDR || bpf_probe_read_user(hdr, n, (const void *)v0.base))
		return 0;
	if (flags & XCB_REQUEST_RAW_FLAG) {
		opcode = hdr[0];
		if (!hdr[2] && !hdr[3])
			off = 4; /* BIG-REQUESTS: 32-bit length after the header */
	} else {
		opcode = r.opcode;
	}
	switch (opcode) {
	case X_SET_SELECTION_OWNER:
		if (!le32(&hdr[(off + 4) & 15]))
			return 0; /* owner None */
		clip_op(CLIP_TAKE, CLIP_API_XCB, le32(&hdr[(off + 8) & 15]), classes);
		return 0;
	case X_CONVERT_SELECTION:
		note_request(tgid);
		clip_op(CLIP_REQUEST, CLIP_API_XCB, le32(&hdr[(off + 8) & 15]), classes);
		return 0;
	case X_GET_PROPERTY:
		/* the reply is parsed by the caller: only that it read, not what */
		if (recent_request(tgid))
			clip_op(CLIP_READ, CLIP_API_XCB, 0, classes);
		return 0;
	case X_CHANGE_PROPERTY:
		if (hdr[(off + 16) & 31] != 8)
			return 0; /* not text */
		ev = clip_start(CLIP_SEND, CLIP_API_XCB, 0, le32(&hdr[(off + 20) & 31]), classes);
		if (!ev)
			return 0;
		xcb_property_data(ev, vector, r.count ?: 1, 24 + off, ev->total_len);
		clip_send(ev);
		return 0;
	}
	return 0;
}

/*
 * The typed wrappers: attached only when a libxcb has none of the xcb_send_request entry
 * points (they call it, so both would count every request twice).
 */

/* xcb_set_selection_owner(c, xcb_window_t owner, xcb_atom_t selection, xcb_timestamp_t) */
SEC("uprobe")
int BPF_KPROBE(xcb_set_selection_owner, void *c, __u32 owner, __u32 selection)
{
	__u32 classes;

	if (!owner || !clip_wanted(cur_tgid(), &classes))
		return 0;
	clip_op(CLIP_TAKE, CLIP_API_XCB, selection, classes);
	return 0;
}

/* xcb_convert_selection(c, requestor, selection, target, property, time) */
SEC("uprobe")
int BPF_KPROBE(xcb_convert_selection, void *c, __u32 requestor, __u32 selection)
{
	__u32 tgid = cur_tgid(), classes;

	if (!clip_wanted(tgid, &classes))
		return 0;
	note_request(tgid);
	clip_op(CLIP_REQUEST, CLIP_API_XCB, selection, classes);
	return 0;
}

/*
 * xcb_change_property(c, uint8_t mode, window, property, type, uint8_t format,
 *                     uint32_t data_len, const void *data): the last two on the stack.
 */
SEC("uprobe")
int BPF_KPROBE(xcb_change_property, void *c, __u8 mode, __u32 window, __u32 property, __u32 type)
{
	__u8 format = ctx->r9; /* 6th argument */
	__u32 classes;

	if (format != 8 || !clip_wanted(cur_tgid(), &classes))
		return 0;
	clip_data(CLIP_SEND, CLIP_API_XCB, 0, (const void *)stack_arg(ctx, 8),
		  (__u32)stack_arg(ctx, 7), classes);
	return 0;
}

/* ---- toolkits ---------------------------------------------------------------------- */

/* GTK3 gtk_clipboard_set_text(GtkClipboard *, const gchar *text, gint len); len -1: NUL-ended */
SEC("uprobe")
int BPF_KPROBE(gtk3_set_text, void *clipboard, const char *text, int len)
{
	__u32 classes;

	if (!clip_wanted(cur_tgid(), &classes))
		return 0;
	if (len < 0)
		clip_str(CLIP_SET_TEXT, CLIP_API_GTK3, 0, text, classes);
	else
		clip_data(CLIP_SET_TEXT, CLIP_API_GTK3, 0, text, len, classes);
	return 0;
}

/* GTK4 gdk_clipboard_set_text(GdkClipboard *, const char *text) */
SEC("uprobe")
int BPF_KPROBE(gtk4_set_text, void *clipboard, const char *text)
{
	__u32 classes;

	if (!clip_wanted(cur_tgid(), &classes))
		return 0;
	clip_str(CLIP_SET_TEXT, CLIP_API_GTK4, 0, text, classes);
	return 0;
}

/*
 * QClipboard::setText(const QString &, QClipboard::Mode): this, &text, mode.  The text is
 * UTF-16 (user space narrows it before scanning).  Qt5's QString is a pointer to a
 * QArrayData header {int ref; int size; uint alloc; qptrdiff offset} with the characters
 * at offset bytes from it; Qt6's is {Data *d; char16_t *ptr; qsizetype size}.
 */
struct qt5_array_data {
	__s32 ref;
	__s32 size;
	__u32 alloc;
	__u32 pad;
	__s64 offset;
};

struct qt6_string {
	__u64 d;
	__u64 ptr;
	__s64 size;
};

static __always_inline __u64 qt_selection(int mode)
{
	return mode == QT_MODE_SELECTION ? X_ATOM_PRIMARY : 0;
}

SEC("uprobe")
int BPF_KPROBE(qt5_set_text, void *self, const void *qstring, int mode)
{
	struct qt5_array_data d;
	__u64 dp = 0;
	__u32 classes;

	if (!clip_wanted(cur_tgid(), &classes))
		return 0;
	if (bpf_probe_read_user(&dp, sizeof(dp), qstring) || !dp ||
	    bpf_probe_read_user(&d, sizeof(d), (const void *)dp) || d.size < 0)
		return 0;
	clip_data(CLIP_SET_TEXT, CLIP_API_QT, qt_selection(mode), (const void *)(dp + d.offset),
		  (__u64)d.size * 2, classes);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(qt6_set_text, void *self, const void *qstring, int mode)
{
	struct qt6_string s;
	__u32 classes;

	if (!clip_wanted(cur_tgid(), &classes))
		return 0;
	if (bpf_probe_read_user(&s, sizeof(s), qstring) || s.size < 0)
		return 0;
	clip_data(CLIP_SET_TEXT, CLIP_API_QT, qt_selection(mode), (const void *)s.ptr,
		  (__u64)s.size * 2, classes);
	return 0;
}

/* ---- Wayland ----------------------------------------------------------------------- */

static __always_inline bool name_is(const char *name, const char *lit, int len)
{
	int i;

#pragma unroll
	for (i = 0; i < WL_NAME_MAX; i++) {
		if (i >= len)
			break;
		if (name[i] != lit[i])
			return false;
	}
	return true;
}

/*
 * A marshalled request on @proxy (struct wl_proxy starts with struct wl_object, whose
 * first member is the interface; struct wl_interface starts with its name).  @arg0 is
 * the request's first argument: the data source of set_selection, NULL to clear it.
 */
static __always_inline int wl_request(const void *proxy, __u32 opcode, __u64 arg0)
{
	char name[WL_NAME_MAX] = {};
	__u64 iface = 0, np = 0;
	__u32 classes, op = 0;
	__u64 sel = 0;
	long len;

	if (opcode > 2 || !clip_wanted(cur_tgid(), &classes))
		return 0;
	if (bpf_probe_read_user(&iface, sizeof(iface), proxy) || !iface ||
	    bpf_probe_read_user(&np, sizeof(np), (const void *)iface) || !np)
		return 0;
	len = bpf_probe_read_user_str(name, sizeof(name), (const void *)np);
	if (len <= 1)
		return 0;
	len--; /* without the NUL */
	if (len == 14 && name_is(name, "wl_data_device", 14)) {
		op = opcode == 1 ? CLIP_TAKE : 0; /* set_selection */
	} else if (len == 13 && name_is(name, "wl_data_offer", 13)) {
		op = opcode == 1 ? CLIP_REQUEST : 0; /* receive */
	} else if ((len == 27 && name_is(name, "zwlr_data_control_device_v1", 27)) ||
		   (len == 26 && name_is(name, "ext_data_control_device_v1", 26))) {
		op = opcode == 0 || opcode == 2 ? CLIP_TAKE : 0;
		sel = opcode == 2 ? X_ATOM_PRIMARY : 0; /* set_primary_selection */
	} else if ((len == 26 && name_is(name, "zwlr_data_control_offer_v1", 26)) ||
		   (len == 25 && name_is(name, "ext_data_control_offer_v1", 25))) {
		op = opcode == 0 ? CLIP_REQUEST : 0;
	} else if ((len == 31 && name_is(name, "zwp_primary_selection_device_v1", 31)) ||
		   (len == 28 && name_is(name, "gtk_primary_selection_device", 28))) {
		op = opcode == 0 ? CLIP_TAKE : 0;
		sel = X_ATOM_PRIMARY;
	} else if ((len == 30 && name_is(name, "zwp_primary_selection_offer_v1", 30)) ||
		   (len == 27 && name_is(name, "gtk_primary_selection_offer", 27))) {
		op = opcode == 0 ? CLIP_REQUEST : 0;
		sel = X_ATOM_PRIMARY;
	}
	if (!op || (op == CLIP_TAKE && !arg0))
		return 0;
	clip_op(op, CLIP_API_WAYLAND, sel, classes);
	return 0;
}

/* wl_proxy_marshal_flags(proxy, opcode, interface, version, flags, ...) */
SEC("uprobe")
int BPF_KPROBE(wl_marshal_flags, const void *proxy, __u32 opcode)
{
	return wl_request(proxy, opcode, ctx->r9); /* first variadic argument */
}

/* wl_proxy_marshal(proxy, opcode, ...): libwayland before 1.20, and old generated code */
SEC("uprobe")
int BPF_KPROBE(wl_marshal, const void *proxy, __u32 opcode, __u64 arg0)
{
	return wl_request(proxy, opcode, arg0);
}
