/*
 * lsflood: send the lines of a file to a log daemon, as fast as possible or
 * at a set rate, over UDP (one datagram per line, sendmmsg in bursts) or TCP
 * (LF-framed).  For the benchmark's UDP, latency, many-connection and soak
 * runs, where nc cannot pace, batch datagrams, or open 512 connections
 * without 512 processes.
 *
 *   lsflood [-u] [-r EVENTS_PER_S] [-t SECONDS] HOST PORT FILE
 *   lsflood -c CONNS HOST PORT FILE
 *
 * -t sends the file again and again for that long (the soak run).  -c
 * splits the file at line ends into CONNS parts, one TCP connection each,
 * all open at once and written in turn from one process (poll).
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
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

/* -c: conns connections, each its own part of [p, end), written in turn. */
static uint64_t
many(const struct sockaddr_in *sa, const char *p, const char *end, int conns)
{
	struct pollfd	*pf;
	const char	**at, **stop;
	size_t		 part = (size_t)(end - p) / (size_t)conns;
	uint64_t	 lines = 0;
	const char	*q;
	ssize_t		 w;
	int		 i, nopen = conns;

	if ((pf = calloc(conns, sizeof(*pf))) == NULL ||
	    (at = calloc(conns, sizeof(*at))) == NULL ||
	    (stop = calloc(conns, sizeof(*stop))) == NULL)
		err(2, "calloc");
	for (q = p; q < end; q++)
		lines += *q == '\n';
	for (i = 0; i < conns; i++) {
		at[i] = i == 0 ? p : stop[i - 1];
		q = i == conns - 1 ? end : p + part * (size_t)(i + 1);
		if (q < at[i])
			q = at[i];
		while (q < end && q > at[i] && q[-1] != '\n')
			q++;		/* parts end at a line end */
		stop[i] = q;
		if ((pf[i].fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(pf[i].fd, (const struct sockaddr *)sa,
		    sizeof(*sa)) == -1)
			err(2, "connect %d", i);
		fcntl(pf[i].fd, F_SETFL, O_NONBLOCK);
		pf[i].events = POLLOUT;
	}
	while (nopen > 0) {
		if (poll(pf, conns, -1) == -1 && errno != EINTR)
			err(1, "poll");
		for (i = 0; i < conns; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLOUT | POLLERR)))
				continue;
			if (at[i] < stop[i]) {
				w = write(pf[i].fd, at[i], (size_t)(stop[i] -
				    at[i]) < 65536 ? (size_t)(stop[i] - at[i]) :
				    65536);
				if (w == -1 && errno != EAGAIN)
					err(1, "write");
				if (w > 0)
					at[i] += w;
			}
			if (at[i] >= stop[i]) {
				close(pf[i].fd);
				pf[i].fd = -1;
				nopen--;
			}
		}
	}
	free(pf);
	free(at);
	free(stop);
	return lines;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	struct mmsghdr		 msgs[BURST];
	struct iovec		 iov[BURST];
	struct stat		 st;
	const char		*p, *end, *nl;
	const char		*start;
	double			 rate = 0, secs = 0;
	uint64_t		 sent = 0, t0;
	int			 ch, udp = 0, conns = 0, fd, s, n, i;

	while ((ch = getopt(argc, argv, "ur:t:c:")) != -1) {
		switch (ch) {
		case 'u': udp = 1; break;
		case 'r': rate = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'c': conns = atoi(optarg); break;
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
	start = p;
	if (conns > 0) {
		printf("%llu\n", (unsigned long long)many(&sa, p, end, conns));
		return 0;
	}
	if ((s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		err(2, "connect");
	t0 = now_ns();
	for (;;) {
		if (p >= end) {
			/* -t: again from the top until the time is up. */
			if (secs <= 0 || now_ns() - t0 >= (uint64_t)(secs * 1e9))
				break;
			p = start;
		}
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
			/* The burst's lines are one run of the file: one write. */
			const char *q = iov[0].iov_base;
			size_t left = (const char *)iov[n - 1].iov_base +
			    iov[n - 1].iov_len - q;
			while (left > 0) {
				ssize_t w = write(s, q, left);
				if (w == -1)
					err(1, "write");
				q += w;
				left -= w;
			}
		}
		sent += n;
	}
	close(s);
	printf("%llu\n", (unsigned long long)sent);
	return 0;
usage:
	fprintf(stderr, "usage: lsflood [-u] [-r EVENTS_PER_S] [-t SECONDS] "
	    "HOST PORT FILE\n       lsflood -c CONNS HOST PORT FILE\n");
	return 2;
}
