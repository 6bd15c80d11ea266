// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Synthetic test data: see cpr_gen.h.  Every number here is generated; there
 * is no real CPR number in this file or in anything it writes on purpose.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "lib/cpr.h"
#include "cpr_gen.h"

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "cpr_gen: out of memory\n");
		abort();
	}
	return p;
}

void gen_seed(struct gen_rng *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

/* splitmix64: tiny, fast, good enough for test data */
uint64_t gen_next(struct gen_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	return n ? (uint32_t)(gen_next(r) % n) : 0;
}

/* Completes digits[0..6] with three digits, honouring the modulus 11 wish. */
static uint64_t finish_serial(struct gen_rng *r, int d[10], int mod11)
{
	static const int w[10] = { 4, 3, 2, 7, 6, 5, 4, 3, 2, 1 };
	int i, sum, need;
	uint64_t v;

	for (;;) {
		d[7] = gen_below(r, 10);
		d[8] = gen_below(r, 10);
		for (sum = 0, i = 0; i < 9; i++)
			sum += w[i] * d[i];
		need = (11 - sum % 11) % 11; /* the last digit that passes */
		if (mod11 == GEN_MOD11_PASS) {
			if (need == 10)
				continue;
			d[9] = need;
		} else if (mod11 == GEN_MOD11_FAIL) {
			do
				d[9] = gen_below(r, 10);
			while (d[9] == need);
		} else {
			d[9] = gen_below(r, 10);
		}
		break;
	}
	for (v = 0, i = 0; i < 10; i++)
		v = v * 10 + d[i];
	return v;
}

uint64_t gen_cpr_d7(struct gen_rng *r, const char ddmmyy[6], int d7, int mod11)
{
	int d[10], i;

	for (i = 0; i < 6; i++)
		d[i] = ddmmyy[i] - '0';
	d[6] = d7;
	return finish_serial(r, d, mod11);
}

uint64_t gen_cpr_date(struct gen_rng *r, int day, int month, int year, int mod11)
{
	int d[10], yy = year % 100, ok[10], n = 0, i;

	for (i = 0; i < 10; i++)
		if (cpr_century_year(yy, i) == year)
			ok[n++] = i;
	if (!n) {
		fprintf(stderr, "cpr_gen: no 7th digit for year %d\n", year);
		abort();
	}
	d[0] = day / 10;
	d[1] = day % 10;
	d[2] = month / 10;
	d[3] = month % 10;
	d[4] = yy / 10;
	d[5] = yy % 10;
	d[6] = ok[gen_below(r, n)];
	return finish_serial(r, d, mod11);
}

uint64_t gen_cpr(struct gen_rng *r, int mod11)
{
	int year = 1858 + gen_below(r, 200), month = 1 + gen_below(r, 12);
	int day = 1 + gen_below(r, cpr_days_in_month(year, month));

	return gen_cpr_date(r, day, month, year, mod11);
}

uint64_t gen_cpr_future(struct gen_rng *r, int mod11)
{
	int yy = 27 + gen_below(r, 31), month = 1 + gen_below(r, 12);
	int day = 1 + gen_below(r, cpr_days_in_month(2000 + yy, month));
	char ddmmyy[7];

	snprintf(ddmmyy, sizeof(ddmmyy), "%02d%02d%02d", day, month, yy);
	return gen_cpr_d7(r, ddmmyy, 5 + gen_below(r, 4), mod11);
}

int gen_format(uint64_t v, int style, char *out)
{
	char d[11];

	snprintf(d, sizeof(d), "%010llu", (unsigned long long)v);
	if (style == GEN_PLAIN)
		return snprintf(out, 11, "%s", d);
	return snprintf(out, 12, "%.6s%c%.4s", d, style == GEN_HYPHEN ? '-' : ' ', d + 6);
}

/* ---- text ---------------------------------------------------------------- */

static const char *const prose[] = {
	"Vi har modtaget din bestilling og sender den hurtigst muligt.",
	"Mødet er flyttet til næste uge, se vedhæftede dagsorden.",
	"Husk at indsende timesedlen inden fredag.",
	"Leveringen sker med GLS, pakken kan spores online.",
	"Kontakt kundeservice ved spørgsmål til fakturaen.",
	"The quarterly report is attached for review.",
	"Betalingen er registreret, tak for din indbetaling.",
	"Opgaven er lukket og arkiveret i journalen.",
};

/* One line of everyday numbers that are not CPR numbers. */
static int noise_line(struct gen_rng *r, char *o, size_t n)
{
	unsigned int a = gen_below(r, 100), b = gen_below(r, 100), c = gen_below(r, 100);
	unsigned int y = 2015 + gen_below(r, 10), m = 1 + gen_below(r, 12),
		     d = 1 + gen_below(r, 28);
	unsigned long long big = gen_next(r) % 10000000000ULL;

	switch (gen_below(r, 26)) {
	case 0:
		return snprintf(o, n, "Tlf: %02u %02u %02u %02u", 20 + a % 80, b, c, a);
	case 1:
		return snprintf(o, n, "Mobil: +45 %08u", 20000000 + gen_below(r, 80000000));
	case 2:
		return snprintf(o, n, "Ring på +45%08u", 20000000 + gen_below(r, 80000000));
	case 3:
		return snprintf(o, n, "Faktura nr. %u-%06u", y, gen_below(r, 1000000));
	case 4:
		return snprintf(o, n, "Fakturanummer: %u", 100000 + gen_below(r, 9000000));
	case 5:
		return snprintf(o, n, "Ordre ORD-%u-%06u", y, gen_below(r, 1000000));
	case 6:
		return snprintf(o, n, "Ordrenr. %u", 10000000 + gen_below(r, 990000000));
	case 7:
		return snprintf(o, n, "Konto: %04u-%010llu", 1000 + gen_below(r, 9000), big);
	case 8:
		return snprintf(o, n, "Reg.nr. %04u kontonr. %u", 1000 + gen_below(r, 9000),
				1000000 + gen_below(r, 90000000));
	case 9:
		return snprintf(o, n, "Dato: %02u-%02u-%04u", d, m, y);
	case 10:
		return snprintf(o, n, "Oprettet %04u-%02u-%02u", y, m, d);
	case 11:
		return snprintf(o, n, "Forfald %02u.%02u.%04u", d, m, y);
	case 12:
		return snprintf(o, n, "Beløb: %u.%03u,%02u kr.", 1 + a, gen_below(r, 1000), b);
	case 13:
		return snprintf(o, n, "IBAN: DK%02u %04u %04u %04u %02u", a, gen_below(r, 10000),
				gen_below(r, 10000), gen_below(r, 10000), b);
	case 14:
		return snprintf(o, n, "IBAN DK%02u%014llu", a,
				(unsigned long long)(gen_next(r) % 100000000000000ULL));
	case 15:
		return snprintf(o, n, "CVR-nr. %08u", 10000000 + gen_below(r, 90000000));
	case 16:
		return snprintf(
			o, n, "EAN %013llu",
			(unsigned long long)(5700000000000ULL + gen_next(r) % 100000000000ULL));
	case 17:
		return snprintf(o, n, "Kl. %02u:%02u:%02u", a % 24, b % 60, c % 60);
	case 18:
		return snprintf(o, n, "Postnr. %04u København", 1000 + gen_below(r, 9000));
	case 19:
		return snprintf(o, n, "Sagsnr. %02u/%05u", a, gen_below(r, 100000));
	case 20:
		return snprintf(o, n, "Varenr. %03u-%03u-%03u", gen_below(r, 1000),
				gen_below(r, 1000), gen_below(r, 1000));
	case 21:
		return snprintf(o, n, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, m, d, a % 24, b % 60,
				c % 60);
	case 22:
		return snprintf(o, n, "Total: %u,%02u DKK", gen_below(r, 10000000), a);
	case 23:
		return snprintf(o, n, "%u;%s;%02u-%02u-%04u;%u,%02u", 1 + gen_below(r, 99999),
				"Jensen", d, m, y, gen_below(r, 100000), b);
	case 24:
		return snprintf(o, n, "IP %u.%u.%u.%u v%u.%u.%u", 10 + a, b, c, a, a % 9, b % 20,
				c);
	default:
		return snprintf(o, n, "%s", prose[gen_below(r, sizeof(prose) / sizeof(prose[0]))]);
	}
}

static const char *const seps[] = { "\n", ", ", "; ", " | ", "\n", "\t" };

size_t gen_noise_text(struct gen_rng *r, char *buf, size_t len)
{
	size_t pos = 0;
	char line[160];
	int n;

	while (pos < len) {
		n = noise_line(r, line, sizeof(line));
		n += snprintf(line + n, sizeof(line) - n, "%s",
			      seps[gen_below(r, sizeof(seps) / sizeof(seps[0]))]);
		if ((size_t)n > len - pos)
			n = len - pos;
		memcpy(buf + pos, line, n);
		pos += n;
	}
	return pos;
}

size_t gen_id10_text(struct gen_rng *r, char *buf, size_t len)
{
	size_t pos = 0;
	char line[64];
	int n;

	while (pos < len) {
		n = snprintf(line, sizeof(line), "Kundenummer %010llu\n",
			     (unsigned long long)(gen_next(r) % 10000000000ULL));
		if ((size_t)n > len - pos)
			n = len - pos;
		memcpy(buf + pos, line, n);
		pos += n;
	}
	return pos;
}

size_t gen_cpr_text(struct gen_rng *r, char *buf, size_t len, size_t every, uint64_t *planted)
{
	return gen_cpr_prose(r, buf, len, every, planted, 0);
}

size_t gen_cpr_prose(struct gen_rng *r, char *buf, size_t len, size_t every, uint64_t *planted,
		     int prose_pct)
{
	static const char *const intro[] = { "CPR: ", "cpr-nr. ", "Personnummer ", "", "ID ", "" };
	size_t pos = 0, next = every ? gen_below(r, every) : len;
	char line[160], num[12];
	bool cpr;
	int n;

	*planted = 0;
	while (pos < len) {
		cpr = pos >= next;
		if (cpr) {
			gen_format(gen_cpr(r, GEN_MOD11_ANY), gen_below(r, 3), num);
			n = snprintf(line, sizeof(line), "%s%s\n",
				     intro[gen_below(r, sizeof(intro) / sizeof(intro[0]))], num);
			next = pos + every / 2 + gen_below(r, every);
		} else if ((int)gen_below(r, 100) < prose_pct) {
			n = snprintf(line, sizeof(line), "%s ",
				     prose[gen_below(r, sizeof(prose) / sizeof(prose[0]))]);
		} else {
			n = noise_line(r, line, sizeof(line));
			n += snprintf(line + n, sizeof(line) - n, "%s",
				      seps[gen_below(r, sizeof(seps) / sizeof(seps[0]))]);
		}
		if ((size_t)n > len - pos)
			break; /* never cut a planted number in half */
		memcpy(buf + pos, line, n);
		pos += n;
		*planted += cpr;
	}
	memset(buf + pos, ' ', len - pos);
	return len;
}

/* ---- buffers ------------------------------------------------------------- */

void gb_put(struct gen_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void gb_puts(struct gen_buf *b, const char *s)
{
	gb_put(b, s, strlen(s));
}

void gb_printf(struct gen_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	gb_put(b, s, n);
	free(s);
}

const char *gb_str(struct gen_buf *b)
{
	gb_put(b, "", 1);
	b->len--;
	return (const char *)b->p;
}

void gb_free(struct gen_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void put16(struct gen_buf *b, unsigned int v)
{
	unsigned char x[2] = { v, v >> 8 };

	gb_put(b, x, 2);
}

static void put32(struct gen_buf *b, uint32_t v)
{
	unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };

	gb_put(b, x, 4);
}

/* ---- compression --------------------------------------------------------- */

static void deflate_to(const void *data, size_t len, struct gen_buf *out, int wbits)
{
	z_stream zs = { 0 };
	size_t bound;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY))
		abort();
	bound = deflateBound(&zs, len) + 64;
	if (out->len + bound > out->cap) {
		out->cap = out->len + bound;
		out->p = xrealloc(out->p, out->cap);
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = len;
	zs.next_out = out->p + out->len;
	zs.avail_out = bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	out->len += bound - zs.avail_out;
	deflateEnd(&zs);
}

void gen_deflate(const void *data, size_t len, struct gen_buf *out, bool raw)
{
	deflate_to(data, len, out, raw ? -15 : 15);
}

void gen_gzip(const void *data, size_t len, struct gen_buf *out)
{
	deflate_to(data, len, out, 16 + 15);
}

/* ---- zip ----------------------------------------------------------------- */

void zipw_init(struct zipw *z)
{
	memset(z, 0, sizeof(*z));
}

void zipw_add_raw(struct zipw *z, const char *name, int method, int flags, uint32_t crc,
		  uint64_t usize, const void *cdata, size_t clen)
{
	size_t nlen = strlen(name);
	uint32_t lho = z->out.len;

	put32(&z->out, 0x04034b50);
	put16(&z->out, 20);
	put16(&z->out, flags);
	put16(&z->out, method);
	put16(&z->out, 0);    /* time */
	put16(&z->out, 0x21); /* date: 1980-01-01 */
	put32(&z->out, crc);
	put32(&z->out, clen);
	put32(&z->out, usize);
	put16(&z->out, nlen);
	put16(&z->out, 0);
	gb_put(&z->out, name, nlen);
	gb_put(&z->out, cdata, clen);

	put32(&z->cd, 0x02014b50);
	put16(&z->cd, 20);
	put16(&z->cd, 20);
	put16(&z->cd, flags);
	put16(&z->cd, method);
	put16(&z->cd, 0);
	put16(&z->cd, 0x21);
	put32(&z->cd, crc);
	put32(&z->cd, clen);
	put32(&z->cd, usize);
	put16(&z->cd, nlen);
	put16(&z->cd, 0); /* extra */
	put16(&z->cd, 0); /* comment */
	put16(&z->cd, 0); /* disk */
	put16(&z->cd, 0); /* internal attributes */
	put32(&z->cd, 0); /* external attributes */
	put32(&z->cd, lho);
	gb_put(&z->cd, name, nlen);
	z->n++;
}

void zipw_add(struct zipw *z, const char *name, const void *data, size_t len, int method)
{
	uint32_t crc = crc32(0, data, len);
	struct gen_buf c = { 0 };

	if (method == 8) {
		gen_deflate(data, len, &c, true);
		zipw_add_raw(z, name, 8, 0, crc, len, c.p, c.len);
		gb_free(&c);
		return;
	}
	zipw_add_raw(z, name, 0, 0, crc, len, data, len);
}

void zipw_finish(struct zipw *z, struct gen_buf *out)
{
	uint32_t cd_off = z->out.len;

	*out = z->out;
	gb_put(out, z->cd.p, z->cd.len);
	put32(out, 0x06054b50);
	put16(out, 0);
	put16(out, 0);
	put16(out, z->n);
	put16(out, z->n);
	put32(out, z->cd.len);
	put32(out, cd_off);
	put16(out, 0);
	gb_free(&z->cd);
	memset(&z->out, 0, sizeof(z->out));
}

/* ---- office documents ---------------------------------------------------- */

static void add_str(struct zipw *z, const char *name, const struct gen_buf *b)
{
	zipw_add(z, name, b->p, b->len, 8);
}

void gen_xlsx(struct gen_buf *out, const char *sheet_rows, const char *const *shared, int nshared)
{
	static const char ctypes[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
		"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
		"<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/"
		"vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>";
	static const char workbook[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<sheets><sheet name=\"Ark1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	struct gen_buf sheet = { 0 }, sst = { 0 };
	struct zipw z;
	int i;

	zipw_init(&z);
	zipw_add(&z, "[Content_Types].xml", ctypes, strlen(ctypes), 8);
	zipw_add(&z, "xl/workbook.xml", workbook, strlen(workbook), 8);
	gb_puts(&sheet,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<dimension ref=\"A1\"/><sheetViews><sheetView workbookViewId=\"0\"/></sheetViews>"
		"<sheetFormatPr defaultRowHeight=\"15\"/><sheetData>");
	gb_puts(&sheet, sheet_rows);
	gb_puts(&sheet, "</sheetData></worksheet>");
	add_str(&z, "xl/worksheets/sheet1.xml", &sheet);
	gb_printf(&sst,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		  "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
		  "count=\"%d\" uniqueCount=\"%d\">",
		  nshared, nshared);
	for (i = 0; i < nshared; i++)
		gb_printf(&sst, "<si><t>%s</t></si>", shared[i]);
	gb_puts(&sst, "</sst>");
	add_str(&z, "xl/sharedStrings.xml", &sst);
	zipw_finish(&z, out);
	gb_free(&sheet);
	gb_free(&sst);
}

void gen_docx(struct gen_buf *out, const char *body)
{
	struct gen_buf doc = { 0 };
	struct zipw z;

	zipw_init(&z);
	zipw_add(&z, "[Content_Types].xml", "<Types/>", 8, 8);
	gb_puts(&doc,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/"
		"main\"><w:body>");
	gb_puts(&doc, body);
	gb_puts(&doc, "</w:body></w:document>");
	add_str(&z, "word/document.xml", &doc);
	zipw_finish(&z, out);
	gb_free(&doc);
}

void gen_odt(struct gen_buf *out, const char *body)
{
	static const char mime[] = "application/vnd.oasis.opendocument.text";
	struct gen_buf doc = { 0 };
	struct zipw z;

	zipw_init(&z);
	zipw_add(&z, "mimetype", mime, strlen(mime), 0);
	gb_puts(&doc,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:"
		"office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">"
		"<office:body><office:text>");
	gb_puts(&doc, body);
	gb_puts(&doc, "</office:text></office:body></office:document-content>");
	add_str(&z, "content.xml", &doc);
	zipw_add(&z, "META-INF/manifest.xml", "<manifest:manifest/>", 20, 8);
	zipw_finish(&z, out);
	gb_free(&doc);
}

void gen_pdf(struct gen_buf *out, const char *content, bool compress)
{
	struct gen_buf data = { 0 };
	size_t off[6], xref;
	int i;

	if (compress)
		gen_deflate(content, strlen(content), &data, false);
	else
		gb_puts(&data, content);
	gb_puts(out, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	off[1] = out->len;
	gb_puts(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = out->len;
	gb_puts(out, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = out->len;
	gb_puts(out, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
		     "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n");
	off[4] = out->len;
	gb_printf(out, "4 0 obj\n<< /Length %zu%s >>\nstream\n", data.len,
		  compress ? " /Filter /FlateDecode" : "");
	gb_put(out, data.p, data.len);
	gb_puts(out, "\nendstream\nendobj\n");
	off[5] = out->len;
	gb_puts(out, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	xref = out->len;
	gb_puts(out, "xref\n0 6\n0000000000 65535 f \n");
	for (i = 1; i < 6; i++)
		gb_printf(out, "%010zu 00000 n \n", off[i]);
	gb_printf(out, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
	gb_free(&data);
}

/* ---- OLE2 compound file ------------------------------------------------- */

#define CFB_SEC 512
#define CFB_END 0xfffffffeU
#define CFB_FATSECT 0xfffffffdU
#define CFB_FREE 0xffffffffU

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

/* Appends a chain of `count` sectors starting at `first` to the FAT. */
static void cfb_chain(uint32_t *fat, uint32_t first, uint32_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		fat[first + i] = i + 1 < count ? first + i + 1 : CFB_END;
}

static void cfb_dirent(unsigned char *e, const char *name, int type, uint32_t right, uint32_t child,
		       uint32_t start, uint32_t size)
{
	size_t i, len = strlen(name);

	memset(e, 0, 128);
	for (i = 0; i < len && i < 31; i++)
		put_le16(e + 2 * i, (unsigned char)name[i]);
	put_le16(e + 0x40, 2 * (i + 1));
	e[0x42] = type;
	e[0x43] = 1; /* black */
	put_le32(e + 0x44, CFB_FREE);
	put_le32(e + 0x48, right);
	put_le32(e + 0x4c, child);
	put_le32(e + 0x74, start);
	put_le32(e + 0x78, size);
}

void gen_cfb(struct gen_buf *out, const struct cfb_stream *st, int n)
{
	uint32_t big_secs = 0, mini_len = 0, mini_secs, minifat_n = 0, minifat_secs, dir_secs;
	uint32_t nsec, fat_secs = 1, sec, *fat, *minifat, *start;
	unsigned char hdr[512], *body;
	int i;

	start = calloc(n ? n : 1, sizeof(*start));
	for (i = 0; i < n; i++) {
		if (st[i].len >= 4096)
			big_secs += (st[i].len + CFB_SEC - 1) / CFB_SEC;
		else
			mini_len += (st[i].len + 63) / 64 * 64;
	}
	minifat_n = mini_len / 64;
	mini_secs = (mini_len + CFB_SEC - 1) / CFB_SEC;
	minifat_secs = (minifat_n * 4 + CFB_SEC - 1) / CFB_SEC;
	dir_secs = ((n + 1) * 128 + CFB_SEC - 1) / CFB_SEC;
	for (;;) { /* the FAT must also map its own sectors */
		nsec = big_secs + mini_secs + minifat_secs + dir_secs + fat_secs;
		if (fat_secs * (CFB_SEC / 4) >= nsec)
			break;
		fat_secs++;
	}
	fat = malloc(fat_secs * CFB_SEC);
	memset(fat, 0xff, fat_secs * CFB_SEC);
	minifat = malloc(minifat_secs * CFB_SEC + 4);
	memset(minifat, 0xff, minifat_secs * CFB_SEC + 4);
	body = calloc(nsec ? nsec : 1, CFB_SEC);
	/* Sector order: big streams, mini stream, mini FAT, directory, FAT. */
	sec = 0;
	mini_len = 0;
	for (i = 0; i < n; i++) {
		uint32_t cnt;

		if (st[i].len >= 4096) {
			cnt = (st[i].len + CFB_SEC - 1) / CFB_SEC;
			start[i] = sec;
			memcpy(body + (size_t)sec * CFB_SEC, st[i].data, st[i].len);
			cfb_chain(fat, sec, cnt);
			sec += cnt;
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t cnt, k;

		if (st[i].len >= 4096)
			continue;
		cnt = (st[i].len + 63) / 64;
		start[i] = cnt ? mini_len / 64 : CFB_END;
		memcpy(body + (size_t)sec * CFB_SEC + mini_len, st[i].data, st[i].len);
		for (k = 0; k < cnt; k++)
			put_le32((unsigned char *)&minifat[start[i] + k],
				 k + 1 < cnt ? start[i] + k + 1 : CFB_END);
		mini_len += cnt * 64;
	}
	if (mini_secs)
		cfb_chain(fat, sec, mini_secs);
	{
		uint32_t mini_start = mini_secs ? sec : CFB_END, minifat_start, dir_start;
		unsigned char *dir;

		sec += mini_secs;
		minifat_start = minifat_secs ? sec : CFB_END;
		memcpy(body + (size_t)sec * CFB_SEC, minifat, minifat_secs * CFB_SEC);
		if (minifat_secs)
			cfb_chain(fat, sec, minifat_secs);
		sec += minifat_secs;
		dir_start = sec;
		dir = body + (size_t)sec * CFB_SEC;
		cfb_dirent(dir, "Root Entry", 5, CFB_FREE, n ? 1 : CFB_FREE, mini_start, mini_len);
		for (i = 0; i < n; i++)
			cfb_dirent(dir + 128 * (i + 1), st[i].name, 2,
				   i + 1 < n ? (uint32_t)i + 2 : CFB_FREE, CFB_FREE, start[i],
				   st[i].len);
		for (i = n + 1; (uint32_t)i < dir_secs * 4; i++)
			cfb_dirent(dir + 128 * i, "", 0, CFB_FREE, CFB_FREE, 0, 0);
		cfb_chain(fat, sec, dir_secs);
		sec += dir_secs;
		for (i = 0; (uint32_t)i < fat_secs; i++)
			fat[sec + i] = CFB_FATSECT;
		for (i = 0; (uint32_t)i < fat_secs * (CFB_SEC / 4); i++)
			put_le32(body + (size_t)sec * CFB_SEC + 4 * i, fat[i]);
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
		put_le16(hdr + 0x18, 0x3e);
		put_le16(hdr + 0x1a, 3);
		put_le16(hdr + 0x1c, 0xfffe);
		put_le16(hdr + 0x1e, 9);
		put_le16(hdr + 0x20, 6);
		put_le32(hdr + 0x2c, fat_secs);
		put_le32(hdr + 0x30, dir_start);
		put_le32(hdr + 0x38, 4096);
		put_le32(hdr + 0x3c, minifat_start);
		put_le32(hdr + 0x40, minifat_secs);
		put_le32(hdr + 0x44, CFB_END);
		for (i = 0; i < 109; i++)
			put_le32(hdr + 0x4c + 4 * i, (uint32_t)i < fat_secs ? sec + i : CFB_FREE);
	}
	gb_put(out, hdr, sizeof(hdr));
	gb_put(out, body, (size_t)nsec * CFB_SEC);
	free(body);
	free(fat);
	free(minifat);
	free(start);
}
