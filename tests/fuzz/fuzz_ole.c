// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the OLE2 reader and the legacy Office parsers
 * (user/scan/scan_ole.c, scan_office.c).
 *
 * First byte < 0x80: the rest is the content of the streams of one kind of
 * compound file, wrapped by gen_cfb (so mutations reach the Word piece table,
 * BIFF records, PowerPoint atoms and .msg properties instead of dying in the
 * CFB header): 0 Word (WordDocument + 1Table, split at byte 1 * 64), 1 Excel,
 * 2 PowerPoint, 3 Outlook, 4 an unknown compound file.  Otherwise the rest is
 * a whole file (seeds: the LibreOffice .doc/.xls/.ppt of the corpus), which
 * exercises the FAT, DIFAT, mini stream and directory.
 *
 *   make fuzz && build/fuzz/fuzz_ole -max_total_time=300 tests/fuzz/corpus/ole
 */
#include <stdint.h>
#include "cpr_gen.h"
#include "scan_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfb_stream st[2];
	struct gen_buf b = { 0 };
	size_t cut;
	int n = 1;

	if (!size)
		return 0;
	if (data[0] & 0x80) {
		scan_whole(data + 1, size - 1, 16 << 20);
		return 0;
	}
	data++;
	size--;
	st[0].data = data;
	st[0].len = size;
	switch (data[-1] % 5) {
	case 0:
		cut = size > 1 ? (size_t)data[0] * 64 % size : 0;
		st[0] = (struct cfb_stream){ "WordDocument", data, cut };
		st[1] = (struct cfb_stream){ "1Table", data + cut, size - cut };
		n = 2;
		break;
	case 1:
		st[0].name = "Workbook";
		break;
	case 2:
		st[0].name = "PowerPoint Document";
		break;
	case 3:
		st[0].name = "__substg1.0_37010102";
		st[1] = (struct cfb_stream){ "__properties_version1.0", "", 0 };
		n = 2;
		break;
	default:
		st[0].name = "Contents";
		break;
	}
	gen_cfb(&b, st, n);
	scan_whole(b.p, b.len, 16 << 20);
	gb_free(&b);
	return 0;
}
