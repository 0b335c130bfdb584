/*
 * test_parser.c: the parser stage on real-world samples of every format
 * (logger, rsyslog, syslog-ng, sshd, kernel, nginx, journald, Cisco, Docker)
 * and on broken input; every case checks the parsed fields, not just that
 * nothing crashed.  Runs in TZ=UTC unless a test says otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#define PARSER_INTERNAL
#include "parser.h"

#define S(lit)		lit, sizeof(lit) - 1
/* 2026-11-23T20:14:15Z, the default receipt time. */
#define RECV		(ut(2026, 11, 23, 20, 14, 15) * 1000000LL)

static int64_t
ut(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
	parser_tzflush();
}

static struct logrec *
add(struct lsbatch *b, const char *raw, size_t len, int64_t recv)
{
	struct logrec	*r;

	assert_non_null(r = lsbatch_add_rec(b));
	assert_int_equal(lsbatch_append(b, raw, len, &r->raw), 0);
	r->received_us = recv;
	r->transport = LRT_UDP;
	return r;
}

static struct logrec *
parse_at(struct lsbatch *b, const char *raw, size_t len, int64_t recv)
{
	struct logrec	*r = add(b, raw, len, recv);

	assert_int_equal(parser_parse(b, r), 0);
	return r;
}

static struct logrec *
parse(struct lsbatch *b, const char *raw, size_t len)
{
	return parse_at(b, raw, len, RECV);
}

static void
eqn(struct lsbatch *b, struct lsslice s, const char *want, size_t n)
{
	assert_int_equal(s.len, n);
	if (n > 0)
		assert_memory_equal(LS_PTR(b, s), want, n);
}

static void
eq(struct lsbatch *b, struct lsslice s, const char *want)
{
	if (want == NULL) {
		assert_int_equal(s.len, 0);
		return;
	}
	eqn(b, s, want, strlen(want));
}

static void
eqf(struct lsbatch *b, struct logrec *r, uint32_t i, int type,
    const char *sdid, const char *key, const char *val)
{
	struct lsfield	*f;

	assert_true(i < r->field_count);
	f = &b->fields[r->field_first + i];
	assert_int_equal(f->type, type);
	if (type == LSFT_SD)
		eq(b, f->sdid, sdid);
	eq(b, f->key, key);
	eq(b, f->val, val);
}

/* Checks the header slots at once; NULL means absent. */
static void
hdr(struct lsbatch *b, struct logrec *r, int fmt, int fac, int sev,
    const char *host, const char *app, const char *pid, const char *msgid)
{
	assert_int_equal(r->format, fmt);
	assert_int_equal(r->facility, fac);
	assert_int_equal(r->severity, sev);
	eq(b, r->host, host);
	eq(b, r->app, app);
	eq(b, r->pid, pid);
	eq(b, r->msgid, msgid);
}

static void
plain(struct lsbatch *b, struct logrec *r)
{
	hdr(b, r, LRF_PLAIN, -1, -1, NULL, NULL, NULL, NULL);
	assert_int_equal(r->message.off, r->raw.off);
	assert_int_equal(r->message.len, r->raw.len);
	assert_int_equal(r->field_count, 0);
	assert_true(r->time_us == LR_NOTIME);
}

static int
setup(void **state)
{
	set_tz("UTC");
	*state = lsbatch_new(4096);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	lsbatch_free(*state);
	set_tz("UTC");
	return 0;
}

/* Bytes as `logger --rfc5424 --sd-id zoo@123 --sd-param tiger=\"hungry\"` sent them. */
static void
t_logger_rfc5424(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<36>1 2026-11-23T21:13:11.432505+00:00 vm myapp - - "
	    "[timeQuality tzKnown=\"1\" isSynced=\"0\"][zoo@123 tiger=\"hungry\"] "
	    "hello world"));
	hdr(b, r, LRF_RFC5424, 4, 4, "vm", "myapp", NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 21, 13, 11) * 1000000 +
	    432505);
	assert_int_equal(r->time_prec, 6);
	eq(b, r->message, "hello world");
	assert_int_equal(r->field_count, 3);
	eqf(b, r, 0, LSFT_SD, "timeQuality", "tzKnown", "1");
	eqf(b, r, 1, LSFT_SD, "timeQuality", "isSynced", "0");
	eqf(b, r, 2, LSFT_SD, "zoo@123", "tiger", "hungry");
}

/* `logger --rfc3164 -t myapp [-i]` on the wire. */
static void
t_logger_rfc3164(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<13>Nov 23 21:13:12 vm myapp: bsd hello"));
	hdr(b, r, LRF_RFC3164, 1, 5, "vm", "myapp", NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 21, 13, 12) * 1000000);
	assert_int_equal(r->time_prec, 0);
	eq(b, r->message, "bsd hello");
	r = parse(b, S("<13>Nov 23 21:13:12 vm myapp[4242]: bsd hello"));
	hdr(b, r, LRF_RFC3164, 1, 5, "vm", "myapp", "4242", NULL);
	eq(b, r->message, "bsd hello");
	assert_int_equal(r->field_count, 0);
}

/* RSYSLOG_ForwardFormat: RFC 3339 time in RFC 3164 framing. */
static void
t_rsyslog_forward(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<13>2026-11-23T20:14:14.123456+00:00 host tag: msg"));
	hdr(b, r, LRF_RFC3164, 1, 5, "host", "tag", NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    123456);
	assert_int_equal(r->time_prec, 6);
	eq(b, r->message, "msg");
	r = parse(b, S("<86>2026-11-23T20:14:14.123+01:00 web01 sshd[1234]: "
	    "Accepted publickey for root"));
	hdr(b, r, LRF_RFC3164, 10, 6, "web01", "sshd", "1234", NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 19, 14, 14) * 1000000 +
	    123000);
	assert_int_equal(r->time_prec, 3);
	eq(b, r->message, "Accepted publickey for root");
}

/* syslog-ng: syslog() driver (RFC 5424 with BOM) and network() (BSD). */
static void
t_syslog_ng(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<38>1 2026-11-23T20:14:14+01:00 web01 sshd 1234 ID47 "
	    "[meta sequenceId=\"17\"][origin ip=\"10.0.0.1\" software=\"syslog-ng\"] "
	    "\xef\xbb\xbf" "Failed password for root"));
	hdr(b, r, LRF_RFC5424, 4, 6, "web01", "sshd", "1234", "ID47");
	assert_int_equal(r->time_us, ut(2026, 11, 23, 19, 14, 14) * 1000000);
	eq(b, r->message, "Failed password for root");
	assert_int_equal(r->field_count, 3);
	eqf(b, r, 0, LSFT_SD, "meta", "sequenceId", "17");
	eqf(b, r, 1, LSFT_SD, "origin", "ip", "10.0.0.1");
	eqf(b, r, 2, LSFT_SD, "origin", "software", "syslog-ng");
	r = parse(b, S("<38>Nov 23 20:14:14 web01 sshd[1234]: Failed password "
	    "for root from 203.0.113.9 port 22 ssh2"));
	hdr(b, r, LRF_RFC3164, 4, 6, "web01", "sshd", "1234", NULL);
	eq(b, r->message, "Failed password for root from 203.0.113.9 port 22 ssh2");
}

/* sshd through a relay that dropped the PRI: the timestamp must carry it. */
static void
t_sshd_no_pri(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("Nov 23 20:14:14 web01 sshd[1234]: Failed password for "
	    "invalid user admin from 203.0.113.9 port 4242 ssh2"));
	hdr(b, r, LRF_RFC3164, -1, -1, "web01", "sshd", "1234", NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000);
	eq(b, r->message, "Failed password for invalid user admin from "
	    "203.0.113.9 port 4242 ssh2");
}

static void
t_kernel(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<4>Nov 23 20:14:14 web01 kernel: [12345.678901] usb 1-1: "
	    "new high-speed USB device number 2 using xhci_hcd"));
	hdr(b, r, LRF_RFC3164, 0, 4, "web01", "kernel", NULL, NULL);
	eq(b, r->message, "[12345.678901] usb 1-1: new high-speed USB device "
	    "number 2 using xhci_hcd");
}

static void
t_nginx(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<190>Nov 23 20:14:14 web01 nginx: 203.0.113.9 - - "
	    "[23/Nov/2026:20:14:14 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" "
	    "\"curl/7.88.1\""));
	hdr(b, r, LRF_RFC3164, 23, 6, "web01", "nginx", NULL, NULL);
	eq(b, r->message, "203.0.113.9 - - [23/Nov/2026:20:14:14 +0000] "
	    "\"GET / HTTP/1.1\" 200 612 \"-\" \"curl/7.88.1\"");
}

/* journald ForwardToSyslog: no host, space-padded day. */
static void
t_journald(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<30>Nov  3 20:14:14 systemd[1]: Started Session 5 of "
	    "user root."));
	hdr(b, r, LRF_RFC3164, 3, 6, NULL, "systemd", "1", NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 3, 20, 14, 14) * 1000000);
	eq(b, r->message, "Started Session 5 of user root.");
}

static void
t_cisco(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	int64_t		 recv = ut(2026, 3, 1, 0, 1, 0) * 1000000LL;

	r = parse_at(b, S("<189>123: *Mar  1 00:00:31.379: %SYS-5-CONFIG_I: "
	    "Configured from console by vty0"), recv);
	hdr(b, r, LRF_RFC3164, 23, 5, NULL, NULL, NULL, "SYS-5-CONFIG_I");
	assert_int_equal(r->time_us, ut(2026, 3, 1, 0, 0, 31) * 1000000 +
	    379000);
	assert_int_equal(r->time_prec, 3);
	eq(b, r->message, "%SYS-5-CONFIG_I: Configured from console by vty0");
	assert_int_equal(r->field_count, 1);
	eqf(b, r, 0, LSFT_NUMBER, NULL, "cisco_seq", "123");
	r = parse_at(b, S("<189>Mar  1 00:00:31 10.0.0.1 %LINK-3-UPDOWN: "
	    "Interface GigabitEthernet0/1, changed state to up"), recv);
	hdr(b, r, LRF_RFC3164, 23, 5, "10.0.0.1", NULL, NULL, "LINK-3-UPDOWN");
	eq(b, r->message, "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, "
	    "changed state to up");
	/* "service timestamps log datetime year" */
	r = parse_at(b, S("<187>Mar  1 2025 00:00:31: %LINEPROTO-5-UPDOWN: x"),
	    recv);
	assert_int_equal(r->time_us, ut(2025, 3, 1, 0, 0, 31) * 1000000);
	eq(b, r->message, "%LINEPROTO-5-UPDOWN: x");
	/* "show-timezone": UTC is taken as such, other names stay local. */
	set_tz("Europe/Berlin");
	r = parse_at(b, S("<189>45: .Mar  1 00:00:31.379 UTC: %SYS-5-RESTART: "
	    "System restarted"), recv);
	assert_int_equal(r->time_us, ut(2026, 3, 1, 0, 0, 31) * 1000000 +
	    379000);
	hdr(b, r, LRF_RFC3164, 23, 5, NULL, NULL, NULL, "SYS-5-RESTART");
	eq(b, r->message, "%SYS-5-RESTART: System restarted");
	eqf(b, r, 0, LSFT_NUMBER, NULL, "cisco_seq", "45");
	r = parse_at(b, S("<189>Mar  1 01:00:31 CET: %SYS-5-RESTART: x"), recv);
	assert_int_equal(r->time_us, ut(2026, 3, 1, 0, 0, 31) * 1000000);
	eq(b, r->app, NULL);
	set_tz("UTC");
}

/* <PRI> and then text that is no header at all. */
static void
t_pri_text(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<13>just some text"));
	hdr(b, r, LRF_RFC3164, 1, 5, NULL, NULL, NULL, NULL);
	assert_true(r->time_us == LR_NOTIME);
	eq(b, r->message, "just some text");
	r = parse(b, S("<0>"));
	hdr(b, r, LRF_RFC3164, 0, 0, NULL, NULL, NULL, NULL);
	eq(b, r->message, NULL);
	r = parse(b, S("<191>Nov 23 20:14:14"));
	hdr(b, r, LRF_RFC3164, 23, 7, NULL, NULL, NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000);
	eq(b, r->message, NULL);
}

/* No timestamp after the PRI (Python's SysLogHandler, busybox): the first
 * word ending in ':' is the TAG, as rsyslog reads it. */
static void
t_pri_tag(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<12>myapp: hello seq=0"));
	hdr(b, r, LRF_RFC3164, 1, 4, NULL, "myapp", NULL, NULL);
	assert_true(r->time_us == LR_NOTIME);
	eq(b, r->message, "hello seq=0");
	r = parse(b, S("<12>myapp[123]: text"));
	hdr(b, r, LRF_RFC3164, 1, 4, NULL, "myapp", "123", NULL);
	eq(b, r->message, "text");
	r = parse(b, S("<14>myapp:"));
	hdr(b, r, LRF_RFC3164, 1, 6, NULL, "myapp", NULL, NULL);
	eq(b, r->message, NULL);
	/* not a tag: no ':' at the word's end, or a bracket first */
	r = parse(b, S("<13>myapp[1] text"));
	hdr(b, r, LRF_RFC3164, 1, 5, NULL, NULL, NULL, NULL);
	eq(b, r->message, "myapp[1] text");
	r = parse(b, S("<13> lead: x"));
	eq(b, r->app, NULL);
	r = parse(b, S("<13>[x]: y"));
	eq(b, r->app, NULL);
}

static void
t_bsd_variants(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<13>Nov 23 20:14:14.123 web01 app: x"));
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    123000);
	assert_int_equal(r->time_prec, 3);
	hdr(b, r, LRF_RFC3164, 1, 5, "web01", "app", NULL, NULL);
	/* A host and then no tag: the message starts at the second token. */
	r = parse(b, S("<13>Nov 23 20:14:14 web01 hello there"));
	hdr(b, r, LRF_RFC3164, 1, 5, "web01", NULL, NULL, NULL);
	eq(b, r->message, "hello there");
	/* tag[pid] without the colon, and IPv6 host. */
	r = parse(b, S("<13>Nov 23 20:14:14 fe80::1 cron[77] job done"));
	hdr(b, r, LRF_RFC3164, 1, 5, "fe80::1", "cron", "77", NULL);
	eq(b, r->message, "job done");
	/* Host only, empty message; "Nov 3" unpadded. */
	r = parse(b, S("<13>Nov 3 20:14:14 web01"));
	hdr(b, r, LRF_RFC3164, 1, 5, "web01", NULL, NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 3, 20, 14, 14) * 1000000);
	eq(b, r->message, NULL);
	/* Not a timestamp, no PRI: not RFC 3164. */
	r = parse(b, S("Nov 99 20:14:14 web01 x: y"));
	plain(b, r);
	r = parse(b, S("Nov 23 25:14:14 web01 x: y"));
	plain(b, r);
}

static void
t_year(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	int		 y;

	/* December event read in January is last year's. */
	r = parse_at(b, S("<13>Dec 31 23:59:50 h a: x"),
	    ut(2027, 1, 1, 0, 5, 0) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 12, 31, 23, 59, 50) * 1000000);
	/* January event read in December (sender's clock ahead) is next. */
	r = parse_at(b, S("<13>Jan  1 00:00:05 h a: x"),
	    ut(2026, 12, 31, 23, 59, 50) * 1000000LL);
	assert_int_equal(r->time_us, ut(2027, 1, 1, 0, 0, 5) * 1000000);
	/* A few days ahead stays in this year; far ahead is last year. */
	r = parse_at(b, S("<13>Jun 20 10:00:00 h a: x"),
	    ut(2026, 6, 15, 0, 0, 0) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 6, 20, 10, 0, 0) * 1000000);
	r = parse_at(b, S("<13>Sep 20 10:00:00 h a: x"),
	    ut(2026, 6, 15, 0, 0, 0) * 1000000LL);
	assert_int_equal(r->time_us, ut(2025, 9, 20, 10, 0, 0) * 1000000);
	/* The year of receipt at both ends of every year to 2200. */
	for (y = 1971; y <= 2200; y++) {
		lsbatch_reset(b);
		r = parse_at(b, S("<13>Jan  1 00:00:05 h a: x"),
		    ut(y, 1, 1, 0, 0, 10) * 1000000LL);
		assert_int_equal(r->time_us, ut(y, 1, 1, 0, 0, 5) * 1000000);
		r = parse_at(b, S("<13>Dec 31 23:59:50 h a: x"),
		    ut(y, 12, 31, 23, 59, 59) * 1000000LL);
		assert_int_equal(r->time_us, ut(y, 12, 31, 23, 59, 50) * 1000000);
	}
	/* Feb 29 read in a leap year. */
	r = parse_at(b, S("<13>Feb 29 12:00:00 h a: x"),
	    ut(2028, 3, 1, 0, 0, 0) * 1000000LL);
	assert_int_equal(r->time_us, ut(2028, 2, 29, 12, 0, 0) * 1000000);
}

/* BSD timestamps are local time of the daemon's TZ (here Berlin). */
static void
t_local_tz(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	set_tz("Europe/Berlin");
	r = parse_at(b, S("<13>Nov 23 20:14:14 h a: winter"),
	    ut(2026, 11, 23, 19, 14, 15) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 19, 14, 14) * 1000000);
	r = parse_at(b, S("<13>Jul  1 12:00:00 h a: summer"),
	    ut(2026, 7, 1, 10, 0, 1) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 7, 1, 10, 0, 0) * 1000000);
	/* RFC 3339 without offset is local too; with one it is not. */
	r = parse_at(b, S("<13>2026-07-01T12:00:00 h a: x"),
	    ut(2026, 7, 1, 10, 0, 1) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 7, 1, 10, 0, 0) * 1000000);
	r = parse_at(b, S("<13>2026-07-01T12:00:00-02:30 h a: x"),
	    ut(2026, 7, 1, 10, 0, 1) * 1000000LL);
	assert_int_equal(r->time_us, ut(2026, 7, 1, 14, 30, 0) * 1000000);
	set_tz("UTC");
}

static void
t_rfc5424_edges(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("<165>1 2026-11-23T20:14:14.123456789Z - - - - -"));
	hdr(b, r, LRF_RFC5424, 20, 5, NULL, NULL, NULL, NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    123456);
	assert_int_equal(r->time_prec, 6);
	eq(b, r->message, NULL);
	r = parse(b, S("<165>1 - host - - - - "));
	hdr(b, r, LRF_RFC5424, 20, 5, "host", NULL, NULL, NULL);
	assert_true(r->time_us == LR_NOTIME);
	eq(b, r->message, NULL);
	/* SD escapes: \" \\ \] decoded, \n kept; an element without params. */
	r = parse(b, S("<14>1 2026-11-23T20:14:14.5-05:00 h app 7 - "
	    "[x@1 a=\"q\\\"uo\\\\te\\]x\\n\" b=\"\"][empty] m"));
	hdr(b, r, LRF_RFC5424, 1, 6, "h", "app", "7", NULL);
	assert_int_equal(r->time_us, ut(2026, 11, 24, 1, 14, 14) * 1000000 +
	    500000);
	assert_int_equal(r->time_prec, 1);
	assert_int_equal(r->field_count, 3);
	eqf(b, r, 0, LSFT_SD, "x@1", "a", "q\"uo\\te]x\\n");
	eqf(b, r, 1, LSFT_SD, "x@1", "b", NULL);
	eqf(b, r, 2, LSFT_SD, "empty", NULL, NULL);
	eq(b, r->message, "m");
	/* ']' unescaped inside a quoted value is taken as text. */
	r = parse(b, S("<14>1 - h a - - [x a=\"b]c\"] m"));
	eqf(b, r, 0, LSFT_SD, "x", "a", "b]c");
	eq(b, r->message, "m");
}

static void
t_rfc5424_broken(void **state)
{
	struct lsbatch	*b = *state;

	/* Truncated headers. */
	plain(b, parse(b, S("<13>1 2026-11-23T20:14:14Z host app")));
	plain(b, parse(b, S("<13>1 2026-11-23T20:14:14Z host app - -")));
	plain(b, parse(b, S("<13>1 2026-11-23T20:14")));
	plain(b, parse(b, S("<13>1 ")));
	/* Bad timestamps. */
	plain(b, parse(b, S("<13>1 2026-13-23T20:14:14Z h a - - - m")));
	plain(b, parse(b, S("<13>1 2026-02-30T20:14:14Z h a - - - m")));
	plain(b, parse(b, S("<13>1 2026-11-23T20:14:14 h a - - - m")));
	plain(b, parse(b, S("<13>1 yesterday h a - - - m")));
	/* Unterminated or malformed SD; the fields already made go too. */
	plain(b, parse(b, S("<13>1 - h a - - [x a=\"b\"")));
	plain(b, parse(b, S("<13>1 - h a - - [x a=\"b\"][y c=\"d")));
	plain(b, parse(b, S("<13>1 - h a - - [x a=\"b\\\"]")));
	plain(b, parse(b, S("<13>1 - h a - - [x a=b] m")));
	plain(b, parse(b, S("<13>1 - h a - - [] m")));
	plain(b, parse(b, S("<13>1 - h a - - x m")));
}

static void
t_pri_broken(void **state)
{
	struct lsbatch	*b = *state;

	plain(b, parse(b, S("<192>Nov 23 20:14:14 web01 sshd[1]: x")));
	plain(b, parse(b, S("<999>hello")));
	plain(b, parse(b, S("<1000>hello")));
	plain(b, parse(b, S("<abc>hello")));
	plain(b, parse(b, S("<>hello")));
	plain(b, parse(b, S("<13")));
	plain(b, parse(b, S("<")));
	plain(b, parse(b, S("<-1>x")));
}

static void
t_empty(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, "", 0);
	plain(b, r);
	assert_int_equal(r->message.len, 0);
	plain(b, parse(b, S("   ")));
	plain(b, parse(b, S("{")));
	plain(b, parse(b, S("just words")));
}

/* Invalid UTF-8 and NUL bytes survive in the message. */
static void
t_bytes(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	static const char nul[] = "<13>Nov 23 20:14:14 h a: x\0y\xff\xfe z";

	r = parse(b, nul, sizeof(nul) - 1);
	hdr(b, r, LRF_RFC3164, 1, 5, "h", "a", NULL, NULL);
	eqn(b, r->message, "x\0y\xff\xfe z", 7);
	r = parse(b, S("<13>1 - h\xc3\x28 a - - [x k=\"\xff\"] \xc0\xaf"));
	hdr(b, r, LRF_RFC5424, 1, 5, "h\xc3\x28", "a", NULL, NULL);
	eqf(b, r, 0, LSFT_SD, "x", "k", "\xff");
	eq(b, r->message, "\xc0\xaf");
	r = parse(b, S("\x01\x02\xff plain"));
	plain(b, r);
	/* NUL inside JSON text is not JSON; \u0000 in a string is kept. */
	plain(b, parse(b, "{\"a\":\0\"b\"}", 10));
	plain(b, parse(b, S("{\"msg\":\"caf\xe9\"}")));
	r = parse(b, S("{\"msg\":\"a\\u0000b\",\"k\":\"c\\u0000\"}"));
	assert_int_equal(r->format, LRF_JSON);
	eqn(b, r->message, "a\0b", 3);
	assert_int_equal(r->field_count, 1);
	eq(b, b->fields[r->field_first].key, "k");
	eqn(b, b->fields[r->field_first].val, "c\0", 2);
}

/* Docker json-file: "log" is the message when msg/message are absent. */
static void
t_docker(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("{\"log\":\"hello\\n\",\"stream\":\"stderr\","
	    "\"time\":\"2026-11-23T20:14:14.123456789Z\"}"));
	hdr(b, r, LRF_JSON, -1, -1, NULL, NULL, NULL, NULL);
	eq(b, r->message, "hello");
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    123456);
	assert_int_equal(r->time_prec, 6);
	assert_int_equal(r->field_count, 1);
	eqf(b, r, 0, LSFT_STRING, NULL, "stream", "stderr");
	/* With a msg key, log is an ordinary field. */
	r = parse(b, S("{\"log\":\"x\",\"msg\":\"y\"}"));
	eq(b, r->message, "y");
	eqf(b, r, 0, LSFT_STRING, NULL, "log", "x");
	/*
	 * A repeated "log": the first is the message, the field keeps its
	 * place and the last value.  (fuzz_json: a third "log" was taken for
	 * a new message and the field index ran past the fields, so the
	 * final memmove read ~120 GB.)
	 */
	r = parse(b, S("{\"mg\":\"a\",\"log\":\"a\",\"gs\":\"a\",\"log\":\"\","
	    "\"log\":\"b\",\"log\":2}\t"));
	eq(b, r->message, "a");
	assert_int_equal(r->field_count, 3);
	eqf(b, r, 0, LSFT_STRING, NULL, "mg", "a");
	eqf(b, r, 1, LSFT_NUMBER, NULL, "log", "2");
	eqf(b, r, 2, LSFT_STRING, NULL, "gs", "a");
	/* A first "log" that is not a string is a field; a later one too. */
	r = parse(b, S("{\"log\":2,\"x\":1,\"log\":\"late\"}"));
	assert_int_equal(r->message.len, 0);
	assert_int_equal(r->field_count, 2);
	eqf(b, r, 0, LSFT_STRING, NULL, "log", "late");
	/* Twice the same string: the message, and no field left over. */
	r = parse(b, S("{\"log\":\"same\",\"log\":\"same\"}"));
	eq(b, r->message, "same");
}

static void
t_json_types(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S(" {\"host\":\"web01\",\"app\":\"api\",\"level\":\"warn\","
	    "\"msg\":\"slow \\\"q\\\"\",\"seq\":17,\"ratio\":1.5,\"tiny\":0.1,"
	    "\"ok\":true,\"no\":false,\"none\":null,\"tags\":[\"a\", 2],"
	    "\"ctx\":{\"k\": {\"z\":[]}},\"pid\":4242,\"facility\":\"local3\","
	    "\"msgid\":\"M1\",\"ts\":1700000000123,\"name\":\"caf\\u00e9\","
	    "\"hostname\":\"second\"}\n"));
	hdr(b, r, LRF_JSON, 19, 4, "web01", "api", "4242", "M1");
	eq(b, r->message, "slow \"q\"");
	assert_int_equal(r->time_us, 1700000000123000LL);
	assert_int_equal(r->time_prec, 3);
	assert_int_equal(r->field_count, 10);
	eqf(b, r, 0, LSFT_NUMBER, NULL, "seq", "17");
	eqf(b, r, 1, LSFT_NUMBER, NULL, "ratio", "1.5");
	eqf(b, r, 2, LSFT_NUMBER, NULL, "tiny", "0.1");
	eqf(b, r, 3, LSFT_BOOL, NULL, "ok", "true");
	eqf(b, r, 4, LSFT_BOOL, NULL, "no", "false");
	eqf(b, r, 5, LSFT_NULL, NULL, "none", "null");
	eqf(b, r, 6, LSFT_JSON, NULL, "tags", "[\"a\",2]");
	eqf(b, r, 7, LSFT_JSON, NULL, "ctx", "{\"k\":{\"z\":[]}}");
	eqf(b, r, 8, LSFT_STRING, NULL, "name", "caf\xc3\xa9");
	eqf(b, r, 9, LSFT_STRING, NULL, "hostname", "second");
	/* Numeric level and facility, epoch seconds with fraction. */
	r = parse(b, S("{\"severity\":3,\"facility\":4,\"time\":1700000000.25}"));
	hdr(b, r, LRF_JSON, 4, 3, NULL, NULL, NULL, NULL);
	assert_int_equal(r->time_us, 1700000000250000LL);
	/* @timestamp with an offset, and pid as a string. */
	r = parse(b, S("{\"@timestamp\":\"2026-11-23T21:14:14.5+01:00\","
	    "\"pid\":\"77\"}"));
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    500000);
	eq(b, r->pid, "77");
}

/* Wrong-typed well-known keys stay fields with their own types. */
static void
t_json_wrong_types(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("{\"host\":{\"a\":1},\"msg\":5,\"time\":\"garbage\","
	    "\"level\":\"loud\",\"pid\":true,\"message\":\"real\",\"app\":null,"
	    "\"severity\":99,\"ts\":[1],\"timestamp\":\"2026-11-23T20:14:14Z\"}"));
	hdr(b, r, LRF_JSON, -1, -1, NULL, NULL, NULL, NULL);
	eq(b, r->message, "real");
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000);
	assert_int_equal(r->field_count, 8);
	eqf(b, r, 0, LSFT_JSON, NULL, "host", "{\"a\":1}");
	eqf(b, r, 1, LSFT_NUMBER, NULL, "msg", "5");
	eqf(b, r, 2, LSFT_STRING, NULL, "time", "garbage");
	eqf(b, r, 3, LSFT_STRING, NULL, "level", "loud");
	eqf(b, r, 4, LSFT_BOOL, NULL, "pid", "true");
	eqf(b, r, 5, LSFT_NULL, NULL, "app", "null");
	eqf(b, r, 6, LSFT_NUMBER, NULL, "severity", "99");
	eqf(b, r, 7, LSFT_JSON, NULL, "ts", "[1]");
}

static void
t_json_not_object(void **state)
{
	struct lsbatch	*b = *state;

	plain(b, parse(b, S("[1,2]")));
	plain(b, parse(b, S("\"str\"")));
	plain(b, parse(b, S("{\"a\":1} trailing")));
	plain(b, parse(b, S("{\"a\":1,}")));
	plain(b, parse(b, S("{\"a\":01}")));
	plain(b, parse(b, S("{\"a\":\"\\ud800\"}")));
	plain(b, parse(b, S("{\"a\":tru}")));
	plain(b, parse(b, S("{\"a\\u0000\":1}")));
}

/* Numbers past 64 bits are kept as sent (jansson refused the event). */
static void
t_json_bignum(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("{\"a\":123456789012345678901234567890,\"b\":1E400,"
	    "\"c\":-0.5e-3,\"a\":2}"));
	assert_int_equal(r->format, LRF_JSON);
	assert_int_equal(r->field_count, 3);
	/* A repeated key keeps its place and takes the last value. */
	eqf(b, r, 0, LSFT_NUMBER, NULL, "a", "2");
	eqf(b, r, 1, LSFT_NUMBER, NULL, "b", "1E400");
	eqf(b, r, 2, LSFT_NUMBER, NULL, "c", "-0.5e-3");
}

static void
t_json_many_keys(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	char		*s, *p;
	int		 i;

	assert_non_null(s = malloc(10000 * 24 + 2));
	p = s;
	*p++ = '{';
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
	*p++ = '}';
	r = parse(b, s, (size_t)(p - s));
	free(s);
	assert_int_equal(r->format, LRF_JSON);
	assert_int_equal(r->field_count, 10000);
	eqf(b, r, 0, LSFT_NUMBER, NULL, "k0", "0");
	eqf(b, r, 5000, LSFT_NUMBER, NULL, "k5000", "5000");
	eqf(b, r, 9999, LSFT_NUMBER, NULL, "k9999", "9999");
}

static void
t_json_deep(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	char		*s;
	size_t		 i, n = 10000;

	assert_non_null(s = malloc(n * 6 + 8));
	for (i = 0; i < n; i++)
		memcpy(s + i * 5, "{\"a\":", 5);
	memcpy(s + n * 5, "1", 1);
	memset(s + n * 5 + 1, '}', n);
	r = parse(b, s, n * 6 + 1);
	free(s);
	plain(b, r);
	assert_int_equal(r->message.len, n * 6 + 1);
	/* Deep but within jansson's limit: kept as one LSFT_JSON field. */
	r = parse(b, S("{\"a\":{\"b\":{\"c\":{\"d\":[[[]]]}}}}"));
	eqf(b, r, 0, LSFT_JSON, NULL, "a", "{\"b\":{\"c\":{\"d\":[[[]]]}}}");
}

/*
 * The scanner against jansson (the parser it replaced) on random objects
 * and on mutations of them: it takes an object exactly when jansson does
 * (numbers past 64 bits aside, which it keeps and jansson refused), and each
 * field holds what jansson decoded.
 */
static uint32_t	jseed = 777;

static uint32_t
jrand(uint32_t n)
{
	jseed = jseed * 1103515245 + 12345;
	return (jseed >> 8) % n;
}

static void
jws(char **p)
{
	static const char ws[] = " \t\r\n";

	while (jrand(4) == 0)
		*(*p)++ = ws[jrand(4)];
}

static void
jstr(char **p)
{
	static const char *const pieces[] = { "a", "Z", " ", "\\\"", "\\\\",
	    "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00e9",
	    "\\u20ac", "\\ud83d\\ude00", "\\u0000", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\x7f", "{", "}", ":", ",", "[" };
	uint32_t	 i, n = jrand(8);

	*(*p)++ = '"';
	for (i = 0; i < n; i++)
		*p += sprintf(*p, "%s", pieces[jrand(25)]);
	*(*p)++ = '"';
}

static void
jvalue(char **p, int depth)
{
	uint32_t	 i, n, k = jrand(depth < 3 ? 9 : 7);

	switch (k) {
	case 0: case 1: jstr(p); break;
	case 2: *p += sprintf(*p, "%d", (int)jrand(2000000) - 1000000); break;
	case 3: *p += sprintf(*p, "%d.%de%d", (int)jrand(100), (int)jrand(99),
	    (int)jrand(20) - 10); break;
	case 4: *p += sprintf(*p, "true"); break;
	case 5: *p += sprintf(*p, "false"); break;
	case 6: *p += sprintf(*p, "null"); break;
	default:
		n = jrand(4);
		*(*p)++ = k == 7 ? '{' : '[';
		for (i = 0; i < n; i++) {
			if (i > 0)
				*(*p)++ = ',';
			jws(p);
			if (k == 7) {
				jstr(p);
				jws(p);
				*(*p)++ = ':';
				jws(p);
			}
			jvalue(p, depth + 1);
			jws(p);
		}
		*(*p)++ = k == 7 ? '}' : ']';
	}
}

/* Compare one record with jansson's object: every key a field. */
static void
jcompare(struct lsbatch *b, struct logrec *r, json_t *o)
{
	const char	*key;
	json_t		*v, *mine;
	struct lsfield	*f;
	uint32_t	 i;
	char		 num[32];

	assert_int_equal(r->format, LRF_JSON);
	assert_int_equal(r->field_count, json_object_size(o));
	i = r->field_first;
	json_object_foreach(o, key, v) {
		f = &b->fields[i++];
		assert_int_equal(f->key.len, strlen(key));
		assert_memory_equal(LS_PTR(b, f->key), key, f->key.len);
		switch (json_typeof(v)) {
		case JSON_STRING:
			assert_int_equal(f->type, LSFT_STRING);
			assert_int_equal(f->val.len, json_string_length(v));
			assert_memory_equal(LS_PTR(b, f->val),
			    json_string_value(v), f->val.len);
			break;
		case JSON_INTEGER:
			assert_int_equal(f->type, LSFT_NUMBER);
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			eq(b, f->val, num);
			break;
		case JSON_REAL:
			assert_int_equal(f->type, LSFT_NUMBER);
			assert_true(strtod(LS_PTR(b, f->val), NULL) ==
			    json_real_value(v));
			break;
		case JSON_TRUE: case JSON_FALSE: case JSON_NULL:
			assert_int_equal(f->type, json_is_null(v) ?
			    LSFT_NULL : LSFT_BOOL);
			break;
		default:
			assert_int_equal(f->type, LSFT_JSON);
			assert_non_null(mine = json_loadb(LS_PTR(b, f->val),
			    f->val.len, JSON_ALLOW_NUL, NULL));
			assert_true(json_equal(mine, v));
			json_decref(mine);
		}
	}
}

static void
jdump(const char *why, const char *buf, size_t n)
{
	size_t	 i;

	print_message("%s:", why);
	for (i = 0; i < n; i++)
		print_message(" %02x", (unsigned char)buf[i]);
	print_message("\n");
}

static void
t_json_vs_jansson(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	json_error_t	 err;
	json_t		*o;
	char		 buf[8192], *p;
	uint32_t	 i, k, n, keys, agree = 0, json = 0;

	for (i = 0; i < 20000; i++) {
		p = buf;
		jws(&p);
		*p++ = '{';
		keys = jrand(6);
		for (k = 0; k < keys; k++) {
			jws(&p);
			/* Keys k0..k7 (repeats happen), none well-known. */
			p += sprintf(p, "%s\"k%u\"", k ? "," : "", jrand(8));
			jws(&p);
			*p++ = ':';
			jws(&p);
			jvalue(&p, 0);
			jws(&p);
		}
		*p++ = '}';
		jws(&p);
		n = (size_t)(p - buf);
		/*
		 * Half of them mutated: one byte changed, or cut short.  Not
		 * to NUL: jansson takes a raw NUL after a number (not JSON;
		 * t_bytes has the NUL cases).
		 */
		if (i % 2 == 1) {
			if (jrand(3) == 0)
				n = jrand(n);
			else
				buf[jrand(n)] = "\"\\{}[],:0e.-u\x01\xff x"[jrand(17)];
		}
		o = json_loadb(buf, n, JSON_ALLOW_NUL, &err);
		lsbatch_reset(b);
		r = parse(b, buf, n);
		if (o != NULL && json_is_object(o)) {
			if (r->format != LRF_JSON)
					jdump("jansson took", buf, n);
			jcompare(b, r, o);
			json++;
		} else if (strstr(err.text, "too big") == NULL &&
		    strstr(err.text, "overflow") == NULL)
		{
			if (r->format == LRF_JSON)
				jdump(err.text, buf, n);
			assert_int_not_equal(r->format, LRF_JSON);
		}
		json_decref(o);
		agree++;
	}
	assert_int_equal(agree, 20000);
	assert_true(json > 10000);	/* the valid half and some mutants */
}

static void
t_logfmt(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;

	r = parse(b, S("level=info msg=\"request done\" method=GET path=/api?a=b "
	    "status=200 user=\"bob \\\"the\\\" builder\\n\\x\" cached seq=5 "
	    "ts=2026-11-23T20:14:14.5Z host=web01 empty= app=api"));
	hdr(b, r, LRF_LOGFMT, -1, 6, "web01", "api", NULL, NULL);
	eq(b, r->message, "request done");
	assert_int_equal(r->time_us, ut(2026, 11, 23, 20, 14, 14) * 1000000 +
	    500000);
	assert_int_equal(r->time_prec, 1);
	assert_int_equal(r->field_count, 7);
	eqf(b, r, 0, LSFT_STRING, NULL, "method", "GET");
	eqf(b, r, 1, LSFT_STRING, NULL, "path", "/api?a=b");
	eqf(b, r, 2, LSFT_STRING, NULL, "status", "200");
	eqf(b, r, 3, LSFT_STRING, NULL, "user", "bob \"the\" builder\n\\x");
	eqf(b, r, 4, LSFT_BOOL, NULL, "cached", "true");
	eqf(b, r, 5, LSFT_STRING, NULL, "seq", "5");
	eqf(b, r, 6, LSFT_STRING, NULL, "empty", NULL);
	/* Unusable well-known values and bare well-known keys stay fields. */
	r = parse(b, S("time=soon level=loud pid host"));
	hdr(b, r, LRF_LOGFMT, -1, -1, NULL, NULL, NULL, NULL);
	assert_true(r->time_us == LR_NOTIME);
	eqf(b, r, 0, LSFT_STRING, NULL, "time", "soon");
	eqf(b, r, 1, LSFT_STRING, NULL, "level", "loud");
	eqf(b, r, 2, LSFT_BOOL, NULL, "pid", "true");
	eqf(b, r, 3, LSFT_BOOL, NULL, "host", "true");
	/* Epoch ts. */
	r = parse(b, S("ts=1700000000 facility=auth severity=err"));
	assert_int_equal(r->time_us, 1700000000000000LL);
	hdr(b, r, LRF_LOGFMT, 4, 3, NULL, NULL, NULL, NULL);
}

static void
t_not_logfmt(void **state)
{
	struct lsbatch	*b = *state;

	plain(b, parse(b, S("web01 sshd: Failed password for root seq=5")));
	plain(b, parse(b, S("a=1 then 10.0.0.1")));
	plain(b, parse(b, S("key=\"unterminated")));
	plain(b, parse(b, S("key=\"closed\"glued")));
	plain(b, parse(b, S("1abc=2")));
	plain(b, parse(b, S("=x")));
	plain(b, parse(b, S("a=1 b: c")));
}

/*
 * A whole batch: records are added first, then parsed in one go, with the
 * arena growing (JSON appends) between records.  Dropped records are left
 * alone, and every record's fields are its own contiguous run.
 */
static void
t_process(void **state)
{
	struct lsbatch	*b = *state;
	struct logrec	*r;
	char		 buf[512];
	struct lsslice	 s;
	uint32_t	 i, n = 3000;
	size_t		 cap;
	char		*pad;
	int		 len;

	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			len = snprintf(buf, sizeof(buf), "{\"msg\":\"m%u "
			    "%0200u\",\"seq\":%u,\"k\":[%u]}", i, 0, i, i);
		else if (i % 3 == 1)
			len = snprintf(buf, sizeof(buf), "<13>1 - h a - - "
			    "[s q=\"%u\\]\"] m%u", i, i);
		else
			len = snprintf(buf, sizeof(buf), "x=%u msg=m%u", i, i);
		r = add(b, buf, (size_t)len, RECV);
		if (i == 5)
			r->flags |= LR_DROP;
	}
	/* Fill the arena to just below its end so parsing must grow it. */
	cap = b->cap;
	assert_non_null(pad = calloc(1, cap - b->used - 100));
	assert_int_equal(lsbatch_append(b, pad, cap - b->used - 100, &s), 0);
	free(pad);
	assert_int_equal(b->cap, cap);
	parser_process(b);
	assert_true(b->cap > cap);
	for (i = 0; i < n; i++) {
		r = &b->recs[i];
		if (i == 5) {
			assert_int_equal(r->message.len, 0);
			assert_int_equal(r->field_count, 0);
			continue;
		}
		if (i % 3 == 0) {
			len = snprintf(buf, sizeof(buf), "m%u %0200u", i, 0);
			eqn(b, r->message, buf, (size_t)len);
			assert_int_equal(r->field_count, 2);
			snprintf(buf, sizeof(buf), "%u", i);
			eqf(b, r, 0, LSFT_NUMBER, NULL, "seq", buf);
		} else if (i % 3 == 1) {
			snprintf(buf, sizeof(buf), "%u]", i);
			eqf(b, r, 0, LSFT_SD, "s", "q", buf);
			assert_int_equal(r->field_count, 1);
		} else {
			snprintf(buf, sizeof(buf), "%u", i);
			eqf(b, r, 0, LSFT_STRING, NULL, "x", buf);
			assert_int_equal(r->field_count, 1);
		}
		if (i % 3 != 0) {
			snprintf(buf, sizeof(buf), "m%u", i);
			eq(b, r->message, buf);
		}
	}
}

static void
in_arena(struct lsbatch *b, struct lsslice s)
{
	assert_true((size_t)s.off + s.len <= b->used);
}

/* Every slice a parse leaves lies in the arena; the slots stay in range. */
static void
check_rec(struct lsbatch *b, struct logrec *r)
{
	struct lsfield	*f;
	uint32_t	 i;

	assert_true(r->format < LRF__COUNT);
	assert_true(r->facility >= -1 && r->facility <= 23);
	assert_true(r->severity >= -1 && r->severity <= 7);
	assert_true(r->time_prec <= 6);
	in_arena(b, r->host);
	in_arena(b, r->app);
	in_arena(b, r->pid);
	in_arena(b, r->msgid);
	in_arena(b, r->message);
	assert_true(r->field_first + r->field_count <= b->nfields);
	for (i = 0; i < r->field_count; i++) {
		f = &b->fields[r->field_first + i];
		assert_true(f->type <= LSFT_SD);
		in_arena(b, f->key);
		in_arena(b, f->val);
		in_arena(b, f->sdid);
	}
	if (r->format == LRF_PLAIN) {
		assert_int_equal(r->message.off, r->raw.off);
		assert_int_equal(r->message.len, r->raw.len);
		assert_int_equal(r->field_count, 0);
	}
}

/*
 * Samples cut short at every length and with bytes flipped (fixed seed):
 * nothing crashes, reads out of bounds (valgrind) or breaks the invariants.
 */
static void
t_mutations(void **state)
{
	static const char *const samples[] = {
		"<36>1 2026-11-23T21:13:11.432505+00:00 vm myapp - - "
		    "[timeQuality tzKnown=\"1\"][z@1 a=\"b\\\"c\"] hi",
		"<189>123: *Mar  1 00:00:31.379 UTC: %SYS-5-CONFIG_I: x y",
		"<13>2026-11-23T20:14:14.123+01:00 web01 sshd[12]: msg",
		"Nov  3 20:14:14 web01 cron[77] job",
		"{\"log\":\"a\\n\",\"level\":3,\"t\":[1,{\"x\":null}]}",
		"level=info msg=\"a \\\" b\" seq=5 ok",
	};
	struct lsbatch	*b = *state;
	struct logrec	*r;
	char		 buf[256];
	uint32_t	 seed = 12345, k;
	size_t		 i, n, len;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		len = strlen(samples[i]);
		for (n = 0; n <= len; n++) {
			lsbatch_reset(b);
			r = parse(b, samples[i], n);
			check_rec(b, r);
		}
		for (k = 0; k < 3000; k++) {
			memcpy(buf, samples[i], len);
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = (char)(seed >> 20);
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = " =\"[]<>:\\-0{}"[(seed >> 20) % 14];
			lsbatch_reset(b);
			r = parse(b, buf, len);
			check_rec(b, r);
		}
	}
}

static void
t_helpers(void **state)
{
	int64_t	 us;
	uint8_t	 prec;

	(void)state;
	assert_int_equal(parser_days(1970, 1, 1), 0);
	assert_int_equal(parser_days(2000, 3, 1), ut(2000, 3, 1, 0, 0, 0) / 86400);
	assert_int_equal(parser_days(1969, 12, 31), -1);
	assert_int_equal(parser_rfc3339(S("2026-11-23T20:14:14+0130 x"), 0, &us,
	    &prec), 24);
	assert_int_equal(us, ut(2026, 11, 23, 18, 44, 14) * 1000000);
	assert_int_equal(parser_rfc3339(S("2026-11-23T20:14:14."), 0, &us,
	    &prec), -1);
	assert_int_equal(parser_time_text(S("2026-11-23 20:14:14,25"), &us,
	    &prec), 0);
	assert_int_equal(us, ut(2026, 11, 23, 20, 14, 14) * 1000000 + 250000);
	assert_int_equal(parser_time_text(S("-5"), &us, &prec), -1);
	/* 20 digits: 2^64 + 1700000000 once wrapped to a valid time (and
	 * signed overflow is undefined: fuzz_json). */
	assert_int_equal(parser_time_text(S("18446744075409551616"), &us,
	    &prec), -1);
	assert_int_equal(parser_time_text(S("77777777777777777771"), &us,
	    &prec), -1);
	assert_int_equal(parser_time_text(S("00000000001700000000"), &us,
	    &prec), 0);
	assert_int_equal(us, 1700000000LL * 1000000);
	assert_int_equal(parser_wellknown(S("@timestamp")), PWK_TIME);
	assert_int_equal(parser_wellknown(S("Host")), PWK_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_logger_rfc5424, setup, teardown),
		cmocka_unit_test_setup_teardown(t_logger_rfc3164, setup, teardown),
		cmocka_unit_test_setup_teardown(t_pri_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(t_rsyslog_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(t_syslog_ng, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sshd_no_pri, setup, teardown),
		cmocka_unit_test_setup_teardown(t_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(t_nginx, setup, teardown),
		cmocka_unit_test_setup_teardown(t_journald, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cisco, setup, teardown),
		cmocka_unit_test_setup_teardown(t_pri_text, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bsd_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(t_year, setup, teardown),
		cmocka_unit_test_setup_teardown(t_local_tz, setup, teardown),
		cmocka_unit_test_setup_teardown(t_rfc5424_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(t_rfc5424_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(t_pri_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(t_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(t_docker, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_types, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_not_object, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_bignum, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_vs_jansson, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_json_many_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(t_logfmt, setup, teardown),
		cmocka_unit_test_setup_teardown(t_not_logfmt, setup, teardown),
		cmocka_unit_test_setup_teardown(t_process, setup, teardown),
		cmocka_unit_test_setup_teardown(t_mutations, setup, teardown),
		cmocka_unit_test(t_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
