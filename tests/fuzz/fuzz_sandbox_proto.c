// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the sandbox protocol (user/scan/sandbox_proto.c): the
 * agent decodes replies from a helper that may be subverted, the helper
 * decodes requests.  Beyond "no crash, no read past len" it checks what the
 * agent relies on when a reply is accepted: status and reason in range,
 * samples masked, the message NUL-terminated and free of digit runs longer
 * than four, no more persons than distinct numbers; and that re-encoding an accepted reply
 * decodes to the same result (the message up to where compaction may cut a
 * long one again).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cpr.h"
#include "scan/sandbox_proto.h"

static uint8_t enc[SBX_MSG_MAX];

static void check_reply(const struct sbx_reply *rp)
{
	const struct scan_result *res = &rp->res;
	size_t i, run = 0, len = strnlen(res->msg, sizeof(res->msg));
	static struct sbx_reply again;

	if (len == sizeof(res->msg) || res->status < SCAN_OK || res->status > SCAN_CANCELLED ||
	    res->reason < 0 || res->reason > SCAN_R_MAX || res->nr_persons > res->cpr.distinct ||
	    res->cpr.nr_samples > CPR_MAX_SAMPLES)
		abort();
	for (i = 0; i < res->cpr.nr_samples; i++)
		if (!cpr_is_masked(res->cpr.samples[i]))
			abort();
	for (i = 0; i < len; i++) {
		run = res->msg[i] >= '0' && res->msg[i] <= '9' ? run + 1 : 0;
		if (run > 4)
			abort();
	}
	if (sbx_reply_decode(enc, sbx_reply_encode(enc, rp), &again) ||
	    memcmp(&again.res.cpr, &res->cpr, offsetof(struct cpr_stats, samples)) ||
	    strncmp(again.res.msg, res->msg, 100) || again.res.nr_persons != res->nr_persons)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sbx_reply rp;
	struct sbx_request rq;
	struct person_key key;
	uint64_t persons[SBX_CHUNK];

	if (!sbx_reply_decode(data, size, &rp))
		check_reply(&rp);
	if (!sbx_request_decode(data, size, &rq) &&
	    (rq.lim.max_samples > CPR_MAX_SAMPLES || rq.lim.read_size > (16U << 20)))
		abort();
	sbx_hello_decode(data, size, &key);
	if (size % 8 == 0 && sbx_persons_decode(data, size, persons, size / 8) !=
				     (size <= SBX_MSG_MAX ? 0 : -EPROTO))
		abort();
	return 0;
}
