/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network syscall handlers (connect, accept) and socket ownership, shared by
 * the per-syscall tracepoints (bpf/net.bpf.c) and the raw dispatcher
 * (bpf/syscalls.bpf.c).  The owner of a TCP socket is recorded in process
 * context (connect, accept) because the final state change can run in
 * softirq.
 */
#ifndef CPRW_BPF_NET_HANDLERS_H
#define CPRW_BPF_NET_HANDLERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "emit.h"
#include "path.h"

#define AF_UNIX_VAL 1
#define AF_INET_VAL 2
#define AF_INET6_VAL 10
#define IPPROTO_TCP_VAL 6
#define TCP_CLOSE_VAL 7
#define TCP_SYN_SENT_VAL 2
#define RCV_SHUTDOWN_VAL 1

struct conn_args {
	__s32 fd;
	__u32 is_accept;
	const void *addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct conn_args);
} conn_args SEC(".maps") __weak;

/*
 * Owner of a TCP socket: a header captured in process context, plus start
 * time.  An adopted socket (connected before its process was tracked)
 * counts the bytes sent after adoption here, not in tcp_sock.
 */
struct sock_owner {
	struct event_hdr hdr;
	__u64 start_ns;
	__u64 sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_TRACKED);
	__type(key, __u64);
	__type(value, struct sock_owner);
} sock_owners SEC(".maps") __weak;

static __always_inline bool wants_net(__u32 tgid)
{
	if (is_self(tgid))
		return false;
	return trace_all || track_of(tgid);
}

static __always_inline __u32 classes_of(__u32 tgid)
{
	struct proc_track *t = track_of(tgid);

	return t ? t->classes : 0;
}

/* flags: EVF_SOCK_ADOPTED with the bytes of the adopting send, or 0 */
static __always_inline void own_sock(__u64 sk, __u32 flags, __u64 sent)
{
	struct sock_owner o = {};

	fill_hdr(&o.hdr, EV_TCP_CLOSE, classes_of(bpf_get_current_pid_tgid() >> 32));
	o.hdr.flags |= flags;
	o.start_ns = o.hdr.ts_ns;
	o.sent = sent;
	bpf_map_update_elem(&sock_owners, &sk, &o, BPF_ANY);
}

/*
 * A tracked process sends on a TCP socket nobody owns: it was connected
 * before the process became tracked (e.g. opened, then the export read).
 * Own it from here on and count what is sent after this point.
 */
static __always_inline void adopt_sock(struct sock *sk, int sent)
{
	__u64 key = (__u64)sk;
	struct sock_owner *o;
	__u16 family;

	if (!wants_net(bpf_get_current_pid_tgid() >> 32))
		return;
	o = bpf_map_lookup_elem(&sock_owners, &key);
	if (o) {
		if (o->hdr.flags & EVF_SOCK_ADOPTED)
			__sync_fetch_and_add(&o->sent, sent);
		return;
	}
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP_VAL ||
	    (family != AF_INET_VAL && family != AF_INET6_VAL))
		return;
	own_sock(key, EVF_SOCK_ADOPTED, sent);
}

static __always_inline int conn_enter(int fd, const void *addr, __u32 is_accept)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_args a = { .fd = fd, .addr = addr, .is_accept = is_accept };

	if (!wants_net(id >> 32))
		return 0;
	bpf_map_update_elem(&conn_args, &id, &a, BPF_ANY);
	return 0;
}

/* Peer address from a user sockaddr (connect). */
static __always_inline void addr_from_user(struct sock_addr *out, const void *uaddr)
{
	struct sockaddr_in6 in6 = {};

	bpf_probe_read_user(&out->family, sizeof(out->family), uaddr);
	if (out->family == AF_INET_VAL) {
		struct sockaddr_in in = {};

		bpf_probe_read_user(&in, sizeof(in), uaddr);
		out->port = bpf_ntohs(in.sin_port);
		__builtin_memcpy(out->addr, &in.sin_addr.s_addr, 4);
	} else if (out->family == AF_INET6_VAL) {
		bpf_probe_read_user(&in6, sizeof(in6), uaddr);
		out->port = bpf_ntohs(in6.sin6_port);
		__builtin_memcpy(out->addr, &in6.sin6_addr, 16);
	} else if (out->family == AF_UNIX_VAL) {
		bpf_probe_read_user(out->unix_path, sizeof(out->unix_path) - 1,
				    (const char *)uaddr + 2);
		if (!out->unix_path[0] && out->unix_path[1])
			out->unix_path[0] = '@'; /* abstract socket, as ss(8) shows it */
	}
}

/* Peer address from the kernel socket (accept). */
static __always_inline void addr_from_sock(struct sock_addr *out, struct sock *sk)
{
	out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	out->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (out->family == AF_INET_VAL) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(out->addr, &a, 4);
	} else if (out->family == AF_INET6_VAL) {
		BPF_CORE_READ_INTO(&out->addr, sk, __sk_common.skc_v6_daddr);
	}
}

static __always_inline struct sock *sock_of_file(struct file *f)
{
	struct socket *so;

	if (!f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

static __always_inline struct sock *sock_of_fd(int fd)
{
	return sock_of_file(fd_file(fd));
}

/*
 * A connect (peer from the user's sockaddr @uaddr, or from the socket @sk
 * when NULL) or an accept (peer from the new socket @sk, which this process
 * now owns) that returned @ret on @fd.
 */
static __always_inline void emit_conn(__u32 tgid, bool is_accept, long ret, int fd,
				      const void *uaddr, struct sock *sk, __u16 evflags)
{
	struct connect_event *ev = event_buf();

	if (!ev)
		return;
	__builtin_memset(&ev->addr, 0, sizeof(ev->addr));
	fill_hdr(&ev->hdr, is_accept ? EV_ACCEPT : EV_CONNECT, classes_of(tgid));
	ev->hdr.flags |= evflags;
	ev->ret = ret;
	ev->fd = fd;
	if (uaddr) {
		addr_from_user(&ev->addr, uaddr);
	} else if (sk) {
		addr_from_sock(&ev->addr, sk);
		if (is_accept && BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP_VAL)
			own_sock((__u64)sk, 0, 0);
	}
	submit(ev, sizeof(*ev));
}

static __always_inline int conn_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_args *a = bpf_map_lookup_elem(&conn_args, &id);
	struct conn_args args;

	if (!a)
		return 0;
	args = *a;
	bpf_map_delete_elem(&conn_args, &id);
	if (args.is_accept)
		emit_conn(id >> 32, true, ret, ret, NULL, ret >= 0 ? sock_of_fd(ret) : NULL, 0);
	else
		emit_conn(id >> 32, false, ret, args.fd, args.addr, NULL, 0);
	return 0;
}

#endif
