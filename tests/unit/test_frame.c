/*
 * test_frame.c: RFC 6587 framing (frame_next) driven the way a connection
 * drives it: a buffer that drops *used bytes after each call and grows when
 * more is needed.  Every stream is also fed at every split point, byte by
 * byte and in random chunks, and must give the same frames as in one piece.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

#define MAXFRAMES	256
#define HDR_SLACK	12	/* "NNNNNNNNNN " before an octet frame */

struct got {
	char	*data[MAXFRAMES];
	size_t	 len[MAXFRAMES];
	int	 trunc[MAXFRAMES];
	size_t	 n;
	uint64_t bad;
	uint64_t truncated;
};

static void
got_free(struct got *g)
{
	size_t	 i;

	for (i = 0; i < g->n; i++)
		free(g->data[i]);
	memset(g, 0, sizeof(*g));
}

/* Call frame_next until it needs more; keeps the caller's buffer honest. */
static void
drain(struct framer *fr, char *buf, size_t *blen, size_t max, int eof,
    struct got *g)
{
	struct frame	 f;
	size_t		 used;
	int		 rc, guard = 0;

	for (;;) {
		memset(&f, 0xa5, sizeof(f));
		used = (size_t)-1;
		rc = frame_next(fr, buf, *blen, max, eof, &f, &used);
		assert_true(rc == FRAME_OK || rc == FRAME_NEED_MORE);
		assert_true(used <= *blen);
		if (rc == FRAME_OK) {
			assert_true(used > 0);
			assert_true(f.len > 0);
			assert_true(f.len <= max);
			assert_true(f.off + f.len <= *blen);
			assert_true(f.truncated == 0 || f.truncated == 1);
			assert_true(g->n < MAXFRAMES);
			g->data[g->n] = malloc(f.len);
			assert_non_null(g->data[g->n]);
			memcpy(g->data[g->n], buf + f.off, f.len);
			g->len[g->n] = f.len;
			g->trunc[g->n] = f.truncated;
			g->n++;
		}
		memmove(buf, buf + used, *blen - used);
		*blen -= used;
		if (rc == FRAME_NEED_MORE)
			break;
		assert_true(++guard < 100000);
	}
	/* bounded: the caller never has to hold more than a frame */
	assert_true(*blen <= max + HDR_SLACK);
}

/* Feed in[0..len) in chunks ending at the offsets cuts[] (then the rest). */
static void
run_cuts(const char *in, size_t len, size_t max, const size_t *cuts,
    size_t ncuts, struct got *g)
{
	struct framer	 fr;
	char		*buf = malloc(len + 1);
	size_t		 blen = 0, pos = 0, i, end;

	assert_non_null(buf);
	memset(&fr, 0, sizeof(fr));
	memset(g, 0, sizeof(*g));
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		if (end < pos)
			continue;
		memcpy(buf + blen, in + pos, end - pos);
		blen += end - pos;
		pos = end;
		drain(&fr, buf, &blen, max, i == ncuts, g);
	}
	assert_int_equal(blen, 0);	/* at eof everything is used */
	g->bad = fr.bad;
	g->truncated = fr.truncated;
	free(buf);
}

static void
run_whole(const char *in, size_t len, size_t max, struct got *g)
{
	run_cuts(in, len, max, NULL, 0, g);
}

static void
assert_same(const struct got *a, const struct got *b)
{
	size_t	 i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->data[i], b->data[i], a->len[i]);
		assert_int_equal(a->trunc[i], b->trunc[i]);
	}
	assert_int_equal(a->truncated, b->truncated);
}

/* The same frames at every split point, byte by byte and in chunks. */
static void
check_splits(const char *in, size_t len, size_t max)
{
	struct got	 whole, part;
	size_t		*cuts, i, n;
	unsigned int	 seed = 12345;
	int		 round;

	run_whole(in, len, max, &whole);
	cuts = calloc(len + 1, sizeof(*cuts));
	assert_non_null(cuts);
	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		run_cuts(in, len, max, cuts, 1, &part);
		assert_same(&whole, &part);
		got_free(&part);
	}
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	run_cuts(in, len, max, cuts, len, &part);
	assert_same(&whole, &part);
	got_free(&part);
	for (round = 0; round < 50; round++) {
		n = 0;
		for (i = 0; i < len; i += 1 + rand_r(&seed) % 7)
			cuts[n++] = i;
		run_cuts(in, len, max, cuts, n, &part);
		assert_same(&whole, &part);
		got_free(&part);
	}
	free(cuts);
	got_free(&whole);
}

static void
expect_frame(const struct got *g, size_t i, const char *s, int trunc)
{
	assert_true(i < g->n);
	assert_int_equal(g->len[i], strlen(s));
	assert_memory_equal(g->data[i], s, strlen(s));
	assert_int_equal(g->trunc[i], trunc);
}

#define S(lit)	(lit), (sizeof(lit) - 1)

static void
test_lf_crlf(void **state)
{
	struct got	 g;
	const char	 in[] = "one\ntwo\r\nthree\n";

	run_whole(S(in), 64, &g);
	assert_int_equal(g.n, 3);
	expect_frame(&g, 0, "one", 0);
	expect_frame(&g, 1, "two", 0);
	expect_frame(&g, 2, "three", 0);
	assert_int_equal(g.bad, 0);
	assert_int_equal(g.truncated, 0);
	got_free(&g);
	check_splits(S(in), 64);
}

static void
test_cr_only_inside(void **state)
{
	struct got	 g;

	/* only one CR right before the LF is dropped */
	run_whole(S("a\rb\r\r\nc\r\n"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "a\rb\r", 0);
	expect_frame(&g, 1, "c", 0);
	got_free(&g);
}

static void
test_last_line_at_eof(void **state)
{
	struct got	 g;
	struct framer	 fr;
	struct frame	 f;
	size_t		 used;

	run_whole(S("first\nlast"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 1, "last", 0);
	got_free(&g);
	run_whole(S("first\nlast\r"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 1, "last", 0);
	got_free(&g);
	check_splits(S("first\nlast"), 64);

	/* without eof the tail waits */
	memset(&fr, 0, sizeof(fr));
	assert_int_equal(frame_next(&fr, "abc", 3, 64, 0, &f, &used),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
	/* empty input at eof: nothing */
	assert_int_equal(frame_next(&fr, "", 0, 64, 1, &f, &used),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
}

static void
test_empty_lines(void **state)
{
	struct got	 g;
	const char	 in[] = "\n\r\n\na\n\n\r\nb\n\n";

	run_whole(S(in), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "a", 0);
	expect_frame(&g, 1, "b", 0);
	got_free(&g);
	check_splits(S(in), 64);
	run_whole(S("\n\n\n"), 64, &g);
	assert_int_equal(g.n, 0);
	got_free(&g);
}

static void
test_offsets(void **state)
{
	struct framer	 fr;
	struct frame	 f;
	size_t		 used;
	const char	 in[] = "\n\nabc\ndef\n";

	memset(&fr, 0, sizeof(fr));
	assert_int_equal(frame_next(&fr, in, sizeof(in) - 1, 64, 0, &f,
	    &used), FRAME_OK);
	assert_int_equal(f.off, 2);
	assert_int_equal(f.len, 3);
	assert_int_equal(used, 6);
	assert_int_equal(frame_next(&fr, in + used, sizeof(in) - 1 - used,
	    64, 0, &f, &used), FRAME_OK);
	assert_int_equal(f.off, 0);
	assert_int_equal(f.len, 3);
	assert_int_equal(used, 4);
}

static void
test_long_line(void **state)
{
	struct got	 g;
	char		 in[200];
	size_t		 n = 0;

	memset(in, 'x', 40);
	n = 40;
	memcpy(in + n, "\nnext\n", 6);
	n += 6;
	run_whole(in, n, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "xxxxxxxxxxxxxxxx", 1);
	expect_frame(&g, 1, "next", 0);
	assert_int_equal(g.truncated, 1);
	got_free(&g);
	check_splits(in, n, 16);

	/* long line with CRLF, and long line as last line at eof */
	memcpy(in + 40, "\r\nnext\r\n", 8);
	check_splits(in, 48, 16);
	run_whole(in, 40, 16, &g);
	assert_int_equal(g.n, 1);
	expect_frame(&g, 0, "xxxxxxxxxxxxxxxx", 1);
	got_free(&g);
	check_splits(in, 40, 16);
}

static void
test_exact_max(void **state)
{
	struct got	 g;
	char		 in[64];

	/* 16 bytes + LF, + CR LF, + CR at eof: none truncated */
	memset(in, 'a', 16);
	memcpy(in + 16, "\nb\n", 3);
	run_whole(in, 19, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "aaaaaaaaaaaaaaaa", 0);
	expect_frame(&g, 1, "b", 0);
	assert_int_equal(g.truncated, 0);
	got_free(&g);
	check_splits(in, 19, 16);

	memcpy(in + 16, "\r\nb\r\n", 5);
	run_whole(in, 21, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "aaaaaaaaaaaaaaaa", 0);
	expect_frame(&g, 1, "b", 0);
	assert_int_equal(g.truncated, 0);
	got_free(&g);
	check_splits(in, 21, 16);

	run_whole(in, 17, 16, &g);	/* max bytes + CR, eof */
	assert_int_equal(g.n, 1);
	expect_frame(&g, 0, "aaaaaaaaaaaaaaaa", 0);
	got_free(&g);
	check_splits(in, 17, 16);

	/* max + 1 bytes: truncated; the CR is not a pass for a real byte */
	memset(in, 'a', 17);
	memcpy(in + 17, "\nb\n", 3);
	run_whole(in, 20, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "aaaaaaaaaaaaaaaa", 1);
	expect_frame(&g, 1, "b", 0);
	got_free(&g);
	check_splits(in, 20, 16);

	/* max bytes, CR, more text: the CR is content, so truncated */
	memset(in, 'a', 16);
	memcpy(in + 16, "\rz\nb\n", 5);
	run_whole(in, 21, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "aaaaaaaaaaaaaaaa", 1);
	expect_frame(&g, 1, "b", 0);
	got_free(&g);
	check_splits(in, 21, 16);
}

static void
test_octet_basic(void **state)
{
	struct got	 g;
	const char	 in[] = "17 <13>hello world 1"
			    "16 <13>hello world\n"
			    "4 <1>x";

	run_whole(S(in), 64, &g);
	assert_int_equal(g.n, 3);
	expect_frame(&g, 0, "<13>hello world 1", 0);
	/* one trailing LF inside a counted frame is dropped, as rsyslog does */
	expect_frame(&g, 1, "<13>hello world", 0);
	expect_frame(&g, 2, "<1>x", 0);
	assert_int_equal(g.bad, 0);
	got_free(&g);
	check_splits(S(in), 64);
}

static void
test_octet_lf_after(void **state)
{
	struct got	 g;
	const char	 in[] = "4 <1>a\n4 <1>b\r\n\n4 <1>c\n";

	run_whole(S(in), 64, &g);
	assert_int_equal(g.n, 3);
	expect_frame(&g, 0, "<1>a", 0);
	expect_frame(&g, 1, "<1>b", 0);
	expect_frame(&g, 2, "<1>c", 0);
	assert_int_equal(g.bad, 0);
	got_free(&g);
	check_splits(S(in), 64);
}

static void
test_octet_offsets(void **state)
{
	struct framer	 fr;
	struct frame	 f;
	size_t		 used;
	const char	 in[] = "4 <1>a\n\n10 <1>abcdefg";

	memset(&fr, 0, sizeof(fr));
	assert_int_equal(frame_next(&fr, S(in), 64, 0, &f, &used), FRAME_OK);
	assert_int_equal(fr.mode, FRAME_OCTET);
	assert_int_equal(f.off, 2);
	assert_int_equal(f.len, 4);
	assert_int_equal(used, 6);
	assert_int_equal(frame_next(&fr, in + 6, sizeof(in) - 1 - 6, 64, 0,
	    &f, &used), FRAME_OK);
	assert_int_equal(f.off, 5);
	assert_int_equal(f.len, 10);
	assert_memory_equal(in + 6 + f.off, "<1>abcdefg", 10);
	assert_int_equal(used, sizeof(in) - 1 - 6);
}

static void
test_octet_zero_count(void **state)
{
	struct got	 g;
	struct framer	 fr;
	struct frame	 f;
	size_t		 used;

	run_whole(S("0 <13>x\n"), 64, &g);
	assert_int_equal(g.n, 1);
	expect_frame(&g, 0, "0 <13>x", 0);
	got_free(&g);
	check_splits(S("0 <13>x\nnext\n"), 64);
	memset(&fr, 0, sizeof(fr));
	assert_int_equal(frame_next(&fr, S("0 <13>x\n"), 64, 0, &f, &used),
	    FRAME_OK);
	assert_int_equal(fr.mode, FRAME_LF);
}

static void
test_octet_digits_not_octet(void **state)
{
	struct got	 g;
	const char	*plain[] = { "200 OK\n", "12345\n", "12a <13>x\n",
			    "12 x\n", "12  <13>x\n", "99999999999 <13>x\n",
			    "12345", "1 ", "007 <13>x\n" };
	size_t		 i, l;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		l = strlen(plain[i]);
		run_whole(plain[i], l, 64, &g);
		assert_int_equal(g.n, 1);
		if (plain[i][l - 1] == '\n')
			l--;
		assert_memory_equal(g.data[0], plain[i], l);
		assert_int_equal(g.trunc[0], 0);
		assert_int_equal(g.bad, 0);
		got_free(&g);
		check_splits(plain[i], strlen(plain[i]), 64);
	}
	/* and the mode stays LF: a later octet-looking line is a line */
	run_whole(S("200 OK\n5 <1>x\n"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 1, "5 <1>x", 0);
	got_free(&g);
}

static void
test_octet_ten_digits(void **state)
{
	struct got	 g;
	char		*in;
	size_t		 n, body = 3000, i;

	/* 10 digits is still octet counting: cut at max, rest skipped */
	in = malloc(body + 64);
	assert_non_null(in);
	n = (size_t)sprintf(in, "9999999999 <13>");
	for (i = 0; i < body; i++)
		in[n++] = (char)('a' + i % 26);
	run_whole(in, n, 64, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], 64);
	assert_memory_equal(g.data[0], "<13>abc", 7);
	assert_int_equal(g.trunc[0], 1);
	assert_int_equal(g.truncated, 1);
	got_free(&g);
	check_splits(in, n, 64);
	free(in);
}

static void
test_octet_skip_many_calls(void **state)
{
	struct framer	 fr;
	struct frame	 f;
	size_t		 used, i;
	char		 chunk[100];

	memset(&fr, 0, sizeof(fr));
	memset(chunk, 'z', sizeof(chunk));
	memcpy(chunk, "9999999999 <13>", 15);
	assert_int_equal(frame_next(&fr, chunk, 100, 32, 0, &f, &used),
	    FRAME_OK);
	assert_int_equal(f.len, 32);
	assert_int_equal(f.truncated, 1);
	assert_int_equal(used, 11 + 32);
	assert_int_equal(fr.skip, 9999999999ULL - 32);
	memset(chunk, 'z', sizeof(chunk));
	for (i = 0; i < 1000; i++) {
		assert_int_equal(frame_next(&fr, chunk, 100, 32, 0, &f,
		    &used), FRAME_NEED_MORE);
		assert_int_equal(used, 100);
	}
	assert_int_equal(fr.skip, 9999999999ULL - 32 - 100000);
	fr.skip = 3;	/* pretend the end is near */
	memcpy(chunk, "zzz4 <1>q", 9);
	assert_int_equal(frame_next(&fr, chunk, 9, 32, 0, &f, &used),
	    FRAME_OK);
	assert_int_equal(f.off, 5);
	assert_int_equal(f.len, 4);
	assert_int_equal(used, 9);
}

static void
test_octet_past_max(void **state)
{
	struct got	 g;
	char		 in[256];
	size_t		 n;

	n = (size_t)sprintf(in, "40 <13>%s4 <1>n", "0123456789abcdef0123"
	    "456789ABCDEF0123");
	run_whole(in, n, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "<13>0123456789ab", 1);
	expect_frame(&g, 1, "<1>n", 0);
	assert_int_equal(g.truncated, 1);
	got_free(&g);
	check_splits(in, n, 16);

	/* exactly max: kept whole */
	n = (size_t)sprintf(in, "16 <13>0123456789ab4 <1>n");
	run_whole(in, n, 16, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "<13>0123456789ab", 0);
	assert_int_equal(g.truncated, 0);
	got_free(&g);
	check_splits(in, n, 16);
}

static void
test_octet_short_at_eof(void **state)
{
	struct got	 g;

	run_whole(S("20 <13>short"), 64, &g);
	assert_int_equal(g.n, 1);
	expect_frame(&g, 0, "<13>short", 1);
	assert_int_equal(g.truncated, 1);
	got_free(&g);
	check_splits(S("4 <1>a20 <13>short"), 64);
	/* over max and short at eof */
	run_whole(S("40 <13>short"), 16, &g);
	assert_int_equal(g.n, 1);
	expect_frame(&g, 0, "<13>short", 1);
	got_free(&g);
}

static void
test_octet_nul(void **state)
{
	struct got	 g;
	const char	 in[] = "6 <1>\0\n\0" "3 <1>";

	run_whole(in, sizeof(in) - 1, 64, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[0], 6);
	assert_memory_equal(g.data[0], "<1>\0\n\0", 6);
	assert_int_equal(g.len[1], 3);
	got_free(&g);
	check_splits(in, sizeof(in) - 1, 64);
}

static void
test_lf_nul(void **state)
{
	struct got	 g;
	const char	 in[] = "a\0b\n\0\n";

	/* a NUL inside a line stays; one at its end is dropped, and a line
	 * of one NUL is an empty line */
	run_whole(in, sizeof(in) - 1, 64, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], 3);
	assert_memory_equal(g.data[0], "a\0b", 3);
	got_free(&g);
	run_whole(S("\0\0\0\nx\0\r\n<1\0<>\0<a\n"), 64, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.len[0], 2);		/* NULs are no empty lines */
	expect_frame(&g, 1, "x", 0);
	assert_int_equal(g.len[2], 8);
	assert_memory_equal(g.data[2], "<1\0<>\0<a", 8);
	got_free(&g);
	check_splits(in, sizeof(in) - 1, 64);
}

/* Python's SysLogHandler over TCP: each event ends with a NUL, no LF. */
static void
test_nul_delimiter(void **state)
{
	struct got	 g;
	const char	 in[] = "<12>app: one\0<12>app[7]: t\0wo\0<12>x\0\0<1";

	run_whole(in, sizeof(in) - 1, 64, &g);
	assert_int_equal(g.n, 4);
	expect_frame(&g, 0, "<12>app: one", 0);
	assert_int_equal(g.len[1], 16);		/* the NUL inside is kept */
	assert_memory_equal(g.data[1], "<12>app[7]: t\0wo", 16);
	assert_int_equal(g.len[2], 6);		/* one NUL before the next */
	assert_memory_equal(g.data[2], "<12>x\0", 6);
	expect_frame(&g, 3, "<1", 0);		/* the last, at eof */
	got_free(&g);
	check_splits(in, sizeof(in) - 1, 64);
	check_splits(in, sizeof(in) - 1, 8);
}

static void
test_octet_then_bad(void **state)
{
	struct got	 g;
	const char	 in[] = "4 <1>a\nplain line\n4 <1>b12x junk\n4 <1>c";

	/* after detection, a frame without a count is a line, counted bad */
	run_whole(S(in), 64, &g);
	assert_int_equal(g.n, 5);
	expect_frame(&g, 0, "<1>a", 0);
	expect_frame(&g, 1, "plain line", 0);
	expect_frame(&g, 2, "<1>b", 0);
	expect_frame(&g, 3, "12x junk", 0);
	expect_frame(&g, 4, "<1>c", 0);
	assert_int_equal(g.bad, 2);
	got_free(&g);
	check_splits(S(in), 64);

	/* the count alone decides after detection: no '<' needed */
	run_whole(S("4 <1>a3 xyz"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 1, "xyz", 0);
	assert_int_equal(g.bad, 0);
	got_free(&g);
}

static void
test_mixed_long_lines(void **state)
{
	struct got	 g;
	char		 in[512];
	size_t		 n = 0;

	/* a stream of short, empty, exact and long lines */
	n += (size_t)sprintf(in + n, "short\n\n");
	memset(in + n, 'L', 50), n += 50;
	in[n++] = '\n';
	memset(in + n, 'E', 16), n += 16;
	in[n++] = '\r', in[n++] = '\n';
	memset(in + n, 'M', 33), n += 33;
	in[n++] = '\r', in[n++] = '\n';
	n += (size_t)sprintf(in + n, "tail");
	run_whole(in, n, 16, &g);
	assert_int_equal(g.n, 5);
	expect_frame(&g, 0, "short", 0);
	expect_frame(&g, 1, "LLLLLLLLLLLLLLLL", 1);
	expect_frame(&g, 2, "EEEEEEEEEEEEEEEE", 0);
	expect_frame(&g, 3, "MMMMMMMMMMMMMMMM", 1);
	expect_frame(&g, 4, "tail", 0);
	assert_int_equal(g.truncated, 2);
	got_free(&g);
	check_splits(in, n, 16);
}

static void
test_random_streams(void **state)
{
	const char	 alpha[] = "ab<>13 \n\r\0x9";
	char		 in[300];
	unsigned int	 seed = 7;
	size_t		 n, i;
	int		 round;

	/* whatever the bytes, splitting never changes the frames */
	for (round = 0; round < 40; round++) {
		n = 20 + rand_r(&seed) % 120;
		i = 0;
		if (round % 2)
			i = (size_t)sprintf(in, "5 <1>a");
		for (; i < n; i++)
			in[i] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		check_splits(in, n, 16 + round % 3);
	}
}

/* The bad counter must not depend on how the reads were split. */
static void
test_bad_counter_split(void **state)
{
	struct got	 whole, part;
	const char	 in[] = "4 <1>aplain line\n4 <1>b";
	size_t		 cuts[1] = { 10 };

	run_whole(S(in), 64, &whole);
	assert_int_equal(whole.bad, 1);
	run_cuts(S(in), 64, cuts, 1, &part);
	assert_same(&whole, &part);
	assert_int_equal(part.bad, whole.bad);
	got_free(&whole);
	got_free(&part);
}

/* An empty line first says nothing about the framing. */
static void
test_leading_empty_line_octet(void **state)
{
	struct got	 g;

	run_whole(S("\n4 <1>a4 <1>b"), 64, &g);
	assert_int_equal(g.n, 2);
	expect_frame(&g, 0, "<1>a", 0);
	expect_frame(&g, 1, "<1>b", 0);
	got_free(&g);
}

/* A bare header at eof delivers nothing and counts nothing. */
static void
test_bare_header_at_eof(void **state)
{
	struct framer	 fr;
	struct frame	 f;
	const char	 in[] = "4 <1>a5 ";
	size_t		 used, pos = 0;
	int		 frames = 0;

	memset(&fr, 0, sizeof(fr));
	while (pos < sizeof(in) - 1 && frame_next(&fr, in + pos,
	    sizeof(in) - 1 - pos, 64, 1, &f, &used) == FRAME_OK) {
		frames++;
		pos += used;
	}
	assert_int_equal(frames, 1);
	assert_int_equal(fr.truncated, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf_crlf),
		cmocka_unit_test(test_cr_only_inside),
		cmocka_unit_test(test_last_line_at_eof),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_exact_max),
		cmocka_unit_test(test_octet_basic),
		cmocka_unit_test(test_bad_counter_split),
		cmocka_unit_test(test_leading_empty_line_octet),
		cmocka_unit_test(test_bare_header_at_eof),
		cmocka_unit_test(test_octet_lf_after),
		cmocka_unit_test(test_octet_offsets),
		cmocka_unit_test(test_octet_zero_count),
		cmocka_unit_test(test_octet_digits_not_octet),
		cmocka_unit_test(test_octet_ten_digits),
		cmocka_unit_test(test_octet_skip_many_calls),
		cmocka_unit_test(test_octet_past_max),
		cmocka_unit_test(test_octet_short_at_eof),
		cmocka_unit_test(test_octet_nul),
		cmocka_unit_test(test_lf_nul),
		cmocka_unit_test(test_nul_delimiter),
		cmocka_unit_test(test_octet_then_bad),
		cmocka_unit_test(test_mixed_long_lines),
		cmocka_unit_test(test_random_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
