// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cprwatchctl: the admin CLI.  Every command but scan is one request to the
 * agent's control socket (protocol and answer schemas in control.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "control/control.h"
#include "lib/buf.h"
#include "lib/cpr.h"
#include "lib/json.h"
#include "lib/json_parse.h"
#include "lib/time.h"
#include "scan/sandbox.h"
#include "scan/scan.h"

#define CPRW_STR_(x) #x
#define CPRW_STR(x) CPRW_STR_(x)

static const char usage_text[] =
	"Usage: cprwatchctl [-s PATH] COMMAND [OPTION]... [ARG]...\n"
	"Administer the cprwatch agent (cprwatchd).\n"
	"\n"
	"cprwatchctl talks to the running agent through its control socket: one\n"
	"JSON request per connection, one JSON answer.  Only root and members of\n"
	"the agent's admin group may use it.  `scan` works locally and needs no\n"
	"agent.\n"
	"\n"
	"Global options (before COMMAND):\n"
	"  -s, --socket PATH  the agent's control socket (default: $CPRWATCH_SOCKET,\n"
	"                     else " CONTROL_DEFAULT_PATH ")\n"
	"  -h, --help         print this help and exit\n"
	"  -V, --version      print the version and exit\n"
	"\n"
	"Commands:\n"
	"  status [--json]    the agent's health: version, uptime, config, probes,\n"
	"                     event rates and drops, scan queue, sinks, rules\n"
	"  alerts [--since T] [--rule R] [--limit N] [--json]\n"
	"                     recent alerts, one per line\n"
	"  reload [--json]    have the agent validate and apply its config file\n"
	"  test-alert [--json]\n"
	"                     send a marked test alert through every sink\n"
	"  scan [--json] FILE...\n"
	"                     scan files for CPR numbers locally (no agent needed)\n"
	"  version            print the version and exit\n"
	"  help [COMMAND]     print this help, or the help of COMMAND\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the agent reports itself unhealthy (status), or a request failed\n"
	"  2  usage error, or reload rejected the config (the agent keeps the old one)\n"
	"  3  the agent cannot be reached or did not answer (is cprwatchd running?)\n"
	"  4  permission denied (not root or in the agent's admin group)\n"
	"  scan has its own: 0 CPR numbers found, 1 none, 2 a file was not fully scanned\n"
	"\n"
	"Environment:\n"
	"  CPRWATCH_SOCKET    control socket path when -s is not given\n"
	"\n"
	"Files:\n"
	"  " CONTROL_DEFAULT_PATH "   the default control socket\n"
	"\n"
	"Examples:\n"
	"  cprwatchctl status\n"
	"  cprwatchctl alerts --since 1h --rule bulk_export\n"
	"  cprwatchctl status --json | jq .sinks\n"
	"\n"
	"Run 'cprwatchctl help COMMAND' for the details of one command.\n";

static const char status_help[] =
	"Usage: cprwatchctl status [--json]\n"
	"Show the agent's health.\n"
	"\n"
	"Prints the agent's version and build id, uptime, the config file in force\n"
	"and its SHA-256, the syscall hooks (raw dispatcher or per-syscall\n"
	"tracepoints), every probe (name, hook, attached), events per second,\n"
	"events lost in the kernel (ring buffer full) and in the agent (malformed\n"
	"records, scans dropped because the scan queue was full), the scan queue\n"
	"depth, every alert sink (transport, state, spool depth, last error) and\n"
	"every rule with its alert count.  When the agent is unhealthy, its\n"
	"problems are listed first.\n"
	"\n"
	"Options:\n"
	"  --json   print the agent's answer as is: one JSON object, the schema\n"
	"           documented in user/control/control.h (keys: ok, healthy, problems,\n"
	"           version, build_id, uptime_s, config, probes, events, scan,\n"
	"           sinks, rules)\n"
	"\n"
	"Exit status: 0 healthy, 1 unhealthy or failed, 3 agent unreachable,\n"
	"4 permission denied.  A monitoring check can use the exit status alone.\n";

static const char alerts_help[] =
	"Usage: cprwatchctl alerts [--since T] [--rule R] [--limit N] [--json]\n"
	"Show recent alerts from the agent, oldest first.\n"
	"\n"
	"One line per alert: time (UTC), severity, rule, user, summary.  Alerts\n"
	"hold counts and masked samples only, never a full CPR number.\n"
	"\n"
	"Options:\n"
	"  --since T   only alerts at or after T: an RFC 3339 time\n"
	"              (2024-05-01T08:00:00Z, 2024-05-01T10:00:00+02:00) or an age\n"
	"              (90s, 15m, 1h, 2d, 1w, 1h30m)\n"
	"  --rule R    only alerts of rule R (bulk_export, export_volume,\n"
	"              messaging_exfil, removable_media, archive_before_exfil,\n"
	"              lookup_burst, persons_viewed, scan_refused, scan_backlog,\n"
	"              network_exfil, print_export, encrypted_export,\n"
	"              clipboard_to_messaging, bulk_clipboard, clipboard_unseen)\n"
	"  --limit N   at most the N newest matching alerts (1-" CPRW_STR(CONTROL_ALERTS_MAX_LIMIT) ", default " CPRW_STR(
		CONTROL_ALERTS_DEFAULT_LIMIT) ")\n"
					      "  --json      print the agent's answer as is: {\"ok\":true,\"alerts\":[...],\n"
					      "              \"truncated\":bool}, each alert as in the alert log\n"
					      "\n"
					      "Exit status: 0 (also when no alert matches), 1 failed, 2 bad option,\n"
					      "3 agent unreachable, 4 permission denied.\n";

static const char reload_help[] =
	"Usage: cprwatchctl reload [--json]\n"
	"Have the agent re-read, validate and apply its config file.\n"
	"\n"
	"The agent applies the new config only when all of it is valid; otherwise\n"
	"it keeps running with the config it had and cprwatchctl prints its error,\n"
	"which names the file, the line and the key.  The same as validating with\n"
	"`cprwatchd --check-config` and restarting, without losing the agent's\n"
	"state.\n"
	"\n"
	"Options:\n"
	"  --json   print the agent's answer as is\n"
	"\n"
	"Exit status: 0 applied, 2 the config was rejected, 1 other failure,\n"
	"3 agent unreachable, 4 permission denied.\n";

static const char test_alert_help[] =
	"Usage: cprwatchctl test-alert [--json]\n"
	"Send a test alert through every alert sink.\n"
	"\n"
	"The alert is marked as a test so the SOC can tell it from a real one.\n"
	"Prints the alert's id, to look for at the other end, and the sinks it\n"
	"went to.  Delivery is asynchronous: check `cprwatchctl status` for a sink\n"
	"that fails.\n"
	"\n"
	"Options:\n"
	"  --json   print the agent's answer as is\n"
	"\n"
	"Exit status: 0 sent, 1 failed, 3 agent unreachable, 4 permission denied.\n";

static const char scan_help[] =
	"Usage: cprwatchctl scan [--json] [--no-sandbox] FILE...\n"
	"Scan files for CPR numbers, locally; no agent needed.\n"
	"\n"
	"Uses the agent's scanner (text, CSV, UTF-16, gzip, zip, xlsx, docx, odt,\n"
	"ods, PDF) in the agent's sandbox: the file is opened here and parsed by\n"
	"cprwatch-scand, unprivileged and under seccomp.  Prints counts and masked\n"
	"samples (DDMMYY-XXXX) only.\n"
	"\n"
	"Options:\n"
	"  --json         one JSON object per file\n"
	"  --no-sandbox   parse in this process (debugging a parser); progress goes\n"
	"                 to stderr on a terminal\n"
	"\n"
	"Exit status as grep: 0 when any file holds CPR numbers, 1 when none does,\n"
	"2 when a file could not be fully scanned.\n";

static const char version_help[] =
	"Usage: cprwatchctl version\n"
	"Print cprwatchctl's version and build id.  `cprwatchctl status` shows the\n"
	"agent's.\n";

static const char help_help[] = "Usage: cprwatchctl help [COMMAND]\n"
				"Print the overview, or the help of COMMAND.\n";

/*
 * Text for a person to read: file names and messages come from users, and a
 * raw ESC in one could forge lines or rewrite the admin's terminal.  Control
 * characters (C0, DEL, and C1 as UTF-8) become \xNN.  (The agent masked CPR
 * numbers in its strings already; `scan` masks its file names itself.)
 * NULL when out of memory.
 */
static char *readable(const char *copy)
{
	size_t n = strlen(copy), i, o = 0;
	char *out = malloc(8 * n + 1);
	unsigned char c;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		c = copy[i];
		if (c < 0x20 || c == 0x7f) {
			o += sprintf(out + o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)copy[i + 1] >= 0x80 &&
			   (unsigned char)copy[i + 1] <= 0x9f) {
			o += sprintf(out + o, "\\x%02x\\x%02x", c, (unsigned char)copy[++i]);
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return out;
}

/* Every string of a reply made readable (for the text output, not --json). */
static void readable_tree(struct jval *v)
{
	size_t i;
	char *s;

	if (v->type == JSTR) {
		s = readable(v->str);
		if (s) {
			free(v->str);
			v->str = s;
			v->len = strlen(s);
		}
	} else if (v->type == JARR || v->type == JOBJ) {
		for (i = 0; i < v->len; i++)
			readable_tree(&v->items[i]);
	}
}

static int progress(void *arg, uint64_t done, uint64_t total)
{
	const char *name = arg;

	if (total)
		fprintf(stderr, "\r%s: %llu%% (%llu of %llu MiB)", name,
			(unsigned long long)(done * 100 / total), (unsigned long long)(done >> 20),
			(unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MiB", name, (unsigned long long)(done >> 20));
	return 0;
}

/* @name: as readable() made it */
static void print_text(const char *name, const struct scan_result *res)
{
	unsigned int i;

	printf("%s: %s", name, scan_status_str(res->status));
	if (res->status != SCAN_OK)
		printf(" (%s)", res->msg);
	printf(", %llu distinct CPR numbers (%llu pass modulus 11, %llu matches with keyword "
	       "context)",
	       (unsigned long long)res->cpr.distinct, (unsigned long long)res->cpr.distinct_mod11,
	       (unsigned long long)res->cpr.keyword_matches);
	if (res->pages_without_text)
		printf(", %u pages without text", res->pages_without_text);
	for (i = 0; i < res->cpr.nr_samples; i++)
		printf("%s%s", i ? " " : ", samples: ", res->cpr.samples[i]);
	printf("\n");
}

static void print_json(const char *name, const struct scan_result *res)
{
	struct json j;
	unsigned int i;

	json_init(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "file", name);
	json_kv_str(&j, "status", scan_status_str(res->status));
	json_kv_str(&j, "reason", scan_reason_str(res->reason));
	json_kv_str(&j, "problem", res->msg);
	json_kv_u64(&j, "pages_without_text", res->pages_without_text);
	json_kv_u64(&j, "cpr_distinct", res->cpr.distinct);
	json_kv_u64(&j, "cpr_mod11", res->cpr.distinct_mod11);
	json_kv_u64(&j, "cpr_keyword_context", res->cpr.keyword_matches);
	json_kv_u64(&j, "bytes_scanned", res->bytes_scanned);
	json_key(&j, "masked_samples");
	json_arr_begin(&j);
	for (i = 0; i < res->cpr.nr_samples; i++)
		json_str(&j, res->cpr.samples[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	printf("%s\n", j.out.data);
	json_free(&j);
}

/* One file: in the sandbox (sb), or in process when sb is NULL. */
static void scan_one(const char *path, const char *shown, struct sandbox *sb, bool tty,
		     struct scan_result *res)
{
	struct scan_hooks hooks = { .progress = progress, .arg = (void *)shown };
	int fd;

	if (!sb) {
		scan_file(path, NULL, tty ? &hooks : NULL, res);
		if (tty)
			fprintf(stderr, "\r\033[K");
		return;
	}
	fd = scan_file_open(path);
	if (fd < 0) {
		scan_open_failed(-fd, res);
		return;
	}
	sandbox_scan(sb, fd, NULL, res);
	close(fd);
}

static int cmd_scan(int argc, char **argv)
{
	bool as_json = false, found = false, failed = false, sandboxed = true;
	struct sandbox_stats st = { 0 };
	struct sandbox_cfg cfg;
	struct sandbox sb;
	int i = 0;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (!strcmp(argv[i], "--no-sandbox")) {
			sandboxed = false;
		} else {
			fprintf(stderr, "cprwatchctl scan: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "cprwatchctl scan: no FILE given\n");
		return 2;
	}
	/* no helper found: every file is refused, saying so */
	sandbox_cfg_init(&cfg, NULL);
	if (sandboxed && sandbox_init(&sb, &cfg, &st)) {
		fprintf(stderr, "cprwatchctl scan: out of memory\n");
		return 2;
	}
	for (; i < argc; i++) {
		char *masked = strdup(argv[i]), *shown = NULL;
		struct scan_result res;

		if (masked) {
			cpr_redact(masked, strlen(masked));
			shown = readable(masked);
			free(masked);
		}
		scan_one(argv[i], shown ? shown : "?", sandboxed ? &sb : NULL, isatty(2), &res);
		if (as_json)
			print_json(argv[i], &res);
		else
			print_text(shown ? shown : "?", &res);
		free(shown);
		found |= res.cpr.distinct > 0;
		failed |= res.status != SCAN_OK;
	}
	if (sandboxed)
		sandbox_destroy(&sb);
	return failed ? 2 : found ? 0 : 1;
}

/* ---- talking to the agent -------------------------------------------- */

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define EXIT_DENIED 4
#define REPLY_TIMEOUT_S 30
#define REPLY_MAX (64U << 20) /* an answer bigger than this is not the agent's */

struct ctl {
	const char *sock;
	bool json; /* --json: print the agent's answer as is */
};

struct reply {
	char *line; /* the answer as received, without its newline */
	size_t len;
	struct jval v;
};

static void reply_free(struct reply *r)
{
	free(r->line);
	jval_free(&r->v);
	memset(r, 0, sizeof(*r));
}

static int connect_agent(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "cprwatchctl: socket path too long: %s\n", path);
		return -EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("cprwatchctl: socket");
		return -EXIT_FAILED;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	err = errno;
	close(fd);
	if (err == EACCES || err == EPERM) {
		fprintf(stderr,
			"cprwatchctl: permission denied: cannot connect to the agent at %s "
			"(the control socket is for root and the agent's admin group)\n",
			path);
		return -EXIT_DENIED;
	}
	if (err == EAGAIN) {
		fprintf(stderr, "cprwatchctl: the agent at %s is busy; try again\n", path);
		return -EXIT_FAILED;
	}
	fprintf(stderr, "cprwatchctl: cannot reach the agent at %s: %s (is cprwatchd running?)\n",
		path, strerror(err));
	return -EXIT_UNREACHABLE;
}

/*
 * Send the request.  A broken pipe is not fatal: an agent that refused us
 * has answered and closed before reading, and its answer is still queued.
 */
static void send_request(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* One line into r->line; 0, or an exit code with the message printed. */
static int read_reply(int fd, const char *path, struct reply *r)
{
	size_t cap = 0;
	ssize_t n;
	char *p;

	for (;;) {
		/* room for 4 KiB more and the NUL */
		if (buf_grow(&r->line, &cap, r->len + 4096 + 1, 65536, REPLY_MAX + 1)) {
			fprintf(stderr, "cprwatchctl: the agent's answer is too large\n");
			return EXIT_FAILED;
		}
		n = recv(fd, r->line + r->len, cap - 1 - r->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr, "cprwatchctl: no answer from the agent at %s within %d s\n",
				path, REPLY_TIMEOUT_S);
			return EXIT_UNREACHABLE;
		}
		if (n <= 0)
			break;
		p = memchr(r->line + r->len, '\n', n);
		r->len += n;
		if (p) {
			r->len = p - r->line;
			break;
		}
	}
	if (!r->len) {
		fprintf(stderr,
			"cprwatchctl: the agent at %s closed the connection without "
			"answering\n",
			path);
		return EXIT_UNREACHABLE;
	}
	r->line[r->len] = '\0';
	return 0;
}

/* The agent's "ok":false: its message, and the exit code it deserves. */
static int agent_refused(const struct ctl *ctl, const struct reply *r, const char *what,
			 int fail_code)
{
	const char *code = jobj_str(&r->v, "code");
	const char *msg = jobj_str(&r->v, "error");
	bool denied = code && !strcmp(code, "permission_denied");

	if (ctl->json)
		printf("%s\n", r->line);
	fprintf(stderr, "cprwatchctl: %s%s\n", what && !denied ? what : "",
		msg ? msg : "the agent said no, without a reason");
	if (denied)
		return EXIT_DENIED;
	/* busy, timeout, bad_request: not the command's own failure */
	return !code || !strcmp(code, "failed") ? fail_code : EXIT_FAILED;
}

/*
 * Ask the agent: 0 with its parsed answer in @r when it says "ok":true;
 * otherwise an exit code (@fail_code when the agent refused the request),
 * the message printed (after @what, when the agent refused).  @r must be
 * freed either way.
 */
static int call_agent(const struct ctl *ctl, const struct json *req, struct reply *r,
		      const char *what, int fail_code)
{
	char err[256] = "";
	bool ok;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	fd = connect_agent(ctl->sock);
	if (fd < 0)
		return -fd;
	send_request(fd, req->out.data, req->out.len);
	ret = read_reply(fd, ctl->sock, r);
	close(fd);
	if (ret)
		return ret;
	if (json_parse(r->line, r->len, &r->v, err, sizeof(err)) || r->v.type != JOBJ ||
	    !jobj_bool(&r->v, "ok", &ok)) {
		fprintf(stderr,
			"cprwatchctl: the agent's answer is not what the protocol "
			"says%s%s\n",
			*err ? ": " : "", err);
		return EXIT_FAILED;
	}
	if (!ctl->json)
		readable_tree(&r->v);
	return ok ? 0 : agent_refused(ctl, r, what, fail_code);
}

/* {"cmd":CMD} and, for alerts, its filters: newline-terminated. */
static void request_begin(struct json *j, const char *cmd)
{
	json_init(j);
	json_obj_begin(j);
	json_kv_str(j, "cmd", cmd);
}

static void request_end(struct json *j)
{
	json_obj_end(j);
	json_raw(j, "\n", 1);
}

/* ---- option parsing shared by the agent commands --------------------- */

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cprwatchctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cprwatchctl help %s'.\n", cmd);
	return -EXIT_USAGE;
}

enum { OPT_JSON = 1000, OPT_SINCE, OPT_RULE, OPT_LIMIT, OPT_HELP };

struct alerts_args {
	const char *since;
	const char *rule;
	long limit; /* 0: the agent's default */
};

static int parse_limit(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > CONTROL_ALERTS_MAX_LIMIT)
		return -EINVAL;
	*out = v;
	return 0;
}

static int alerts_option(int opt, struct alerts_args *aa)
{
	uint64_t ns;

	switch (opt) {
	case OPT_SINCE:
		if (control_parse_since(optarg, time_real_ns(), &ns))
			return usage_error("alerts",
					   "bad --since '%s': want an RFC 3339 "
					   "time (2024-05-01T08:00:00Z) or an age (90s, 15m, "
					   "1h, 2d, 1w)",
					   optarg);
		aa->since = optarg;
		return 0;
	case OPT_RULE:
		if (!*optarg)
			return usage_error("alerts", "--rule wants a rule name");
		aa->rule = optarg;
		return 0;
	case OPT_LIMIT:
		if (parse_limit(optarg, &aa->limit))
			return usage_error("alerts",
					   "bad --limit '%s': want a number from 1 to " CPRW_STR(
						   CONTROL_ALERTS_MAX_LIMIT),
					   optarg);
		return 0;
	}
	return -EXIT_USAGE;
}

/*
 * Options of an agent command (argv[0] is the command's name); @aa is NULL
 * for commands without alerts' filters.  0, 1 when --help was printed, or
 * -exit code.
 */
static int parse_opts(int argc, char **argv, const char *help, struct ctl *ctl,
		      struct alerts_args *aa)
{
	static const struct option all[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 },
	};
	struct option opts[6];
	int opt, ret;

	/* only alerts takes the filters: for the others the array ends after help */
	memcpy(opts, all, sizeof(all));
	if (!aa)
		memset(&opts[2], 0, sizeof(opts[2]));
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			ctl->json = true;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return 1;
		case ':':
			return usage_error(argv[0], "option '%s' needs an argument",
					   argv[optind - 1]);
		case '?':
			if (optopt)
				return usage_error(argv[0], "unknown option '-%c'", optopt);
			return usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
		default:
			ret = alerts_option(opt, aa);
			if (ret)
				return ret;
		}
	}
	if (optind < argc)
		return usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ---- plain-text rendering -------------------------------------------- */

#define TABLE_COLS 8

/* Rows of strings printed in aligned columns; the last column is not padded. */
struct table {
	unsigned int ncols;
	size_t nrows;
	char **cells; /* nrows * ncols */
	int width[TABLE_COLS];
};

static void table_add(struct table *t, const char *const *row)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*cells));
	unsigned int i;
	int w;

	if (!cells)
		return; /* out of memory: the row is left out */
	t->cells = cells;
	for (i = 0; i < t->ncols; i++) {
		cells[t->nrows * t->ncols + i] = strdup(row[i] ? row[i] : "-");
		w = row[i] ? (int)strlen(row[i]) : 1;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

static void table_print(struct table *t)
{
	const char *cell;
	size_t r;
	unsigned int i;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			cell = t->cells[r * t->ncols + i];
			if (i + 1 < t->ncols)
				printf("%-*s  ", t->width[i], cell ? cell : "-");
			else
				printf("%s\n", cell ? cell : "-");
		}
	}
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Lookups that never fail: what the agent left out prints as "-". */
static const char *get_str(const struct jval *o, const char *key)
{
	const char *s = jobj_str(o, key);

	return s ? s : "-";
}

static const char *get_u64(const struct jval *o, const char *key, char *buf, size_t len)
{
	uint64_t v;

	if (!jobj_u64(o, key, &v))
		return "-";
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

static const char *get_bool(const struct jval *o, const char *key, const char *yes, const char *no)
{
	bool b;

	if (!jobj_bool(o, key, &b))
		return "-";
	return b ? yes : no;
}

static const char *fmt_uptime(const struct jval *o, char *buf, size_t len)
{
	uint64_t s;

	if (!jobj_u64(o, "uptime_s", &s))
		return "-";
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", s / 86400,
			 s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

/* An array member, or NULL when @key is missing or not an array. */
static const struct jval *get_arr(const struct jval *o, const char *key)
{
	const struct jval *v = jobj_get(o, key);

	return v && v->type == JARR ? v : NULL;
}

/* ---- status ---------------------------------------------------------- */

static void print_header(const struct jval *st, bool healthy)
{
	const struct jval *problems = get_arr(st, "problems");
	const struct jval *cfg = jobj_get(st, "config");
	char up[64];
	size_t i;

	printf("cprwatchd %s (build %s), up %s: %s\n", get_str(st, "version"),
	       get_str(st, "build_id"), fmt_uptime(st, up, sizeof(up)),
	       healthy ? "healthy" : "UNHEALTHY");
	for (i = 0; problems && i < problems->len; i++)
		if (problems->items[i].type == JSTR)
			printf("  problem: %s\n", problems->items[i].str);
	printf("config:  %s (sha256 %s)\n", get_str(cfg, "path"), get_str(cfg, "sha256"));
}

static void print_counters(const struct jval *st)
{
	const struct jval *ev = jobj_get(st, "events"), *sc = jobj_get(st, "scan"), *sb;
	const struct jval *rate = jobj_get(ev, "per_second");
	char a[32], b[32], c[32], d[32];

	printf("events:  %s total, ", get_u64(ev, "total", a, sizeof(a)));
	if (rate && rate->type == JNUM)
		printf("%.1f/s\n", rate->num);
	else
		printf("-/s\n");
	printf("drops:   %s in the kernel (%s MiB ring buffer full); in the agent: %s malformed "
	       "events, %s scans (scan queue full)\n",
	       get_u64(ev, "kernel_drops", a, sizeof(a)), get_u64(ev, "ring_mib", d, sizeof(d)),
	       get_u64(ev, "decode_errors", b, sizeof(b)), get_u64(sc, "dropped", c, sizeof(c)));
	printf("x11:     framing of tracked clients' connections lost %s times\n",
	       get_u64(ev, "x11_framing_lost", a, sizeof(a)));
	printf("scans:   %s queued, %s scanned, %s from cache\n",
	       get_u64(sc, "queue", a, sizeof(a)), get_u64(sc, "scanned", b, sizeof(b)),
	       get_u64(sc, "cache_hits", d, sizeof(d)));
	sb = jobj_get(sc, "sandbox");
	printf("sandbox: %s helpers started; files refused: %s crashed, %s timed out, %s seccomp\n",
	       get_u64(sb, "started", a, sizeof(a)), get_u64(sb, "crashed", b, sizeof(b)),
	       get_u64(sb, "timeouts", c, sizeof(c)), get_u64(sb, "seccomp", d, sizeof(d)));
}

/* Which syscall hooks run: the raw dispatcher, or the per-syscall fallback and why. */
static void print_syscall_hooks(const struct jval *h)
{
	const char *type = get_str(h, "type");

	printf("\nsyscalls: ");
	if (!strcmp(type, "tp_btf"))
		printf("raw dispatch (tp_btf/sys_enter + tp_btf/sys_exit)\n");
	else
		printf("per-syscall tracepoints (%s; fallback: %s)\n", type,
		       get_str(h, "fallback_reason"));
}

/* Whether io_uring requests are seen, and why not. */
static void print_iouring(const struct jval *h)
{
	bool loaded = false;

	jobj_bool(h, "loaded", &loaded);
	if (loaded)
		printf("io_uring: seen (tp_btf/io_uring_submit_req, io_uring_complete, "
		       "io_uring_create)\n");
	else
		printf("io_uring: NOT seen (%s)\n", get_str(h, "reason"));
}

static void print_probes(const struct jval *arr)
{
	static const char *const hdr[] = { "PROBE", "HOOK", "ATTACHED" };
	struct table t = { .ncols = 3 };
	size_t i;

	table_add(&t, hdr);
	for (i = 0; arr && i < arr->len; i++) {
		const struct jval *p = &arr->items[i];
		const char *row[] = { get_str(p, "name"), get_str(p, "hook"),
				      get_bool(p, "attached", "yes", "NO") };

		table_add(&t, row);
	}
	printf("\n");
	table_print(&t);
	table_free(&t);
}

static void print_sinks(const struct jval *arr)
{
	static const char *const hdr[] = { "SINK", "TRANSPORT", "STATE",     "SPOOL",
					   "SENT", "DROPPED",	"LAST ERROR" };
	struct table t = { .ncols = 7 };
	char a[32], b[32], c[32];
	size_t i;

	printf("\n");
	if (!arr || !arr->len) {
		printf("sinks:   none configured (alerts go to the local alert log only)\n");
		return;
	}
	table_add(&t, hdr);
	for (i = 0; i < arr->len; i++) {
		const struct jval *s = &arr->items[i];
		const char *row[] = { get_str(s, "name"),
				      get_str(s, "transport"),
				      get_str(s, "state"),
				      get_u64(s, "spool_depth", a, sizeof(a)),
				      get_u64(s, "sent", b, sizeof(b)),
				      get_u64(s, "dropped", c, sizeof(c)),
				      get_str(s, "last_error") };

		table_add(&t, row);
	}
	table_print(&t);
	table_free(&t);
}

static void print_rules(const struct jval *arr)
{
	static const char *const hdr[] = { "RULE", "ALERTS", "FOLDED" };
	struct table t = { .ncols = 3 };
	char a[32], b[32];
	size_t i;

	table_add(&t, hdr);
	for (i = 0; arr && i < arr->len; i++) {
		const struct jval *r = &arr->items[i];
		const char *row[] = { get_str(r, "name"), get_u64(r, "alerts", a, sizeof(a)),
				      get_u64(r, "folded", b, sizeof(b)) };

		table_add(&t, row);
	}
	printf("\n");
	table_print(&t);
	table_free(&t);
}

/* Per login user: look-ups in the last hour, persons today and the daily baseline (counts only). */
static void print_users(const struct jval *arr)
{
	static const char *const hdr[] = { "LOGINUID", "LOOKUPS/H", "PERSONS TODAY", "DAILY MEAN" };
	struct table t = { .ncols = 4 };
	char a[32], b[32], c[32], d[32];
	size_t i;

	if (!arr || !arr->len)
		return;
	table_add(&t, hdr);
	for (i = 0; i < arr->len; i++) {
		const struct jval *u = &arr->items[i];
		const struct jval *mean = jobj_get(u, "persons_daily_mean");
		const char *row[] = { get_u64(u, "loginuid", a, sizeof(a)),
				      get_u64(u, "lookups_last_hour", b, sizeof(b)),
				      get_u64(u, "persons_today", c, sizeof(c)),
				      mean && mean->type == JNUM ?
					      get_u64(u, "persons_daily_mean", d, sizeof(d)) :
					      "-" };

		table_add(&t, row);
	}
	printf("\n");
	table_print(&t);
	table_free(&t);
}

static int cmd_status(int argc, char **argv, struct ctl *ctl)
{
	struct reply r;
	struct json req;
	bool healthy = false;
	int ret;

	ret = parse_opts(argc, argv, status_help, ctl, NULL);
	if (ret)
		return ret < 0 ? -ret : 0;
	request_begin(&req, "status");
	request_end(&req);
	ret = call_agent(ctl, &req, &r, NULL, EXIT_FAILED);
	if (ret)
		goto out;
	/* an agent that does not say it is healthy is not */
	jobj_bool(&r.v, "healthy", &healthy);
	if (ctl->json) {
		printf("%s\n", r.line);
	} else {
		print_header(&r.v, healthy);
		print_counters(&r.v);
		print_syscall_hooks(jobj_get(&r.v, "syscall_hooks"));
		print_iouring(jobj_get(&r.v, "io_uring_probes"));
		print_probes(get_arr(&r.v, "probes"));
		print_sinks(get_arr(&r.v, "sinks"));
		print_rules(get_arr(&r.v, "rules"));
		print_users(get_arr(&r.v, "users"));
	}
	ret = healthy ? 0 : EXIT_FAILED;
out:
	reply_free(&r);
	json_free(&req);
	return ret;
}

/* ---- alerts ---------------------------------------------------------- */

/* "2024-05-01T10:00:00.123456Z" -> "2024-05-01 10:00:00Z": seconds are enough here. */
static const char *short_time(const char *t, char *buf, size_t len)
{
	if (strlen(t) < 19 || t[10] != 'T')
		return t;
	snprintf(buf, len, "%.10s %.8sZ", t, t + 11);
	return buf;
}

static const char *alert_user(const struct jval *a, char *buf, size_t len)
{
	const char *user = jobj_str(a, "user");
	uint64_t uid;

	if (user)
		return user;
	if (jobj_u64(a, "uid", &uid)) {
		snprintf(buf, len, "uid %" PRIu64, uid);
		return buf;
	}
	return "-";
}

static void print_alerts(const struct jval *arr)
{
	struct table t = { .ncols = 5 };
	char tb[40], ub[32];
	size_t i;

	if (!arr || !arr->len) {
		printf("no alerts\n");
		return;
	}
	for (i = 0; i < arr->len; i++) {
		const struct jval *a = &arr->items[i];
		const char *row[] = { short_time(get_str(a, "time"), tb, sizeof(tb)),
				      get_str(a, "severity"), get_str(a, "rule"),
				      alert_user(a, ub, sizeof(ub)), get_str(a, "summary") };

		table_add(&t, row);
	}
	table_print(&t);
	table_free(&t);
}

static int cmd_alerts(int argc, char **argv, struct ctl *ctl)
{
	struct alerts_args aa = {};
	bool truncated = false;
	struct json req;
	struct reply r;
	int ret;

	ret = parse_opts(argc, argv, alerts_help, ctl, &aa);
	if (ret)
		return ret < 0 ? -ret : 0;
	request_begin(&req, "alerts");
	if (aa.since)
		json_kv_str(&req, "since", aa.since);
	if (aa.rule)
		json_kv_str(&req, "rule", aa.rule);
	if (aa.limit)
		json_kv_u64(&req, "limit", aa.limit);
	request_end(&req);
	ret = call_agent(ctl, &req, &r, NULL, EXIT_FAILED);
	if (ret)
		goto out;
	if (ctl->json) {
		printf("%s\n", r.line);
		goto out;
	}
	print_alerts(get_arr(&r.v, "alerts"));
	if (jobj_bool(&r.v, "truncated", &truncated) && truncated)
		fprintf(stderr, "cprwatchctl: more alerts match; raise --limit or narrow "
				"--since\n");
out:
	reply_free(&r);
	json_free(&req);
	return ret;
}

/* ---- reload, test-alert ---------------------------------------------- */

static int cmd_reload(int argc, char **argv, struct ctl *ctl)
{
	const struct jval *cfg;
	const char *msg;
	struct json req;
	struct reply r;
	int ret;

	ret = parse_opts(argc, argv, reload_help, ctl, NULL);
	if (ret)
		return ret < 0 ? -ret : 0;
	request_begin(&req, "reload");
	request_end(&req);
	/* a refused reload is almost always a bad config: the same code as a usage error */
	ret = call_agent(ctl, &req, &r,
			 "reload refused; the agent keeps its current config: ", EXIT_USAGE);
	if (ret)
		goto out;
	if (ctl->json) {
		printf("%s\n", r.line);
		goto out;
	}
	cfg = jobj_get(&r.v, "config");
	printf("reloaded %s (sha256 %s)\n", get_str(cfg, "path"), get_str(cfg, "sha256"));
	msg = jobj_str(&r.v, "message");
	if (msg && *msg)
		printf("%s\n", msg);
out:
	reply_free(&r);
	json_free(&req);
	return ret;
}

static int cmd_test_alert(int argc, char **argv, struct ctl *ctl)
{
	const struct jval *sinks;
	struct json req;
	struct reply r;
	size_t i;
	int ret;

	ret = parse_opts(argc, argv, test_alert_help, ctl, NULL);
	if (ret)
		return ret < 0 ? -ret : 0;
	request_begin(&req, "test-alert");
	request_end(&req);
	ret = call_agent(ctl, &req, &r, "test alert not sent: ", EXIT_FAILED);
	if (ret)
		goto out;
	if (ctl->json) {
		printf("%s\n", r.line);
		goto out;
	}
	printf("test alert %s sent\n", get_str(&r.v, "alert_id"));
	sinks = get_arr(&r.v, "sinks");
	for (i = 0; sinks && i < sinks->len; i++)
		printf("  sink %s: %s\n", get_str(&sinks->items[i], "name"),
		       get_str(&sinks->items[i], "state"));
out:
	reply_free(&r);
	json_free(&req);
	return ret;
}

/* ---- main ------------------------------------------------------------ */

static int cmd_version(int argc, char **argv, struct ctl *ctl)
{
	printf("cprwatchctl %s (build %s)\n", CPRW_VERSION, CPRW_BUILD_ID);
	return 0;
}

static int cmd_help(int argc, char **argv, struct ctl *ctl);

static int cmd_scan_ctl(int argc, char **argv, struct ctl *ctl)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(scan_help, stdout);
		return 0;
	}
	return cmd_scan(argc - 1, argv + 1);
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, struct ctl *ctl); /* argv[0] is the name */
	const char *help;
} commands[] = {
	{ "status", cmd_status, status_help }, { "alerts", cmd_alerts, alerts_help },
	{ "reload", cmd_reload, reload_help }, { "test-alert", cmd_test_alert, test_alert_help },
	{ "scan", cmd_scan_ctl, scan_help },   { "version", cmd_version, version_help },
	{ "help", cmd_help, help_help },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv, struct ctl *ctl)
{
	const struct command *cmd;

	if (argc < 2) {
		fputs(usage_text, stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr,
			"cprwatchctl: no help for '%s': not a command\n"
			"Try 'cprwatchctl help'.\n",
			argv[1]);
		return EXIT_USAGE;
	}
	fputs(cmd->help, stdout);
	return 0;
}

/* -s/--socket, -h, -V before the command; returns the command's index or -exit code. */
static int parse_global(int argc, char **argv, struct ctl *ctl)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			ctl->sock = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			cmd_version(0, NULL, ctl);
			return 0;
		case ':':
			fprintf(stderr, "cprwatchctl: option '%s' needs an argument\n",
				argv[optind - 1]);
			return -EXIT_USAGE;
		default:
			fprintf(stderr,
				"cprwatchctl: unknown option '%s'\n"
				"Try 'cprwatchctl help'.\n",
				argv[optind - 1]);
			return -EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return -EXIT_USAGE;
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .sock = getenv("CPRWATCH_SOCKET") };
	const struct command *cmd;
	int i;

	if (!ctl.sock || !*ctl.sock)
		ctl.sock = CONTROL_DEFAULT_PATH;
	i = parse_global(argc, argv, &ctl);
	if (i <= 0)
		return -i;
	if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
		return cmd_help(1, argv + i, &ctl);
	if (!strcmp(argv[i], "--version"))
		return cmd_version(0, NULL, &ctl);
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "cprwatchctl: unknown command '%s'\nTry 'cprwatchctl help'.\n",
			argv[i]);
		return EXIT_USAGE;
	}
	return cmd->run(argc - i, argv + i, &ctl);
}
