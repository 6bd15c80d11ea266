/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File syscall handlers: opens (with data lineage), bytes read and written
 * summed per open file and sent once at close, dup/close accounting, renames
 * and unlinks.  Context-free: each takes the syscall's arguments or return
 * value, so the per-syscall tracepoints (bpf/file.bpf.c) and the raw
 * sys_enter/sys_exit dispatcher (bpf/syscalls.bpf.c) run the same code.
 *
 * The work for an uninteresting process or fd is kept to one map lookup.
 * An open is interesting when the process is tracked, the inode is tainted,
 * or the file is below a watched export directory; only then does anything
 * go up.
 */
#ifndef CPRW_BPF_FILE_HANDLERS_H
#define CPRW_BPF_FILE_HANDLERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.h"
#include "emit.h"
#include "path.h"

#define O_ACCMODE_VAL 3
#define O_RDONLY_VAL 0
#define O_WRONLY_VAL 1
#define O_CREAT_VAL 0100
#define O_TRUNC_VAL 01000
#define S_IFMT_VAL 0170000
#define S_IFREG_VAL 0100000
#define FMODE_WRITE_VAL 0x2
#define F_DUPFD_VAL 0
#define F_DUPFD_CLOEXEC_VAL 1030

/* Arguments carried from a syscall's enter to its exit, keyed by pid_tgid. */
enum pending_kind {
	PEND_OPEN = 1,
	PEND_IO,
	PEND_DUP,
	PEND_RENAME,
	PEND_UNLINK,
	PEND_MMAP,
	PEND_MUNMAP,
	PEND_IOU_SETUP,
};

struct pending {
	__u32 kind;
	__s32 fd_in;  /* IO: fd read from, or -1 */
	__s32 fd_out; /* IO: fd written to, or -1 */
	__u32 flags;
	__u32 mode;
	__s32 dfd;
	__s32 dfd2;
	__u32 pad;
	__u64 file; /* DUP: the struct file being duplicated */
	const char *name;
	const char *name2;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct pending);
} pending SEC(".maps") __weak;

/* io_uring fixed-file slots are accounted like fds (CPRW_FIXED_FD_BASE). */
static __always_inline int fixed_fd(__u32 slot)
{
	return CPRW_FIXED_FD_BASE - (int)slot;
}

static __always_inline __u64 fd_key(__u32 tgid, int fd)
{
	return (__u64)tgid << 32 | (__u32)fd;
}

static __always_inline void pend(struct pending *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&pending, &id, p, BPF_ANY);
}

/* Fetch and remove this thread's pending record into @out. */
static __always_inline bool unpend(struct pending *out, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &id);

	if (!p)
		return false;
	*out = *p;
	bpf_map_delete_elem(&pending, &id);
	return out->kind == kind;
}

static __always_inline bool wants_events(__u32 tgid)
{
	if (is_self(tgid))
		return false;
	return trace_all || track_of(tgid);
}

/* ---- open ---------------------------------------------------------------- */

static __always_inline int open_enter(const char *name, __u32 flags, __u32 mode)
{
	struct pending p = { .kind = PEND_OPEN, .flags = flags, .mode = mode, .name = name };

	if (!wants_events(bpf_get_current_pid_tgid() >> 32))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int creat_enter(const char *name, __u32 mode)
{
	return open_enter(name, O_CREAT_VAL | O_WRONLY_VAL | O_TRUNC_VAL, mode);
}

static __always_inline int openat2_enter(const char *name, const struct open_how *uhow)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), uhow);
	return open_enter(name, how.flags, how.mode);
}

/*
 * Lineage.  A CPR client (or anything that read its exports) opening a
 * regular file for writing taints the inode, with the origin export; a
 * process opening a tainted inode for reading becomes tainted itself.
 */
static __always_inline void lineage(__u32 tgid, struct proc_track *t, struct taint_info *ti,
				    struct file_id *id, __u32 flags, __u32 imode)
{
	__u32 acc = flags & O_ACCMODE_VAL;

	if (acc != O_RDONLY_VAL && t && (t->classes & (CLASS_CPR_CLIENT | CLASS_TAINTED)) && !ti &&
	    (imode & S_IFMT_VAL) == S_IFREG_VAL) {
		struct taint_info nt = { .ts_ns = bpf_ktime_get_ns(), .by_tgid = tgid };

		nt.origin = (t->classes & CLASS_TAINTED) ? t->origin : *id;
		bpf_map_update_elem(&tainted, id, &nt, BPF_NOEXIST);
	}
	if (acc != O_WRONLY_VAL && ti) {
		if (t) {
			if (!(t->classes & CLASS_TAINTED)) {
				t->origin = ti->origin;
				t->classes |= CLASS_TAINTED;
			}
		} else {
			struct proc_track nt = { .classes = CLASS_TAINTED, .origin = ti->origin };

			track_set(tgid, &nt);
		}
	}
}

static __always_inline void io_start(__u32 tgid, int fd, struct file *f, struct file_id *id,
				     __u32 flags)
{
	__u64 key = fd_key(tgid, fd), fp = (__u64)f;
	struct file_io io = { .id = *id, .open_flags = flags, .refs = 1 };
	struct file_io *cur = bpf_map_lookup_elem(&file_io, &fp);

	if (cur)
		__sync_fetch_and_add(&cur->refs, 1);
	else
		bpf_map_update_elem(&file_io, &fp, &io, BPF_ANY);
	mark_hot(tgid);
	bpf_map_update_elem(&fd_files, &key, &fp, BPF_ANY);
}

static __always_inline void emit_open(struct pending *p, bool have_args, int ret, struct file *f,
				      struct file_id *id, __u32 classes, __u32 kind,
				      struct taint_info *ti, __u16 evflags)
{
	struct open_event *ev = event_buf();
	char *pbuf = path_buf(0);
	bool trunc = false;
	__u32 len;

	if (!ev || !pbuf)
		return;
	fill_hdr(&ev->hdr, EV_OPEN, classes);
	ev->hdr.flags |= evflags;
	ev->ret = ret;
	ev->flags = p->flags;
	ev->mode = p->mode;
	ev->export_kind = kind;
	ev->pad = 0;
	if (f) {
		ev->dev = id->dev;
		ev->ino = id->ino;
		ev->size = BPF_CORE_READ(f, f_inode, i_size);
		len = path_build(&f->f_path, 0, &trunc);
		len = path_copy(ev->path, pbuf, len);
	} else {
		/* failed open: only the name the program passed is known */
		ev->dev = ev->ino = ev->size = 0;
		len = bpf_probe_read_user_str(ev->path, CPRW_PATH_MAX, p->name);
		if ((long)len <= 0) {
			ev->path[0] = '\0';
			len = 1;
		}
	}
	ev->taint_dev = ti ? ti->origin.dev : 0;
	ev->taint_ino = ti ? ti->origin.ino : 0;
	if (ti)
		ev->hdr.flags |= EVF_TAINTED_FILE;
	if (kind)
		ev->hdr.flags |= EVF_EXPORT_DIR;
	if (trunc)
		ev->hdr.flags |= EVF_TRUNCATED;
	ev->path_len = len & PATH_MASK;
	submit(ev, sizeof(*ev) + (len & PATH_MASK));
}

/*
 * A successful open: @fd names @f in @tgid (an fd_files key: an fd, or an
 * io_uring fixed-file slot as fixed_fd()), @ret is what the open event
 * reports.  @have: the caller knew the process wanted events before the
 * open and @p holds the flags and mode it asked for.
 */
static __always_inline void open_account(__u32 tgid, int fd, int ret, struct file *f,
					 struct pending *p, bool have, __u16 evflags)
{
	/* nothing pended or tracked for a process with a clear hot bit */
	bool hot = have || trace_all || maybe_hot(tgid);
	struct taint_info *ti;
	struct proc_track *t;
	struct file_id id;
	__u32 kind, imode;

	file_id_of(f, &id);
	ti = bpf_map_lookup_elem(&tainted, &id);
	t = hot ? track_of(tgid) : NULL;
	/*
	 * An untracked process reading an untainted file matters nowhere, so
	 * most opens on a machine stop here, before the walk up the directories.
	 */
	if (!have && !ti && !t && !trace_all && !(BPF_CORE_READ(f, f_mode) & FMODE_WRITE_VAL))
		return;
	kind = export_kind_of(&f->f_path);
	if (!have && !ti && !kind && !t && !trace_all)
		return;
	imode = BPF_CORE_READ(f, f_inode, i_mode);
	if (!have) {
		p->flags = BPF_CORE_READ(f, f_flags);
		p->mode = imode;
	}
	lineage(tgid, t, ti, &id, p->flags, imode);
	if (!ti)
		ti = bpf_map_lookup_elem(&tainted, &id); /* lineage may have tainted it */
	t = track_of(tgid);
	io_start(tgid, fd, f, &id, p->flags);
	emit_open(p, have, ret, f, &id, t ? t->classes : 0, kind, ti, evflags);
}

static __always_inline int open_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pending p = {};
	/* open_enter pends only for a hot tgid (maps.h hot_tgids) */
	bool have = (trace_all || maybe_hot(tgid)) && unpend(&p, PEND_OPEN);
	struct file *f;

	if (ret < 0) {
		if (have)
			emit_open(&p, true, ret, NULL, NULL, 0, 0, NULL, 0);
		return 0;
	}
	if (is_self(tgid))
		return 0;
	f = fd_file(ret);
	if (f)
		open_account(tgid, ret, ret, f, &p, have, 0);
	return 0;
}

/* ---- read / write accounting --------------------------------------------- */

static __always_inline bool fd_accounted(__u32 tgid, int fd)
{
	__u64 key = fd_key(tgid, fd);

	return fd >= 0 && bpf_map_lookup_elem(&fd_files, &key);
}

static __always_inline struct file_io *io_of(__u32 tgid, int fd)
{
	__u64 key = fd_key(tgid, fd);
	__u64 *fp = bpf_map_lookup_elem(&fd_files, &key);

	return fp ? bpf_map_lookup_elem(&file_io, fp) : NULL;
}

/*
 * A write by a CPR client or a tainted process to a regular file it opened
 * before it became one (python3 opens its output, then reads the export; a
 * shell's `> out` before the tainted program runs): the fd is adopted at its
 * first write as if it were opened now, so the file is tainted, reported and
 * its bytes counted.  Untracked processes pay one `tracked` lookup here, on
 * writes to fds nobody accounts.
 */
static __always_inline struct file_io *adopt_fd(__u32 tgid, int fd)
{
	struct proc_track *t = track_of(tgid);
	struct pending p = {};
	struct taint_info *ti;
	struct file_id id;
	struct file *f;

	if (!t || !(t->classes & (CLASS_CPR_CLIENT | CLASS_TAINTED)) || is_self(tgid))
		return NULL;
	f = fd_file(fd);
	if (!f)
		return NULL;
	p.mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((p.mode & S_IFMT_VAL) != S_IFREG_VAL)
		return NULL;
	p.flags = BPF_CORE_READ(f, f_flags);
	file_id_of(f, &id);
	ti = bpf_map_lookup_elem(&tainted, &id);
	lineage(tgid, t, ti, &id, p.flags, p.mode);
	if (!ti)
		ti = bpf_map_lookup_elem(&tainted, &id);
	io_start(tgid, fd, f, &id, p.flags);
	emit_open(&p, false, fd, f, &id, t->classes, export_kind_of(&f->f_path), ti, 0);
	return io_of(tgid, fd);
}

/* Enter of a syscall that moves bytes: one lookup per fd when not accounted. */
static __always_inline int io_enter(int fd_in, int fd_out)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pending p = { .kind = PEND_IO, .fd_in = -1, .fd_out = -1 };

	if (fd_in >= 0 && fd_accounted(tgid, fd_in))
		p.fd_in = fd_in;
	if (fd_out >= 0 && (fd_accounted(tgid, fd_out) || adopt_fd(tgid, fd_out)))
		p.fd_out = fd_out;
	if (p.fd_in < 0 && p.fd_out < 0)
		return 0;
	pend(&p);
	return 0;
}

static __always_inline void io_add_read(struct file_io *io, long ret)
{
	__sync_fetch_and_add(&io->bytes_read, ret);
	__sync_fetch_and_add(&io->reads, 1);
}

static __always_inline void io_add_write(struct file_io *io, long ret)
{
	__sync_fetch_and_add(&io->bytes_written, ret);
	__sync_fetch_and_add(&io->writes, 1);
}

/* @ret bytes written to @fd: true when it is an accounted (regular) file. */
static __always_inline bool io_wrote(__u32 tgid, int fd, long ret)
{
	struct file_io *io = io_of(tgid, fd);

	if (!io && !(io = adopt_fd(tgid, fd)))
		return false;
	io_add_write(io, ret);
	return true;
}

/* Add @ret bytes to the files behind the accounted fds among @fd_in, @fd_out. */
static __always_inline void io_account(__u32 tgid, int fd_in, int fd_out, long ret)
{
	struct file_io *io;

	if (ret <= 0)
		return;
	if (fd_in >= 0 && (io = io_of(tgid, fd_in)))
		io_add_read(io, ret);
	if (fd_out >= 0)
		io_wrote(tgid, fd_out, ret);
}

static __always_inline int io_exit(long ret)
{
	struct pending p;

	if (unpend(&p, PEND_IO))
		io_account(bpf_get_current_pid_tgid() >> 32, p.fd_in, p.fd_out, ret);
	return 0;
}

/* ---- close and dup --------------------------------------------------------- */

static __always_inline void emit_close(__u32 tgid, int fd, struct file_io *io, __u16 flags)
{
	struct close_event *ev = event_buf();
	struct proc_track *t = track_of(tgid);

	if (!ev)
		return;
	fill_hdr(&ev->hdr, EV_CLOSE, t ? t->classes : 0);
	ev->hdr.flags |= flags;
	ev->fd = fd;
	if (fd <= CPRW_FIXED_FD_BASE) {
		ev->fd = CPRW_FIXED_FD_BASE - fd;
		ev->hdr.flags |= EVF_FIXED_FILE;
	}
	ev->open_flags = io->open_flags;
	ev->dev = io->id.dev;
	ev->ino = io->id.ino;
	ev->bytes_read = io->bytes_read;
	ev->bytes_written = io->bytes_written;
	ev->reads = io->reads;
	ev->writes = io->writes;
	submit(ev, sizeof(*ev));
}

/* An accounted fd goes away; the last one for a file sends the totals. */
static __always_inline void fd_release(__u32 tgid, int fd, __u16 evflags)
{
	__u64 key = fd_key(tgid, fd);
	__u64 *fp = bpf_map_lookup_elem(&fd_files, &key);
	struct file_io *io;
	__u64 file;

	if (!fp)
		return;
	file = *fp;
	bpf_map_delete_elem(&fd_files, &key);
	io = bpf_map_lookup_elem(&file_io, &file);
	if (!io)
		return;
	if (__sync_fetch_and_add(&io->refs, -1) > 1)
		return;
	emit_close(tgid, fd, io, evflags | (io->mmap_writes ? EVF_MMAP_WRITE : 0));
	bpf_map_delete_elem(&file_io, &file);
}

static __always_inline int close_enter(int fd)
{
	fd_release(bpf_get_current_pid_tgid() >> 32, fd, 0);
	return 0;
}

/* ---- mmap ------------------------------------------------------------------ */

#define PROT_WRITE_VAL 0x2
#define MAP_SHARED_VAL 0x01
#define MAP_SHARED_VALIDATE_VAL 0x03

/*
 * A shared writable mapping of an accounted file: what is written through it
 * passes no syscall.  The file's close says so (EVF_MMAP_WRITE: bytes
 * written unknown), and its munmap sends another close (fd -1) so the file
 * is scanned after the writes.  Only accounted fds pay more than one lookup.
 */
static __always_inline int mmap_enter(int fd, __u32 prot, __u32 flags)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pending p = { .kind = PEND_MMAP, .fd_in = fd };
	__u32 type = flags & 0x0f;

	if (!(prot & PROT_WRITE_VAL) ||
	    (type != MAP_SHARED_VAL && type != MAP_SHARED_VALIDATE_VAL) || !fd_accounted(tgid, fd))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int mmap_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct mapping_key key = { .tgid = tgid, .addr = ret };
	struct mapping m = {};
	struct pending p;
	struct file_io *io;

	if (!unpend(&p, PEND_MMAP) || (ret < 0 && ret > -4096))
		return 0;
	io = io_of(tgid, p.fd_in);
	if (!io)
		return 0;
	__sync_fetch_and_add(&io->mmap_writes, 1);
	m.id = io->id;
	m.open_flags = io->open_flags;
	bpf_map_update_elem(&mappings, &key, &m, BPF_ANY);
	return 0;
}

static __always_inline int munmap_enter(__u64 addr)
{
	struct mapping_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .addr = addr };
	struct pending p = { .kind = PEND_MUNMAP, .file = addr };

	if (!bpf_map_lookup_elem(&mappings, &key))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int munmap_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct mapping_key key = { .tgid = tgid };
	struct file_io io = {};
	struct mapping *m;
	struct pending p;

	if (!unpend(&p, PEND_MUNMAP) || ret)
		return 0;
	key.addr = p.file;
	m = bpf_map_lookup_elem(&mappings, &key);
	if (!m)
		return 0;
	io.id = m->id;
	io.open_flags = m->open_flags;
	emit_close(tgid, -1, &io, EVF_MMAP_WRITE);
	bpf_map_delete_elem(&mappings, &key);
	return 0;
}

/* dup2/dup3 close their target first, then make it name the old fd's file. */
static __always_inline int dup_enter(int oldfd, int newfd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = fd_key(tgid, oldfd);
	__u64 *fp;
	struct pending p = { .kind = PEND_DUP };

	if (newfd >= 0 && newfd != oldfd)
		fd_release(tgid, newfd, 0);
	fp = bpf_map_lookup_elem(&fd_files, &key);
	if (!fp)
		return 0;
	p.file = *fp;
	pend(&p);
	return 0;
}

static __always_inline int dup_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pending p;
	struct file_io *io;
	__u64 key;

	if (!unpend(&p, PEND_DUP) || ret < 0)
		return 0;
	io = bpf_map_lookup_elem(&file_io, &p.file);
	if (!io)
		return 0;
	key = fd_key(tgid, ret);
	__sync_fetch_and_add(&io->refs, 1);
	mark_hot(tgid);
	bpf_map_update_elem(&fd_files, &key, &p.file, BPF_ANY);
	return 0;
}

static __always_inline int fcntl_enter(int fd, int cmd)
{
	if (cmd != F_DUPFD_VAL && cmd != F_DUPFD_CLOEXEC_VAL)
		return 0;
	return dup_enter(fd, -1);
}

/* ---- rename and unlink (tracked processes) ----------------------------------- */

static __always_inline int rename_enter(int odfd, const char *oldn, int ndfd, const char *newn,
					__u32 flags)
{
	struct pending p = { .kind = PEND_RENAME,
			     .dfd = odfd,
			     .name = oldn,
			     .dfd2 = ndfd,
			     .name2 = newn,
			     .flags = flags };

	if (!wants_events(bpf_get_current_pid_tgid() >> 32))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int rename_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct rename_event *ev;
	struct proc_track *t;
	struct pending p;
	char *a, *b;
	__u32 olen, nlen;

	if (!unpend(&p, PEND_RENAME))
		return 0;
	ev = event_buf();
	a = path_buf(0);
	b = path_buf(1);
	if (!ev || !a || !b)
		return 0;
	t = track_of(tgid);
	fill_hdr(&ev->hdr, EV_RENAME, t ? t->classes : 0);
	ev->ret = ret;
	ev->flags = p.flags;
	olen = user_path_abs(b, 0, p.dfd, p.name);
	bpf_probe_read_kernel(ev->data, olen & PATH_MASK, b);
	nlen = user_path_abs(b, 0, p.dfd2, p.name2);
	bpf_probe_read_kernel(ev->data + (olen & PATH_MASK), nlen & PATH_MASK, b);
	ev->old_len = olen & PATH_MASK;
	ev->new_len = nlen & PATH_MASK;
	submit(ev, sizeof(*ev) + (olen & PATH_MASK) + (nlen & PATH_MASK));
	return 0;
}

static __always_inline int unlink_enter(int dfd, const char *name, __u32 flags)
{
	struct pending p = { .kind = PEND_UNLINK, .dfd = dfd, .name = name, .flags = flags };

	if (!wants_events(bpf_get_current_pid_tgid() >> 32))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int unlink_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct unlink_event *ev;
	struct proc_track *t;
	struct pending p;
	char *a, *b;
	__u32 len;

	if (!unpend(&p, PEND_UNLINK))
		return 0;
	ev = event_buf();
	a = path_buf(0);
	b = path_buf(1);
	if (!ev || !a || !b)
		return 0;
	t = track_of(tgid);
	fill_hdr(&ev->hdr, EV_UNLINK, t ? t->classes : 0);
	ev->ret = ret;
	ev->flags = p.flags;
	ev->pad = 0;
	len = user_path_abs(b, 0, p.dfd, p.name);
	bpf_probe_read_kernel(ev->path, len & PATH_MASK, b);
	ev->path_len = len & PATH_MASK;
	submit(ev, sizeof(*ev) + (len & PATH_MASK));
	return 0;
}

#endif
