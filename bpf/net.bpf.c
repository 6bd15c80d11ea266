// SPDX-License-Identifier: GPL-2.0
/*
 * Network activity of tracked processes: connect and accept with the peer
 * address (per-syscall tracepoints: the fallback of bpf/syscalls.bpf.c,
 * handlers in bpf/net_handlers.h), and one event per TCP connection at close
 * with the bytes sent and received (tcp_sock counters), attributed to the
 * process that made or accepted it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "net_handlers.h"

char LICENSE[] SEC("license") = "GPL";

/* CPR service endpoints (user space writes them); an all-zero key matches every peer. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct endpoint_key);
	__type(value, __u32);
} cpr_endpoints SEC(".maps");

#define TURN_SENT 1 /* the client's latest data went out: the next send is no new turn */

/* A CPR client's connection to a CPR endpoint, whose turns are counted. */
struct turn_state {
	struct event_hdr hdr; /* the owner at connect */
	__u64 total;
	__u64 reported;
	__u64 report_ns; /* when turns were last reported */
	__u32 last;	 /* TURN_SENT after a send, 0 after a receive */
	__u16 family;
	__u16 dport;
	__u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct turn_state);
} turn_socks SEC(".maps");

static __always_inline bool is_cpr_endpoint(__u16 family, __u16 port, const __u8 *addr)
{
	struct endpoint_key k = {};

	if (bpf_map_lookup_elem(&cpr_endpoints, &k))
		return true; /* no endpoint configured: every peer of a CPR client */
	k.family = family;
	k.port = port;
	if (family == AF_INET6_VAL)
		__builtin_memcpy(k.addr, addr, 16);
	else
		__builtin_memcpy(k.addr, addr, 4);
	return bpf_map_lookup_elem(&cpr_endpoints, &k);
}

/* At connect (SYN_SENT, the caller's context): follow the turns of a look-up connection. */
static __always_inline void follow_turns(__u64 sk,
					 const struct trace_event_raw_inet_sock_set_state *c)
{
	struct turn_state ts = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u16 dport = c->dport;

	if (!(classes_of(tgid) & CLASS_CPR_CLIENT))
		return;
	ts.family = c->family;
	ts.dport = dport;
	if (c->family == AF_INET6_VAL)
		__builtin_memcpy(ts.daddr, c->daddr_v6, 16);
	else
		__builtin_memcpy(ts.daddr, c->daddr, 4);
	if (!is_cpr_endpoint(ts.family, dport, ts.daddr))
		return;
	fill_hdr(&ts.hdr, EV_TURNS, classes_of(tgid));
	ts.report_ns = ts.hdr.ts_ns;
	bpf_map_update_elem(&turn_socks, &sk, &ts, BPF_ANY);
}

static __always_inline void report_turns(struct turn_state *ts, __u64 sk, __u64 now, bool closed)
{
	struct turns_event *ev;

	if (ts->total == ts->reported && !closed)
		return;
	ev = event_buf();
	if (!ev)
		return;
	ev->hdr = ts->hdr;
	ev->hdr.ts_ns = now;
	ev->hdr.flags = closed ? EVF_CONN_CLOSED : 0;
	ev->turns = ts->total - ts->reported;
	ev->total = ts->total;
	ev->sock = sk;
	ev->family = ts->family;
	ev->dport = ts->dport;
	ev->pad = 0;
	__builtin_memcpy(ev->daddr, ts->daddr, 16);
	ts->reported = ts->total;
	ts->report_ns = now;
	submit(ev, sizeof(*ev));
}

/*
 * Every socket send and receive of the machine passes here (an X client's
 * every request and reply, over its unix socket).  What is looked for is
 * TCP over IPv4/6 of processes with their hot_tgids bit set: turn_socks
 * holds CPR clients' connections to CPR endpoints (tracked, so hot), and
 * adopt_sock takes connections of tracked processes.  So the socket's
 * family (one load: tp_btf hands the call's own pointer) and the sender's
 * bit come before any hash lookup.
 */
static __always_inline bool sock_may_matter(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET_VAL && family != AF_INET6_VAL)
		return false;
	return trace_all || maybe_hot(bpf_get_current_pid_tgid() >> 32);
}

/*
 * Then one lookup of the socket in turn_socks, and for a send that is not a
 * turn, one lookup of the sender in the tracked map (adopt_sock).  tp_btf:
 * the arguments come straight from the call, no trace record is built.
 */
SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_send_len, struct sock *sk, int ret, int flags)
{
	__u64 key = (__u64)sk, now;
	struct turn_state *ts;

	if (ret <= 0 || !sock_may_matter(sk))
		return 0;
	ts = bpf_map_lookup_elem(&turn_socks, &key);
	if (!ts) {
		adopt_sock(sk, ret);
		return 0;
	}
	if (ts->last == TURN_SENT)
		return 0; /* more of the same request */
	ts->last = TURN_SENT;
	ts->total++;
	now = bpf_ktime_get_ns();
	if (now - ts->report_ns >= CPRW_TURN_REPORT_NS)
		report_turns(ts, key, now, false);
	return 0;
}

#define MSG_PEEK_VAL 2

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_recv_len, struct sock *sk, int ret, int flags)
{
	__u64 key = (__u64)sk;
	struct turn_state *ts;

	if (ret <= 0 || (flags & MSG_PEEK_VAL) || !sock_may_matter(sk))
		return 0;
	ts = bpf_map_lookup_elem(&turn_socks, &key);
	if (ts)
		ts->last = 0;
	return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return conn_enter(ctx->args[0], (const void *)ctx->args[1], 0);
}

SEC("tp/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return conn_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return conn_enter(ctx->args[0], 0, 1);
}

SEC("tp/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return conn_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return conn_enter(ctx->args[0], 0, 1);
}

SEC("tp/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return conn_exit(ctx->ret);
}

static __always_inline void close_turns(__u64 sk)
{
	struct turn_state *ts = bpf_map_lookup_elem(&turn_socks, &sk);

	if (!ts)
		return;
	report_turns(ts, sk, bpf_ktime_get_ns(), true);
	bpf_map_delete_elem(&turn_socks, &sk);
}

SEC("tp/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *tp_ctx)
{
	/* a stack copy: the verifier refuses the address arithmetic memcpy does on ctx */
	struct trace_event_raw_inet_sock_set_state c, *ctx = &c;
	struct tcp_close_event *ev;
	struct sock_owner *o;
	struct tcp_sock *tp;
	__u64 sk;

	if (tp_ctx->protocol != IPPROTO_TCP_VAL)
		return 0;
	if (tp_ctx->newstate != TCP_SYN_SENT_VAL && tp_ctx->newstate != TCP_CLOSE_VAL)
		return 0;
	sk = (__u64)tp_ctx->skaddr;
	if (tp_ctx->newstate == TCP_CLOSE_VAL && !bpf_map_lookup_elem(&sock_owners, &sk))
		return 0; /* not a socket we follow: skip the copy below */
	bpf_probe_read_kernel(&c, sizeof(c), tp_ctx);
	sk = (__u64)ctx->skaddr;

	if (ctx->protocol != IPPROTO_TCP_VAL)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT_VAL) {
		/* connect(2) runs this in the caller's context */
		if (wants_net(bpf_get_current_pid_tgid() >> 32)) {
			own_sock(sk, 0, 0);
			follow_turns(sk, ctx);
		}
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE_VAL)
		return 0;
	close_turns(sk);
	o = bpf_map_lookup_elem(&sock_owners, &sk);
	if (!o)
		return 0;
	ev = event_buf();
	if (!ev)
		goto out;
	ev->hdr = o->hdr;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	tp = (struct tcp_sock *)ctx->skaddr;
	/*
	 * Unique data bytes: bytes_acked would also count the SYN and FIN
	 * sequence numbers, bytes_sent counts retransmissions again.
	 */
	if (o->hdr.flags & EVF_SOCK_ADOPTED)
		ev->bytes_sent = o->sent;
	else
		ev->bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	/* the peer's FIN advances rcv_nxt, and so bytes_received, by one */
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	if ((BPF_CORE_READ((struct sock *)tp, sk_shutdown) & RCV_SHUTDOWN_VAL) &&
	    ev->bytes_received)
		ev->bytes_received--;
	ev->family = ctx->family;
	ev->sport = ctx->sport;
	ev->dport = ctx->dport;
	ev->pad = 0;
	if (ctx->family == AF_INET6_VAL) {
		__builtin_memcpy(ev->saddr, ctx->saddr_v6, 16);
		__builtin_memcpy(ev->daddr, ctx->daddr_v6, 16);
	} else {
		__builtin_memset(ev->saddr, 0, 16);
		__builtin_memset(ev->daddr, 0, 16);
		__builtin_memcpy(ev->saddr, ctx->saddr, 4);
		__builtin_memcpy(ev->daddr, ctx->daddr, 4);
	}
	ev->duration_ns = ev->hdr.ts_ns - o->start_ns;
	submit(ev, sizeof(*ev));
out:
	bpf_map_delete_elem(&sock_owners, &sk);
	return 0;
}
