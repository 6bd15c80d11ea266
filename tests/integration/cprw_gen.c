// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Synthetic export files for the integration tests (no real CPR numbers):
 *
 *   cprw_gen xlsx FILE N SEED       an xlsx with N distinct synthetic CPR numbers:
 *                                   half as 10-digit text cells (shared strings),
 *                                   half as numeric cells (9 digits when the
 *                                   leading zero drops, as Excel stores them)
 *   cprw_gen xlsx-plain FILE N SEED the same shape with non-CPR 10-digit ids
 *                                   whose "dates" are impossible (month 13+)
 *   cprw_gen text FILE N SEED       a CSV with N synthetic CPR numbers
 *   cprw_gen text-plain FILE N SEED the same CSV with 10-digit numbers that are no CPR
 *   cprw_gen list N SEED            the numbers of `xlsx`/`text`, hyphenated
 *                                   and plain, one per line (to grep outputs)
 *
 * Sources for the document corpus of test_formats.sh (LibreOffice, Ghostscript
 * and cairo turn them into PDF, doc, xls, ...); their N distinct numbers have
 * birth years 2027-2057 (7th digit 5-8), so none can be a real person's:
 *   cprw_gen letter FILE N SEED     a case letter: prose with the numbers as
 *                                   DDMMYY-SSSS, DDMMYY SSSS and DDMMYYSSSS
 *   cprw_gen csv FILE N SEED        a list "navn;cpr-nr;adresse", DDMMYY-SSSS
 *   cprw_gen numcsv FILE N SEED     the list with bare DDMMYYSSSS, which a
 *                                   spreadsheet reads as a number (days 01-09
 *                                   lose their leading zero)
 *   cprw_gen ps FILE N SEED         PostScript showing each number in two
 *                                   pieces (ps2pdf input)
 *   cprw_gen future N SEED          the numbers, DDMMYY-SSSS, one per line
 *
 * Writes through write(2) in the calling process, so a copy of this program at
 * a watched path acts as the CPR client writing its export.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpr_gen.h"

static void numbers(uint64_t *out, int n, uint64_t seed)
{
	struct gen_rng r;
	int i, j;

	gen_seed(&r, seed);
	for (i = 0; i < n; i++) {
		do {
			out[i] = gen_cpr_future(&r, GEN_MOD11_ANY);
			for (j = 0; j < i && out[j] != out[i]; j++)
				;
		} while (j < i); /* distinct */
	}
}

/* Ten digits that can never be a CPR number: the "month" is 13 or more. */
static uint64_t not_cpr(struct gen_rng *r)
{
	uint64_t day = 1 + gen_below(r, 28), month = 13 + gen_below(r, 80);

	return (day * 100 + month) * 1000000ULL + gen_below(r, 1000000);
}

/* n distinct numbers born 2027-2057, every fourth on a day 01-09. */
static void future_numbers(uint64_t *out, int n, uint64_t seed)
{
	struct gen_rng r;
	int i, j, day;

	gen_seed(&r, seed);
	for (i = 0; i < n; i++) {
		do {
			day = i % 4 ? 10 + gen_below(&r, 19) : 1 + gen_below(&r, 9);
			out[i] = gen_cpr_date(&r, day, 1 + gen_below(&r, 12),
					      2027 + gen_below(&r, 31), GEN_MOD11_ANY);
			for (j = 0; j < i && out[j] != out[i]; j++)
				;
		} while (j < i);
	}
}

static int write_all(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : 1;
}

static int make_xlsx(const char *path, int n, uint64_t seed, bool plain)
{
	uint64_t *v = calloc(n, sizeof(*v));
	const char **shared = calloc(n, sizeof(*shared));
	struct gen_buf rows = {}, out = {};
	struct gen_rng r;
	char *strs = calloc(n, 16);
	int i, ns = 0, ret;

	gen_seed(&r, seed);
	if (plain)
		for (i = 0; i < n; i++)
			v[i] = not_cpr(&r);
	else
		numbers(v, n, seed);
	for (i = 0; i < n; i++) {
		gb_printf(&rows,
			  "<row r=\"%d\"><c r=\"A%d\" t=\"inlineStr\"><is><t>Borger %d</t>"
			  "</is></c>",
			  i + 1, i + 1, i + 1);
		if (i % 2) {
			/* numeric cell: Excel keeps no leading zero */
			gb_printf(&rows, "<c r=\"B%d\"><v>%llu</v></c></row>", i + 1,
				  (unsigned long long)v[i]);
		} else {
			gen_format(v[i], GEN_PLAIN, strs + i * 16);
			shared[ns] = strs + i * 16;
			gb_printf(&rows, "<c r=\"B%d\" t=\"s\"><v>%d</v></c></row>", i + 1, ns++);
		}
	}
	gb_puts(&rows, "");
	gen_xlsx(&out, (const char *)rows.p, shared, ns);
	ret = write_all(path, out.p, out.len);
	gb_free(&rows);
	gb_free(&out);
	free(v);
	free(shared);
	free(strs);
	return ret;
}

static int make_text(const char *path, int n, uint64_t seed, bool plain)
{
	uint64_t *v = calloc(n, sizeof(*v));
	struct gen_buf b = {};
	struct gen_rng r;
	char num[16];
	int i, ret;

	gen_seed(&r, seed);
	if (plain)
		for (i = 0; i < n; i++)
			v[i] = not_cpr(&r);
	else
		numbers(v, n, seed);
	gb_puts(&b, "navn;cpr-nr;adresse\n");
	for (i = 0; i < n; i++) {
		gen_format(v[i], GEN_HYPHEN, num);
		gb_printf(&b, "Borger %d;%s;Vej %d\n", i + 1, num, i + 1);
	}
	ret = write_all(path, b.p, b.len);
	gb_free(&b);
	free(v);
	return ret;
}

static int make_source(const char *kind, const char *path, int n, uint64_t seed)
{
	static const int styles[] = { GEN_HYPHEN, GEN_SPACE, GEN_PLAIN };
	uint64_t *v = calloc(n, sizeof(*v));
	struct gen_buf b = {};
	char num[16];
	int i, ret;

	future_numbers(v, n, seed);
	if (!strcmp(kind, "letter"))
		gb_puts(&b, "Aarhus Kommune\nBorgerservice\n\nAfgoerelse i sagen om tilskud\n\n");
	else if (!strcmp(kind, "csv"))
		gb_puts(&b, "navn;cpr-nr;adresse\n");
	else if (!strcmp(kind, "numcsv"))
		gb_puts(&b, "navn;cpr\n");
	else
		gb_puts(&b, "%!PS\n/Helvetica findfont 11 scalefont setfont\n");
	for (i = 0; i < n; i++) {
		if (!strcmp(kind, "letter")) {
			gen_format(v[i], styles[i % 3], num);
			gb_printf(&b,
				  "Sag %d vedroerer borger med cpr-nr. %s, som har modtaget "
				  "afgoerelse den %d. marts.\n\n",
				  100 + i, num, 1 + i % 28);
		} else if (!strcmp(kind, "csv")) {
			gen_format(v[i], GEN_HYPHEN, num);
			gb_printf(&b, "Borger %d;%s;Vej %d\n", i + 1, num, i + 1);
		} else if (!strcmp(kind, "numcsv")) {
			gen_format(v[i], GEN_PLAIN, num);
			gb_printf(&b, "Borger %d;%s\n", i + 1, num);
		} else {
			if (i % 40 == 0 && i)
				gb_puts(&b, "showpage\n/Helvetica findfont 11 scalefont setfont\n");
			gen_format(v[i], GEN_HYPHEN, num);
			gb_printf(&b, "72 %d moveto (Borger %d, cpr ) show (%.4s) show (%s) show\n",
				  760 - 18 * (i % 40), i + 1, num, num + 4);
		}
	}
	if (!strcmp(kind, "ps"))
		gb_puts(&b, "showpage\n");
	ret = write_all(path, b.p, b.len);
	gb_free(&b);
	free(v);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "letter") || !strcmp(argv[1], "csv") ||
			  !strcmp(argv[1], "numcsv") || !strcmp(argv[1], "ps")))
		return make_source(argv[1], argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "future")) {
		int n = atoi(argv[2]), i;
		uint64_t *v = calloc(n, sizeof(*v));
		char a[16];

		future_numbers(v, n, strtoull(argv[3], NULL, 10));
		for (i = 0; i < n; i++) {
			gen_format(v[i], GEN_HYPHEN, a);
			printf("%s\n", a);
		}
		free(v);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "xlsx"))
		return make_xlsx(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), false);
	if (argc == 5 && !strcmp(argv[1], "xlsx-plain"))
		return make_xlsx(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), true);
	if (argc == 5 && !strcmp(argv[1], "text"))
		return make_text(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), false);
	if (argc == 5 && !strcmp(argv[1], "text-plain"))
		return make_text(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), true);
	if (argc == 4 && !strcmp(argv[1], "list")) {
		int n = atoi(argv[2]), i;
		uint64_t *v = calloc(n, sizeof(*v));
		char a[16], b[16];

		numbers(v, n, strtoull(argv[3], NULL, 10));
		for (i = 0; i < n; i++) {
			gen_format(v[i], GEN_HYPHEN, a);
			gen_format(v[i], GEN_PLAIN, b);
			printf("%s\n%s\n", a, b);
		}
		free(v);
		return 0;
	}
	fprintf(stderr,
		"usage: cprw_gen xlsx|xlsx-plain|text|text-plain|letter|csv|numcsv|ps FILE N "
		"SEED | list|future N SEED\n");
	return 2;
}
