/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files and paths: fd -> struct file, (dev, ino) identity, and absolute paths
 * built from the dentry chain (crossing mount points), so a file on a USB
 * stick or a tmpfs shows its full path whatever string the program passed.
 * Written once here and used by every probe.
 */
#ifndef CPRW_BPF_PATH_H
#define CPRW_BPF_PATH_H

#include "maps.h"
#include <bpf/bpf_core_read.h>

#define NAME_MASK 255 /* d_name.len of one component is at most NAME_MAX */
#define PATH_MASK (CPRW_PATH_MAX - 1)
#define AT_FDCWD_VAL -100

/* current->files->fdt->fd[fd], or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void dentry_id(struct dentry *d, struct file_id *id)
{
	id->dev = BPF_CORE_READ(d, d_sb, s_dev);
	id->ino = BPF_CORE_READ(d, d_inode, i_ino);
}

static __always_inline void file_id_of(struct file *f, struct file_id *id)
{
	id->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	id->ino = BPF_CORE_READ(f, f_inode, i_ino);
}

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * One step up the tree.  Returns false at the root of the mount namespace
 * (or at a detached dentry).  Crossing a mount point takes the dentry the
 * filesystem is mounted on, in the parent mount.
 */
static __always_inline bool step_up(struct dentry **dentry, struct vfsmount **vfsmnt, bool *crossed)
{
	struct dentry *d = *dentry;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct dentry *mnt_root = BPF_CORE_READ(*vfsmnt, mnt_root);
	struct mount *mnt, *mnt_parent;

	*crossed = false;
	if (d != mnt_root && d != parent) {
		*dentry = parent;
		return true;
	}
	if (d != mnt_root)
		return false;
	mnt = real_mount(*vfsmnt);
	mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	if (mnt_parent == mnt)
		return false;
	*dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
	*vfsmnt =
		(struct vfsmount *)((char *)mnt_parent + bpf_core_field_offset(struct mount, mnt));
	*crossed = true;
	return true;
}

/*
 * The walks run under bpf_loop so the verifier checks one step once instead
 * of every unrolled iteration (an inlined 32-step walk in each open probe
 * overruns the verifier's budget).
 */
struct walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	__u32 buf_idx; /* path_scratch slot */
	__u32 off;     /* start of the path built so far */
	__u32 result;  /* export kind found */
	bool truncated;
};

static int path_step(__u32 i, void *arg)
{
	struct walk_ctx *w = arg;
	struct dentry *cur = w->dentry;
	struct qstr name;
	bool crossed;
	__u32 len, off = w->off;
	char *buf;

	if (!step_up(&w->dentry, &w->vfsmnt, &crossed)) {
		w->truncated = false;
		return 1;
	}
	if (crossed)
		return 0; /* a mount root has no name of its own */
	buf = bpf_map_lookup_elem(&path_scratch, &w->buf_idx);
	if (!buf)
		return 1;
	name = BPF_CORE_READ(cur, d_name);
	len = name.len & NAME_MASK;
	if (len + 1 >= off) /* keep off >= 1: lengths stay below CPRW_PATH_MAX */
		return 1;
	off -= len + 1;
	bpf_probe_read_kernel(buf + (off & PATH_MASK) + 1, len, name.name);
	buf[off & PATH_MASK] = '/';
	w->off = off;
	return 0;
}

/*
 * Build the absolute path of @p backwards into path_scratch slot @idx: the
 * result is the NUL-terminated string at buf + return value, ending at
 * buf[CPRW_PATH_MAX - 1].  *truncated is set when the depth bound or the
 * length bound cut it (then the path holds the deepest components).
 */
static __always_inline __u32 path_build(const struct path *p, __u32 idx, bool *truncated)
{
	struct walk_ctx w = {
		.dentry = BPF_CORE_READ(p, dentry),
		.vfsmnt = BPF_CORE_READ(p, mnt),
		.buf_idx = idx,
		.off = CPRW_PATH_MAX - 1,
		.truncated = true,
	};
	char *buf = bpf_map_lookup_elem(&path_scratch, &idx);

	if (!buf) {
		*truncated = true;
		return 0;
	}
	buf[CPRW_PATH_MAX - 1] = '\0';
	bpf_loop(CPRW_PATH_DEPTH * 2, path_step, &w, 0);
	if (w.off == CPRW_PATH_MAX - 1) {
		w.off--;
		buf[w.off & PATH_MASK] = '/';
	}
	*truncated = w.truncated;
	if (w.truncated)
		counter_add(CNT_PATH_TRUNC, 1);
	return w.off & PATH_MASK;
}

/* Copy a path built by path_build into @dst; returns the length with its NUL. */
static __always_inline __u32 path_copy(char *dst, const char *buf, __u32 off)
{
	__u32 len = CPRW_PATH_MAX - (off & PATH_MASK);

	bpf_probe_read_kernel(dst, len & PATH_MASK, buf + (off & PATH_MASK));
	return len & PATH_MASK;
}

static __always_inline char *path_buf(__u32 idx)
{
	return bpf_map_lookup_elem(&path_scratch, &idx);
}

static int export_step(__u32 i, void *arg)
{
	struct walk_ctx *w = arg;
	struct file_id id;
	bool crossed;
	__u32 *kind;

	if (!step_up(&w->dentry, &w->vfsmnt, &crossed))
		return 1;
	dentry_id(w->dentry, &id);
	kind = bpf_map_lookup_elem(&export_dirs, &id);
	if (!kind)
		return 0;
	w->result = *kind;
	return 1;
}

/*
 * The export kind of the nearest watched export directory above @p, or 0.
 * Checks each ancestor's (dev, ino); a file on removable media mounted below
 * /media is found through the mount crossing.
 */
static __always_inline __u32 export_kind_of(const struct path *p)
{
	struct walk_ctx w = {
		.dentry = BPF_CORE_READ(p, dentry),
		.vfsmnt = BPF_CORE_READ(p, mnt),
	};

	bpf_loop(CPRW_PATH_DEPTH, export_step, &w, 0);
	return w.result;
}

/*
 * Absolute form of a user-supplied name relative to @dfd (or the cwd):
 * directory path from the dentry walk, then '/', then the string as given
 * (not normalised: "..", "." and symlinks stay as the program wrote them).
 * @dst is PATH_SCRATCH bytes, path_scratch slot @scratch_idx is used for the walk; returns the length with the NUL.
 */
static __always_inline __u32 user_path_abs(char *dst, __u32 scratch_idx, int dfd, const char *name)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path dir;
	char first = 0;
	char *scratch;
	bool trunc;
	__u32 dlen = 0, off;
	long n;

	bpf_probe_read_user(&first, 1, name);
	if (first != '/') {
		if (dfd == AT_FDCWD_VAL) {
			dir = BPF_CORE_READ(task, fs, pwd);
		} else {
			struct file *f = fd_file(dfd);

			if (!f)
				goto append;
			dir = BPF_CORE_READ(f, f_path);
		}
		off = path_build(&dir, scratch_idx, &trunc);
		scratch = path_buf(scratch_idx);
		if (!scratch)
			goto append;
		dlen = path_copy(dst, scratch, off);
		if (dlen > 0)
			dlen--; /* overwrite the NUL */
		if (dlen > 1)
			dst[dlen & PATH_MASK] = '/';
		if (dlen > 1)
			dlen++;
	}
append:
	if (dlen > CPRW_PATH_MAX - 256)
		dlen = CPRW_PATH_MAX - 256;
	n = bpf_probe_read_user_str(dst + (dlen & PATH_MASK), 256, name);
	if (n <= 0) {
		dst[dlen & PATH_MASK] = '\0';
		n = 1;
	}
	return ((dlen & PATH_MASK) + n) & PATH_MASK;
}

#endif
