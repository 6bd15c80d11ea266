// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-process uprobes: see uprobes_proc.h.  Offsets are resolved once, when
 * a probe is registered, so attaching to a process is one perf_event_open
 * per probe and no ELF parsing (libbpf would parse the file per attach when
 * given a symbol name).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "lib/time.h"
#include "uprobes_proc.h"
#include "lib/json.h"
#include "lib/log.h"

#define REAPER_QUIET_US 1000000

/* Newer than libbpf 1.1.2's headers (uapi/linux/bpf.h of Linux 6.6). */
#define BPF_TRACE_UPROBE_MULTI_VAL 48
#define BPF_F_UPROBE_MULTI_RETURN_VAL 1

/* One attached probe: a uprobe_multi link fd, or a libbpf perf-event link. */
struct up_link {
	struct bpf_link *perf;
	int fd; /* -1: none */
};

/* The links of one process, one per registered probe. */
struct uprobes_of {
	struct uprobes_of *next; /* on the detach thread's list */
	size_t nr;
	struct up_link links[];
};

static void link_destroy(struct up_link *l)
{
	if (l->perf)
		bpf_link__destroy(l->perf);
	if (l->fd >= 0)
		close(l->fd);
	l->perf = NULL;
	l->fd = -1;
}

/* Does this kernel's BTF know BPF_TRACE_UPROBE_MULTI (Linux 6.6+)? */
bool uprobes_multi_supported(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	bool yes = false;
	int id, i;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, e = t ? btf_enum(t) : NULL; e && i < btf_vlen(t) && !yes; i++, e++)
		yes = !strcmp(btf__name_by_offset(btf, e->name_off), "BPF_TRACE_UPROBE_MULTI");
	btf__free(btf);
	return yes;
}

void uprobes_proc_prepare(struct bpf_program *prog, bool multi)
{
	if (multi)
		bpf_program__set_expected_attach_type(prog, BPF_TRACE_UPROBE_MULTI_VAL);
}

/*
 * A uprobe_multi link for one probe, filtered to @pid's thread group (0: every
 * process).  libbpf 1.1.2 has no API for it: the bpf() call by hand, with the
 * link_create layout of uapi/linux/bpf.h.
 */
static int multi_link(const struct uprobe_spec *s, int pid)
{
	struct {
		__u32 prog_fd, target_fd, attach_type, flags;
		__u64 path, offsets, ref_ctr_offsets, cookies;
		__u32 cnt, multi_flags, pid, pad;
	} attr;
	__u64 off = s->offset, cookie = s->cookie;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = bpf_program__fd(s->prog);
	attr.attach_type = BPF_TRACE_UPROBE_MULTI_VAL;
	attr.path = (uintptr_t)s->path;
	attr.offsets = (uintptr_t)&off;
	attr.cookies = (uintptr_t)&cookie;
	attr.cnt = 1;
	attr.multi_flags = s->retprobe ? BPF_F_UPROBE_MULTI_RETURN_VAL : 0;
	attr.pid = pid > 0 ? pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/*
 * Every attached probe holds a perf event fd: up to max_procs times the
 * probes.  Raise the soft limit to the hard one, as a busy desktop with a
 * few hundred tracked processes would pass the usual 1024.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void links_destroy(struct up_link *links, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		link_destroy(&links[i]);
}

/*
 * Destroying a uprobe waits for RCU grace periods under locks an attach
 * needs too (a perf uprobe: the kernel's event_mutex, ~70 ms a probe
 * measured; uprobe_multi: the uprobe's own locks), and an attach that queues
 * behind it widens the exec-to-probes window.  So the reaper destroys only
 * after REAPER_QUIET_US without an attach, link by link, and never while
 * one runs; at shutdown (@up->stopping) it no longer waits.
 */
static bool reaper_may_destroy(struct uprobes_proc *up)
{
	if (__atomic_load_n(&up->stopping_now, __ATOMIC_ACQUIRE))
		return true;
	return !__atomic_load_n(&up->attaching, __ATOMIC_ACQUIRE) &&
	       time_mono_ns() / 1000 - __atomic_load_n(&up->last_attach_us, __ATOMIC_ACQUIRE) >=
		       REAPER_QUIET_US;
}

/*
 * Closing a uprobe_multi link waits for an RCU tasks-trace grace period
 * (uprobe_unregister_sync), outside any lock an attach takes, and grace
 * periods asked for at the same time are shared.  Closed one after another,
 * a process's 8 links cost 8 grace periods (0.5-1 s each on a loaded
 * 2-core machine, which made the agent take 20 s to stop); closed by a few
 * threads at once they cost about one.
 */
#define CLOSERS_MAX 16

struct closers {
	struct up_link **links;
	size_t n, next;
};

static void *closer_main(void *arg)
{
	struct closers *c = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < c->n)
		link_destroy(c->links[i]);
	return NULL;
}

static void links_destroy_parallel(struct up_link **links, size_t n)
{
	struct closers c = { .links = links, .n = n };
	pthread_t t[CLOSERS_MAX];
	size_t i, started = 0;

	for (i = 0; i < n && i < CLOSERS_MAX; i++)
		if (!pthread_create(&t[started], NULL, closer_main, &c))
			started++;
	closer_main(&c); /* no thread could start: the caller closes them all */
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* the links of every process on @o's list, for one parallel close */
static struct up_link **links_of(struct uprobes_of *o, size_t *n)
{
	struct up_link **v;
	struct uprobes_of *p;
	size_t i, k = 0;

	for (p = o; p; p = p->next)
		k += p->nr;
	v = calloc(k ? k : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (p = o; p; p = p->next)
		for (i = 0; i < p->nr; i++)
			v[(*n)++] = &p->links[i];
	return v;
}

/*
 * Perf-event uprobes are destroyed under the kernel's event_mutex, grace
 * period included, so threads would only queue on it: one by one, and only
 * while no attach runs.
 */
static void of_destroy_all(struct uprobes_proc *up, struct uprobes_of *o)
{
	struct up_link **v = NULL;
	size_t i, n = 0;

	if (up->multi && o && (v = links_of(o, &n))) {
		while (!reaper_may_destroy(up))
			usleep(10000);
		links_destroy_parallel(v, n);
	}
	free(v);
	while (o) {
		struct uprobes_of *next = o->next;

		for (i = 0; i < o->nr; i++) {
			while (o->links[i].fd >= 0 || o->links[i].perf) {
				if (reaper_may_destroy(up)) {
					link_destroy(&o->links[i]);
					break;
				}
				usleep(10000);
			}
		}
		free(o);
		o = next;
	}
}

static void *reaper_main(void *arg)
{
	struct uprobes_proc *up = arg;
	struct uprobes_of *list;
	bool stop;

	do {
		pthread_mutex_lock(&up->lock);
		while (!up->doomed && !up->stopping)
			pthread_cond_wait(&up->cond, &up->lock);
		list = up->doomed;
		up->doomed = NULL;
		stop = up->stopping;
		pthread_mutex_unlock(&up->lock);
		of_destroy_all(up, list);
	} while (!stop);
	return NULL;
}

int uprobes_proc_init(struct uprobes_proc *up, size_t max_procs, bool multi)
{
	int ret;

	memset(up, 0, sizeof(*up));
	up->max_procs = max_procs;
	up->multi = multi;
	raise_nofile();
	ret = hashmap_init(&up->procs, 64);
	if (!ret)
		ret = hashmap_init(&up->exe_cache, 64);
	if (!ret)
		ret = hashmap_init(&up->so_cache, 64);
	if (ret)
		return ret;
	pthread_mutex_init(&up->lock, NULL);
	pthread_cond_init(&up->cond, NULL);
	ret = -pthread_create(&up->reaper, NULL, reaper_main, up);
	up->reaper_up = !ret;
	return ret;
}

void uprobes_proc_free(struct uprobes_proc *up)
{
	struct uprobes_of *o;
	size_t it = 0, n = 0;
	void *v;

	if (up->reaper_up) {
		__atomic_store_n(&up->stopping_now, true, __ATOMIC_RELEASE);
		pthread_mutex_lock(&up->lock);
		up->stopping = true;
		pthread_cond_signal(&up->cond);
		pthread_mutex_unlock(&up->lock);
		pthread_join(up->reaper, NULL);
		pthread_mutex_destroy(&up->lock);
		pthread_cond_destroy(&up->cond);
	}
	/* every process's links in one go, so their grace periods are shared */
	while (hashmap_next(&up->procs, &it, NULL, &v)) {
		struct uprobes_of *o = v;

		o->next = up->doomed;
		up->doomed = o;
	}
	for (o = up->doomed; o; o = o->next)
		n += o->nr;
	if (n)
		log_info("detaching %zu uprobes%s", n,
			 up->multi ? "" : " (perf-event links: a kernel grace period each)");
	of_destroy_all(up, up->doomed);
	hashmap_free(&up->procs);
	hashmap_free(&up->exe_cache);
	hashmap_free(&up->so_cache);
	links_destroy(up->global, up->nr_global);
	free(up->global);
	free(up->specs);
	memset(up, 0, sizeof(*up));
}

int uprobes_proc_add(struct uprobes_proc *up, struct bpf_program *prog, const char *owner,
		     const char *path, size_t offset, bool retprobe, __u64 cookie)
{
	struct uprobe_spec *s;

	if (up->nr_specs == up->cap_specs) {
		size_t cap = up->cap_specs ? 2 * up->cap_specs : 16;

		s = realloc(up->specs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		up->specs = s;
		up->cap_specs = cap;
	}
	s = &up->specs[up->nr_specs++];
	memset(s, 0, sizeof(*s));
	s->prog = prog;
	s->owner = owner;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->offset = offset;
	s->retprobe = retprobe;
	s->cookie = cookie;
	return 0;
}

/* Attach @s for @pid (-1: every process) into @l; 0 or -errno. */
static int attach_spec(const struct uprobes_proc *up, const struct uprobe_spec *s, int pid,
		       struct up_link *l)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = s->retprobe, .bpf_cookie = s->cookie);

	l->perf = NULL;
	l->fd = -1;
	if (up->multi) {
		l->fd = multi_link(s, pid);
		return l->fd < 0 ? l->fd : 0;
	}
	l->perf = bpf_program__attach_uprobe_opts(s->prog, pid, s->path, s->offset, &opts);
	return l->perf ? 0 : -errno;
}

static void note_delay(struct uprobes_proc *up, uint64_t event_ns)
{
	uint64_t now = time_mono_ns() / 1000, ev = event_ns / 1000;

	if (!event_ns || now < ev)
		return;
	up->stats.delay_last_us = now - ev;
	if (up->stats.delay_last_us > up->stats.delay_max_us)
		up->stats.delay_max_us = up->stats.delay_last_us;
}

static int attach_global(struct uprobes_proc *up)
{
	size_t i;
	int n = 0;

	if (up->global)
		return 0;
	up->global = calloc(up->nr_specs ?: 1, sizeof(*up->global));
	if (!up->global)
		return -ENOMEM;
	up->nr_global = up->nr_specs;
	for (i = 0; i < up->nr_specs; i++) {
		if (!attach_spec(up, &up->specs[i], -1, &up->global[i]))
			n++;
		else
			up->stats.link_errors++;
	}
	return n;
}

int uprobes_proc_attach(struct uprobes_proc *up, int tgid, uint64_t event_ns)
{
	struct uprobes_of *o;
	uint64_t t0;
	size_t i;
	int n = 0, err = 0;

	if (tgid == UPROBES_SYSTEM_WIDE)
		return attach_global(up);
	if (!up->nr_specs || up->global || hashmap_get(&up->procs, tgid))
		return 0;
	if (up->procs.len >= up->max_procs) {
		up->stats.refused++;
		return -E2BIG;
	}
	o = calloc(1, sizeof(*o) + up->nr_specs * sizeof(o->links[0]));
	if (!o)
		return -ENOMEM;
	o->nr = up->nr_specs;
	t0 = time_mono_ns() / 1000;
	__atomic_store_n(&up->attaching, true, __ATOMIC_RELEASE);
	__atomic_store_n(&up->last_attach_us, t0, __ATOMIC_RELEASE);
	for (i = 0; i < up->nr_specs; i++) {
		err = attach_spec(up, &up->specs[i], tgid, &o->links[i]);
		if (!err) {
			n++;
			continue;
		}
		if (err == -ESRCH)
			break; /* it exited: the rest would fail the same way */
		up->stats.link_errors++;
	}
	__atomic_store_n(&up->last_attach_us, time_mono_ns() / 1000, __ATOMIC_RELEASE);
	__atomic_store_n(&up->attaching, false, __ATOMIC_RELEASE);
	if (!n) {
		free(o);
		if (err == -ESRCH)
			up->stats.gone++;
		return err ?: -ENOENT;
	}
	if (hashmap_put(&up->procs, tgid, o, NULL)) {
		links_destroy(o->links, o->nr);
		free(o);
		return -ENOMEM;
	}
	up->stats.attached++;
	up->stats.attach_last_us = time_mono_ns() / 1000 - t0;
	note_delay(up, event_ns);
	return n;
}

void uprobes_proc_detach(struct uprobes_proc *up, int tgid)
{
	struct uprobes_of *o = hashmap_del(&up->procs, tgid);

	if (!o)
		return;
	up->stats.detached++;
	if (!up->reaper_up) {
		o->next = NULL;
		of_destroy_all(up, o);
		return;
	}
	pthread_mutex_lock(&up->lock);
	o->next = up->doomed;
	up->doomed = o;
	pthread_cond_signal(&up->cond);
	pthread_mutex_unlock(&up->lock);
}

bool uprobes_proc_has(const struct uprobes_proc *up, int tgid)
{
	return up->global || hashmap_get(&up->procs, tgid);
}

size_t uprobes_proc_count(const struct uprobes_proc *up)
{
	return up->procs.len;
}

void uprobes_proc_status_json(struct json *j, const struct uprobes_proc *up)
{
	json_obj_begin(j);
	json_kv_u64(j, "probes", up->nr_specs);
	json_kv_str(j, "link", up->multi ? "uprobe_multi" : "perf_event");
	json_kv_bool(j, "system_wide", up->global != NULL);
	json_kv_u64(j, "processes", up->procs.len);
	json_kv_u64(j, "max_processes", up->max_procs);
	json_kv_u64(j, "attached", up->stats.attached);
	json_kv_u64(j, "detached", up->stats.detached);
	json_kv_u64(j, "refused", up->stats.refused);
	json_kv_u64(j, "gone", up->stats.gone);
	json_kv_u64(j, "link_errors", up->stats.link_errors);
	json_kv_u64(j, "attach_last_us", up->stats.attach_last_us);
	json_kv_u64(j, "delay_last_us", up->stats.delay_last_us);
	json_kv_u64(j, "delay_max_us", up->stats.delay_max_us);
	json_obj_end(j);
}

/* ---- which programs need probes ---------------------------------------------- */

#define NEEDED_DEPTH 6
#define CACHE_NO ((void *)1)
#define CACHE_YES ((void *)2)

/* Where sonames are looked for when following DT_NEEDED. */
static const char *const so_dirs[] = {
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
	NULL,
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static bool probed_soname(const struct uprobes_proc *up, const char *soname)
{
	size_t i;

	for (i = 0; i < up->nr_specs; i++) {
		const char *base = strrchr(up->specs[i].path, '/');

		if (!strcmp(base ? base + 1 : up->specs[i].path, soname))
			return true;
	}
	return false;
}

static bool links_probed(struct uprobes_proc *up, const char *path, int depth);

static bool soname_probed(struct uprobes_proc *up, const char *soname, int depth)
{
	uint64_t key = str_hash(soname);
	void *c = hashmap_get(&up->so_cache, key);
	char path[512];
	bool yes = false;
	int d;

	if (c)
		return c == CACHE_YES;
	if (probed_soname(up, soname))
		yes = true;
	/* marked "no" while it is walked: a dependency cycle ends here */
	hashmap_put(&up->so_cache, key, CACHE_NO, NULL);
	for (d = 0; !yes && so_dirs[d] && depth < NEEDED_DEPTH; d++) {
		snprintf(path, sizeof(path), "%s/%s", so_dirs[d], soname);
		if (!access(path, R_OK)) {
			yes = links_probed(up, path, depth + 1);
			break;
		}
	}
	hashmap_put(&up->so_cache, key, yes ? CACHE_YES : CACHE_NO, NULL);
	return yes;
}

/* Whether the ELF file @path needs, directly or through its DT_NEEDED, a probed library. */
static bool links_probed(struct uprobes_proc *up, const char *path, int depth)
{
	Elf_Scn *scn = NULL;
	bool yes = false;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	while (elf && !yes && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Dyn dyn;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && !yes && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			yes = name && !strchr(name, '/') && soname_probed(up, name, depth);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return yes;
}

bool uprobes_proc_wanted(struct uprobes_proc *up, const char *exe, uint64_t dev, uint64_t ino)
{
	uint64_t key = hashmap_hash_pair(dev, ino);
	void *c = hashmap_get(&up->exe_cache, key);
	bool yes;

	if (c)
		return c == CACHE_YES;
	yes = links_probed(up, exe, 0);
	hashmap_put(&up->exe_cache, key, yes ? CACHE_YES : CACHE_NO, NULL);
	return yes;
}

/* ---- symbols ------------------------------------------------------------- */

void uprobe_syms_free(struct uprobe_syms *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->offsets);
	memset(s, 0, sizeof(*s));
}

/* The file offset of @sym: its address, relative to the section that holds it. */
/*
 * The symbol's offset in the file, when it lies in its section's bytes and
 * inside the file: a library from a user-writable place may say anything.
 */
static bool sym_offset(Elf *elf, const GElf_Sym *sym, size_t file_size, size_t *off)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
	    sym->st_value < sh.sh_addr || sym->st_value - sh.sh_addr >= sh.sh_size)
		return false;
	*off = sym->st_value - sh.sh_addr + sh.sh_offset;
	return *off >= sh.sh_offset && *off < file_size;
}

static int syms_push(struct uprobe_syms *s, const char *name, size_t off)
{
	char **nn = realloc(s->names, (s->n + 1) * sizeof(*nn));
	size_t *no;

	if (!nn)
		return -ENOMEM;
	s->names = nn;
	no = realloc(s->offsets, (s->n + 1) * sizeof(*no));
	if (!no)
		return -ENOMEM;
	s->offsets = no;
	s->names[s->n] = strdup(name);
	if (!s->names[s->n])
		return -ENOMEM;
	s->offsets[s->n++] = off;
	return 0;
}

static int syms_of_scn(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, size_t file_size,
		       struct uprobe_syms *s)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, cnt = sh->sh_size / sh->sh_entsize;

	for (i = 0; data && i < cnt; i++) {
		GElf_Sym sym;
		const char *name;
		size_t off;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || !sym_offset(elf, &sym, file_size, &off))
			continue;
		if (syms_push(s, name, off))
			return -ENOMEM;
	}
	return 0;
}

int uprobe_syms_read(const char *path, struct uprobe_syms *s)
{
	Elf_Scn *scn = NULL;
	struct stat st;
	Elf *elf;
	int fd, ret = -ENOENT;

	memset(s, 0, sizeof(*s));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		ret = syms_of_scn(elf, scn, &sh, st.st_size, s);
		if (ret)
			break;
	}
	elf_end(elf);
	close(fd);
	if (ret)
		uprobe_syms_free(s);
	return ret;
}

long uprobe_syms_find(const struct uprobe_syms *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return i;
	return -1;
}

long uprobe_syms_find_prefix(const struct uprobe_syms *s, const char *prefix)
{
	size_t i, len = strlen(prefix);

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->names[i], prefix, len))
			return i;
	return -1;
}
