/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Ring-buffer records -> checked views.  Nothing from the kernel is trusted
 * until event_decode() has checked the type, the size and every string
 * length and terminator; a bad record is reported and skipped, never read.
 */
#ifndef CPRW_DECODE_H
#define CPRW_DECODE_H

#include <stddef.h>
#include <sys/types.h>
#include "cprwatch/events.h"

struct event {
	const struct event_hdr *hdr;
	const void *raw;   /* the whole record, typed by hdr->type */
	const char *path;  /* exec: exe; open/unlink: file; rename: old */
	size_t path_len;   /* without the NUL */
	const char *path2; /* rename: new */
	size_t path2_len;
	const char *args; /* exec: NUL-separated argv */
	size_t args_len;
	const char *file_path; /* close: path joined in user space, or NULL */
};

/* Returns 0 or -EINVAL with the reason in @err. */
int event_decode(const void *data, size_t size, struct event *ev, char *err, size_t errlen);
const char *event_type_name(unsigned int type);
/* Class bits as names, comma separated, into @buf. */
const char *event_class_names(__u32 classes, char *buf, size_t len);
extern const char *const event_class_name_table[];
const char *event_export_kind_name(__u32 kind);
/* enum tls_lib by name: "openssl", "gnutls", "nss" ("?" for others) */
const char *event_tls_lib_name(__u32 lib);

/* user-space st_dev -> the kernel's internal dev_t (MAJOR << 20 | MINOR), as events carry it */
__u64 event_kernel_dev(dev_t dev);
/* kernel dev_t -> "major:minor" style numbers */
unsigned int event_kdev_major(__u64 kdev);
unsigned int event_kdev_minor(__u64 kdev);

#endif
