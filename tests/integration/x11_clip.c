// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A small X11 clipboard client for the integration tests, speaking through
 * the library a real program would:
 *
 *   x11_clip [API] own FILE [SECONDS]   own CLIPBOARD with FILE's bytes ("-": stdin);
 *                                       print "ready" once owner, answer pastes
 *                                       (TARGETS, UTF8_STRING, STRING, TEXT) until
 *                                       SECONDS pass (default 30) or another client
 *                                       takes the selection
 *   x11_clip [API] paste                request TARGETS, then UTF8_STRING, as a
 *                                       toolkit does, and write the text to stdout;
 *                                       exit 1 when nothing came within 5 s
 *   x11_clip run CMD [ARG...]           run CMD as a child and return its status (a
 *                                       copy of this program at a CPR client's path
 *                                       then runs xclip as its child)
 *
 * API: --xlib (default: libX11, as xclip and GTK), --xcb (xcb's typed wrappers,
 * as Qt), --xcb-raw (requests serialised here and sent with
 * xcb_send_request(XCB_REQUEST_RAW), as Chromium and Electron do).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h>

#define PASTE_TIMEOUT_MS 5000
#define DATA_MAX (1 << 20)

enum api { API_XLIB, API_XCB, API_XCB_RAW };

static unsigned char *data;
static size_t data_len;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int read_input(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f) {
		perror(path);
		return -1;
	}
	data = malloc(DATA_MAX);
	if (!data)
		return -1;
	data_len = fread(data, 1, DATA_MAX, f);
	if (f != stdin)
		fclose(f);
	return 0;
}

/* ---- Xlib ------------------------------------------------------------------------- */

struct xlib {
	Display *d;
	Window w;
	Atom clip, utf8, targets, text, prop;
};

static int xlib_open(struct xlib *x)
{
	x->d = XOpenDisplay(NULL);
	if (!x->d) {
		fprintf(stderr, "x11_clip: cannot open display\n");
		return -1;
	}
	x->w = XCreateSimpleWindow(x->d, DefaultRootWindow(x->d), 0, 0, 1, 1, 0, 0, 0);
	x->clip = XInternAtom(x->d, "CLIPBOARD", False);
	x->utf8 = XInternAtom(x->d, "UTF8_STRING", False);
	x->targets = XInternAtom(x->d, "TARGETS", False);
	x->text = XInternAtom(x->d, "TEXT", False);
	x->prop = XInternAtom(x->d, "CPRW_PASTE", False);
	return 0;
}

/* The next event within @deadline (ms, monotonic); 0 when none came. */
static int xlib_next(struct xlib *x, XEvent *ev, long deadline)
{
	struct pollfd pfd = { .fd = ConnectionNumber(x->d), .events = POLLIN };

	while (!XPending(x->d)) {
		long left = deadline - now_ms();

		if (left <= 0 || poll(&pfd, 1, left) < 0)
			return 0;
	}
	XNextEvent(x->d, ev);
	return 1;
}

static int xlib_own(struct xlib *x, int seconds)
{
	long deadline = now_ms() + seconds * 1000L;
	XEvent ev;

	XSetSelectionOwner(x->d, x->clip, x->w, CurrentTime);
	if (XGetSelectionOwner(x->d, x->clip) != x->w) {
		fprintf(stderr, "x11_clip: did not get the selection\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (xlib_next(x, &ev, deadline)) {
		XSelectionRequestEvent *rq = &ev.xselectionrequest;
		XSelectionEvent reply;

		if (ev.type == SelectionClear)
			return 0;
		if (ev.type != SelectionRequest)
			continue;
		memset(&reply, 0, sizeof(reply));
		reply.type = SelectionNotify;
		reply.requestor = rq->requestor;
		reply.selection = rq->selection;
		reply.target = rq->target;
		reply.property = rq->property;
		reply.time = rq->time;
		if (rq->target == x->targets) {
			Atom list[] = { x->targets, x->utf8, XA_STRING, x->text };

			XChangeProperty(x->d, rq->requestor, rq->property, XA_ATOM, 32,
					PropModeReplace, (unsigned char *)list, 4);
		} else if (rq->target == x->utf8 || rq->target == XA_STRING ||
			   rq->target == x->text) {
			XChangeProperty(x->d, rq->requestor, rq->property, rq->target, 8,
					PropModeReplace, data, data_len);
		} else {
			reply.property = None;
		}
		XSendEvent(x->d, rq->requestor, False, NoEventMask, (XEvent *)&reply);
		XFlush(x->d);
	}
	return 0;
}

/* Ask for @target and read the answer; 0 and the bytes on stdout when @print. */
static int xlib_convert(struct xlib *x, Atom target, int print)
{
	long deadline = now_ms() + PASTE_TIMEOUT_MS;
	unsigned long n = 0, after = 0;
	unsigned char *prop = NULL;
	Atom type;
	XEvent ev;
	int fmt;

	XConvertSelection(x->d, x->clip, target, x->prop, x->w, CurrentTime);
	while (xlib_next(x, &ev, deadline)) {
		if (ev.type != SelectionNotify)
			continue;
		if (ev.xselection.property == None)
			return 1;
		if (XGetWindowProperty(x->d, x->w, x->prop, 0, DATA_MAX / 4, True, AnyPropertyType,
				       &type, &fmt, &n, &after, &prop) != Success)
			return 1;
		if (print && fmt == 8)
			fwrite(prop, 1, n, stdout);
		XFree(prop);
		return 0;
	}
	return 1;
}

static int xlib_paste(struct xlib *x)
{
	xlib_convert(x, x->targets, 0);
	return xlib_convert(x, x->utf8, 1);
}

/* ---- xcb ------------------------------------------------------------------------ */

struct xcb {
	xcb_connection_t *c;
	xcb_window_t w;
	xcb_atom_t clip, utf8, targets, text, prop;
	int raw;
};

static xcb_atom_t intern(xcb_connection_t *c, const char *name)
{
	xcb_intern_atom_reply_t *r =
		xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, strlen(name), name), NULL);
	xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;

	free(r);
	return a;
}

static int xcb_open(struct xcb *x)
{
	xcb_screen_t *s;

	x->c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(x->c)) {
		fprintf(stderr, "x11_clip: cannot open display\n");
		return -1;
	}
	s = xcb_setup_roots_iterator(xcb_get_setup(x->c)).data;
	x->w = xcb_generate_id(x->c);
	xcb_create_window(x->c, XCB_COPY_FROM_PARENT, x->w, s->root, 0, 0, 1, 1, 0,
			  XCB_WINDOW_CLASS_INPUT_OUTPUT, s->root_visual, 0, NULL);
	x->clip = intern(x->c, "CLIPBOARD");
	x->utf8 = intern(x->c, "UTF8_STRING");
	x->targets = intern(x->c, "TARGETS");
	x->text = intern(x->c, "TEXT");
	x->prop = intern(x->c, "CPRW_PASTE");
	return 0;
}

/*
 * A core request sent the way Chromium sends them: serialised here, complete with
 * opcode and length, through xcb_send_request(XCB_REQUEST_RAW).  vector[-1] and
 * vector[-2] belong to xcb.  @tail (may be NULL) is a second iovec: the data.
 */
static unsigned int raw_request(struct xcb *x, const void *fixed, size_t len, const void *tail,
				size_t tail_len, int has_reply)
{
	static const char pad[4];
	xcb_protocol_request_t req = { .count = 1, .ext = NULL, .opcode = 0, .isvoid = !has_reply };
	struct iovec iov[5];

	iov[2].iov_base = (void *)fixed;
	iov[2].iov_len = len;
	if (tail_len) {
		iov[3].iov_base = (void *)tail;
		iov[3].iov_len = tail_len;
		iov[4].iov_base = (void *)pad;
		iov[4].iov_len = -tail_len & 3;
		req.count = 3;
	}
	return xcb_send_request(x->c, XCB_REQUEST_CHECKED | XCB_REQUEST_RAW, iov + 2, &req);
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(unsigned char *p, unsigned int v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void x_set_owner(struct xcb *x)
{
	unsigned char r[16] = { 22 };

	if (!x->raw) {
		xcb_set_selection_owner(x->c, x->w, x->clip, XCB_CURRENT_TIME);
		return;
	}
	put16(r + 2, 4);
	put32(r + 4, x->w);
	put32(r + 8, x->clip);
	put32(r + 12, XCB_CURRENT_TIME);
	raw_request(x, r, sizeof(r), NULL, 0, 0);
}

static void x_convert(struct xcb *x, xcb_atom_t target)
{
	unsigned char r[24] = { 24 };

	if (!x->raw) {
		xcb_convert_selection(x->c, x->w, x->clip, target, x->prop, XCB_CURRENT_TIME);
		return;
	}
	put16(r + 2, 6);
	put32(r + 4, x->w);
	put32(r + 8, x->clip);
	put32(r + 12, target);
	put32(r + 16, x->prop);
	put32(r + 20, XCB_CURRENT_TIME);
	raw_request(x, r, sizeof(r), NULL, 0, 0);
}

static void x_change(struct xcb *x, xcb_window_t w, xcb_atom_t prop, xcb_atom_t type, int format,
		     const void *buf, unsigned int n)
{
	size_t bytes = (size_t)n * format / 8;
	unsigned char r[24] = { 18, XCB_PROP_MODE_REPLACE };

	if (!x->raw) {
		xcb_change_property(x->c, XCB_PROP_MODE_REPLACE, w, prop, type, format, n, buf);
		return;
	}
	put16(r + 2, (24 + bytes + 3) / 4);
	put32(r + 4, w);
	put32(r + 8, prop);
	put32(r + 12, type);
	r[16] = format;
	put32(r + 20, n);
	raw_request(x, r, sizeof(r), buf, bytes, 0);
}

/* GetProperty; the reply's value into a malloc'd buffer (*out, *len). */
static int x_get(struct xcb *x, unsigned char **out, size_t *len, int *format)
{
	unsigned char r[24] = { 20, 1 };
	xcb_get_property_reply_t *rep;
	unsigned int seq;

	if (!x->raw) {
		seq = xcb_get_property(x->c, 1, x->w, x->prop, XCB_GET_PROPERTY_TYPE_ANY, 0,
				       DATA_MAX / 4)
			      .sequence;
	} else {
		put16(r + 2, 6);
		put32(r + 4, x->w);
		put32(r + 8, x->prop);
		put32(r + 12, XCB_GET_PROPERTY_TYPE_ANY);
		put32(r + 16, 0);
		put32(r + 20, DATA_MAX / 4);
		seq = raw_request(x, r, sizeof(r), NULL, 0, 1);
	}
	rep = xcb_wait_for_reply(x->c, seq, NULL);
	if (!rep)
		return 1;
	*format = rep->format;
	*len = xcb_get_property_value_length(rep);
	*out = malloc(*len + 1);
	if (*out)
		memcpy(*out, xcb_get_property_value(rep), *len);
	free(rep);
	return *out ? 0 : 1;
}

static xcb_generic_event_t *xcb_next(struct xcb *x, long deadline)
{
	struct pollfd pfd = { .fd = xcb_get_file_descriptor(x->c), .events = POLLIN };
	xcb_generic_event_t *ev;

	xcb_flush(x->c);
	while (!(ev = xcb_poll_for_event(x->c))) {
		long left = deadline - now_ms();

		if (left <= 0 || xcb_connection_has_error(x->c) || poll(&pfd, 1, left) < 0)
			return NULL;
	}
	return ev;
}

static int xcb_own(struct xcb *x, int seconds)
{
	long deadline = now_ms() + seconds * 1000L;
	xcb_get_selection_owner_reply_t *o;
	xcb_generic_event_t *ev;

	x_set_owner(x);
	o = xcb_get_selection_owner_reply(x->c, xcb_get_selection_owner(x->c, x->clip), NULL);
	if (!o || o->owner != x->w) {
		fprintf(stderr, "x11_clip: did not get the selection\n");
		return 1;
	}
	free(o);
	printf("ready\n");
	fflush(stdout);
	while ((ev = xcb_next(x, deadline))) {
		int type = ev->response_type & 0x7f;
		xcb_selection_request_event_t *rq = (void *)ev;
		xcb_selection_notify_event_t reply = { .response_type = XCB_SELECTION_NOTIFY };

		if (type == XCB_SELECTION_CLEAR) {
			free(ev);
			return 0;
		}
		if (type != XCB_SELECTION_REQUEST) {
			free(ev);
			continue;
		}
		reply.requestor = rq->requestor;
		reply.selection = rq->selection;
		reply.target = rq->target;
		reply.property = rq->property;
		reply.time = rq->time;
		if (rq->target == x->targets) {
			xcb_atom_t list[] = { x->targets, x->utf8, XCB_ATOM_STRING, x->text };

			x_change(x, rq->requestor, rq->property, XCB_ATOM_ATOM, 32, list, 4);
		} else if (rq->target == x->utf8 || rq->target == XCB_ATOM_STRING ||
			   rq->target == x->text) {
			x_change(x, rq->requestor, rq->property, rq->target, 8, data, data_len);
		} else {
			reply.property = XCB_ATOM_NONE;
		}
		xcb_send_event(x->c, 0, rq->requestor, XCB_EVENT_MASK_NO_EVENT, (char *)&reply);
		xcb_flush(x->c);
		free(ev);
	}
	return 0;
}

static int xcb_convert(struct xcb *x, xcb_atom_t target, int print)
{
	long deadline = now_ms() + PASTE_TIMEOUT_MS;
	xcb_generic_event_t *ev;

	x_convert(x, target);
	while ((ev = xcb_next(x, deadline))) {
		xcb_selection_notify_event_t *sn = (void *)ev;
		unsigned char *buf = NULL;
		size_t len = 0;
		int fmt = 0, ret;

		if ((ev->response_type & 0x7f) != XCB_SELECTION_NOTIFY) {
			free(ev);
			continue;
		}
		ret = sn->property == XCB_ATOM_NONE || x_get(x, &buf, &len, &fmt);
		free(ev);
		if (!ret && print && fmt == 8)
			fwrite(buf, 1, len, stdout);
		free(buf);
		return ret;
	}
	return 1;
}

static int xcb_paste(struct xcb *x)
{
	xcb_convert(x, x->targets, 0);
	return xcb_convert(x, x->utf8, 1);
}

/* ---- main ----------------------------------------------------------------------- */

static int run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (!pid) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: x11_clip [--xlib|--xcb|--xcb-raw] own FILE [SECONDS] | paste\n"
			"       x11_clip run CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	enum api api = API_XLIB;
	struct xlib xl;
	struct xcb xc = {};
	int i = 1, own, seconds;

	if (argc > 2 && !strcmp(argv[1], "run"))
		return run(argv + 2);
	if (i < argc && !strcmp(argv[i], "--xlib"))
		i++;
	else if (i < argc && !strcmp(argv[i], "--xcb"))
		api = API_XCB, i++;
	else if (i < argc && !strcmp(argv[i], "--xcb-raw"))
		api = API_XCB_RAW, i++;
	if (i >= argc)
		return usage();
	own = !strcmp(argv[i], "own");
	if (own && (i + 1 >= argc || read_input(argv[i + 1])))
		return usage();
	if (!own && strcmp(argv[i], "paste"))
		return usage();
	seconds = own && i + 2 < argc ? atoi(argv[i + 2]) : 30;
	/*
	 * A real X client spends tens of ms or more starting before its first
	 * request; this one would not.  X11_CLIP_STARTUP_MS stands in for that
	 * startup, so a test is not decided by the exec-to-uprobes window
	 * (README: known limits).
	 */
	if (getenv("X11_CLIP_STARTUP_MS"))
		usleep(atoi(getenv("X11_CLIP_STARTUP_MS")) * 1000);
	if (api == API_XLIB) {
		if (xlib_open(&xl))
			return 1;
		return own ? xlib_own(&xl, seconds) : xlib_paste(&xl);
	}
	xc.raw = api == API_XCB_RAW;
	if (xcb_open(&xc))
		return 1;
	return own ? xcb_own(&xc, seconds) : xcb_paste(&xc);
}
