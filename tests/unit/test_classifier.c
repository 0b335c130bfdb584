/*
 * test_classifier.c: [class NAME] rules on in-memory batches: every kind of
 * condition, first match wins, "other", severity comparisons, fields and SD
 * params, regexes on invalid UTF-8, and config errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classifier.h"
#include "config.h"
#include "logrec.h"
#include "unitconf.h"

#define mkconf	unitconf

/*
 * A batch whose arena is zeroed: PCRE2's JIT scans with SIMD loads that may
 * read past the subject's end inside an aligned block (and mask the excess),
 * which valgrind reports as a use of uninitialised bytes.  Zeroing keeps
 * valgrind quiet about that known, harmless over-read.
 */
static struct lsbatch *
batch(uint32_t max)
{
	struct lsbatch	*b = lsbatch_new(max);

	assert_non_null(b);
	memset(b->arena, 0, b->cap);
	return b;
}

static struct lsslice
sl(struct lsbatch *b, const char *s)
{
	struct lsslice	 out = { 0, 0 };

	if (s != NULL)
		assert_int_equal(lsbatch_append(b, s, strlen(s), &out), 0);
	return out;
}

static struct logrec *
rec(struct lsbatch *b, const char *host, const char *app, const char *msg)
{
	struct logrec	*r = lsbatch_add_rec(b);

	assert_non_null(r);
	r->host = sl(b, host);
	r->app = sl(b, app);
	r->message = sl(b, msg);
	return r;
}

static void
field(struct lsbatch *b, struct logrec *r, int type, const char *sdid,
    const char *key, const char *val)
{
	struct lsfield	*f = lsbatch_add_field(b);

	assert_non_null(f);
	f->type = (uint8_t)type;
	f->key = sl(b, key);
	f->val = sl(b, val);
	if (sdid != NULL)
		f->sdid = sl(b, sdid);
	r->field_count++;
}

/* Build, classify b, and return the class name of record i. */
static const char *
cls(struct classifier *cl, struct lsbatch *b, uint32_t i)
{
	classifier_process(cl, b);
	return b->recs[i].cls;
}

static int
has_error(const struct config *cf, const char *needle)
{
	size_t	 i;

	for (i = 0; i < cf->nerrors; i++)
		if (strstr(cf->errors[i], needle) != NULL)
			return 1;
	return 0;
}

static void
print_errors(const struct config *cf)
{
	size_t	 i;

	for (i = 0; i < cf->nerrors; i++)
		print_message("  %s\n", cf->errors[i]);
}

static void
test_basic_kinds(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(64);
	struct logrec		*r;

	(void)state;
	cf = mkconf(
	    "[class h]\nhost = web01\n"
	    "[class a]\napp = sshd\n"
	    "[class m]\nmsgid = ID47\n"
	    "[class f]\nfacility = mail\n"
	    "[class fn]\nfacility = 9\n"
	    "[class fmt]\nformat = logfmt\n"
	    "[class tr]\ntransport = udp\n"
	    "[class st]\nstream = gap\n"
	    "[class re]\nmessage = ^disk [0-9]+% full$\n");
	cl = classifier_new(cf);
	print_errors(cf);
	assert_non_null(cl);
	assert_int_equal(classifier_count(cl), 10);
	assert_string_equal(classifier_name(cl, 0), "other");
	assert_string_equal(classifier_name(cl, 9), "re");
	assert_null(classifier_name(cl, 10));

	rec(b, "web01", NULL, "x");
	rec(b, "web02", "sshd", "x");
	r = rec(b, NULL, NULL, "x");
	r->msgid = sl(b, "ID47");
	r = rec(b, NULL, NULL, "x");
	r->facility = 2;
	r = rec(b, NULL, NULL, "x");
	r->facility = 9;
	r = rec(b, NULL, NULL, "x");
	r->format = LRF_LOGFMT;
	r = rec(b, NULL, NULL, "x");
	r->transport = LRT_UDP;
	r = rec(b, NULL, NULL, "x");
	r->stream = LRS_GAP;
	rec(b, NULL, NULL, "disk 97% full");
	rec(b, "web011", "sshd2", "disk 97% full!");
	rec(b, NULL, NULL, NULL);
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "h");
	assert_string_equal(b->recs[1].cls, "a");
	assert_string_equal(b->recs[2].cls, "m");
	assert_string_equal(b->recs[3].cls, "f");
	assert_string_equal(b->recs[4].cls, "fn");
	assert_string_equal(b->recs[5].cls, "fmt");
	assert_string_equal(b->recs[6].cls, "tr");
	assert_string_equal(b->recs[7].cls, "st");
	assert_string_equal(b->recs[8].cls, "re");
	assert_int_equal(b->recs[8].cls_id, 9);
	assert_string_equal(b->recs[9].cls, "other");
	assert_int_equal(b->recs[9].cls_id, 0);
	assert_string_equal(b->recs[10].cls, "other");
	assert_int_equal(classifier_hits(cl, 0), 2);
	assert_int_equal(classifier_hits(cl, 1), 1);
	assert_int_equal(classifier_hits(cl, 9), 1);
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

static void
test_first_match_and_and(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);

	(void)state;
	/* "both" needs app AND message; "any_sshd" comes later. */
	cf = mkconf(
	    "[class both]\napp = sshd\nmessage = Failed password\n"
	    "[class loose]\nmessage = Failed\n"
	    "[class any_sshd]\napp = sshd\n"
	    "[class all]\n");
	assert_non_null(cl = classifier_new(cf));
	rec(b, "h", "sshd", "Failed password for root");
	rec(b, "h", "sshd", "Failed publickey");
	rec(b, "h", "sshd", "Accepted password");
	rec(b, "h", "cron", "anything");
	rec(b, "h", "cron", "Failed password");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "both");
	assert_string_equal(b->recs[1].cls, "loose");
	assert_string_equal(b->recs[2].cls, "any_sshd");
	assert_string_equal(b->recs[3].cls, "all");
	assert_string_equal(b->recs[4].cls, "loose");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

/* The app index must keep file order across indexed and other rules. */
static void
test_app_index_order(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);

	(void)state;
	cf = mkconf(
	    "[class c1]\napp = cron\nmessage = x\n"
	    "[class free1]\nmessage = ^zz\n"
	    "[class s1]\napp = sshd\nmessage = ^a\n"
	    "[class c2]\napp = cron\n"
	    "[class free2]\nhost = h\n"
	    "[class s2]\napp = sshd\n"
	    "[class k]\napp = kernel\n");
	assert_non_null(cl = classifier_new(cf));
	rec(b, "h", "sshd", "abc");
	rec(b, "h", "sshd", "bcd");
	rec(b, "h", "sshd", "zzz");
	rec(b, "h", "cron", "bcd");
	rec(b, "g", "sshd", "bcd");
	rec(b, "g", "kernel", "bcd");
	rec(b, "g", "kernel2", "bcd");
	rec(b, "g", "cro", "x");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "s1");
	assert_string_equal(b->recs[1].cls, "free2");
	assert_string_equal(b->recs[2].cls, "free1");
	assert_string_equal(b->recs[3].cls, "c2");
	assert_string_equal(b->recs[4].cls, "s2");
	assert_string_equal(b->recs[5].cls, "k");
	assert_string_equal(b->recs[6].cls, "other");
	assert_string_equal(b->recs[7].cls, "other");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

static void
test_severity(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);
	int			 s;
	static const char *const want[] = {
		"worse", "worse", "worse", "err", "worse", "notice",
		"above5", "above5"
	};

	(void)state;
	cf = mkconf(
	    "[class err]\nseverity = err\n"
	    "[class worse]\nseverity = <= warning\n"
	    "[class notice]\nseverity = =5\n"
	    "[class above5]\nseverity = >notice\n");
	cl = classifier_new(cf);
	print_errors(cf);
	assert_non_null(cl);
	for (s = 0; s <= 7; s++)
		rec(b, NULL, NULL, "m")->severity = (int8_t)s;
	rec(b, NULL, NULL, "m");
	classifier_process(cl, b);
	for (s = 0; s <= 7; s++)
		assert_string_equal(b->recs[s].cls, want[s]);
	assert_string_equal(b->recs[8].cls, "other");
	classifier_free(cl);
	config_free(cf);

	/* The other operators, names and numbers. */
	cf = mkconf("[class lt]\nseverity = < 3\n"
	    "[class ge]\nseverity = >= informational\n");
	assert_non_null(cl = classifier_new(cf));
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "lt");
	assert_string_equal(b->recs[2].cls, "lt");
	assert_string_equal(b->recs[3].cls, "other");
	assert_string_equal(b->recs[6].cls, "ge");
	assert_string_equal(b->recs[7].cls, "ge");
	assert_string_equal(b->recs[8].cls, "other");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

static void
test_fields(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);
	struct logrec		*r;

	(void)state;
	cf = mkconf(
	    "[class root]\nfield.user = root\n"
	    "[class admins]\nfield.user = ~ ^adm(in)?$\n"
	    "[class num]\nfield.code = 404\n"
	    "[class flag]\nfield.ok = true\n"
	    "[class sdfull]\nfield.meta.sequenceId = 17\n"
	    "[class sdplain]\nfield.ip = ~ ^10\\.\n"
	    "[class sdbare]\nfield.origin = x\n");
	cl = classifier_new(cf);
	print_errors(cf);
	assert_non_null(cl);
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_STRING, NULL, "user", "root");
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_STRING, NULL, "other", "x");
	field(b, r, LSFT_STRING, NULL, "user", "admin");
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_NUMBER, NULL, "code", "404");
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_BOOL, NULL, "ok", "true");
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_SD, "meta", "sequenceId", "17");
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_SD, "origin", "ip", "10.1.2.3");
	r = rec(b, NULL, NULL, "m");		/* SD element, no params */
	field(b, r, LSFT_SD, "origin", NULL, NULL);
	r = rec(b, NULL, NULL, "m");
	field(b, r, LSFT_STRING, NULL, "user", "rooted");
	field(b, r, LSFT_SD, "meta", "sequenceId", "18");
	r = rec(b, NULL, NULL, "m");		/* plain param name of SD */
	field(b, r, LSFT_SD, "x", "sequenceId", "17");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "root");
	assert_string_equal(b->recs[1].cls, "admins");
	assert_string_equal(b->recs[2].cls, "num");
	assert_string_equal(b->recs[3].cls, "flag");
	assert_string_equal(b->recs[4].cls, "sdfull");
	assert_string_equal(b->recs[5].cls, "sdplain");
	assert_string_equal(b->recs[6].cls, "other");
	assert_string_equal(b->recs[7].cls, "other");
	assert_string_equal(b->recs[8].cls, "other");
	classifier_free(cl);
	config_free(cf);

	cf = mkconf("[class p]\nfield.sequenceId = 17\n");
	assert_non_null(cl = classifier_new(cf));
	assert_string_equal(cls(cl, b, 4), "p");
	assert_string_equal(b->recs[8].cls, "p");
	assert_string_equal(b->recs[7].cls, "other");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

static void
test_invalid_utf8(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);

	(void)state;
	cf = mkconf("[class auth]\nmessage = Failed password|authentication "
	    "failure\n[class dots]\nmessage = ^a.b$\n"
	    "[class u]\nmessage = caf\xc3\xa9\n");
	assert_non_null(cl = classifier_new(cf));
	rec(b, NULL, NULL, "\xff\xfe\xc3 Failed password for root \x80");
	rec(b, NULL, NULL, "a\xffz");		/* no valid char between */
	rec(b, NULL, NULL, "a\xc3\xa9" "b");
	rec(b, NULL, NULL, "\xed\xa0\x80 caf\xc3\xa9");
	rec(b, NULL, NULL, "auth\xc0\xaf failure");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "auth");
	assert_string_equal(b->recs[1].cls, "other");
	assert_string_equal(b->recs[2].cls, "dots");
	assert_string_equal(b->recs[3].cls, "u");
	assert_string_equal(b->recs[4].cls, "other");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

/* A message slice is not NUL-terminated: the match must stop at len. */
static void
test_slice_bounds(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(4);
	struct logrec		*r;

	(void)state;
	cf = mkconf("[class end]\nmessage = abc$\n[class h]\nhost = web\n");
	assert_non_null(cl = classifier_new(cf));
	r = rec(b, "webserver", NULL, "abcdef");
	r->message.len = 3;
	r->host.len = 3;
	r = rec(b, "webserver", NULL, "abcdef");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "end");
	assert_string_equal(b->recs[1].cls, "other");
	/* Dropped records are left alone. */
	b->recs[1].flags = LR_DROP;
	b->recs[1].cls = NULL;
	classifier_process(cl, b);
	assert_null(b->recs[1].cls);
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

static void
expect_error(const char *text, const char *needle1, const char *needle2)
{
	struct config	*cf = mkconf(text);

	assert_null(classifier_new(cf));
	if (!has_error(cf, needle1) || !has_error(cf, needle2)) {
		print_errors(cf);
		fail_msg("no error with '%s' and '%s'", needle1, needle2);
	}
	config_free(cf);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("[class a]\napp = x\n[class b]\n# c\nmessage = (ab\n",
	    "test.conf:5:", "missing closing parenthesis at offset 3");
	expect_error("[class a]\nmessage = x\nbogus = y\n",
	    "test.conf:3:", "unknown key 'bogus'");
	expect_error("[class a]\nseverity = <= warnin\n",
	    "test.conf:2:", "bad severity");
	expect_error("[class a]\nseverity = !3\n", "test.conf:2:",
	    "bad severity");
	expect_error("[class a]\nfacility = local9\n", "test.conf:2:",
	    "bad facility");
	expect_error("[class a]\nformat = xml\n", "test.conf:2:",
	    "bad format");
	expect_error("[class a]\ntransport = sctp\n", "test.conf:2:",
	    "bad transport");
	expect_error("[class a]\nstream = lost\n", "test.conf:2:",
	    "bad stream");
	expect_error("[class a]\napp = x\n[class a]\n", "test.conf:3:",
	    "defined twice");
	expect_error("[class other]\n", "test.conf:1:", "reserved");
	expect_error("[class a]\napp = x\nmessage = y\napp = z\n",
	    "test.conf:4:", "'app' already set at line 2");
	expect_error("[class a]\nfield. = x\n", "test.conf:2:",
	    "unknown key 'field.'");
	expect_error("[class a]\nhost =\n", "test.conf:2:", "empty");
	expect_error("[class a]\nfield.u = ~ [z-a]\n", "test.conf:2:",
	    "bad regex");
}

/* Every error of a config is reported, not only the first. */
static void
test_all_errors(void **state)
{
	struct config	*cf;

	(void)state;
	cf = mkconf("[class a]\nmessage = (\n[class b]\nnope = 1\n");
	assert_null(classifier_new(cf));
	assert_int_equal(cf->nerrors, 2);
	assert_true(has_error(cf, "test.conf:2:"));
	assert_true(has_error(cf, "test.conf:4:"));
	config_free(cf);
	classifier_free(NULL);
}

/* Many classes: each event still lands on its own class. */
static void
test_many_classes(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(1024);
	char			*text, app[32], line[128];
	size_t			 cap = 300 * 128, i;

	(void)state;
	text = calloc(1, cap);
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "[class c%zu]\napp = app%zu\n"
		    "message = ^m%zu$\n", i, i % 100, i);
		strcat(text, line);
	}
	cf = mkconf(text);
	assert_non_null(cl = classifier_new(cf));
	assert_int_equal(classifier_count(cl), 301);
	for (i = 0; i < 300; i++) {
		snprintf(app, sizeof(app), "app%zu", i % 100);
		snprintf(line, sizeof(line), "m%zu", i);
		rec(b, NULL, app, line);
	}
	classifier_process(cl, b);
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "c%zu", i);
		assert_string_equal(b->recs[i].cls, line);
		assert_int_equal(b->recs[i].cls_id, i + 1);
	}
	classifier_free(cl);
	config_free(cf);
	free(text);
	lsbatch_free(b);
}

/*
 * With enough message regexes a combined prefilter runs first; patterns
 * that would change meaning inside it (backrefs and recursion by number,
 * (?x) comments, \Q quoting) are left out of it and decide on their own.
 * Each hazard follows a pattern with a group, so that inside the
 * alternation its group numbers would point elsewhere.
 */
static void
test_prefilter(void **state)
{
	static const struct {
		const char	*re;
		const char	*msg;
	} hazard[] = {
		{ "(ab)\\1", "xxababyy" },
		{ "^(\\((?1)*\\))$", "(())" },
		{ "^(\\((?-1)*\\))$", "(())" },
		{ "(?x)  x y  # z", "xy" },
		{ "\\Q(*", "a(*b" },
		{ "(?<n>c)\\k<n>", "cc" },
	};
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b;
	char			 text[512];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(hazard) / sizeof(hazard[0]); i++) {
		snprintf(text, sizeof(text),
		    "[class p0]\nmessage = ^(o)ne$\n"
		    "[class hz]\nmessage = %s\n"
		    "[class p2]\nmessage = (?i)TWO\n"
		    "[class p3]\nmessage = three|3\n"
		    "[class p4]\nmessage = fo+ur\n"
		    "[class p5]\nmessage = ^\\d+$\n", hazard[i].re);
		cf = mkconf(text);
		assert_non_null(cl = classifier_new(cf));
		b = batch(8);
		rec(b, NULL, NULL, hazard[i].msg);
		rec(b, NULL, NULL, "one");
		rec(b, NULL, NULL, "a two b");
		rec(b, NULL, NULL, "33");
		rec(b, NULL, NULL, "none of them");
		classifier_process(cl, b);
		assert_string_equal(b->recs[0].cls, "hz");
		assert_string_equal(b->recs[1].cls, "p0");
		assert_string_equal(b->recs[2].cls, "p2");
		assert_string_equal(b->recs[3].cls, "p3");
		assert_string_equal(b->recs[4].cls, "other");
		classifier_free(cl);
		config_free(cf);
		lsbatch_free(b);
	}
}

/* The value of field name of record i, or NULL. */
static const char *
fval(struct lsbatch *b, uint32_t i, const char *name, char *buf, size_t len)
{
	const struct lsfield	*f;

	f = classifier_field(b, &b->recs[i], name, strlen(name));
	if (f == NULL)
		return NULL;
	snprintf(buf, len, "%.*s", (int)f->val.len, LS_PTR(b, f->val));
	return buf;
}

/* Named groups become string fields of the events that get the class;
 * parsed fields keep their values; a rule that fails keeps nothing. */
static void
test_captures(void **state)
{
	struct config		*cf;
	struct classifier	*cl;
	struct lsbatch		*b = batch(16);
	struct logrec		*r;
	char			 buf[64];

	(void)state;
	cf = mkconf(
	    "[class ssh]\napp = sshd\n"
	    "message = Failed password for (?:invalid user )?(?<user>\\S+) "
	    "from (?<ip>[0-9A-Fa-f.:]+)\n"
	    "[class part]\nmessage = ^(?<w>\\w+) \nfield.k = ~(?<fv>.+)\n"
	    "[class ban]\nmessage = Ban (?<ip>\\S+)\n"
	    "[class opt]\nmessage = ^opt (?<a>x)?(?<b>y)\n"
	    "[class plain]\nmessage = ^disk full$\n");
	assert_non_null(cl = classifier_new(cf));
	assert_int_equal(classifier_capture(cl, 1, "ip"), 1);
	assert_int_equal(classifier_capture(cl, 1, "addr"), 0);
	assert_int_equal(classifier_capture(cl, 5, "ip"), -1);
	rec(b, "h", "sshd", "Failed password for invalid user admin from "
	    "203.0.113.9 port 22");
	r = rec(b, "h", "sshd", "Failed password for bob from 10.0.0.1");
	field(b, r, LSFT_STRING, NULL, "user", "root");
	r = rec(b, "h", "sshd", "Failed password for carol from ::1");
	field(b, r, LSFT_STRING, NULL, "x", "y");
	rec(b, "h", "cron", "Failed password for a from 1.2.3.4");
	rec(b, "h", "app", "word and no field k");
	rec(b, "h", "app", "Ban 198.51.100.7");
	rec(b, "h", "app", "opt y");
	classifier_process(cl, b);
	assert_string_equal(b->recs[0].cls, "ssh");
	assert_string_equal(fval(b, 0, "user", buf, sizeof(buf)), "admin");
	assert_string_equal(fval(b, 0, "ip", buf, sizeof(buf)),
	    "203.0.113.9");
	assert_string_equal(fval(b, 1, "user", buf, sizeof(buf)), "root");
	assert_string_equal(fval(b, 1, "ip", buf, sizeof(buf)), "10.0.0.1");
	assert_int_equal(b->recs[1].field_count, 2);
	/* record 2's fields moved past record 1's additions, kept whole */
	assert_string_equal(fval(b, 2, "x", buf, sizeof(buf)), "y");
	assert_string_equal(fval(b, 2, "user", buf, sizeof(buf)), "carol");
	assert_string_equal(fval(b, 2, "ip", buf, sizeof(buf)), "::1");
	assert_int_equal(b->recs[2].field_count, 3);
	assert_string_equal(fval(b, 1, "user", buf, sizeof(buf)), "root");
	assert_string_equal(b->recs[3].cls, "other");
	assert_int_equal(b->recs[3].field_count, 0);
	assert_string_equal(b->recs[4].cls, "other");
	assert_int_equal(b->recs[4].field_count, 0);
	assert_string_equal(fval(b, 5, "ip", buf, sizeof(buf)),
	    "198.51.100.7");
	/* a group that took no part in the match is no field */
	assert_string_equal(b->recs[6].cls, "opt");
	assert_null(fval(b, 6, "a", buf, sizeof(buf)));
	assert_string_equal(fval(b, 6, "b", buf, sizeof(buf)), "y");
	classifier_free(cl);
	config_free(cf);
	lsbatch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_kinds),
		cmocka_unit_test(test_first_match_and_and),
		cmocka_unit_test(test_app_index_order),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_slice_bounds),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_many_classes),
		cmocka_unit_test(test_prefilter),
		cmocka_unit_test(test_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
