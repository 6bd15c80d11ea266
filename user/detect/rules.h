/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Detection rules over decoded events and scan results: bulk_export,
 * export_volume, messaging_exfil, removable_media, archive_before_exfil,
 * lookup_burst, persons_viewed, clipboard_to_messaging, bulk_clipboard (and scan_refused and
 * scan_backlog, so a file a cap stopped or the queue dropped is never silently
 * passed).  The same code runs
 * live and in --replay; time is the events' own clock, so a replay gives the
 * same alerts as the live run did.
 *
 * This is the rules' outside; rules.c is the core (dispatch, suppression,
 * shared per-user state) and each family of rules is a file of its own,
 * detect/rule_*.c (see detect/README.md).
 */
#ifndef CPRW_RULES_H
#define CPRW_RULES_H

#include <stdint.h>
#include "alerts.h"
#include "rules_cfg.h"
#include "event/decode.h"
#include "event/filetab.h"
#include "lib/hashmap.h"
#include "event/procs.h"
#include "scan/scanq.h"

enum rule_id {
	RULE_BULK_EXPORT,
	RULE_EXPORT_VOLUME,
	RULE_MESSAGING_EXFIL,
	RULE_REMOVABLE_MEDIA,
	RULE_ARCHIVE_BEFORE_EXFIL,
	RULE_LOOKUP_BURST,
	RULE_SCAN_REFUSED,
	RULE_CLIPBOARD_TO_MESSAGING,
	RULE_BULK_CLIPBOARD,
	RULE_SCAN_BACKLOG,
	RULE_NETWORK_EXFIL,
	RULE_PRINT_EXPORT,
	RULE_ENCRYPTED_EXPORT,
	RULE_PERSONS_VIEWED,
	RULE_CLIPBOARD_UNSEEN,
	RULE_MAX,
};

struct person_key;
struct json;

/* What the rules ask of the agent. */
struct rules_ops {
	void (*scan)(void *arg, const struct scan_request *rq);
	void (*alert)(void *arg, const struct alert *a);
	void (*taint)(void *arg, const struct file_id *id, const struct file_id *origin,
		      __u32 tgid);
	void *arg;
};

struct rules {
	const struct rules_cfg *cfg;
	struct procs *procs;
	struct filetab *files;
	struct rules_ops ops;
	struct hashmap users;	    /* user -> latest CPR-client activity */
	struct endpoints *services; /* lookup_burst endpoints: the CPR services */
	struct hashmap suppress;    /* (rule, user, object) -> struct suppression */
	uint64_t now_ns;	    /* latest event time seen */
	void **state;		    /* per rule family (detect/rule_*.c), by table order */
	unsigned int flags;	    /* enum rules_flags */
	unsigned int tls_cpr;	    /* distinct CPR numbers in the TLS read at hand */
	uint64_t fired[RULE_MAX];
	uint64_t folded[RULE_MAX]; /* repeats folded by suppression */
};

extern const char *const rule_names[RULE_MAX];

enum rules_flags {
	/*
	 * A replay: nothing waits on the rules, and a replay must give the same
	 * alerts every run, so endpoint names are resolved at once, not by a
	 * thread whose answer may come after the first connects.
	 */
	RULES_REPLAY = 1,
};

int rules_init(struct rules *r, const struct rules_cfg *cfg, struct procs *procs,
	       struct filetab *files, const struct rules_ops *ops, unsigned int flags);
void rules_free(struct rules *r);
/* The config changed (reload): every family re-reads it (look-up endpoints are resolved again). */
void rules_reconfigure(struct rules *r);
/* @ev has been applied to the process table and file table already. */
void rules_on_event(struct rules *r, const struct event *ev, const struct proc *p);
void rules_on_scan(struct rules *r, const struct scan_request *rq, const struct scan_result *res);
/* A scan the queue dropped (full, or the user's share full): scan_backlog. */
void rules_on_scan_dropped(struct rules *r, const struct scan_request *rq, unsigned int queued);
/*
 * Keep daily person totals under @state_dir (live runs; replay keeps none);
 * @key hashes the persons seen inside TLS.  0 or -ENOMEM.
 */
int rules_open_state(struct rules *r, const char *state_dir, const struct person_key *key);
/*
 * A TLS call's plaintext (ev->args, ev->args_len): a write's request line is
 * matched against the look-up patterns, a read is scanned for CPR numbers,
 * which count as persons viewed.  Returns the distinct CPR numbers in it.
 */
unsigned int rules_on_tls(struct rules *r, const struct event *ev, const struct proc *p);
/*
 * "users": per login user, look-ups in the last hour and persons today
 * (counts only), as of @now_ns (monotonic; rules time only moves forward).
 */
void rules_users_json(struct rules *r, struct json *j, uint64_t now_ns);
/* The CPR services' addresses now known (numeric and resolved); see endpoints_addrs(). */
struct endpoints *rules_services(struct rules *r);
/* Send the follow-ups of suppression windows that ended by @now_ns (all when @all). */
void rules_tick(struct rules *r, uint64_t now_ns, bool all);

#endif
