// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pipeline.h"
#include "event/clip.h"
#include "event/event_json.h"
#include "lib/cpr.h"
#include "lib/fs_trust.h"
#include "lib/log.h"
#include "lib/time.h"
#include "lib/utf8.h"
#include "scan/scan_json.h"

#define FILETAB_MAX 65536
#define DECODE_ERR_LOG_MAX 10 /* bad records logged before going quiet */

static void write_line(struct pipeline *pl)
{
	if (pl->json.out.oom)
		return;
	json_raw(&pl->json, "\n", 1);
	if (pl->events_out)
		fwrite(pl->json.out.data, 1, pl->json.out.len, pl->events_out);
	if (pl->record_out)
		fwrite(pl->json.out.data, 1, pl->json.out.len, pl->record_out);
}

/* The event as a JSON line to --events and --record, then through the rules. */
static void emit(struct pipeline *pl, const struct event *ev, const struct proc *p)
{
	if (pl->events_out || pl->record_out) {
		json_reset(&pl->json);
		event_json(&pl->json, ev, p, time_mono_offset());
		write_line(pl);
	}
	rules_on_event(&pl->rules, ev, p);
}

void pipeline_scan_done(struct pipeline *pl, const struct scan_request *rq,
			const struct scan_result *res)
{
	if (pl->record_out) {
		json_reset(&pl->json);
		scan_json(&pl->json, rq, res, time_mono_offset());
		write_line(pl);
	}
	rules_on_scan(&pl->rules, rq, res);
}

void pipeline_scan_dropped(struct pipeline *pl, const struct scan_request *rq, unsigned int queued)
{
	rules_on_scan_dropped(&pl->rules, rq, queued);
}

/*
 * A file written by a CPR client or a tainted process is tainted at open in
 * the kernel; a file opened before the process became one (the shell's
 * `cprclient > export.csv` opens it, then execs; a program opens its output
 * below an export directory, then reads the export) is tainted here, at
 * close: a CPR client's with itself as origin, a tainted process's with the
 * origin it read.  Bytes read from tainted files add up per process (the
 * share an upload is measured against).
 */
static void lineage_at_close(struct pipeline *pl, const struct close_event *e, struct proc *p)
{
	struct file_id id = { .dev = e->dev, .ino = e->ino };
	const struct file_id *origin = &id;
	const struct file_info *fi = filetab_info(&pl->files, &id);

	if (p && fi && fi->tainted)
		p->tainted_read += e->bytes_read;
	if ((!e->bytes_written && !(e->hdr.flags & EVF_MMAP_WRITE)) || !fi || fi->tainted)
		return;
	if (!(e->hdr.classes & CLASS_CPR_CLIENT)) {
		if (!(e->hdr.classes & CLASS_TAINTED) || !p || !p->has_origin)
			return;
		origin = &p->origin;
	}
	filetab_put(&pl->files, &id, fi->path, fi->export_kind, origin);
	if (pl->ops.taint)
		pl->ops.taint(pl->ops.arg, &id, origin, e->hdr.tgid);
}

static void on_close(struct pipeline *pl, struct event *ev, struct proc *p)
{
	const struct close_event *e = ev->raw;
	struct file_id id = { .dev = e->dev, .ino = e->ino };

	ev->file_path = filetab_get(&pl->files, &id);
	lineage_at_close(pl, e, p);
	emit(pl, ev, p);
}

void pipeline_flushed_close(struct pipeline *pl, const struct close_event *e)
{
	struct event ev;
	char err[128];

	if (event_decode(e, sizeof(*e), &ev, err, sizeof(err)))
		return;
	pl->stats.by_type[EV_CLOSE]++;
	on_close(pl, &ev, procs_get(&pl->procs, e->hdr.tgid));
}

/*
 * Clipboard content is counted here, in the intake thread (at most
 * CPRW_CLIP_DATA_MAX bytes), and dropped: what goes on to the JSON, the
 * recording and the rules is a copy of the record without it, carrying the
 * count of distinct CPR numbers instead.  The hooks capture text, so only
 * the CPR detector reads it: no format reader runs on what a user put on
 * the clipboard in this root process.  Text in UTF-16 (Qt's always; any
 * other hook's when a user made it so, `iconv -t UTF-16 | xclip`, which the
 * scanner's text streams see through too) is decoded for it first, as the
 * scanner does (lib/utf8.h).
 */
#define CLIP_SNIFF 64 /* bytes looked at for UTF-16, as the scanner's SNIFF */

static void on_clipboard(struct pipeline *pl, struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	struct clipboard_event head = *e;
	struct event copy = *ev;
	unsigned char narrow[CPRW_CLIP_DATA_MAX / 2 + 2];
	const unsigned char *text = (const unsigned char *)ev->args;
	size_t len = ev->args_len, bom = 0;
	enum utf16_order order;
	struct utf16_dec d;
	uint64_t n;

	if (len) {
		order = e->api == CLIP_API_QT ?
				UTF16_LE :
				utf16_detect(text, len < CLIP_SNIFF ? len : CLIP_SNIFF, &bom);
		if (order != UTF16_NONE) {
			utf16_dec_init(&d, order);
			len = utf16_dec_feed(&d, text + bom, len - bom, narrow);
			text = narrow;
		}
		n = cpr_count_distinct(text, len);
		clip_set_cpr_distinct(&head, n > UINT32_MAX ? UINT32_MAX : (__u32)n);
		explicit_bzero(narrow, sizeof(narrow));
	}
	head.hdr.size = sizeof(head);
	copy.hdr = &head.hdr;
	copy.raw = &head;
	copy.args = NULL;
	copy.args_len = 0;
	emit(pl, &copy, p);
}

/*
 * TLS plaintext goes to the rules in full (request line, response bytes
 * scanned for persons) and is dropped: what goes on to the JSON, the
 * recording and the rules' event hooks is a copy of the record without it,
 * with the CPR count.  A recorded one (replay) has no plaintext and keeps
 * the count it was recorded with.
 */
static void on_tls(struct pipeline *pl, struct event *ev, const struct proc *p)
{
	struct tls_event head = *(const struct tls_event *)ev->raw;
	struct event copy = *ev;

	if (ev->args_len)
		head.cpr_distinct = rules_on_tls(&pl->rules, ev, p);
	head.hdr.size = sizeof(head);
	copy.hdr = &head.hdr;
	copy.raw = &head;
	copy.args = NULL;
	copy.args_len = 0;
	emit(pl, &copy, p);
}

static void on_exit_event(struct pipeline *pl, struct event *ev, struct proc *p)
{
	if (pl->ops.proc_exit)
		pl->ops.proc_exit(pl->ops.arg, ev->hdr->tgid);
	procs_on_exit(&pl->procs, ev->raw);
	emit(pl, ev, p);
	/* fds still open at exit were closed by the kernel, not by close(2) */
	if (p && p->open_files && pl->ops.flush_fds)
		pl->ops.flush_fds(pl->ops.arg, ev->hdr);
}

static void on_exec(struct pipeline *pl, struct event *ev)
{
	struct proc *p;

	procs_on_exec(&pl->procs, ev->raw, ev->path, ev->args, ev->args_len);
	p = procs_get(&pl->procs, ev->hdr->tgid);
	/* xclip, wl-copy...: who pipes into them, who reads from them */
	if (p && (ev->hdr->classes & CLASS_CLIPBOARD) && pl->live) {
		p->stdin_from = procs_pipe_peer(&pl->procs, "/proc", p->tgid, 0);
		p->stdout_to = procs_pipe_peer(&pl->procs, "/proc", p->tgid, 1);
	}
	emit(pl, ev, p);
	if (pl->ops.proc_exec)
		pl->ops.proc_exec(pl->ops.arg, p, ev->hdr->ts_ns);
}

static void on_fork(struct pipeline *pl, struct event *ev)
{
	const struct fork_event *f = ev->raw;

	procs_on_fork(&pl->procs, ev->raw);
	if (pl->ops.proc_fork)
		pl->ops.proc_fork(pl->ops.arg, procs_get(&pl->procs, f->child_tgid),
				  ev->hdr->ts_ns);
	emit(pl, ev, procs_get(&pl->procs, ev->hdr->tgid));
}

static void on_open(struct pipeline *pl, struct event *ev, struct proc *p)
{
	const struct open_event *o = ev->raw;

	if (o->ret >= 0) {
		struct file_id id = { .dev = o->dev, .ino = o->ino };
		struct file_id origin = { .dev = o->taint_dev, .ino = o->taint_ino };

		filetab_put(&pl->files, &id, ev->path, o->export_kind,
			    (ev->hdr->flags & EVF_TAINTED_FILE) ? &origin : NULL);
		if (p)
			p->open_files++;
		/* reading a tainted file taints the process (the kernel did too) */
		if (p && !p->has_origin && (ev->hdr->flags & EVF_TAINTED_FILE) &&
		    (o->flags & O_ACCMODE) != O_WRONLY) {
			p->has_origin = true;
			p->origin = origin;
		}
	}
	emit(pl, ev, p);
}

void pipeline_event(struct pipeline *pl, const void *data, size_t size)
{
	struct event ev;
	struct proc *p;
	char err[160];

	pl->stats.events++;
	if (event_decode(data, size, &ev, err, sizeof(err))) {
		if (pl->stats.decode_errors++ < DECODE_ERR_LOG_MAX)
			log_warn("skipping a malformed event: %s", err);
		return;
	}
	pl->stats.by_type[ev.hdr->type]++;
	switch (ev.hdr->type) {
	case EV_EXEC:
		on_exec(pl, &ev);
		return;
	case EV_FORK:
		on_fork(pl, &ev);
		return;
	default:
		break;
	}
	p = procs_touch(&pl->procs, ev.hdr);
	if (p && ev.hdr->classes && !p->classes) {
		p->classes = ev.hdr->classes;
		if (pl->ops.proc_tracked)
			pl->ops.proc_tracked(pl->ops.arg, p, ev.hdr->ts_ns);
	} else if (p) {
		p->classes |= ev.hdr->classes;
	}
	switch (ev.hdr->type) {
	case EV_EXIT:
		on_exit_event(pl, &ev, p);
		break;
	case EV_OPEN:
		on_open(pl, &ev, p);
		break;
	case EV_CLOSE:
		on_close(pl, &ev, p);
		break;
	case EV_CLIPBOARD:
		on_clipboard(pl, &ev, p);
		break;
	case EV_TLS:
		on_tls(pl, &ev, p);
		break;
	default:
		emit(pl, &ev, p);
	}
}

void pipeline_alert(struct pipeline *pl, const struct alert *a)
{
	alert_emit(&pl->alerts, a, &pl->procs);
	if (pl->alerts.j.out.len > 1 && pl->ops.alerted)
		pl->ops.alerted(pl->ops.arg, a, pl->alerts.j.out.data, pl->alerts.j.out.len);
}

void pipeline_tick(struct pipeline *pl, uint64_t now_ns)
{
	procs_gc(&pl->procs, now_ns);
	rules_tick(&pl->rules, now_ns, false);
}

void pipeline_flush(struct pipeline *pl)
{
	if (pl->events_out)
		fflush(pl->events_out);
	if (pl->record_out)
		fflush(pl->record_out);
}

void pipeline_finish(struct pipeline *pl, uint64_t now_ns)
{
	rules_tick(&pl->rules, now_ns, true);
	pipeline_flush(pl);
}

/* ---- what the rules ask for ------------------------------------------------------- */

static void rules_scan(void *arg, const struct scan_request *rq)
{
	struct pipeline *pl = arg;

	if (pl->ops.scan)
		pl->ops.scan(pl->ops.arg, rq);
}

static void rules_alert(void *arg, const struct alert *a)
{
	pipeline_alert(arg, a);
}

/* A file the scanner found CPR numbers in is tainted, so its copies are followed. */
static void rules_taint(void *arg, const struct file_id *id, const struct file_id *origin,
			__u32 tgid)
{
	struct pipeline *pl = arg;

	if (pl->ops.taint)
		pl->ops.taint(pl->ops.arg, id, origin, tgid);
}

/* ---- set-up --------------------------------------------------------------------------- */

static FILE *open_output(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st = { 0 };
	FILE *f;
	int fd;

	if (!strcmp(path, "-"))
		return stdout;
	/*
	 * Never through a symlink, never into a file of someone else (a user's
	 * file in /tmp would get every event), and truncated only once it is
	 * known to be ours.
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && (fstat(fd, &st) || !fs_ours(&st) ||
			(!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)))) {
		snprintf(err, errlen,
			 "cannot write %s to %s: it belongs to uid %u or is not a "
			 "file; refused",
			 what, path, (unsigned int)st.st_uid);
		close(fd);
		return NULL;
	}
	if (fd >= 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
		snprintf(err, errlen, "cannot write %s to %s: %s", what, path, strerror(errno));
		close(fd);
		return NULL;
	}
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "cannot write %s to %s: %s", what, path,
			 errno == ELOOP ? "it is a symbolic link; refused" : strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/* The alert log's directory is created (0700: alerts are personal data) when missing. */
static void make_log_dir(const char *path)
{
	char dir[4096], *slash;

	if (!path || !*path)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		log_debug("cannot create %s: %s", dir, strerror(errno));
}

int pipeline_init(struct pipeline *pl, const struct pipeline_cfg *cfg,
		  const struct pipeline_ops *ops, char *err, size_t errlen)
{
	struct rules_ops rops = {
		.scan = rules_scan, .alert = rules_alert, .taint = rules_taint, .arg = pl
	};
	int ret;

	memset(pl, 0, sizeof(*pl));
	pl->live = cfg->live;
	if (ops)
		pl->ops = *ops;
	json_init(&pl->json);
	/* the one clock: a replay sets it again from its recording */
	time_set_mono_offset(time_offset_compute());
	if (procs_init(&pl->procs) || filetab_init(&pl->files, FILETAB_MAX)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (cfg->events_path &&
	    !(pl->events_out = open_output(cfg->events_path, "events", err, errlen)))
		return -EIO;
	if (cfg->record_path &&
	    !(pl->record_out = open_output(cfg->record_path, "the recording", err, errlen)))
		return -EIO;
	if (cfg->live)
		make_log_dir(cfg->alerts.log);
	ret = alert_out_open(&pl->alerts, &cfg->alerts, err, errlen);
	if (ret)
		return ret;
	if (rules_init(&pl->rules, cfg->rules, &pl->procs, &pl->files, &rops,
		       cfg->live ? 0 : RULES_REPLAY)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void pipeline_free(struct pipeline *pl)
{
	if (pl->events_out && pl->events_out != stdout)
		fclose(pl->events_out);
	if (pl->record_out && pl->record_out != stdout)
		fclose(pl->record_out);
	pl->events_out = pl->record_out = NULL;
	rules_free(&pl->rules);
	alert_out_close(&pl->alerts);
	json_free(&pl->json);
	filetab_free(&pl->files);
	procs_free(&pl->procs);
}
