// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for PDF (user/scan/scan_poppler.cc through poppler, and
 * the simple extractor scan_pdf.c that reads what poppler cannot open): the
 * input is a whole file (seeds: the corpus's PDFs from LibreOffice,
 * Ghostscript, cairo, qpdf and formats_pdfgen.py).  Poppler itself is not
 * instrumented; a crash in it still stops the target, and that is what the
 * sandboxed scanner process exists for.  An input whose last byte is odd
 * gets a max_buffer of half its size, so it goes to the simple extractor as
 * an over-large PDF does.
 *
 *   make fuzz && build/fuzz/fuzz_pdf -max_total_time=300 tests/fuzz/corpus/pdf
 */
#include <stdbool.h>
#include <stdint.h>
#include "scan_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool half = size > 64 && (data[size - 1] & 1);

	scan_whole(data, size, half ? size / 2 : 16 << 20);
	return 0;
}
