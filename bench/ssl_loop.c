// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * An SSL_write/SSL_read loop for bench/tls.sh: a TLS client and server in
 * one process over a BIO pair (no sockets, no network), N records of SIZE
 * bytes written by the client and read by the server.  Prints the CPU
 * seconds the loop took (after the handshake), so the cost of a uprobe on
 * SSL_write/SSL_read shows per call.
 *
 *   ssl_loop CERT KEY N SIZE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pump(SSL *c, SSL *s)
{
	int i, rc = 0, rs = 0;

	for (i = 0; i < 100; i++) {
		rc = SSL_do_handshake(c);
		rs = SSL_do_handshake(s);
		if (rc == 1 && rs == 1)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	SSL_CTX *sctx, *cctx;
	BIO *cb, *sb;
	SSL *c, *s;
	char *buf, *rbuf;
	long i, n;
	size_t size;
	double t0;

	if (argc != 5)
		return 2;
	n = atol(argv[3]);
	size = strtoul(argv[4], NULL, 10);
	buf = calloc(1, size + 1);
	rbuf = calloc(1, size + 1);
	sctx = SSL_CTX_new(TLS_server_method());
	cctx = SSL_CTX_new(TLS_client_method());
	if (!buf || !rbuf || !sctx || !cctx ||
	    SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	BIO_new_bio_pair(&cb, 1 << 20, &sb, 1 << 20);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (pump(c, s)) {
		fprintf(stderr, "ssl_loop: handshake failed\n");
		return 1;
	}
	memset(buf, 'x', size);
	t0 = cpu_seconds();
	for (i = 0; i < n; i++) {
		if (SSL_write(c, buf, size) <= 0 || SSL_read(s, rbuf, size) <= 0) {
			fprintf(stderr, "ssl_loop: record %ld failed\n", i);
			return 1;
		}
	}
	printf("%.6f\n", cpu_seconds() - t0);
	return 0;
}
