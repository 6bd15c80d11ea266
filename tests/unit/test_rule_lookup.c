// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/detect/rule_lookup.c as the live agent runs it: an endpoint given by
 * name is resolved by a thread of its own, not on the event loop, and
 * connects to it count once the answer is in.  (tests/unit/test_rules.c
 * covers the rule itself through replay, where names resolve at once.)
 * And the live status of the users: right after a start, before any event or
 * tick, "today" is the caller's day.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "detect/rules.h"
#include "event/decode.h"
#include "lib/json.h"
#include "lib/time.h"

#define LK_NS 1000000000ULL
#define LK_TRIES 200 /* 200 x 25 ms: the answer of a local name */

struct lk_run {
	struct rules r;
	struct rules_cfg cfg;
	struct procs procs;
	struct filetab files;
	unsigned int alerts;
	uint64_t ts;
};

static void lk_alert(void *arg, const struct alert *a)
{
	struct lk_run *run = arg;

	if (!strcmp(a->rule, "lookup_burst"))
		run->alerts++;
}

static int lk_setup(struct lk_run *run, char **endpoints, size_t n)
{
	const struct rules_ops ops = { .alert = lk_alert, .arg = run };

	memset(run, 0, sizeof(*run));
	run->cfg.lookup_burst = (struct rule_cfg){ .enabled = true, .severity = SEV_HIGH };
	run->cfg.burst_endpoints = endpoints;
	run->cfg.nr_burst_endpoints = n;
	/* every look-up is over the limit: the alert count is the match count */
	run->cfg.burst_per_hour = 0;
	run->cfg.burst_off_hours = 0;
	run->ts = 86400 * LK_NS;
	if (procs_init(&run->procs) || filetab_init(&run->files, 64))
		return -1;
	return rules_init(&run->r, &run->cfg, &run->procs, &run->files, &ops, 0);
}

static void lk_teardown(struct lk_run *run)
{
	rules_free(&run->r);
	filetab_free(&run->files);
	procs_free(&run->procs);
}

/* A CPR client connects to 127.0.0.1:@port. */
static void lk_connect(struct lk_run *run, unsigned int port)
{
	struct connect_event e = { 0 };
	struct event ev = { .hdr = &e.hdr, .raw = &e };

	e.hdr.type = EV_CONNECT;
	e.hdr.size = sizeof(e);
	e.hdr.ts_ns = run->ts += LK_NS;
	e.hdr.tgid = e.hdr.pid = 4242;
	e.hdr.uid = 1000;
	e.hdr.classes = CLASS_CPR_CLIENT;
	e.addr.family = AF_INET;
	e.addr.port = port;
	inet_pton(AF_INET, "127.0.0.1", e.addr.addr);
	rules_on_event(&run->r, &ev, NULL);
}

static void test_name_resolved_off_loop(void)
{
	char *endpoints[] = { "localhost:443" };
	struct lk_run run;
	int i;

	CU_ASSERT_EQUAL_FATAL(lk_setup(&run, endpoints, 1), 0);
	/* the answer comes when it comes; poll the way the event loop would see it */
	for (i = 0; i < LK_TRIES && !run.alerts; i++) {
		lk_connect(&run, 443);
		if (!run.alerts)
			usleep(25000);
	}
	CU_ASSERT(run.alerts > 0);
	/* another port of the same host is no look-up */
	run.alerts = 0;
	lk_connect(&run, 444);
	CU_ASSERT_EQUAL(run.alerts, 0);
	lk_teardown(&run);
}

/* A numeric endpoint needs no answer: it matches from the first connect. */
static void test_numeric_at_once(void)
{
	char *endpoints[] = { "127.0.0.1:8443" };
	struct lk_run run;

	CU_ASSERT_EQUAL_FATAL(lk_setup(&run, endpoints, 1), 0);
	lk_connect(&run, 8443);
	CU_ASSERT_EQUAL(run.alerts, 1);
	lk_teardown(&run);
}

/*
 * Freed while the resolver may still run: its answer must land nowhere (a use
 * after free here is what `make asan` catches).
 */
static void test_free_while_resolving(void)
{
	char *endpoints[] = { "localhost:443", "no-such-host.invalid:443" };
	struct lk_run run;

	CU_ASSERT_EQUAL_FATAL(lk_setup(&run, endpoints, 2), 0);
	lk_teardown(&run);
	usleep(200000); /* let a resolver finish into freed rules, if it would */
	CU_PASS("no crash");
}

/*
 * A restarted agent asked for status before its first event or tick: the
 * users' persons today are those of the caller's day, read back from the
 * state file, not of boot day (the rules' clock is still 0).  @now_ns is
 * three days after boot, so the two days differ on any machine.
 */
static void test_users_today_after_restart(void)
{
	char dir[] = "/tmp/cprw-unit-persons.XXXXXX", path[64], want[64];
	uint64_t now_ns = time_mono_ns() + 3 * 86400 * LK_NS;
	time_t t = (now_ns + time_mono_offset()) / LK_NS;
	struct lk_run run;
	struct json j;
	struct tm tm;
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	localtime_r(&t, &tm);
	snprintf(path, sizeof(path), "%s/persons_viewed", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "1000 %lld 1200\n", (long long)(((int64_t)t + tm.tm_gmtoff) / 86400));
	fclose(f);
	CU_ASSERT_FATAL(lk_setup(&run, NULL, 0) == 0);
	run.cfg.persons_days = 14;
	CU_ASSERT_EQUAL_FATAL(rules_open_state(&run.r, dir, NULL), 0);
	json_init(&j);
	json_obj_begin(&j);
	rules_users_json(&run.r, &j, now_ns);
	json_obj_end(&j);
	snprintf(want, sizeof(want), "\"persons_today\":1200");
	CU_ASSERT_PTR_NOT_NULL(memmem(j.out.data, j.out.len, want, strlen(want)));
	json_free(&j);
	lk_teardown(&run);
	unlink(path);
	rmdir(dir);
}

static CU_TestInfo rule_lookup_tests[] = {
	{ "endpoint name resolved off the loop", test_name_resolved_off_loop },
	{ "numeric endpoint at once", test_numeric_at_once },
	{ "rules freed while a name resolves", test_free_while_resolving },
	{ "status: persons today after a restart, before any event",
	  test_users_today_after_restart },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(rule_lookup, rule_lookup_tests)
