/*
 * test_storepath.c: templated storage paths.  Every placeholder's value is
 * made safe (no '/', no leading '.', no NUL or control byte, never empty,
 * at most 64 bytes without cutting a UTF-8 sequence), so no host name a
 * sender picks can name a file outside the storage directory; {date} and
 * {hour} come from the receipt time (UTC); unknown placeholders are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "logrec.h"
#include "storepath.h"

#define T0	INT64_C(1795464854000000)	/* 2026-11-23T20:14:14Z */

/* A batch of one record with host h (hlen bytes) and field k=v. */
static struct lsbatch *
one(const char *h, size_t hlen, const char *k, const char *v)
{
	struct lsbatch	*b;
	struct logrec	*r;
	struct lsfield	*f;

	assert_non_null(b = lsbatch_new(4));
	assert_non_null(r = lsbatch_add_rec(b));
	r->received_us = T0;
	r->transport = LRT_TCP;
	assert_int_equal(lsbatch_append(b, h, hlen, &r->host), 0);
	assert_int_equal(lsbatch_append(b, "sshd", 4, &r->app), 0);
	if (k != NULL) {
		assert_non_null(f = lsbatch_add_field(b));
		assert_int_equal(lsbatch_append(b, k, strlen(k), &f->key), 0);
		assert_int_equal(lsbatch_append(b, v, strlen(v), &f->val), 0);
		r->field_first = 0;
		r->field_count = 1;
	}
	return b;
}

static void
expand(char *out, const char *tmpl, const char *h, size_t hlen)
{
	struct lsbatch	*b = one(h, hlen, "user", "../root");

	assert_int_equal(storepath_expand(out, 4096, tmpl, b, &b->recs[0]), 0);
	lsbatch_free(b);
}

static void
test_expand(void **state)
{
	char	 p[4096];

	expand(p, "/s/{host}/{date}.log", "web01", 5);
	assert_string_equal(p, "/s/web01/2026-11-23.log");
	expand(p, "/s/{app}-{transport}-{hour}-{field.user}-{field.none}-"
	    "{class}", "w", 1);
	assert_string_equal(p, "/s/sshd-tcp-20-_._root-_-_");
	/* No placeholder: as it is. */
	expand(p, "/s/events.log", "w", 1);
	assert_string_equal(p, "/s/events.log");
}

/* Hostile host names stay one path component below /s. */
static void
test_hostile(void **state)
{
	static const struct {
		const char	*h;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "../../etc", 9, "/s/_._.._etc/x" },
		{ "/etc", 4, "/s/_etc/x" },
		{ "..", 2, "/s/_./x" },
		{ ".", 1, "/s/_/x" },
		{ "", 0, "/s/_/x" },
		{ "a\0b", 3, "/s/a_b/x" },
		{ "a\nb\x7f", 4, "/s/a_b_/x" },
	};
	char	 p[4096], big[300];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		expand(p, "/s/{host}/x", t[i].h, t[i].len);
		assert_string_equal(p, t[i].want);
	}
	memset(big, 'x', sizeof(big));
	expand(p, "/s/{host}/x", big, sizeof(big));
	assert_int_equal(strlen(p), 3 + STOREPATH_VALUE_MAX + 2);
	/* 300 bytes of 2-byte UTF-8: cut at 64, between two sequences. */
	for (i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	expand(p, "/s/{host}/x", big, sizeof(big));
	assert_int_equal(strlen(p), 3 + 64 + 2);
	assert_true((unsigned char)p[3 + 63] == 0xa9);
}

static void
test_check(void **state)
{
	char	 err[256];

	assert_int_equal(storepath_check("/s/{host}/{date}.log", err,
	    sizeof(err)), 0);
	assert_int_equal(storepath_check("/s/{field.x}/{hour}", err,
	    sizeof(err)), 0);
	assert_int_equal(storepath_check("/s/{hots}.log", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "{hots}"));
	assert_int_equal(storepath_check("/s/{host", err, sizeof(err)), -1);
	assert_int_equal(storepath_check("/s/{field.}", err, sizeof(err)), -1);
	assert_true(storepath_templated("/s/{host}"));
	assert_false(storepath_templated("/s/h.log"));
	assert_false(storepath_templated(NULL));
	/* The storage directory: before the first placeholder's component. */
	assert_int_equal(storepath_root_len("/var/remote/{host}/{date}.log"),
	    11);
	assert_int_equal(storepath_root_len("/var/remote/h-{host}.log"), 11);
	assert_int_equal(storepath_root_len("/{host}.log"), 1);
	assert_int_equal(storepath_root_len("{host}.log"), 0);
}

/* The compiled template expands as storepath_expand does; events with
 * equal keys have equal paths, and different values give different keys
 * (a long value: as many bytes as the path uses). */
static void
test_key(void **state)
{
	static const char *const tmpls[] = {
		"/s/{host}/{date}.log", "/s/{app}-{transport}-{hour}-"
		    "{field.user}-{field.none}-{class}", "/s/plain.log",
		"{host}{host}",
	};
	struct storepath	*sp;
	struct lsbatch		*a, *b, *c;
	char			 p1[4096], p2[4096], k1[512], k2[512], big[300];
	const uint64_t		 seed[2] = { 12345, 67890 };
	uint64_t		 h1, h2;
	size_t			 i;
	int			 n1, n2;

	memset(big, 'x', sizeof(big));
	a = one("web01", 5, "user", "../root");
	b = one("web01", 5, "user", "../root");
	c = one("web02", 5, "user", "../root");
	for (i = 0; i < sizeof(tmpls) / sizeof(tmpls[0]); i++) {
		assert_non_null(sp = storepath_new(tmpls[i]));
		assert_int_equal(storepath_path(sp, p1, sizeof(p1), a,
		    &a->recs[0]), 0);
		assert_int_equal(storepath_expand(p2, sizeof(p2), tmpls[i], a,
		    &a->recs[0]), 0);
		assert_string_equal(p1, p2);
		n1 = storepath_key(sp, k1, sizeof(k1), a, &a->recs[0],
		    seed, &h1);
		n2 = storepath_key(sp, k2, sizeof(k2), b, &b->recs[0],
		    seed, &h2);
		assert_true(n1 >= 0 && n1 == n2 && memcmp(k1, k2, n1) == 0);
		assert_true(h1 == h2);
		/* Too small a buffer: -1, and too small a path buffer. */
		assert_int_equal(storepath_path(sp, p1, 3, a, &a->recs[0]),
		    -1);
		storepath_free(sp);
	}
	assert_non_null(sp = storepath_new("/s/{host}/{date}.log"));
	n1 = storepath_key(sp, k1, sizeof(k1), a, &a->recs[0],
	    seed, &h1);
	n2 = storepath_key(sp, k2, sizeof(k2), c, &c->recs[0],
	    seed, &h2);
	assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
	assert_true(h1 != h2);
	/* Another day: another key. */
	c->recs[0].received_us = a->recs[0].received_us + 86400000000LL;
	n2 = storepath_key(sp, k2, sizeof(k2), c, &c->recs[0],
	    seed, &h2);
	assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
	assert_int_equal(storepath_key(sp, k1, 4, a, &a->recs[0], seed, &h1),
	    -1);
	lsbatch_free(c);
	/* Two 300-byte hosts that differ past byte 65: one key, one path. */
	c = one(big, sizeof(big), NULL, NULL);
	big[200] = 'y';
	lsbatch_free(b);
	b = one(big, sizeof(big), NULL, NULL);
	n1 = storepath_key(sp, k1, sizeof(k1), b, &b->recs[0],
	    seed, &h1);
	n2 = storepath_key(sp, k2, sizeof(k2), c, &c->recs[0],
	    seed, &h2);
	assert_true(n1 == n2 && memcmp(k1, k2, n1) == 0 && h1 == h2);
	storepath_free(sp);
	assert_null(storepath_new("/s/{hots}"));
	lsbatch_free(a);
	lsbatch_free(b);
	lsbatch_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
