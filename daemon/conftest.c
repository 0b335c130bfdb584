/*
 * conftest.c: [test NAME] sections, the config's own unit tests.  Each
 * names input lines and what the config must make of them: expect_class
 * (every input gets that class), expect_field.NAME (every input has that
 * field with that value), expect_alert (the inputs, in order, raise that
 * alert).  They run through the stages the daemon runs (parser,
 * classifier, lookups, alerter), each test with an alerter of its own in
 * dry mode (counts, no file, no program, no journal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter.h"
#include "classifier.h"
#include "config.h"
#include "confmap.h"
#include "conftest.h"
#include "diag.h"
#include "logrec.h"
#include "lookup.h"
#include "parser.h"
#include "pipeline.h"

#define TEST_INPUTS	1000		/* input lines in one test */

/* An expectation as written: its key's value and line. */
struct want {
	const char	*name;		/* field or alert; NULL for the class */
	const char	*val;
	int		 line;
};

struct ctest {
	const struct conf_sect	*s;
	const struct conf_kv	**in;
	size_t			 nin;
	struct want		*w;
	size_t			 nw;
};

static int
add_want(struct ctest *t, const char *name, const char *val, int line)
{
	struct want	*nw;

	if ((nw = reallocarray(t->w, t->nw + 1, sizeof(*nw))) == NULL)
		return -2;
	t->w = nw;
	t->w[t->nw++] = (struct want){ name, val, line };
	return 0;
}

static int
set_input(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct ctest		 *t = obj;
	const struct conf_kv	**ni;

	if (t->nin == TEST_INPUTS) {
		config_error(cf, kv->line, "[test %s] more than %d inputs",
		    s->name, TEST_INPUTS);
		return CM_REPORTED;
	}
	if ((ni = reallocarray(t->in, t->nin + 1, sizeof(*ni))) == NULL)
		return -2;
	t->in = ni;
	t->in[t->nin++] = kv;
	return 0;
}

static int
set_class(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return add_want(obj, NULL, kv->val, kv->line);
}

static int
set_field(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return add_want(obj, kv->key + strlen("expect_field."), kv->val,
	    kv->line);
}

static int
set_alert(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return add_want(obj, "", kv->val, kv->line);
}

/* Every key of [test NAME]. */
static const struct conf_map test_map[] = {
	{ "input", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a log line as a sender sends it (required)", CM_REPEAT,
	    set_input },
	{ "expect_class", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "the class every input gets", 0, set_class },
	{ "expect_field.", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "the value every input has in that field", CM_PREFIX, set_field },
	{ "expect_alert", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "an alert the inputs raise", CM_REPEAT, set_alert },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_test_keys = {
	"test", test_map, CM_N(test_map)
};

static void
ctest_clear(struct ctest *t)
{
	free(t->in);
	free(t->w);
	memset(t, 0, sizeof(*t));
}

/* The alert called name in al: its index, or -1. */
static int
alert_index(const struct alerter *al, const char *name)
{
	size_t	 i;

	for (i = 0; i < alerter_count(al); i++)
		if (strcmp(alerter_name(al, i), name) == 0)
			return (int)i;
	return -1;
}

/* Read s into t and check the names it uses; 0, -1 (reported), -2. */
static int
ctest_read(struct stageset *ss, const struct conf_sect *s, struct ctest *t)
{
	struct config	*cf = ss->cf;
	size_t		 i;
	int		 rc, bad = 0;

	memset(t, 0, sizeof(*t));
	t->s = s;
	if ((rc = conf_map_apply(cf, s, test_map, CM_N(test_map), t, NULL, 0,
	    NULL)) == -2)
		return -2;
	bad = rc == -1;
	if (t->nin == 0) {
		config_error(cf, s->line, "[test %s] has no input", s->name);
		bad = 1;
	}
	for (i = 0; i < t->nw; i++) {
		if (t->w[i].name == NULL && classifier_lookup(ss->cl,
		    t->w[i].val) == -1) {
			config_error(cf, t->w[i].line, "[test %s] "
			    "expect_class = %s: no such class", s->name,
			    t->w[i].val);
			bad = 1;
		} else if (t->w[i].name != NULL && *t->w[i].name == '\0' &&
		    alert_index(ss->al, t->w[i].val) == -1) {
			config_error(cf, t->w[i].line, "[test %s] "
			    "expect_alert = %s: no such alert", s->name,
			    t->w[i].val);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

int
conftest_check(struct stageset *ss)
{
	struct ctest	 t;
	size_t		 i;
	int		 bad = 0, rc;

	for (i = 0; i < ss->cf->nsects; i++) {
		if (strcmp(ss->cf->sects[i].kind, "test") != 0)
			continue;
		rc = ctest_read(ss, &ss->cf->sects[i], &t);
		ctest_clear(&t);
		if (rc == -2) {
			config_error(ss->cf, 0, "out of memory");
			return -1;
		}
		bad |= rc == -1;
	}
	return bad ? -1 : 0;
}

int
conftest_count(const struct stageset *ss)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ss->cf->nsects; i++)
		n += strcmp(ss->cf->sects[i].kind, "test") == 0;
	return n;
}

/* The inputs of t as one batch, parsed, classified and looked up. */
static struct lsbatch *
ctest_batch(struct stageset *ss, const struct ctest *t)
{
	struct lsbatch	*b;
	struct logrec	*r;
	int64_t		 now = diag_now_us();
	size_t		 i;

	if ((b = lsbatch_new((uint32_t)t->nin)) == NULL)
		return NULL;
	for (i = 0; i < t->nin; i++) {
		if ((r = lsbatch_add_rec(b)) == NULL ||
		    lsbatch_append(b, t->in[i]->val, strlen(t->in[i]->val),
		    &r->raw) == -1 || lsbatch_append(b, "127.0.0.1:0", 11,
		    &r->source) == -1) {
			lsbatch_free(b);
			return NULL;
		}
		r->transport = LRT_TCP;
		r->received_us = now;
		r->recv_mono_ns = diag_mono_ns();
	}
	parser_process(b);
	classifier_process(ss->cl, b);
	if (ss->lk != NULL)
		lookups_process(ss->lk, b);
	return b;
}

/* The value of field name of r, or NULL (*len set). */
static const char *
field_of(const struct lsbatch *b, const struct logrec *r, const char *name,
    size_t *len)
{
	const struct lsfield	*f;
	uint32_t		 k;

	for (k = 0; k < r->field_count; k++) {
		f = &b->fields[r->field_first + k];
		if (f->key.len == strlen(name) && memcmp(LS_PTR(b, f->key),
		    name, f->key.len) == 0) {
			*len = f->val.len;
			return LS_PTR(b, f->val);
		}
	}
	return NULL;
}

/* Check one expectation of t against the processed batch; 0 or 1. */
static int
ctest_want(struct stageset *ss, const struct ctest *t, const struct want *w,
    const struct lsbatch *b, struct alerter *al)
{
	const struct logrec	*r;
	const char		*v;
	char			 what[64];
	size_t			 i, len;
	int			 k;

	if (w->name != NULL && *w->name == '\0') {
		k = alert_index(al, w->val);
		if (alerter_fired(al, (size_t)k) > 0)
			return 0;
		fprintf(stderr, "%s:%d: [test %s] alert %s not raised by the "
		    "%zu input%s\n", ss->cf->file, w->line, t->s->name, w->val,
		    t->nin, t->nin == 1 ? "" : "s");
		return 1;
	}
	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		snprintf(what, sizeof(what), "input %zu (line %d): ", i + 1,
		    t->in[i]->line);
		if (w->name == NULL) {
			v = r->cls != NULL ? r->cls : "other";
			if (strcmp(v, w->val) == 0)
				continue;
			fprintf(stderr, "%s:%d: [test %s] %sclass %s, expected "
			    "%s\n", ss->cf->file, w->line, t->s->name, what, v,
			    w->val);
			return 1;
		}
		v = field_of(b, r, w->name, &len);
		if (v != NULL && len == strlen(w->val) && memcmp(v, w->val,
		    len) == 0)
			continue;
		if (v == NULL)
			fprintf(stderr, "%s:%d: [test %s] %sno field %s, "
			    "expected %s\n", ss->cf->file, w->line, t->s->name,
			    what, w->name, w->val);
		else
			fprintf(stderr, "%s:%d: [test %s] %sfield %s = %.*s, "
			    "expected %s\n", ss->cf->file, w->line,
			    t->s->name, what, w->name, (int)len, v, w->val);
		return 1;
	}
	return 0;
}

/* Run one test; 0 passed, 1 failed, -1 ENOMEM. */
static int
ctest_run(struct stageset *ss, const struct ctest *t)
{
	struct lsbatch	*b = NULL;
	struct alerter	*al;
	size_t		 i;
	int		 failed = 0;

	/* An alerter of its own: no window or group of another test. */
	if ((al = alerter_new(ss->cf, ss->cl)) == NULL)
		return -1;
	alerter_dry(al);
	if ((b = ctest_batch(ss, t)) == NULL) {
		alerter_free(al);
		return -1;
	}
	alerter_process(al, b, diag_now_us());
	for (i = 0; i < t->nw; i++)
		failed |= ctest_want(ss, t, &t->w[i], b, al);
	lsbatch_free(b);
	alerter_free(al);
	return failed;
}

int
conftest_run(struct stageset *ss)
{
	struct ctest	 t;
	size_t		 i;
	int		 nfail = 0, rc;

	for (i = 0; i < ss->cf->nsects; i++) {
		if (strcmp(ss->cf->sects[i].kind, "test") != 0)
			continue;
		if (ctest_read(ss, &ss->cf->sects[i], &t) != 0) {
			ctest_clear(&t);
			return -1;	/* conftest_check took it before */
		}
		rc = ctest_run(ss, &t);
		ctest_clear(&t);
		if (rc == -1)
			return -1;
		nfail += rc;
	}
	return nfail;
}
