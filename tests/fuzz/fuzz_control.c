// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for control-socket requests: the real control_open()
 * socket (in a private temp directory), one client per input sending the
 * bytes (at most CONTROL_MAX_REQUEST + 1 of them), the agent side driven by
 * control_dispatch() as the agent loop would.
 *
 * Aborts on: an answer that is not one JSON object with a boolean "ok" on
 * one newline-terminated line, "ok":false without an "error" string, an
 * answer to something that held no complete line, a client left hanging.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "control/control.h"
#include "lib/json.h"
#include "lib/json_parse.h"

static struct control ctl;
static char sock_path[108];

static int fake_ok(void *arg, struct json *out, char *err, size_t errlen)
{
	json_kv_str(out, "what", "fuzz");
	return 0;
}

static int fake_alerts(void *arg, const struct control_alerts_query *q, struct json *out, char *err,
		       size_t errlen)
{
	json_key(out, "alerts");
	json_arr_begin(out);
	json_arr_end(out);
	return 0;
}

static int fake_refuse(void *arg, struct json *out, char *err, size_t errlen)
{
	json_kv_str(out, "half", "written");
	snprintf(err, errlen, "refused for the fuzzer");
	return -EINVAL;
}

static const struct control_ops ops = {
	.status = fake_ok,
	.alerts = fake_alerts,
	.reload = fake_refuse,
	.test_alert = fake_ok,
};

static void setup(void)
{
	char dir[] = "/tmp/cprw-fuzz-ctl.XXXXXX", err[256];

	if (!mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	if (control_open(&ctl, &(struct control_config){ .socket = sock_path, .admin_group = NULL },
			 &ops, err, sizeof(err))) {
		fprintf(stderr, "control_open: %s\n", err);
		abort();
	}
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	return fd;
}

static void check_answer(const char *buf, size_t len, bool had_line)
{
	struct jval v;
	bool ok;

	if (!len)
		return; /* closed without a word: allowed for no line or a cut line */
	if (buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
		abort();
	if (json_parse(buf, len - 1, &v, NULL, 0) || v.type != JOBJ || !jobj_bool(&v, "ok", &ok))
		abort();
	if (!ok && !jobj_str(&v, "error"))
		abort();
	if (ok && !had_line)
		abort(); /* answered something that was never a whole request */
	jval_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char answer[1 << 16];
	size_t sent = 0, got = 0;
	bool shut = false;
	int fd, i;
	ssize_t r;

	if (!ctl.opened)
		setup();
	if (size > CONTROL_MAX_REQUEST + 1)
		size = CONTROL_MAX_REQUEST + 1;
	fd = client();
	for (i = 0; i < 2000; i++) {
		if (sent < size) {
			r = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += r;
			else if (r < 0 && errno != EAGAIN)
				sent = size; /* the agent hung up on us */
		}
		if (sent == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		control_dispatch(&ctl);
		r = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
		if (r == 0)
			break; /* answered (or dropped) and closed */
		if (r > 0)
			got += r;
		else if (errno != EAGAIN)
			break;
		poll(NULL, 0, 0);
	}
	if (i == 2000)
		abort(); /* neither answered nor closed */
	check_answer(answer, got, memchr(data, '\n', size) != NULL);
	close(fd);
	return 0;
}
