/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Event layouts shared by the BPF programs (bpf/) and the collector (user/).
 *
 * Every record on the ring buffer starts with struct event_hdr.  Records are
 * variable length: the fixed part of each type is followed by the strings it
 * names (path, argv, ...) whose lengths are in the fixed part, so a typical
 * event is a few hundred bytes instead of several pages.  User space must
 * validate every length against hdr.size before it trusts a field.
 */
#ifndef CPRWATCH_EVENTS_H
#define CPRWATCH_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides the kernel's fixed width types */
#else
#include <linux/types.h>
#endif

#define CPRW_COMM_LEN 16
#define CPRW_PATH_MAX 4096 /* longest path sent up, including the NUL */
#define CPRW_ARGS_MAX 1024 /* bytes of argv (NUL separated) sent with an exec */
#define CPRW_PATH_DEPTH 32 /* dentry components walked before a path is cut */
#define CPRW_UNIX_PATH_MAX 108
#define CPRW_EVENT_MAX (sizeof(struct rename_event) + 2 * CPRW_PATH_MAX) /* largest record */

enum event_type {
	EV_EXEC = 1,
	EV_FORK,
	EV_EXIT,
	EV_OPEN,
	EV_CLOSE,
	EV_RENAME,
	EV_UNLINK,
	EV_CONNECT,
	EV_ACCEPT,
	EV_TCP_CLOSE,
	EV_CLIPBOARD,
	EV_TURNS,
	EV_TLS,
	EV_IOURING_SETUP,
	EV_TYPE_MAX,
};

/* Why a process is tracked; a process can be several of these at once. */
enum proc_class {
	CLASS_CPR_CLIENT = 1 << 0, /* a CPR client or one of its descendants */
	CLASS_MESSAGING = 1 << 1,  /* messaging app */
	CLASS_BROWSER = 1 << 2,	   /* web browser: web messaging and upload */
	CLASS_SYNC = 1 << 3,	   /* cloud sync / upload tool */
	CLASS_ARCHIVER = 1 << 4,   /* archiver or encryptor */
	CLASS_CLIPBOARD = 1 << 5,  /* clipboard tool */
	CLASS_TAINTED = 1 << 6,	   /* has read data exported by a CPR client */
	CLASS_PRINTER = 1 << 7,	   /* print client: lp, lpr */
	CLASS_ALL = (1 << 8) - 1,
};

/* hdr.flags */
enum event_flags {
	EVF_TRUNCATED = 1 << 0,	   /* a string (path, argv) was cut at its bound */
	EVF_TAINTED_FILE = 1 << 1, /* the file's inode is in the taint map */
	EVF_EXPORT_DIR = 1 << 2,   /* the file is below a watched export directory */
	EVF_AT_EXIT = 1 << 3,	   /* close synthesised for an fd open at exit */
	EVF_THREAD = 1 << 4,	   /* fork created a thread, not a process */
	EVF_MMAP_WRITE = 1 << 5,   /* close: the file was mapped shared and writable, so bytes
					 * written through the mapping are unknown; fd -1: a munmap */
	EVF_CONN_CLOSED = 1 << 6,  /* turns: the connection closed, the last report */
	EVF_SOCK_ADOPTED = 1 << 7, /* tcp_close: the connection predates its owner's tracking;
					 * bytes_sent counts the sends after it */
	EVF_IOURING = 1 << 8,	   /* open, close, connect, accept: done by an io_uring request */
	EVF_FIXED_FILE = 1 << 9,   /* open, close: the fd is an io_uring fixed-file slot */
};

/* Where a watched export directory lives; user space decides, the kernel carries it. */
enum export_kind {
	EXPORT_LOCAL = 1,
	EXPORT_REMOVABLE = 2,
	EXPORT_NETWORK = 3,
};

struct event_hdr {
	__u16 type;  /* enum event_type */
	__u16 flags; /* enum event_flags */
	__u32 size;  /* bytes of the whole record, header included */
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;   /* thread id */
	__u32 tgid;  /* process id */
	__u32 uid;
	__u32 gid;
	__u32 classes; /* enum proc_class bits of the process */
	__u32 pad;
	char comm[CPRW_COMM_LEN];
};

struct exec_event {
	struct event_hdr hdr;
	__u32 ppid;
	__u32 loginuid; /* (u32)-1 when unset */
	__u32 sessionid;
	__u32 path_len;	     /* bytes of exe path including NUL */
	__u32 args_len;	     /* bytes of argv area (NUL separated) */
	__u32 args_full_len; /* bytes of argv in the process, >= args_len */
	__u64 cgroup_id;
	__u64 dev; /* kernel dev_t of the exe (MAJOR << 20 | MINOR) */
	__u64 ino;
	char data[]; /* path, then args */
};

struct fork_event {
	struct event_hdr hdr; /* the parent */
	__u32 child_pid;
	__u32 child_tgid;
};

struct exit_event {
	struct event_hdr hdr;
	__u32 exit_code; /* as wait(2) reports it */
	__u32 pad;
};

struct open_event {
	struct event_hdr hdr;
	__s32 ret;	/* fd or -errno */
	__u32 flags;	/* open(2) flags */
	__u32 mode;	/* requested mode, or the inode's mode when not known */
	__u32 path_len; /* including NUL */
	__u64 dev;
	__u64 ino;
	__u64 size;	   /* inode size at open */
	__u32 export_kind; /* enum export_kind, 0 when not below an export dir */
	__u32 pad;
	__u64 taint_dev; /* origin export of a tainted file, 0 when not tainted */
	__u64 taint_ino;
	char path[];
};

struct close_event {
	struct event_hdr hdr;
	__s32 fd;
	__u32 open_flags;
	__u64 dev;
	__u64 ino;
	__u64 bytes_read;
	__u64 bytes_written;
	__u64 reads; /* syscalls that moved bytes in */
	__u64 writes;
};

struct rename_event {
	struct event_hdr hdr;
	__s32 ret;
	__u32 flags;
	__u32 old_len; /* including NUL */
	__u32 new_len;
	char data[]; /* old path, then new path */
};

struct unlink_event {
	struct event_hdr hdr;
	__s32 ret;
	__u32 flags;
	__u32 path_len;
	__u32 pad;
	char path[];
};

struct sock_addr {
	__u16 family; /* AF_INET, AF_INET6, AF_UNIX */
	__u16 port;   /* host byte order */
	__u32 pad;
	__u8 addr[16]; /* v4 in the first 4 bytes */
	char unix_path[CPRW_UNIX_PATH_MAX];
};

struct connect_event {
	struct event_hdr hdr;
	__s32 ret;
	__s32 fd;
	struct sock_addr addr; /* peer for connect and accept */
};

struct tcp_close_event {
	struct event_hdr hdr; /* the owner captured at connect/accept time */
	__u64 bytes_sent;     /* unique data bytes sent (EVF_SOCK_ADOPTED: handed to the socket) */
	__u64 bytes_received;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
	__u64 duration_ns;
};

/*
 * A tracked or tainted process set up an io_uring (bpf/io_uring.bpf.c): its
 * file and network requests no longer pass the syscall hooks.
 */
struct iouring_setup_event {
	struct event_hdr hdr;
	__s32 fd;    /* the ring's fd, or -errno */
	__u32 flags; /* IORING_SETUP_* (SQPOLL: a kernel thread submits for it) */
	__u32 sq_entries;
	__u32 cq_entries;
};

/*
 * Clipboard calls seen by the uprobes (bpf/clipboard.bpf.c) and X11 requests
 * seen on the wire by the syscall dispatcher (bpf/x11_handlers.h).
 */
#define CPRW_CLIP_DATA_MAX 4096 /* content bytes sent up for the scanner, then discarded */
/* The X PRIMARY selection's predefined atom: a selection of its own, apart from CLIPBOARD. */
#define X_ATOM_PRIMARY 1

enum clip_op {
	CLIP_TAKE = 1, /* became the selection owner (copy) */
	CLIP_REQUEST,  /* asked the owner for the content (paste) */
	CLIP_SEND,     /* the owner wrote the content to a requester */
	CLIP_READ,     /* read the content the owner sent */
	CLIP_SET_TEXT, /* toolkit call that sets the clipboard with the text */
	CLIP_UNSEEN,   /* wrote to its X server in a way that cannot be read (total_len bytes) */
	CLIP_OP_LAST = CLIP_UNSEEN,
};

enum clip_api {
	CLIP_API_XLIB = 1,
	CLIP_API_XCB,
	CLIP_API_GTK3,
	CLIP_API_GTK4,
	CLIP_API_QT,
	CLIP_API_WAYLAND,
	CLIP_API_TOOL, /* xclip, xsel, wl-copy, wl-paste (from exec) */
	CLIP_API_X11,  /* requests on an X11 connection, whatever library wrote them */
	CLIP_API_LAST = CLIP_API_X11,
};

struct clipboard_event {
	struct event_hdr hdr;
	__u32 op;	    /* enum clip_op */
	__u32 api;	    /* enum clip_api */
	__u64 selection;    /* X atom (PRIMARY 1, CLIPBOARD interned) or 0 */
	__u64 total_len;    /* content bytes in the call */
	__u32 data_len;	    /* bytes of it captured below */
	__u32 cpr_distinct; /* 0 from the kernel; the agent's scan count of data */
	char data[];	    /* never logged: scanned, counted, discarded */
};

/*
 * Request/response turns on a connection of a CPR client to a CPR service
 * endpoint (bpf/net.bpf.c): a turn is a send after the client has received
 * (or its first send).  Reported every CPRW_TURN_REPORT_NS while turns come,
 * and once more at close with EVF_CONN_CLOSED.
 */
#define CPRW_TURN_REPORT_NS (5ULL * 1000000000ULL)

struct turns_event {
	struct event_hdr hdr; /* the owner captured at connect time */
	__u64 turns;	      /* turns since the previous report */
	__u64 total;	      /* turns on the connection so far */
	__u64 sock;	      /* kernel socket address: names the connection, never shown */
	__u16 family;
	__u16 dport;
	__u32 pad;
	__u8 daddr[16];
};

/* Key of the cpr_endpoints map; all zero = every peer (no endpoint configured). */
struct endpoint_key {
	__u16 family;
	__u16 port; /* host byte order */
	__u32 pad;
	__u8 addr[16]; /* v4 in the first 4 bytes */
};

/*
 * Plaintext of TLS library calls (bpf/tls.bpf.c), from uprobes attached to
 * tracked CPR clients only.  Writes carry the first CPRW_TLS_WRITE_MAX bytes
 * (a request line and headers); reads carry what is left of the per-response
 * budget (set at each write), at most CPRW_TLS_DATA_MAX bytes a call.  The
 * agent parses and scans the data, then drops it.
 */
#define CPRW_TLS_DATA_MAX 4096
#define CPRW_TLS_WRITE_MAX 512

enum tls_dir {
	TLS_WRITE = 1,
	TLS_READ,
};

/* Which library, and the call's shape: the uprobe's BPF cookie. */
enum tls_lib {
	TLS_LIB_OPENSSL = 1,
	TLS_LIB_GNUTLS,
	TLS_LIB_NSS,
	TLS_LIB_MASK = 0xff,
	TLS_CALL_EX = 1 << 8, /* SSL_read_ex/SSL_write_ex: length through a pointer */
};

struct tls_event {
	struct event_hdr hdr;
	__u64 conn;	    /* SSL *, gnutls_session_t or PRFileDesc *: names the connection */
	__u32 dir;	    /* enum tls_dir */
	__u32 lib;	    /* enum tls_lib (without the call bits) */
	__u64 total_len;    /* plaintext bytes of the call */
	__u32 data_len;	    /* bytes of it captured below */
	__u32 cpr_distinct; /* 0 from the kernel; the agent's count of data */
	char data[];	    /* never logged: parsed, scanned, discarded */
};

/* Keys and values of the maps user space writes. */
struct file_id {
	__u64 dev; /* kernel dev_t */
	__u64 ino;
};

struct proc_track {
	__u32 classes;
	__u32 pad;
	struct file_id origin; /* export a tainted process read from */
};

struct taint_info {
	struct file_id origin; /* first export in the chain */
	__u64 ts_ns;
	__u32 by_tgid;
	__u32 pad;
};

/*
 * fd_files keys (tgid << 32 | fd) of io_uring fixed-file slots, which no fd
 * can have: slot n is fd CPRW_FIXED_FD_BASE - n (-1 stays "no fd").  Close
 * events name the slot and carry EVF_FIXED_FILE.
 */
#define CPRW_FIXED_FD_BASE (-2)

/* Value of the file_io map: byte totals of one open file (see bpf/maps.h). */
struct file_io {
	struct file_id id;
	__u64 bytes_read;
	__u64 bytes_written;
	__u64 reads;
	__u64 writes;
	__u32 open_flags;
	__u32 refs;	   /* accounted fds naming this file */
	__u32 mmap_writes; /* shared writable mappings made of it */
	__u32 pad;
};

/* Value of the mappings map: a shared writable mapping of an accounted file, by (tgid, addr). */
struct mapping_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

struct mapping {
	struct file_id id;
	__u32 open_flags;
	__u32 pad;
};

/* Per-CPU health counters, index into the counters map. */
enum counter_idx {
	CNT_EVENTS = 0, /* records submitted */
	CNT_DROPS,	/* ring buffer full: record lost */
	CNT_PATH_TRUNC, /* path longer than the walk allows */
	CNT_TLS_CALLS,	/* TLS library calls seen by the uprobes */
	CNT_X11_LOST,	/* X11 framing lost on a tracked client's connection (bpf/x11_handlers.h) */
	CNT_MAX,
};

#endif /* CPRWATCH_EVENTS_H */
