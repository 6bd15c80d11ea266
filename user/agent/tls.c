// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "cprwatch/events.h"
#include "event/procs.h"
#include "lib/json.h"
#include "lib/log.h"
#include "tls.h"

/* A library call and how it is probed. */
struct tls_target {
	unsigned int kind; /* enum tls_lib */
	const char *symbol;
	bool read; /* a read: entry and return probes */
	bool ex;   /* length through a pointer (SSL_*_ex) */
};

static const struct tls_target targets[] = {
	{ TLS_LIB_OPENSSL, "SSL_write", false, false },
	{ TLS_LIB_OPENSSL, "SSL_write_ex", false, true },
	{ TLS_LIB_OPENSSL, "SSL_read", true, false },
	{ TLS_LIB_OPENSSL, "SSL_read_ex", true, true },
	{ TLS_LIB_GNUTLS, "gnutls_record_send", false, false },
	{ TLS_LIB_GNUTLS, "gnutls_record_recv", true, false },
	{ TLS_LIB_NSS, "PR_Write", false, false },
	{ TLS_LIB_NSS, "PR_Send", false, false },
	{ TLS_LIB_NSS, "PR_Read", true, false },
	{ TLS_LIB_NSS, "PR_Recv", true, false },
};

#define NR_TARGETS (sizeof(targets) / sizeof(targets[0]))

static const struct {
	unsigned int kind;
	const char *soname;
} sonames[] = {
	{ TLS_LIB_OPENSSL, "libssl.so.3" },
	{ TLS_LIB_OPENSSL, "libssl.so.1.1" },
	{ TLS_LIB_GNUTLS, "libgnutls.so.30" },
	{ TLS_LIB_NSS, "libnspr4.so" },
};

/* System library directories; /lib is /usr/lib on a merged-/usr system (same inode, kept once). */
static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu",
	"/usr/lib64",
	"/usr/lib",
	"/usr/local/lib",
	NULL,
};

static int add_one(struct tls_probes *tp, struct bpf_object *obj, const char *path,
		   const struct tls_target *t, long off)
{
	__u64 cookie = t->kind | (t->ex ? TLS_CALL_EX : 0);
	const char *entry = t->read ? "tls_read_enter" : "tls_write";
	int ret;

	ret = uprobes_proc_add(&tp->up, bpf_object__find_program_by_name(obj, entry), "tls", path,
			       off, false, cookie);
	if (!ret && t->read)
		ret = uprobes_proc_add(&tp->up,
				       bpf_object__find_program_by_name(obj, "tls_read_exit"),
				       "tls", path, off, true, cookie);
	return ret;
}

/* Register @path's TLS calls; how many it defines. */
static int register_lib(struct tls_probes *tp, struct bpf_object *obj, unsigned int kind,
			const char *path)
{
	struct uprobe_syms syms;
	int n = 0;
	size_t i;

	if (uprobe_syms_read(path, &syms))
		return 0;
	for (i = 0; i < NR_TARGETS; i++) {
		long s = targets[i].kind == kind ? uprobe_syms_find(&syms, targets[i].symbol) : -1;

		/* a call this version lacks (SSL_read_ex before 1.1.1) is no error */
		if (s >= 0 && !add_one(tp, obj, path, &targets[i], syms.offsets[s]))
			n++;
	}
	uprobe_syms_free(&syms);
	return n;
}

int tls_probes_init(struct tls_probes *tp, struct bpf_object *obj, bool multi)
{
	struct stat st, seen[TLS_LIBS_MAX];
	char path[512];
	size_t s, d;
	unsigned int i;
	int ret;

	memset(tp, 0, sizeof(*tp));
	ret = uprobes_proc_init(&tp->up, UPROBES_MAX_PROCS, multi);
	if (ret)
		return ret;
	tp->up_ready = true;
	for (s = 0; s < sizeof(sonames) / sizeof(sonames[0]); s++) {
		for (d = 0; lib_dirs[d] && tp->nr_libs < TLS_LIBS_MAX; d++) {
			snprintf(path, sizeof(path), "%s/%s", lib_dirs[d], sonames[s].soname);
			if (stat(path, &st) || !S_ISREG(st.st_mode))
				continue;
			for (i = 0; i < tp->nr_libs; i++)
				if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
					break;
			if (i < tp->nr_libs || !register_lib(tp, obj, sonames[s].kind, path))
				continue;
			seen[tp->nr_libs] = st;
			snprintf(tp->libs[tp->nr_libs++], sizeof(tp->libs[0]), "%s", path);
			log_info("TLS probes: %s is probed in CPR clients", path);
		}
	}
	if (!tp->nr_libs)
		log_warn("TLS probes: no OpenSSL, GnuTLS or NSS library found; look-ups inside "
			 "TLS are counted as connection turns only");
	return 0;
}

void tls_probes_free(struct tls_probes *tp)
{
	if (tp->up_ready)
		uprobes_proc_free(&tp->up);
	memset(tp, 0, sizeof(*tp));
}

void tls_follow(struct tls_probes *tp, const struct proc *p, uint64_t event_ns)
{
	if (!tp->up_ready || !tp->nr_libs || !p || !(p->classes & CLASS_CPR_CLIENT) ||
	    uprobes_proc_has(&tp->up, p->tgid))
		return;
	uprobes_proc_attach(&tp->up, p->tgid, event_ns);
}

void tls_detach(struct tls_probes *tp, int tgid)
{
	if (tp->up_ready)
		uprobes_proc_detach(&tp->up, tgid);
}

void tls_status_json(struct json *j, const struct tls_probes *tp)
{
	unsigned int i;

	json_key(j, "tls_probes");
	json_obj_begin(j);
	json_key(j, "libraries");
	json_arr_begin(j);
	for (i = 0; tp && i < tp->nr_libs; i++)
		json_str(j, tp->libs[i]);
	json_arr_end(j);
	if (tp && tp->up_ready) {
		json_key(j, "attach");
		uprobes_proc_status_json(j, &tp->up);
	}
	json_obj_end(j);
}
