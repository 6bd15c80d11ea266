/* SPDX-License-Identifier: GPL-2.0 */
/*
 * X11 clipboard traffic read off the wire: the requests a tracked process
 * writes to its X server, parsed at the exit of write, writev, sendto,
 * sendmsg and sendmmsg by the raw dispatcher (bpf/syscalls.bpf.c).
 *
 * Why here and not in libxcb: every X client, whatever wrote its requests
 * (libxcb, Xlib, a toolkit, a static or private libxcb, python-xlib, a
 * hand-written client), puts them on this socket in the one format the
 * server reads, so nothing gets round it by skipping a library.  And it
 * costs a tracked client a few loads per request inside a syscall it makes
 * anyway, where a uprobe on xcb's request entry point traps once per request
 * (about 6 us each here).  Untracked processes never get this far.
 *
 * The stream is framed as the server frames it: the 12-byte connection
 * setup with its padded authorisation strings, then requests of 4-byte
 * units (a zero 16-bit length: BIG-REQUESTS, a 32-bit length follows).
 * State per socket (x11_streams, keyed by the socket's inode) carries the
 * framing across syscalls: a request split over writes, header bytes one
 * at a time.  A connection made before its process was tracked is picked up
 * at its next write, which clients start on a request boundary (they only
 * split a request when the socket is full); a framing error, or a write too
 * long to walk, resyncs at the next write the same way.
 *
 * What is reported is what the library probes reported: SetSelectionOwner
 * (TAKE), ConvertSelection (REQUEST), ChangeProperty with 8-bit data (SEND,
 * with the first CPRW_CLIP_DATA_MAX bytes of the content).  And UNSEEN when
 * a tracked process writes to its X server in a way whose bytes cannot be
 * read here: sendfile or splice (from a file or pipe), io_uring, or more
 * requests in one write than a walk takes.  X clients do none of these, so
 * the rules treat it as hiding (clipboard_unseen).
 */
#ifndef CPRW_BPF_X11_HANDLERS_H
#define CPRW_BPF_X11_HANDLERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "emit.h"
#include "path.h"
#include "clip_emit.h"

#define X11_HDR 32		/* request bytes looked at: 24 fixed + 4 BIG-REQUESTS + slack */
#define X11_STEPS_MAX (1 << 23) /* bpf_loop's most: 32 MiB of the smallest requests */
#define X11_IOV_MASK 1023	/* UIO_MAXIOV - 1 */
#define X11_STREAMS 4096
#define X11_TCP_PORT 6000 /* display N listens on 6000 + N (ssh -X forwards to 6010+) */
#define X11_DISPLAYS 64
#define X11_SOCK_DIR "/tmp/.X11-unix/X"
#define X11_SOCK_DIR_LEN 16
#define S_IFMT_VAL 0170000
#define S_IFSOCK_VAL 0140000
#define AF_UNIX_X11 1
#define AF_INET_X11 2
#define AF_INET6_X11 10
#define IPPROTO_TCP_X11 6

enum x11_phase {
	X11_FIRST,    /* nothing seen yet: the setup, or requests of an adopted connection */
	X11_SETUP,    /* the 12-byte setup header */
	X11_REQUESTS, /* request headers and bodies */
	X11_LOST,     /* framing lost: resync at the next write */
};

struct x11_stream {
	__u32 phase;
	__u32 big_endian;      /* the client's byte order, from its setup */
	__u32 need;	       /* header bytes wanted before acting */
	__u32 have;	       /* header bytes in hdr */
	__u64 skip;	       /* body bytes of the current request still to pass */
	__u64 capture;	       /* content bytes of a SEND still to copy (in x11_sends) */
	__u8 hdr[2 * X11_HDR]; /* twice: offset and length are bounded apart */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, X11_STREAMS);
	__type(key, __u64); /* the socket's inode number */
	__type(value, struct x11_stream);
} x11_streams SEC(".maps") __weak;

/*
 * A SEND whose content goes on in the next write (a client writing its
 * request in pieces): the event so far, until the rest is copied.  Only
 * such streams have one, so a few suffice.
 */
#define X11_SEND_SIZE (sizeof(struct clipboard_event) + CPRW_CLIP_DATA_MAX)

struct x11_send {
	char buf[X11_SEND_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64); /* the socket's inode number */
	__type(value, struct x11_send);
} x11_sends SEC(".maps") __weak;

struct x11_iov {
	__u64 base;
	__u64 len;
};

/* One syscall's walk over what it wrote: bpf_loop's context. */
struct x11_walk {
	struct x11_stream *st;
	struct clipboard_event *ev; /* a SEND being filled, or NULL */
	const struct x11_iov *iov;  /* NULL: one buffer (base, seg) */
	__u64 iovcnt, idx;
	const struct mmsghdr *msgs; /* sendmmsg: the messages, each with its iovecs */
	__u64 nmsgs, msg;
	__u64 base, seg; /* the current buffer: user address, bytes left */
	__u64 left;	 /* bytes the syscall wrote not walked yet */
	__u64 capture;	 /* content bytes still to copy into ev */
	__u64 ino;	 /* the socket's inode: the maps' key */
	__u32 tgid, classes;
};

static __always_inline __u32 x11_u16(const struct x11_stream *st, __u32 off)
{
	const __u8 *p = &st->hdr[off & (X11_HDR - 1)];

	return st->big_endian ? (p[0] << 8 | p[1]) : (p[0] | p[1] << 8);
}

static __always_inline __u32 x11_u32(const struct x11_stream *st, __u32 off)
{
	const __u8 *p = &st->hdr[off & (X11_HDR - 1)];

	return st->big_endian ? ((__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]) : le32(p);
}

/* Header bytes to read before acting on @opcode (without the BIG-REQUESTS 4), 0: none. */
static __always_inline __u32 x11_wanted(__u8 opcode)
{
	switch (opcode) {
	case X_SET_SELECTION_OWNER: /* owner at 4, selection at 8 */
	case X_CONVERT_SELECTION:   /* requestor at 4, selection at 8 */
		return 12;
	case X_CHANGE_PROPERTY: /* format at 16, data length at 20, data at 24 */
		return 24;
	}
	return 0;
}

/*
 * Counted (CNT_X11_LOST, whatever the cause: malformed, or bytes that went past
 * the parser): the agent warns, since a client can lose us on purpose (README).
 */
static __always_inline void x11_lost(struct x11_stream *st)
{
	st->phase = X11_LOST;
	counter_add(CNT_X11_LOST, 1);
}

/* @bytes went to the X server unread: framing lost, and reported. */
static __always_inline void x11_report_unseen(struct x11_stream *st, __u64 bytes, __u32 classes)
{
	struct clipboard_event *ev;

	x11_lost(st);
	ev = clip_start(CLIP_UNSEEN, CLIP_API_X11, 0, bytes, classes);
	if (ev)
		clip_send(ev);
}

static __always_inline void x11_finish_send(struct x11_walk *w)
{
	if (!w->ev)
		return;
	if (w->ev->data_len < w->ev->total_len)
		w->ev->hdr.flags |= EVF_TRUNCATED;
	clip_send(w->ev);
	w->ev = NULL;
	w->capture = 0;
}

/* The content goes on in the next write: keep the event until then. */
static __always_inline void x11_park_send(struct x11_walk *w)
{
	if (bpf_map_update_elem(&x11_sends, &w->ino, w->ev, BPF_ANY)) {
		x11_finish_send(w); /* what we have, rather than nothing */
		return;
	}
	w->st->capture = w->capture;
	w->ev = NULL;
}

/* Take up the SEND a previous write of this stream left unfinished. */
static __always_inline void x11_resume_send(struct x11_walk *w)
{
	struct x11_send *s = bpf_map_lookup_elem(&x11_sends, &w->ino);
	struct clipboard_event *ev = event_buf();

	w->capture = w->st->capture;
	w->st->capture = 0;
	if (!s || !ev)
		return;
	if (bpf_probe_read_kernel(ev, X11_SEND_SIZE, s))
		return;
	bpf_map_delete_elem(&x11_sends, &w->ino);
	w->ev = ev;
}

/* A whole request header: report it; @off is 4 for a BIG-REQUESTS one. */
static __always_inline void x11_request(struct x11_walk *w, __u32 off, __u64 total)
{
	struct x11_stream *st = w->st;
	__u64 body, data;

	switch (st->hdr[0]) {
	case X_SET_SELECTION_OWNER:
		if (x11_u32(st, 4 + off)) /* owner None gives the selection up */
			clip_op(CLIP_TAKE, CLIP_API_X11, x11_u32(st, 8 + off), w->classes);
		return;
	case X_CONVERT_SELECTION:
		note_request(w->tgid); /* opens the window for Xlib's READ probe */
		clip_op(CLIP_REQUEST, CLIP_API_X11, x11_u32(st, 8 + off), w->classes);
		return;
	case X_CHANGE_PROPERTY:
		if (st->hdr[(16 + off) & (X11_HDR - 1)] != 8)
			return; /* not text: atoms, timestamps, window hints */
		w->ev = clip_start(CLIP_SEND, CLIP_API_X11, 0, x11_u32(st, 20 + off), w->classes);
		if (!w->ev)
			return;
		body = total - 24 - off;
		data = w->ev->total_len < body ? w->ev->total_len : body;
		w->capture = data < CPRW_CLIP_DATA_MAX ? data : CPRW_CLIP_DATA_MAX;
		if (!w->capture)
			x11_finish_send(w);
		return;
	}
}

/* The header in st->hdr is complete: frame the request. 1 stops the walk. */
static __always_inline long x11_header(struct x11_walk *w)
{
	struct x11_stream *st = w->st;
	__u32 off = 0, want;
	__u64 total;

	if (st->phase == X11_FIRST) {
		/* "l" or "B", then protocol major version 11 in that byte order */
		if ((st->hdr[0] == 'l' && st->hdr[2] == 11 && !st->hdr[3]) ||
		    (st->hdr[0] == 'B' && !st->hdr[2] && st->hdr[3] == 11)) {
			st->phase = X11_SETUP;
			st->big_endian = st->hdr[0] == 'B';
			st->need = 12;
			return 0;
		}
		st->phase = X11_REQUESTS; /* adopted: this write starts a request */
	}
	if (st->phase == X11_SETUP) {
		/* authorisation protocol name and data, each padded to 4 */
		st->skip = ((x11_u16(st, 6) + 3) & ~3) + ((x11_u16(st, 8) + 3) & ~3);
		st->phase = X11_REQUESTS;
		st->need = 4;
		st->have = 0;
		return 0;
	}
	total = x11_u16(st, 2);
	if (!total) {
		if (st->have < 8) {
			st->need = 8;
			return 0;
		}
		total = x11_u32(st, 4);
		off = 4;
	}
	total *= 4;
	if (total < st->have) {
		x11_lost(st); /* no request is shorter than its header */
		return 1;
	}
	want = x11_wanted(st->hdr[0]);
	if (want && st->have < want + off && total >= want + off) {
		st->need = want + off;
		return 0;
	}
	if (want && st->have >= want + off)
		x11_request(w, off, total);
	st->skip = total - st->have;
	st->need = 4;
	st->have = 0;
	return 0;
}

static __always_inline void x11_advance(struct x11_walk *w, __u64 n)
{
	w->base += n;
	w->seg -= n;
	w->left -= n;
}

/* Pass body bytes, copying those of a SEND's content. */
static __always_inline long x11_pass(struct x11_walk *w)
{
	struct x11_stream *st = w->st;
	struct clipboard_event *ev = w->ev;
	__u64 n = st->skip < w->seg ? st->skip : w->seg;
	__u32 c, at;

	if (ev && w->capture) {
		c = n < w->capture ? n : w->capture;
		at = ev->data_len;
		barrier_var(c);
		if (c > CPRW_CLIP_DATA_MAX)
			return 1;
		if (!bpf_probe_read_user(ev->data + (at & CLIP_MASK), c, (const void *)w->base)) {
			ev->data_len = at + c;
			w->capture -= c;
		} else {
			w->capture = 0;
		}
		if (!w->capture)
			x11_finish_send(w);
	}
	x11_advance(w, n);
	st->skip -= n;
	return 0;
}

/* Collect header bytes; act on the header when it is whole. */
static __always_inline long x11_collect(struct x11_walk *w)
{
	struct x11_stream *st = w->st;
	__u32 have = st->have & (X11_HDR - 1), n;

	n = st->need > have ? st->need - have : 0;
	if (n > w->seg)
		n = w->seg;
	barrier_var(n);
	if (!n || n > X11_HDR || bpf_probe_read_user(&st->hdr[have], n, (const void *)w->base)) {
		x11_lost(st);
		return 1;
	}
	x11_advance(w, n);
	st->have = have + n;
	if (st->have < st->need)
		return 0;
	return x11_header(w);
}

/* sendmmsg: the next message's iovecs and the bytes the kernel sent of it. 1: none left. */
static __always_inline long x11_next_msg(struct x11_walk *w)
{
	const struct mmsghdr *m = &w->msgs[w->msg & 1023];
	__u32 len = 0;

	/* field by field: the callback's stack adds to sys_exit's (512 in all) */
	if (w->msg >= w->nmsgs ||
	    bpf_probe_read_user(&w->iov, sizeof(w->iov), &m->msg_hdr.msg_iov) ||
	    bpf_probe_read_user(&w->iovcnt, sizeof(w->iovcnt), &m->msg_hdr.msg_iovlen) ||
	    bpf_probe_read_user(&len, sizeof(len), &m->msg_len))
		return 1;
	w->msg++;
	w->idx = 0;
	w->left = len;
	return 0;
}

/* One step: the next buffer, a stretch of body, or header bytes. */
static long x11_step(__u32 i, struct x11_walk *w)
{
	struct x11_iov v;

	if (!w->seg) {
		if (!w->left || !w->iov || w->idx >= w->iovcnt)
			return x11_next_msg(w);
		if (bpf_probe_read_user(&v, sizeof(v), &w->iov[w->idx & X11_IOV_MASK]))
			return 1;
		w->idx++;
		w->base = v.base;
		w->seg = v.len < w->left ? v.len : w->left;
		return 0;
	}
	return w->st->skip ? x11_pass(w) : x11_collect(w);
}

/* Is @f a client's connection to an X server (unix socket or TCP port 6000 + N)? */
static __always_inline bool x11_peer(struct file *f)
{
	struct sock *sk = sock_of_file(f), *peer;
	char path[X11_SOCK_DIR_LEN + 1] = {};
	struct unix_address *addr;
	const char *p;
	__u16 family, port;
	int i;

	if (!sk)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET_X11 || family == AF_INET6_X11) {
		port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP_X11 && port >= X11_TCP_PORT &&
		       port < X11_TCP_PORT + X11_DISPLAYS;
	}
	if (family != AF_UNIX_X11)
		return false;
	peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
	addr = peer ? BPF_CORE_READ((struct unix_sock *)peer, addr) : NULL;
	if (!addr)
		return false;
	p = (const char *)addr + bpf_core_field_offset(struct unix_address, name) +
	    __builtin_offsetof(struct sockaddr_un, sun_path);
	if (bpf_probe_read_kernel(path, sizeof(path), p))
		return false;
	/* a path, or the abstract name Xorg also listens on (leading NUL) */
	p = path[0] ? path : path + 1;
#pragma unroll
	for (i = 0; i < X11_SOCK_DIR_LEN; i++)
		if (p[i] != X11_SOCK_DIR[i])
			return false;
	return true;
}

/* The X11 stream of @f, a file a tracked process wrote to, or NULL when it is none. */
static __always_inline struct x11_stream *x11_stream_of(struct file *f, __u64 *inop)
{
	struct x11_stream fresh = {}, *st;
	struct inode *inode;
	__u64 ino;

	if (!f)
		return NULL;
	inode = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT_VAL) != S_IFSOCK_VAL)
		return NULL;
	ino = BPF_CORE_READ(inode, i_ino);
	*inop = ino;
	st = bpf_map_lookup_elem(&x11_streams, &ino);
	if (st)
		return st;
	if (!x11_peer(f))
		return NULL;
	fresh.need = 4;
	bpf_map_update_elem(&x11_streams, &ino, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&x11_streams, &ino);
}

/*
 * A tracked process wrote @ret bytes to @fd: one buffer at @buf, or @iovcnt
 * iovecs at @iov; or, with @msgs, @ret of sendmmsg's messages.
 */
static __always_inline void x11_wrote(int fd, const void *buf, const struct x11_iov *iov,
				      __u64 iovcnt, const struct mmsghdr *msgs, long ret)
{
	struct x11_walk w = {};
	long steps;

	w.tgid = cur_tgid();
	if (ret <= 0 || !clip_wanted(w.tgid, &w.classes))
		return;
	w.st = x11_stream_of(fd_file(fd), &w.ino);
	if (!w.st)
		return;
	if (w.st->phase == X11_LOST) { /* resync: this write starts a request */
		w.st->phase = X11_REQUESTS;
		w.st->need = 4;
		w.st->have = 0;
		w.st->skip = 0;
		w.st->capture = 0;
	}
	if (w.st->capture)
		x11_resume_send(&w);
	w.left = ret;
	if (msgs) {
		w.msgs = msgs;
		w.nmsgs = ret;
		w.left = 0;
	} else if (iov) {
		w.iov = iov;
		w.iovcnt = iovcnt;
	} else {
		w.base = (__u64)buf;
		w.seg = ret;
	}
	steps = bpf_loop(X11_STEPS_MAX, x11_step, &w, 0);
	if (steps >= X11_STEPS_MAX && (w.left || w.msg < w.nmsgs)) /* too long to walk */
		x11_report_unseen(w.st, w.left, w.classes);
	if (w.ev && w.st->phase != X11_LOST)
		x11_park_send(&w);
	else
		x11_finish_send(&w);
}

/*
 * A tracked process moved @bytes into @f without them passing through its
 * memory (sendfile, splice) or through io_uring: reported when @f is an X
 * connection, once until the stream is framed again.
 */
static __always_inline void x11_unseen(struct file *f, long bytes)
{
	struct x11_stream *st;
	__u32 classes;
	__u64 ino;

	if (bytes <= 0 || !f || !clip_wanted(cur_tgid(), &classes))
		return;
	st = x11_stream_of(f, &ino);
	if (st && st->phase != X11_LOST)
		x11_report_unseen(st, bytes, classes);
}

/* sendmmsg(fd, struct mmsghdr *msgs, vlen, flags) sent @ret messages. */
static __always_inline void x11_sent_mmsg(int fd, const struct mmsghdr *msgs, long ret)
{
	x11_wrote(fd, NULL, NULL, 0, msgs, ret);
}

/* sendmsg(fd, struct user_msghdr *msg, flags): the iovecs from the header. */
static __always_inline void x11_sent_msg(int fd, const struct user_msghdr *msg, long ret)
{
	__u64 iov = 0, iovlen = 0;
	__u32 classes;

	if (ret <= 0 || !clip_wanted(cur_tgid(), &classes) ||
	    bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov) ||
	    bpf_probe_read_user(&iovlen, sizeof(iovlen), &msg->msg_iovlen))
		return;
	x11_wrote(fd, NULL, (const struct x11_iov *)iov, iovlen, NULL, ret);
}

#endif
