// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loopback TCP sink for the integration tests: listens on 127.0.0.1 (an
 * ephemeral port, printed first), reads each connection to EOF, prints the
 * byte count, closes.  Serves up to N connections (default unlimited) and
 * stops after a bounded idle time so a failed test never leaves it running.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	long max = argc > 1 ? atol(argv[1]) : -1, served = 0;
	int idle_ms = argc > 2 ? atoi(argv[2]) * 1000 : 60000;
	char buf[65536];
	int lfd, one = 1;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1024) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len)) {
		perror("tcp_sink");
		return 1;
	}
	printf("port=%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (max < 0 || served < max) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		long total = 0;
		ssize_t n;
		int c;

		if (poll(&pfd, 1, idle_ms) <= 0)
			break;
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			total += n;
		close(c);
		served++;
		if (max >= 0 && max < 100) {
			printf("received=%ld\n", total);
			fflush(stdout);
		}
	}
	return 0;
}
