/*
 * lsflood: send the lines of a file to a log daemon, as fast as possible or
 * at a set rate, over UDP (one datagram per line, sendmmsg in bursts) or TCP
 * (one connection, LF-framed).  For the benchmark's UDP and latency runs,
 * where nc cannot pace or batch datagrams.
 *
 *   lsflood [-u] [-r EVENTS_PER_S] HOST PORT FILE
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BURST	64

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Sleep until n events are due at rate r since t0. */
static void
pace(uint64_t t0, uint64_t n, double r)
{
	uint64_t	 due = t0 + (uint64_t)((double)n * 1e9 / r), now;
	struct timespec	 ts;

	if (r <= 0 || (now = now_ns()) >= due)
		return;
	ts.tv_sec = (due - now) / 1000000000;
	ts.tv_nsec = (due - now) % 1000000000;
	nanosleep(&ts, NULL);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	struct mmsghdr		 msgs[BURST];
	struct iovec		 iov[BURST];
	struct stat		 st;
	const char		*p, *end, *nl;
	double			 rate = 0;
	uint64_t		 sent = 0, t0;
	int			 ch, udp = 0, fd, s, n, i;

	while ((ch = getopt(argc, argv, "ur:")) != -1) {
		switch (ch) {
		case 'u': udp = 1; break;
		case 'r': rate = atof(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 3)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", argv[optind]);
	if ((fd = open(argv[optind + 2], O_RDONLY)) == -1 ||
	    fstat(fd, &st) == -1)
		err(2, "%s", argv[optind + 2]);
	if (st.st_size == 0)
		return 0;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		err(2, "mmap");
	end = p + st.st_size;
	if ((s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		err(2, "connect");
	t0 = now_ns();
	while (p < end) {
		for (n = 0; n < BURST && p < end; n++) {
			if ((nl = memchr(p, '\n', end - p)) == NULL)
				nl = end;
			iov[n].iov_base = (void *)p;
			iov[n].iov_len = nl - p + (udp ? 0 : (nl < end));
			p = nl + 1;
		}
		pace(t0, sent, rate);
		if (udp) {
			memset(msgs, 0, sizeof(msgs));
			for (i = 0; i < n; i++) {
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			for (i = 0; i < n;) {
				int k = sendmmsg(s, msgs + i, n - i, 0);
				if (k == -1)
					err(1, "sendmmsg");
				i += k;
			}
		} else {
			for (i = 0; i < n; i++) {
				const char *q = iov[i].iov_base;
				size_t left = iov[i].iov_len;
				while (left > 0) {
					ssize_t w = write(s, q, left);
					if (w == -1)
						err(1, "write");
					q += w;
					left -= w;
				}
			}
		}
		sent += n;
	}
	close(s);
	printf("%llu\n", (unsigned long long)sent);
	return 0;
usage:
	fprintf(stderr, "usage: lsflood [-u] [-r EVENTS_PER_S] HOST PORT FILE\n");
	return 2;
}
