/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Inside the rules: what a rule family (detect/rule_*.c) gets from the core
 * (detect/rules.c) and what it gives back.  A family is a table of hooks,
 * each called for one kind of input; the core calls every family's hook in
 * the order of the family table, so the order of alerts an input raises is
 * fixed.  See detect/README.md for how to add one.
 */
#ifndef CPRW_RULES_INT_H
#define CPRW_RULES_INT_H

#include "rules.h"

#define NS 1000000000ULL
#define MIB (1024ULL * 1024ULL)
#define APP_CLASSES (CLASS_MESSAGING | CLASS_BROWSER | CLASS_SYNC)
#define LINEAGE_CLASSES (CLASS_CPR_CLIENT | CLASS_TAINTED)
/* programs whose opens of CPR data are themselves the finding */
#define READER_CLASSES (APP_CLASSES | CLASS_ARCHIVER | CLASS_PRINTER)

/* @ev has been applied to the process and file tables; @p is its process or NULL. */
typedef void (*rule_event_fn)(struct rules *r, void *st, const struct event *ev,
			      const struct proc *p);
typedef void (*rule_scan_fn)(struct rules *r, void *st, const struct scan_request *rq,
			     const struct scan_result *res);

struct rule_family {
	const char *name;
	size_t state_size; /* the core allocates it zeroed; 0: no state */
	/*
	 * The state starts with a struct hashmap of user -> a block of the
	 * family's (rules_user_state()); the core makes it before init and
	 * frees it, blocks and all, after free.
	 */
	bool per_user;
	/* after the state is allocated, and again after a reload; may be NULL */
	int (*init)(struct rules *r, void *st);
	void (*reconfigure)(struct rules *r, void *st);
	void (*free)(struct rules *r, void *st);
	/* one hook per event type, [EV_OPEN] = ..., NULL for the rest */
	rule_event_fn on_event[EV_TYPE_MAX];
	/* a scan that read the file (scan_result.status may still say it stopped early) */
	rule_scan_fn on_scan;
	/* a scan that could not read all of the file for a reason that is a finding */
	rule_scan_fn on_scan_problem;
	/* a scan the queue dropped (full, or the user's share full); @queued: scans waiting */
	void (*on_scan_dropped)(struct rules *r, void *st, const struct scan_request *rq,
				unsigned int queued);
	/* every agent tick, and with @all at the end (of a replay, of the agent) */
	void (*on_tick)(struct rules *r, void *st, uint64_t now_ns, bool all);
};

/* The family table (rules.c) lists these. */
extern const struct rule_family rule_family_scan_refused;
extern const struct rule_family rule_family_encrypted;
extern const struct rule_family rule_family_print;
extern const struct rule_family rule_family_export;
extern const struct rule_family rule_family_media;
extern const struct rule_family rule_family_read;
extern const struct rule_family rule_family_upload;
extern const struct rule_family rule_family_network;
extern const struct rule_family rule_family_lookup;
extern const struct rule_family rule_family_persons;
extern const struct rule_family rule_family_cumulative;
extern const struct rule_family rule_family_clipboard;

/*
 * Send @a as rule @id unless the same rule fired for the same user and
 * @object within its suppression window (then it is counted for the
 * follow-up).  Fills a->rule, and a->severity when 0, from the rule's config.
 */
void rules_fire(struct rules *r, enum rule_id id, struct alert *a, uint64_t object);
/* @a zeroed and filled with the event's time and process. */
void rules_alert_from_hdr(struct alert *a, const struct event_hdr *h, const struct proc *p);
/* The same from a scan request: who wrote the file, when, which file. */
void rules_alert_from_scan(struct alert *a, const struct scan_request *rq);
/* @a's origin: the CPR export @origin, with its path when known. */
void rules_set_origin(struct rules *r, struct alert *a, const struct file_id *origin);
/* The program's base name for summaries. */
const char *rules_who(const struct proc *p, const struct event_hdr *h);
/* The person behind a process: its login uid, else its uid. */
__u32 rules_user(__u32 uid, const struct proc *p);
__u32 rules_user_of(__u32 uid, __u32 loginuid);
/* A connect or upload to one of the CPR services (lookup_burst endpoints). */
bool rules_is_service(struct rules *r, __u16 family, const __u8 *addr, __u16 port);
/* CPR-client activity of @h's user now (a look-up seen in its traffic). */
void rules_note_cpr(struct rules *r, const struct event_hdr *h, const struct proc *p);
/* The state of family @f (NULL when it has none). */
void *rules_family_state(struct rules *r, const struct rule_family *f);
/*
 * The lookup family's users: for (it = 0; rules_lookup_next(r, &it, &user, &n);)
 * with @n the user's look-ups in the last hour.
 */
bool rules_lookup_next(struct rules *r, size_t *it, __u32 *user, uint64_t *n);
/* @user has look-ups in the lookup family's state. */
bool rules_lookup_known(struct rules *r, __u32 user);
/* Latest CPR-client activity (exec, open, connect) of @user, 0: none. */
uint64_t rules_last_cpr_ns(struct rules *r, __u32 user);
/* A scanned origin that held CPR numbers (the first export of a lineage). */
bool rules_origin_has_cpr(const struct rules *r, const struct file_id *origin);
/* Ask the agent to scan @path; the result comes back through the on_scan hooks. */
void rules_request_scan(struct rules *r, const struct event_hdr *h, const struct proc *p,
			const char *path, const struct file_id *id, enum scan_why why,
			__u32 export_kind, const struct file_info *fi, uint64_t written);
/* Suppression key of a file. */
uint64_t rules_file_key(const struct file_id *id);

/*
 * Per-user state of a family: @m maps user -> a zeroed block of @size bytes,
 * made on first use.  NULL when out of memory.  rules_users_free() frees the
 * blocks and the map.
 */
void *rules_user_state(struct hashmap *m, __u32 user, size_t size);
void rules_users_free(struct hashmap *m);

#endif
