// SPDX-License-Identifier: GPL-2.0
/*
 * Plaintext of TLS library calls in tracked CPR clients: OpenSSL
 * SSL_write/SSL_read (and the _ex variants), GnuTLS gnutls_record_send/recv,
 * NSS PR_Write/PR_Read/PR_Send/PR_Recv.  All of them take (handle, buffer,
 * length) as their first three arguments, so one program per direction
 * serves every library; the BPF cookie says which library and whether the
 * length comes back through a pointer (the _ex calls).
 *
 * User space attaches these per process, to tracked CPR clients only (see
 * user/agent/tls.c): a uprobe traps every process that calls the function,
 * so a system-wide attach would make every TLS record of every program pay.
 *
 * Writes send up their first CPRW_TLS_WRITE_MAX bytes (the request line).
 * Each write also opens a response budget for its connection; reads send
 * up what is left of it, so the bytes copied per response are bounded
 * whatever the response's size.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.h"
#include "emit.h"

char LICENSE[] SEC("license") = "GPL";

#define TLS_MASK (CPRW_TLS_DATA_MAX - 1)

/* Response bytes sent up after each request (set before load). */
const volatile __u32 tls_response_bytes = 16384;

/* A read in flight: its arguments, from the entry probe to the return probe. */
struct tls_read_args {
	__u64 conn;
	__u64 buf;
	__u64 len_ptr; /* SSL_read_ex: size_t *readbytes */
	__u32 cookie;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct tls_read_args);
} tls_reads SEC(".maps");

struct tls_conn_key {
	__u64 conn;
	__u32 tgid;
	__u32 pad;
};

/* Response bytes still to send up per connection. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct tls_conn_key);
	__type(value, __u32);
} tls_budget SEC(".maps");

static __always_inline __u32 tgid_now(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void emit_tls(__u64 conn, __u32 dir, __u32 cookie, const void *src,
				     __u64 total, __u32 n)
{
	struct tls_event *ev = event_buf();
	struct proc_track *t = track_of(tgid_now());

	counter_add(CNT_TLS_CALLS, 1);
	if (!ev)
		return;
	fill_hdr(&ev->hdr, EV_TLS, t ? t->classes : 0);
	ev->conn = conn;
	ev->dir = dir;
	ev->lib = cookie & TLS_LIB_MASK;
	ev->total_len = total;
	ev->cpr_distinct = 0;
	if (n > CPRW_TLS_DATA_MAX)
		n = CPRW_TLS_DATA_MAX;
	asm volatile("" : "+r"(n)); /* keep the mask: clang drops it, the verifier needs it */
	n &= 2 * CPRW_TLS_DATA_MAX - 1;
	if (n && bpf_probe_read_user(ev->data, n, src))
		n = 0;
	ev->data_len = n;
	submit(ev, sizeof(*ev) + (n & (2 * CPRW_TLS_DATA_MAX - 1)));
}

SEC("uprobe")
int BPF_KPROBE(tls_write, void *conn, const void *buf, __u64 len)
{
	struct tls_conn_key k = { .conn = (__u64)conn, .tgid = tgid_now() };
	__u32 budget = tls_response_bytes;

	if ((__s64)len <= 0)
		return 0;
	bpf_map_update_elem(&tls_budget, &k, &budget, BPF_ANY);
	emit_tls(k.conn, TLS_WRITE, bpf_get_attach_cookie(ctx), buf, len,
		 len < CPRW_TLS_WRITE_MAX ? len : CPRW_TLS_WRITE_MAX);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_read_enter, void *conn, void *buf, __u64 len, void *len_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_read_args a = {
		.conn = (__u64)conn,
		.buf = (__u64)buf,
		.len_ptr = (__u64)len_ptr,
		.cookie = bpf_get_attach_cookie(ctx),
	};

	bpf_map_update_elem(&tls_reads, &id, &a, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(tls_read_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_read_args *p = bpf_map_lookup_elem(&tls_reads, &id);
	struct tls_conn_key k = { .tgid = id >> 32 };
	struct tls_read_args a;
	__u32 *budget, n, initial = tls_response_bytes;
	__u64 got = 0;

	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&tls_reads, &id);
	if (a.cookie & TLS_CALL_EX) {
		if ((int)ret != 1 || bpf_probe_read_user(&got, sizeof(got), (void *)a.len_ptr))
			return 0;
	} else if ((a.cookie & TLS_LIB_MASK) == TLS_LIB_GNUTLS) {
		got = ret > 0 ? ret : 0; /* ssize_t */
	} else if ((int)ret > 0) {
		got = (int)ret; /* SSL_read and PR_Read return int: -1 is 0xffffffff */
	}
	if (!got)
		return 0;
	k.conn = a.conn;
	budget = bpf_map_lookup_elem(&tls_budget, &k);
	if (!budget) {
		/* a read before any write on this connection: a fresh budget */
		bpf_map_update_elem(&tls_budget, &k, &initial, BPF_ANY);
		budget = bpf_map_lookup_elem(&tls_budget, &k);
		if (!budget)
			return 0;
	}
	n = got < *budget ? got : *budget;
	*budget -= n;
	emit_tls(a.conn, TLS_READ, a.cookie, (const void *)a.buf, got, n);
	return 0;
}
