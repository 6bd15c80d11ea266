// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * PDF text through poppler (poppler-cpp), the PDF library of the Linux
 * desktop.  Chosen over extending our own extractor (scan_pdf.c) by
 * measuring both on the LibreOffice/Ghostscript/cairo/qpdf corpus of
 * tests/integration/test_formats.sh: poppler finds every planted number in
 * every file (subset fonts with ToUnicode, Differences, object and xref
 * streams, incremental updates, every filter, RC4/AES-128/AES-256 with an
 * empty user password), ours found none in office-suite PDFs, and poppler's
 * text pass is as fast as pdftotext (the same code, without the process).
 * Poppler has a long CVE history on hostile files; it runs only inside the
 * sandboxed scanner process, which is what makes it acceptable.
 *
 * Poppler's global state (GlobalParams) is created while a document is
 * open and dropped with the last one; creating it reads poppler's data
 * directories (opendir, open).  The sandboxed scanner may not open files,
 * so a constructor opens a tiny built-in PDF at process start - before any
 * seccomp filter - and keeps it open for the life of the process: the state
 * lives on, and a scan makes no file system call.  Text comes out as UTF-16
 * and is narrowed here (utf_detector_byte), not through iconv, which would load
 * gconv modules.  Text extraction is not documented as thread-safe, so
 * documents are read one at a time in a process.  Poppler's error messages
 * (which may quote the file) are dropped, never printed.
 *
 * Per page the text is taken in reading order (physical layout), so a number
 * drawn by several Tj/TJ operators, or moved by kerning, joins as it reads;
 * text under a drawn box is text all the same.  A page with no text at all
 * is counted in pages_without_text (a scanned image) and makes the result
 * partial.  Embedded files (attachments) are scanned as files of their own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <memory>
#include <poppler-document.h>
#include <poppler-embedded-file.h>
#include <poppler-global.h>
#include <poppler-page.h>

extern "C" {
#include "scan_int.h"
}

/* Recursive: a PDF attached to a PDF is read while its parent is open. */
static pthread_mutex_t poppler_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static void quiet(const std::string &, void *)
{
}

/* The smallest PDF poppler opens without repairing it: one empty page. */
static const char tiny_pdf[] =
	"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
	"trailer<</Root 1 0 R/Size 4>>\n%%EOF\n";
static poppler::document *keep_alive;

static void quiet(const std::string &, void *);

static int cmp_bytes(const void *a, const void *b)
{
	return *(const unsigned char *)a - *(const unsigned char *)b;
}

__attribute__((constructor)) static void poppler_warm_up(void)
{
	static unsigned char sort_me[2048];

	/*
	 * Poppler sorts text with qsort(); glibc's qsort asks sysinfo() for the
	 * memory size the first time it sorts over 1 KiB, then keeps the answer.
	 * Ask it here, before any seccomp filter (sysinfo is not allowed there).
	 */
	qsort(sort_me, sizeof(sort_me), 1, cmp_bytes);
	poppler::set_debug_error_function(quiet, nullptr);
	keep_alive = poppler::document::load_from_raw_data(tiny_pdf, sizeof(tiny_pdf) - 1);
	if (keep_alive && keep_alive->pages() > 0) {
		std::unique_ptr<poppler::page> pg(keep_alive->create_page(0));

		if (pg)
			pg->text(poppler::rectf(), poppler::page::physical_layout);
	}
}

/* Feeds a page's UTF-16 text to the detector; false when it holds no text at all. */
static bool page_text(struct scan_ctx *c, const poppler::ustring &u)
{
	struct tbuf tb = { .c = c, .n = 0, .b = {} };
	bool any = false;
	uint32_t hi = 0;

	for (unsigned short cu : u) {
		uint32_t cp = cu;

		if (cp >= 0xd800 && cp < 0xdc00) {
			hi = cp;
			continue;
		}
		if (cp >= 0xdc00 && cp < 0xe000)
			cp = hi ? 0x10000 : 0xfffd;
		hi = 0;
		if (!(cp == ' ' || cp == '\n' || cp == '\r' || cp == '\t' || cp == '\f'))
			any = true;
		tb_put(&tb, utf_detector_byte(cp));
	}
	tb_flush(&tb);
	return any;
}

static void scan_pages(struct scan_ctx *c, poppler::document *doc)
{
	int i, n = doc->pages();

	for (i = 0; i < n && !c->stop; i++) {
		std::unique_ptr<poppler::page> pg(doc->create_page(i));
		if (!pg || !page_text(c, pg->text(poppler::rectf(), poppler::page::physical_layout)))
			c->res->pages_without_text++;
		scan_text_break(c);
	}
}

static void scan_attachments(struct scan_ctx *c, poppler::document *doc, unsigned int depth)
{
	if (!doc->has_embedded_files())
		return;
	for (poppler::embedded_file *ef : doc->embedded_files()) {
		if (c->stop)
			break;
		if (!ef || !ef->is_valid())
			continue;
		poppler::byte_array d = ef->data();

		scan_buf_nested(c, depth + 1, (const unsigned char *)d.data(), d.size());
	}
}

int poppler_scan(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth)
{
	uint32_t before = c->res->pages_without_text;
	int ret = 0;

	if (n > INT32_MAX)
		return -EBADMSG;
	pthread_mutex_lock(&poppler_lock);
	try {
		std::unique_ptr<poppler::document> doc(
			poppler::document::load_from_raw_data((const char *)p, (int)n));

		if (!doc) {
			ret = -EBADMSG;
		} else if (doc->is_locked()) {
			scan_encrypted(c, "pdf");
		} else {
			scan_pages(c, doc.get());
			scan_attachments(c, doc.get(), depth);
		}
	} catch (const std::bad_alloc &) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "pdf: out of memory");
	} catch (...) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "pdf: poppler failed");
	}
	pthread_mutex_unlock(&poppler_lock);
	if (c->res->pages_without_text > before)
		scan_partial(c, "pdf", "pages without text");
	return ret;
}
