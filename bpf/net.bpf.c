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
#include "net_handlers.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return conn_enter(ctx->args[0], (const void *)ctx->args[1], 0);
}

SEC("tp/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx) { return conn_exit(ctx->ret); }

SEC("tp/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx) { return conn_enter(ctx->args[0], 0, 1); }

SEC("tp/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx) { return conn_exit(ctx->ret); }

SEC("tp/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx) { return conn_enter(ctx->args[0], 0, 1); }

SEC("tp/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx) { return conn_exit(ctx->ret); }

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
		return 0;	/* not a socket we follow: skip the copy below */
	bpf_probe_read_kernel(&c, sizeof(c), tp_ctx);
	sk = (__u64)ctx->skaddr;

	if (ctx->protocol != IPPROTO_TCP_VAL)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT_VAL) {
		/* connect(2) runs this in the caller's context */
		if (wants_net(bpf_get_current_pid_tgid() >> 32))
			own_sock(sk);
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE_VAL)
		return 0;
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
