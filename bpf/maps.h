/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and load-time switches shared by every probe.  Each .bpf.c includes
 * this file; the definitions are __weak and identical, so `bpftool gen object`
 * links them into one map each.
 */
#ifndef CPRW_BPF_MAPS_H
#define CPRW_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cprwatch/events.h"

#define MAX_TRACKED 65536
#define MAX_WATCHED_BINS 4096
#define MAX_EXPORT_DIRS 1024
#define MAX_TAINTED 65536
#define MAX_OPEN_FILES 65536
#define MAX_INFLIGHT 16384
#define EVENT_BUF_SIZE 16384 /* power of two, > CPRW_EVENT_MAX */
#define PATH_SCRATCH (2 * CPRW_PATH_MAX)

/* Load-time switches, set in rodata before load (see user/agent/loader.c). */
const volatile bool trace_all __weak = false; /* send every process's file/net events */
const volatile __u32 self_tgid __weak = 0;    /* the agent: never traced, never tainted */

/* Kernel -> user event stream. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps") __weak;

/* Executables that start tracking: (dev, ino) -> enum proc_class bits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_WATCHED_BINS);
	__type(key, struct file_id);
	__type(value, __u32);
} watched_bins SEC(".maps") __weak;

/* Tracked processes by tgid; inherited on fork, dropped at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_TRACKED);
	__type(key, __u32);
	__type(value, struct proc_track);
} tracked SEC(".maps") __weak;

/* Watched export directories: (dev, ino) of the directory -> enum export_kind. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_EXPORT_DIRS);
	__type(key, struct file_id);
	__type(value, __u32);
} export_dirs SEC(".maps") __weak;

/* Tainted inodes: files that carry data exported by a CPR client. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_TAINTED);
	__type(key, struct file_id);
	__type(value, struct taint_info);
} tainted SEC(".maps") __weak;

/*
 * I/O accounting.  fd_files maps (tgid << 32 | fd) to the struct file the fd
 * names; file_io holds the byte counters per struct file, so fds made with
 * dup/dup2/fcntl(F_DUPFD) (a shell's `> export.csv`) add to the same totals
 * and the close event goes up once, when the last accounted fd closes.
 */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_OPEN_FILES);
	__type(key, __u64);
	__type(value, __u64);
} fd_files SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_OPEN_FILES);
	__type(key, __u64);
	__type(value, struct file_io);
} file_io SEC(".maps") __weak;

/*
 * One bit per tgid: set before the process can have an fd_files entry or a
 * tracked entry, cleared when its last thread exits.  A clear bit lets a
 * read, write, close or dup of an untracked process return without a hash
 * lookup (syscalls.bpf.c).  A set bit only means "look": entries removed by
 * close, exec (close-on-exec), LRU eviction or the agent leave it set.
 * Sized for PID_MAX_LIMIT (4M tgids, 512 KiB); a tgid beyond it always
 * looks.  Mmapable so the agent sets bits with atomics (loader_track).
 */
#define HOT_WORDS (4194304 / 64)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HOT_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} hot_tgids SEC(".maps") __weak;

/*
 * Shared writable mappings of accounted files (file_handlers.h mmap_exit):
 * bytes written through them pass no syscall, so the file is reported again
 * when its mapping goes away (munmap).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_OPEN_FILES);
	__type(key, struct mapping_key);
	__type(value, struct mapping);
} mappings SEC(".maps") __weak;

/* Per-CPU health counters (enum counter_idx). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps") __weak;

/* Per-CPU scratch: an event being assembled, and two path buffers. */
struct event_scratch {
	char buf[EVENT_BUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_scratch);
} event_scratch SEC(".maps") __weak;

struct path_scratch {
	char buf[PATH_SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch SEC(".maps") __weak;

#endif
