/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Synthetic data for scanner tests and benchmarks: random CPR-shaped numbers
 * (valid dates, the 7th digit chosen for the century, modulus 11 forced either
 * way), realistic non-CPR number noise, and writers for gzip, zip, xlsx, docx,
 * odt and PDF built in memory with zlib, so no test depends on outside tools
 * or on real data.  Deterministic for a given seed.
 *
 * Usable from the unit tests, the integration tests and bench/ (include this
 * header and compile tests/unit/cpr_gen.c with the program).
 */
#ifndef CPRW_CPR_GEN_H
#define CPRW_CPR_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_MOD11_ANY (-1)
#define GEN_MOD11_FAIL 0
#define GEN_MOD11_PASS 1

/* Separator styles for gen_format(). */
#define GEN_PLAIN 0  /* DDMMYYSSSS */
#define GEN_HYPHEN 1 /* DDMMYY-SSSS */
#define GEN_SPACE 2  /* DDMMYY SSSS */

struct gen_rng {
	uint64_t s;
};

struct gen_buf {
	unsigned char *p;
	size_t len, cap;
};

struct zipw {
	struct gen_buf out;
	struct gen_buf cd;
	unsigned int n;
};

void gen_seed(struct gen_rng *r, uint64_t seed);
uint64_t gen_next(struct gen_rng *r);
uint32_t gen_below(struct gen_rng *r, uint32_t n);

/* A number for this date (year 1858-2057) with a fitting 7th digit. */
uint64_t gen_cpr_date(struct gen_rng *r, int day, int month, int year, int mod11);
/* A number with a random date. */
uint64_t gen_cpr(struct gen_rng *r, int mod11);
/* A number born 2027-2057 (7th digit 5-8): can belong to nobody alive today. */
uint64_t gen_cpr_future(struct gen_rng *r, int mod11);
/* ddmmyy + 7th digit given, the last three digits random (mod11 as above). */
uint64_t gen_cpr_d7(struct gen_rng *r, const char ddmmyy[6], int d7, int mod11);
/* Writes the number in a style; returns the length (10 or 11), NUL-terminated. */
int gen_format(uint64_t v, int style, char *out);

/* Realistic non-CPR numbers: phones, invoices, accounts, dates, amounts, IBANs... */
size_t gen_noise_text(struct gen_rng *r, char *buf, size_t len);
/* Random standalone 10-digit ids (indistinguishable from CPR without context). */
size_t gen_id10_text(struct gen_rng *r, char *buf, size_t len);
/* Noise text with a CPR planted about every `every` bytes; *planted counts them. */
size_t gen_cpr_text(struct gen_rng *r, char *buf, size_t len, size_t every, uint64_t *planted);
/* The same with prose_pct percent of the lines plain prose (fewer digits). */
size_t gen_cpr_prose(struct gen_rng *r, char *buf, size_t len, size_t every, uint64_t *planted,
		     int prose_pct);

void gb_put(struct gen_buf *b, const void *p, size_t n);
void gb_puts(struct gen_buf *b, const char *s);
void gb_printf(struct gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *gb_str(struct gen_buf *b); /* NUL-terminates in place */
void gb_free(struct gen_buf *b);

/* Zip writer: method 0 (stored) or 8 (deflate). */
void zipw_init(struct zipw *z);
void zipw_add(struct zipw *z, const char *name, const void *data, size_t len, int method);
/* A member with headers as given (bombs, encrypted flags, lying sizes). */
void zipw_add_raw(struct zipw *z, const char *name, int method, int flags, uint32_t crc,
		  uint64_t usize, const void *cdata, size_t clen);
void zipw_finish(struct zipw *z, struct gen_buf *out); /* frees z */

void gen_gzip(const void *data, size_t len, struct gen_buf *out);
void gen_deflate(const void *data, size_t len, struct gen_buf *out, bool raw);

/*
 * Office documents.  sheet_rows is the inside of <sheetData>; shared strings
 * become xl/sharedStrings.xml.  body is the inside of <w:body> / <office:text>.
 */
void gen_xlsx(struct gen_buf *out, const char *sheet_rows, const char *const *shared, int nshared);
void gen_docx(struct gen_buf *out, const char *body);
void gen_odt(struct gen_buf *out, const char *body);
/*
 * An OLE2 compound file (MS-CFB version 3, 512-byte sectors) holding the
 * given streams in its root storage; streams under 4096 bytes go to the
 * mini stream, as Office writes them.
 */
struct cfb_stream {
	const char *name;
	const void *data;
	size_t len;
};
void gen_cfb(struct gen_buf *out, const struct cfb_stream *st, int n);

/* A one-page PDF whose content stream is `content`, FlateDecode when compress. */
void gen_pdf(struct gen_buf *out, const char *content, bool compress);

#endif
