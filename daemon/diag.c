/*
 * diag.c: diagnostics to stderr, one line each.  Under systemd (JOURNAL_STREAM
 * set) lines carry "<N>" priority prefixes that journald understands;
 * otherwise they are prefixed with the program name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

#define RATE_MS		10000

struct counters	 counters;

static int	 verbose;
static int	 journal;

/* Error lines this thread logs while a capture is on (see diag_capture). */
static __thread char	*cap_buf;
static __thread size_t	 cap_len, cap_off;

static const char *const drop_names[] = {
	"queue_full", "kernel", "acl", "storage", "duplicate", "repeat",
	"rule", "rate_limit"
};

const char *
diag_drop_name(int r)
{
	if (r < 0 || r >= DROP__COUNT)
		return "unknown";
	return drop_names[r];
}

static const char *const tls_fail_names[] = {
	"timeout", "closed", "version", "no_certificate", "bad_certificate",
	"peer_alert", "protocol"
};
_Static_assert(sizeof(tls_fail_names) / sizeof(tls_fail_names[0]) ==
    TLSF__COUNT, "a name for every failure kind");

const char *
diag_tls_fail_name(int i)
{
	if (i < 0 || i >= TLSF__COUNT)
		return "unknown";
	return tls_fail_names[i];
}

void
diag_init(int v)
{
	verbose = v;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

static void	vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
vlog(int prio, const char *fmt, va_list ap)
{
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (prio <= 3)
		diag_captured(buf);
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio, buf);
	else
		fprintf(stderr, "logstreamd: %s\n", buf);
}

void
diag_capture(char *buf, size_t len)
{
	cap_buf = len > 0 ? buf : NULL;
	cap_len = len;
	cap_off = 0;
	if (cap_buf != NULL)
		cap_buf[0] = '\0';
}

void
diag_captured(const char *line)
{
	int	 n;

	if (cap_buf == NULL || cap_off + 1 >= cap_len)
		return;
	n = snprintf(cap_buf + cap_off, cap_len - cap_off, "%s\n", line);
	if (n > 0)
		cap_off += (size_t)n < cap_len - cap_off ? (size_t)n :
		    cap_len - cap_off - 1;
}

void
diag_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(3, fmt, ap);
	va_end(ap);
}

void
diag_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap);
	va_end(ap);
}

void
diag_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(6, fmt, ap);
	va_end(ap);
}

void
diag_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(7, fmt, ap);
	va_end(ap);
}

void
diag_rate(struct diag_rate *r, const char *fmt, ...)
{
	char		 buf[1536];
	va_list		 ap;
	int64_t		 now = (int64_t)(diag_mono_ns() / 1000000);

	/* Monotonic: a wall clock stepped back must not mute it. */
	if (r->last_ms != 0 && now - r->last_ms < RATE_MS) {
		r->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r->suppressed > 0)
		diag_warn("%s (and %llu more like it)", buf,
		    (unsigned long long)r->suppressed);
	else
		diag_warn("%s", buf);
	r->last_ms = now;
	r->suppressed = 0;
}

int64_t
diag_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
diag_mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}
