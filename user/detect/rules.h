/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Detection rules over decoded events and scan results: bulk_export,
 * export_volume, messaging_exfil, removable_media, archive_before_exfil,
 * lookup_burst, clipboard_to_messaging, bulk_clipboard (and scan_refused and
 * scan_backlog, so a file a cap stopped or the queue dropped is never silently
 * passed).  The same code runs
 * live and in --replay; time is the events' own clock, so a replay gives the
 * same alerts as the live run did.
 */
#ifndef CPRW_RULES_H
#define CPRW_RULES_H

#include <stdint.h>
#include "alerts.h"
#include "agent/config.h"
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
	RULE_MAX,
};

struct clip_state;

/* What the rules ask of the agent. */
struct rules_ops {
	void (*scan)(void *arg, const struct scan_request *rq);
	void (*alert)(void *arg, const struct alert *a);
	void (*taint)(void *arg, const struct file_id *id, const struct file_id *origin,
		      __u32 tgid);
	void *arg;
};

/* A CPR service endpoint, resolved from "host:port" or "[v6]:port" (port 0: any). */
struct rule_endpoint {
	__u16 family;
	__u16 port;
	__u8 addr[16];
};

struct rules {
	const struct rules_cfg *cfg;
	struct rule_endpoint *endpoints;
	size_t nr_endpoints;
	struct rule_endpoint *allowed;	/* network_exfil: destinations that are no upload */
	size_t nr_allowed;
	struct hashmap uploads;		/* tgid -> bytes a tainted process sent out (uint64_t *) */
	struct procs *procs;
	struct filetab *files;
	struct rules_ops ops;
	int64_t clock_offset;		/* monotonic -> wall clock, for office hours */
	struct hashmap users;		/* login uid -> struct user_state */
	struct hashmap suppress;	/* (rule, user, object) -> struct suppression */
	uint64_t now_ns;		/* latest event time seen */
	struct clip_state *clip;	/* clipboard owners and pastes (rules.c) */
	uint64_t fired[RULE_MAX];
	uint64_t folded[RULE_MAX];	/* repeats folded by suppression */
};

extern const char *const rule_names[RULE_MAX];

int rules_init(struct rules *r, const struct rules_cfg *cfg, struct procs *procs,
	       struct filetab *files, const struct rules_ops *ops, int64_t clock_offset);
void rules_free(struct rules *r);
/* The config changed (reload): resolve the look-up endpoints again. */
void rules_reconfigure(struct rules *r);
/* @ev has been applied to the process table and file table already. */
void rules_on_event(struct rules *r, const struct event *ev, const struct proc *p);
void rules_on_scan(struct rules *r, const struct scan_request *rq, const struct scan_result *res);
/* A scan the queue dropped (full, or the user's share full): scan_backlog. */
void rules_on_scan_dropped(struct rules *r, const struct scan_request *rq, unsigned int queued);
/* Send the follow-ups of suppression windows that ended by @now_ns (all when @all). */
void rules_tick(struct rules *r, uint64_t now_ns, bool all);

#endif
