/*
 * classifier.c: [class NAME] rules, checked in file order, first match wins.
 * Each rule is reduced at load to a 64-bit mask over the event's small enums
 * (one AND per rule), then exact strings, then PCRE2 regexes compiled once
 * with JIT.  Rules that require an exact app are indexed by app, so an event
 * only visits the rules that could match it.  No allocation per event.
 * Named groups of a class's regexes become string fields of the events
 * that get the class: only a regex that has them fills a match data big
 * enough, and only the winning rule's captures are kept.  The keys of a
 * [class NAME] are read through one key table (confmap.h).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "classifier.h"
#include "config.h"
#include "confmap.h"
#include "logrec.h"

/*
 * The signature of an event: one bit set in each of five bit ranges.  A rule
 * holds the set of allowed bits per range; it passes iff (mask & sig) == sig.
 * Index 0 of severity and facility is "absent".
 */
#define SIG_SEV		0		/* 9 bits: absent, 0..7 */
#define SIG_FAC		9		/* 25 bits: absent, 0..23 */
#define SIG_FMT		34		/* LRF__COUNT bits (8 kept) */
#define SIG_TR		42		/* LRT__COUNT bits (8 kept) */
#define SIG_ST		50		/* LRS__COUNT bits */
#define SIG_ALL		((1ULL << 55) - 1)
#define RANGE(at, n)	((((1ULL << (n)) - 1)) << (at))
_Static_assert(SIG_FMT + LRF__COUNT <= SIG_TR && SIG_TR + LRT__COUNT <= SIG_ST &&
    SIG_ALL == (1ULL << (SIG_ST + LRS__COUNT)) - 1, "signature ranges");

#define MATCH_LIMIT	1000000		/* bounds a pathological regex */
#define PRE_MIN		4		/* message regexes worth a prefilter */
#define MAX_CAPS	CLASSIFIER_MAX_CAPS	/* named groups of one class */

/* A named group of a regex: its name and group number. */
struct capname {
	char		*name;
	size_t		 len;
	uint32_t	 group;
};

/* A capture found while checking one event's rule. */
struct capval {
	const struct capname	*cn;
	struct lsslice		 val;
};

/* What one event's checks share: the prefilter's verdict is computed once. */
struct ev {
	const struct lsbatch	*b;
	const struct logrec	*r;
	uint64_t		 sig;
	int			 pre;		/* 0 unknown, 1 none match, 2 maybe */
	size_t			 ncaps;
	struct capval		 caps[MAX_CAPS];
};

enum ckind {
	CK_HOST,
	CK_APP,
	CK_MSGID,
	CK_FIELD,
	CK_MESSAGE
};

/* A condition on a string: exact bytes or a regex. */
struct scond {
	int		 kind;		/* enum ckind */
	int		 cost;		/* checked in ascending order */
	char		*name;		/* CK_FIELD: the field name */
	size_t		 namelen;
	char		*val;		/* exact value, or NULL for re */
	size_t		 vlen;
	pcre2_code	*re;
	int		 jit;		/* re was JIT-compiled */
	char		*pat;		/* CK_MESSAGE: the regex as written */
	int		 covered;	/* part of the prefilter */
	struct capname	*caps;		/* its named groups */
	size_t		 ncaps;
};

struct rule {
	char		*name;
	uint64_t	 mask;
	struct scond	*sc;
	size_t		 nsc;
	char		*app;		/* exact app, for the index */
	size_t		 applen;
	size_t		 ncaps;		/* named groups of all its regexes */
	int		 store;		/* store = yes (default) */
};

/* App index: exact app value to the rules (ascending ids) requiring it. */
struct appent {
	char		*app;
	size_t		 len;
	uint16_t	*ids;
	size_t		 nids;
	uint16_t	 id0;		/* while building: the rule's id */
};

struct classifier {
	struct rule		*rules;		/* [0] is "other" */
	size_t			 nrules;
	_Atomic uint64_t	*hits;
	uint16_t		*free_ids;	/* rules without an exact app */
	size_t			 nfree;
	struct appent		*apps;		/* sorted by app */
	size_t			 napps;
	uint16_t		*idstore;	/* the ids of apps[] */
	pcre2_code		*pre;		/* prefilter, or NULL */
	int			 prejit;
	pcre2_match_data	*md;
	pcre2_match_data	*mdcap;		/* for regexes with captures */
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;
};

static uint64_t
sig_of(const struct logrec *r)
{
	unsigned	 sev, fac, fmt, tr, st;

	sev = r->severity >= 0 && r->severity <= 7 ? r->severity + 1 : 0;
	fac = r->facility >= 0 && r->facility <= 23 ? r->facility + 1 : 0;
	fmt = r->format < LRF__COUNT ? r->format : LRF_PLAIN;
	tr = r->transport < LRT__COUNT ? r->transport : LRT_TCP;
	st = r->stream < LRS__COUNT ? r->stream : LRS_OK;
	return (1ULL << (SIG_SEV + sev)) | (1ULL << (SIG_FAC + fac)) |
	    (1ULL << (SIG_FMT + fmt)) | (1ULL << (SIG_TR + tr)) |
	    (1ULL << (SIG_ST + st));
}

static int
field_named(const struct lsbatch *b, const struct lsfield *f,
    const char *name, size_t nlen)
{
	const char	*k = LS_PTR(b, f->key);

	if (f->key.len == nlen && memcmp(k, name, nlen) == 0)
		return 1;
	if (f->type != LSFT_SD || f->key.len == 0 ||
	    f->sdid.len + 1 + f->key.len != nlen)
		return 0;
	return memcmp(LS_PTR(b, f->sdid), name, f->sdid.len) == 0 &&
	    name[f->sdid.len] == '.' &&
	    memcmp(name + f->sdid.len + 1, k, f->key.len) == 0;
}

const struct lsfield *
classifier_field(const struct lsbatch *b, const struct logrec *r,
    const char *name, size_t namelen)
{
	const struct lsfield	*f, *end;

	f = b->fields + r->field_first;
	for (end = f + r->field_count; f < end; f++)
		if (field_named(b, f, name, namelen))
			return f;
	return NULL;
}

static int
run_re(const struct classifier *cl, pcre2_match_data *md,
    const pcre2_code *re, int jit, const char *s, size_t len)
{
	if (jit)
		return pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, 0, md,
		    cl->mctx);
	return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, cl->mctx);
}

/* A regex on the bytes at sl; a match with named groups notes them. */
static int
re_match(const struct classifier *cl, const struct scond *c, struct ev *ev,
    struct lsslice sl)
{
	PCRE2_SIZE	*ov;
	size_t		 i, g;

	if (c->ncaps == 0)
		return run_re(cl, cl->md, c->re, c->jit, LS_PTR(ev->b, sl),
		    sl.len) >= 0;
	if (run_re(cl, cl->mdcap, c->re, c->jit, LS_PTR(ev->b, sl),
	    sl.len) < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(cl->mdcap);
	for (i = 0; i < c->ncaps && ev->ncaps < MAX_CAPS; i++) {
		g = c->caps[i].group;
		if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
			continue;
		ev->caps[ev->ncaps].cn = &c->caps[i];
		ev->caps[ev->ncaps].val.off = sl.off + (uint32_t)ov[2 * g];
		ev->caps[ev->ncaps].val.len = (uint32_t)(ov[2 * g + 1] -
		    ov[2 * g]);
		ev->ncaps++;
	}
	return 1;
}

static int
str_match(const struct classifier *cl, const struct scond *c, struct ev *ev,
    struct lsslice sl)
{
	if (c->val != NULL)
		return sl.len == c->vlen && memcmp(LS_PTR(ev->b, sl), c->val,
		    sl.len) == 0;
	return re_match(cl, c, ev, sl);
}

static int
field_match(const struct classifier *cl, const struct scond *c,
    struct ev *ev)
{
	const struct lsbatch	*b = ev->b;
	const struct lsfield	*f, *end;

	f = b->fields + ev->r->field_first;
	for (end = f + ev->r->field_count; f < end; f++)
		if (field_named(b, f, c->name, c->namelen) &&
		    (f->type != LSFT_SD || f->key.len > 0) &&
		    str_match(cl, c, ev, f->val))
			return 1;
	return 0;
}

static int
cond_match(const struct classifier *cl, const struct scond *c,
    struct ev *ev)
{
	const struct lsbatch	*b = ev->b;
	const struct logrec	*r = ev->r;
	struct lsslice		 s;

	switch (c->kind) {
	case CK_HOST:
		s = r->host;
		break;
	case CK_APP:
		s = r->app;
		break;
	case CK_MSGID:
		s = r->msgid;
		break;
	case CK_MESSAGE:
		s = r->message;
		break;
	default:
		return field_match(cl, c, ev);
	}
	if (s.len == 0)
		return 0;
	if (c->covered) {
		if (ev->pre == 0)
			ev->pre = run_re(cl, cl->md, cl->pre, cl->prejit,
			    LS_PTR(b, s), s.len) == PCRE2_ERROR_NOMATCH ? 1 : 2;
		if (ev->pre == 1)
			return 0;
	}
	return str_match(cl, c, ev, s);
}

static int
rule_match(const struct classifier *cl, const struct rule *ru, struct ev *ev)
{
	size_t	 i;

	ev->ncaps = 0;		/* a rule that failed keeps nothing */
	if ((ru->mask & ev->sig) != ev->sig)
		return 0;
	for (i = 0; i < ru->nsc; i++)
		if (!cond_match(cl, &ru->sc[i], ev)) {
			ev->ncaps = 0;
			return 0;
		}
	return 1;
}

static const struct appent *
app_find(const struct classifier *cl, const char *s, size_t len)
{
	size_t	 lo = 0, hi = cl->napps, mid;
	int	 c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = memcmp(cl->apps[mid].app, s, len < cl->apps[mid].len ?
		    len : cl->apps[mid].len);
		if (c == 0)
			c = (cl->apps[mid].len > len) - (cl->apps[mid].len < len);
		if (c == 0)
			return &cl->apps[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The first matching rule id: a merge of the app's rules and the rest. */
static size_t
classify(const struct classifier *cl, struct ev *ev)
{
	const struct appent	*a = NULL;
	const struct lsbatch	*b = ev->b;
	const struct logrec	*r = ev->r;
	size_t			 i = 0, j = 0, id;

	if (cl->napps > 0 && r->app.len > 0)
		a = app_find(cl, LS_PTR(b, r->app), r->app.len);
	for (;;) {
		if (a != NULL && j < a->nids &&
		    (i >= cl->nfree || a->ids[j] < cl->free_ids[i]))
			id = a->ids[j++];
		else if (i < cl->nfree)
			id = cl->free_ids[i++];
		else
			return 0;
		if (rule_match(cl, &cl->rules[id], ev))
			return id;
	}
}

/*
 * The captures of r's rule as string fields; a field the parser found
 * keeps its value, and so does the first capture of a name.  The values
 * are slices of what was matched (no copy); the names go to the arena.
 */
static void
add_captures(struct lsbatch *b, struct logrec *r, const struct ev *ev)
{
	struct lsfield	*f;
	struct lsslice	 key;
	size_t		 i;

	for (i = 0; i < ev->ncaps; i++) {
		if (classifier_field(b, r, ev->caps[i].cn->name,
		    ev->caps[i].cn->len) != NULL)
			continue;
		if (lsbatch_append(b, ev->caps[i].cn->name,
		    ev->caps[i].cn->len, &key) == -1 ||
		    (f = lsbatch_add_rec_field(b, r)) == NULL)
			return;	/* ENOMEM: the event keeps what it had */
		f->key = key;
		f->val = ev->caps[i].val;
		f->type = LSFT_STRING;
	}
}

void
classifier_process(struct classifier *cl, struct lsbatch *b)
{
	struct logrec	*r;
	struct ev	 ev;
	uint32_t	 i;
	size_t		 id;

	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (r->flags & LR_DROP)
			continue;
		ev.b = b;
		ev.r = r;
		ev.sig = sig_of(r);
		ev.pre = 0;
		ev.ncaps = 0;
		id = classify(cl, &ev);
		r->cls_id = (uint16_t)id;
		r->cls = cl->rules[id].name;
		if (ev.ncaps > 0)
			add_captures(b, r, &ev);
		/* One writer: a plain load and store, no locked add. */
		atomic_store_explicit(&cl->hits[id], atomic_load_explicit(
		    &cl->hits[id], memory_order_relaxed) + 1,
		    memory_order_relaxed);
	}
}

size_t
classifier_count(const struct classifier *cl)
{
	return cl->nrules;
}

const char *
classifier_name(const struct classifier *cl, size_t id)
{
	return id < cl->nrules ? cl->rules[id].name : NULL;
}

int
classifier_lookup(const struct classifier *cl, const char *name)
{
	size_t	 i;

	for (i = 0; i < cl->nrules; i++)
		if (strcmp(cl->rules[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
classifier_stores(const struct classifier *cl, size_t id)
{
	return id >= cl->nrules || cl->rules[id].store;
}

int
classifier_capture(const struct classifier *cl, size_t id, const char *name)
{
	const struct rule	*ru;
	size_t			 i, k;

	if (id >= cl->nrules || (ru = &cl->rules[id])->ncaps == 0)
		return -1;
	for (i = 0; i < ru->nsc; i++)
		for (k = 0; k < ru->sc[i].ncaps; k++)
			if (strcmp(ru->sc[i].caps[k].name, name) == 0)
				return 1;
	return 0;
}

uint64_t
classifier_hits(const struct classifier *cl, size_t id)
{
	if (id >= cl->nrules)
		return 0;
	return atomic_load_explicit(&cl->hits[id], memory_order_relaxed);
}

/* Loading. */

static void
rule_clear(struct rule *ru)
{
	size_t	 i;

	size_t	 j;

	for (i = 0; i < ru->nsc; i++) {
		for (j = 0; j < ru->sc[i].ncaps; j++)
			free(ru->sc[i].caps[j].name);
		free(ru->sc[i].caps);
		free(ru->sc[i].name);
		free(ru->sc[i].val);
		free(ru->sc[i].pat);
		pcre2_code_free(ru->sc[i].re);
	}
	free(ru->sc);
	free(ru->name);
}

void
classifier_free(struct classifier *cl)
{
	size_t	 i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->nrules; i++)
		rule_clear(&cl->rules[i]);
	free(cl->idstore);
	free(cl->apps);
	free(cl->free_ids);
	free(cl->rules);
	free(cl->hits);
	pcre2_code_free(cl->pre);
	pcre2_match_data_free(cl->md);
	pcre2_match_data_free(cl->mdcap);
	pcre2_match_context_free(cl->mctx);
	pcre2_jit_stack_free(cl->jstack);
	free(cl);
}

/* The named groups of c's regex, from PCRE2's name table; 0 or -1. */
static int
capture_names(struct scond *c)
{
	PCRE2_SPTR	 tab;
	uint32_t	 n, esize, i;

	if (pcre2_pattern_info(c->re, PCRE2_INFO_NAMECOUNT, &n) != 0 ||
	    n == 0)
		return 0;
	if (pcre2_pattern_info(c->re, PCRE2_INFO_NAMEENTRYSIZE, &esize) !=
	    0 || pcre2_pattern_info(c->re, PCRE2_INFO_NAMETABLE, &tab) != 0 ||
	    (c->caps = calloc(n, sizeof(*c->caps))) == NULL)
		return -1;
	for (i = 0; i < n; i++, tab += esize) {
		c->caps[i].group = (uint32_t)tab[0] << 8 | tab[1];
		if ((c->caps[i].name = strdup((const char *)tab + 2)) == NULL)
			return -1;
		c->caps[i].len = strlen(c->caps[i].name);
		c->ncaps++;
	}
	return 0;
}

/* A regex, compiled and JIT-compiled; 0, or -1 with the error recorded. */
static int
compile_re(struct config *cf, int line, const char *cls, const char *key,
    const char *pat, struct scond *c)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 err;

	c->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (c->re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		config_error(cf, line, "[class %s] %s: bad regex: %s at "
		    "offset %zu", cls, key, (char *)msg, (size_t)off);
		return -1;
	}
	c->jit = pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE) == 0;
	if (c->kind == CK_MESSAGE && (c->pat = strdup(pat)) == NULL)
		return -1;
	return capture_names(c);
}

/* A string condition; "~ re" is a regex except for message (always). */
static int
add_scond(struct config *cf, struct rule *ru, const char *cls,
    const struct conf_kv *kv, int kind)
{
	struct scond	*c;
	const char	*v = kv->val;
	int		 re = kind == CK_MESSAGE;

	if ((c = reallocarray(ru->sc, ru->nsc + 1, sizeof(*c))) == NULL)
		return -1;
	ru->sc = c;
	c = &ru->sc[ru->nsc++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;	/* compile_re reads it */
	if (*v == '~') {
		re = 1;
		v += 1 + strspn(v + 1, " \t");
	}
	if (kind == CK_FIELD) {
		c->name = strdup(kv->key + 6);
		c->namelen = strlen(kv->key + 6);
		if (c->name == NULL)
			return -1;
	}
	c->cost = kind == CK_FIELD ? 1 : 0;
	if (re) {
		c->cost += 2 + (kind == CK_FIELD);
		return compile_re(cf, kv->line, cls, kv->key, v, c);
	}
	if (*v == '\0' && kind != CK_FIELD) {
		config_error(cf, kv->line, "[class %s] %s: empty value never "
		    "matches", cls, kv->key);
		return -1;
	}
	c->vlen = strlen(v);
	return (c->val = strdup(v)) == NULL ? -1 : 0;
}

/* "<= warning", "=3", "err": the set of matching severities. */
static int
sev_mask(const char *v, uint64_t *mask)
{
	int	 op = 0, lt = 0, eq = 1, gt = 0, n, s;

	v += strspn(v, " \t");
	if (v[0] == '<' || v[0] == '>') {
		lt = v[0] == '<';
		gt = v[0] == '>';
		eq = v[1] == '=';
		op = 1 + eq;
	} else if (v[0] == '=')
		op = 1 + (v[1] == '=');
	v += op;
	v += strspn(v, " \t");
	if ((n = lr_severity_parse(v, strlen(v))) == -1)
		return -1;
	*mask = 0;
	for (s = 0; s <= 7; s++)
		if ((lt && s < n) || (gt && s > n) || (eq && s == n))
			*mask |= 1ULL << (SIG_SEV + 1 + s);
	return 0;
}

/* An enum condition narrows one range of the rule's mask. */
static int
enum_cond(struct rule *ru, const struct conf_kv *kv)
{
	const char	*v = kv->val;
	size_t		 len = strlen(v);
	uint64_t	 m;
	int		 n;

	if (strcmp(kv->key, "severity") == 0) {
		if (sev_mask(v, &m) == -1)
			return -1;
		ru->mask = (ru->mask & ~RANGE(SIG_SEV, 9)) | m;
		return 0;
	}
	if (strcmp(kv->key, "facility") == 0) {
		if ((n = lr_facility_parse(v, len)) == -1)
			return -1;
		ru->mask = (ru->mask & ~RANGE(SIG_FAC, 25)) |
		    1ULL << (SIG_FAC + 1 + n);
	} else if (strcmp(kv->key, "format") == 0) {
		if ((n = lr_format_parse(v, len)) == -1)
			return -1;
		ru->mask = (ru->mask & ~RANGE(SIG_FMT, LRF__COUNT)) |
		    1ULL << (SIG_FMT + n);
	} else if (strcmp(kv->key, "transport") == 0) {
		if ((n = lr_transport_parse(v, len)) == -1)
			return -1;
		ru->mask = (ru->mask & ~RANGE(SIG_TR, LRT__COUNT)) |
		    1ULL << (SIG_TR + n);
	} else {
		if ((n = lr_stream_parse(v, len)) == -1)
			return -1;
		ru->mask = (ru->mask & ~RANGE(SIG_ST, LRS__COUNT)) |
		    1ULL << (SIG_ST + n);
	}
	return 0;
}

static int
set_scond(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	static const struct { const char *key; int kind; } kinds[] = {
		{ "message", CK_MESSAGE }, { "host", CK_HOST },
		{ "app", CK_APP }, { "msgid", CK_MSGID },
	};
	size_t	 i;
	int	 kind = CK_FIELD;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kv->key, kinds[i].key) == 0)
			kind = kinds[i].kind;
	return add_scond(cf, obj, s->name, kv, kind) == -1 ? CM_REPORTED : 0;
}

static int
set_enum(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return enum_cond(obj, kv);
}

/* Every key of [class NAME]: one row each (obj is the rule).  Conditions
 * are read by a setter of their own: an event field (a value or a regex)
 * or an enumerated property. */
#define SCOND(k, help, flags) \
	{ k, CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, help, flags, set_scond }
#define ECOND(k, help) \
	{ k, CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, help, 0, set_enum }
static const struct conf_map class_map[] = {
	SCOND("message", "a PCRE2 regex", 0),
	SCOND("host", "a value, or ~ regex", 0),
	SCOND("app", "a value, or ~ regex", 0),
	SCOND("msgid", "a value, or ~ regex", 0),
	SCOND("field.", "a value, or ~ regex", CM_PREFIX),
	ECOND("facility", "a facility name or number"),
	ECOND("severity", "a severity, maybe after <, <=, =, >= or >"),
	ECOND("format", "rfc5424, rfc3164, json, logfmt or plain"),
	ECOND("transport", "tcp, udp or tls"),
	ECOND("stream", "ok, gap, duplicate, out_of_order or delayed"),
	{ "store", CM_BOOL, offsetof(struct rule, store), "yes", 0, 0, NULL,
	    "yes or no", 0, NULL },
};
#undef SCOND
#undef ECOND
/* For --keys (confkeys.c). */
const struct conf_table conf_class_keys = {
	"class", class_map, CM_N(class_map)
};

static int
cond_cmp(const void *a, const void *b)
{
	const struct scond	*x = a, *y = b;

	return x->cost - y->cost;
}

/* Name checks and the keys of one [class NAME]; 0 or -1. */
static int
add_rule(struct config *cf, struct classifier *cl, const struct conf_sect *s)
{
	struct rule	*ru;
	size_t		 i;
	int		 bad = 0;

	if (strcmp(s->name, "other") == 0) {
		config_error(cf, s->line, "[class other]: 'other' is reserved "
		    "for events no class matches");
		bad = 1;
	}
	for (i = 1; i < cl->nrules; i++)
		if (strcmp(cl->rules[i].name, s->name) == 0) {
			config_error(cf, s->line, "[class %s] defined twice",
			    s->name);
			bad = 1;
		}
	/* Counted only once named: the next rule's strcmp reads every name. */
	ru = &cl->rules[cl->nrules];
	ru->mask = SIG_ALL;
	if ((ru->name = strdup(s->name)) == NULL)
		return -1;
	cl->nrules++;
	ru->store = 1;
	if (conf_map_apply(cf, s, class_map, CM_N(class_map), ru, NULL, 0,
	    NULL) != 0)
		bad = 1;
	for (i = 0; i < ru->nsc; i++)
		ru->ncaps += ru->sc[i].ncaps;
	if (ru->ncaps > MAX_CAPS) {
		config_error(cf, s->line, "[class %s] %zu named groups: at "
		    "most %d", s->name, ru->ncaps, MAX_CAPS);
		bad = 1;
	}
	if (ru->nsc > 1)
		qsort(ru->sc, ru->nsc, sizeof(*ru->sc), cond_cmp);
	for (i = 0; i < ru->nsc; i++)
		if (ru->sc[i].kind == CK_APP && ru->sc[i].val != NULL) {
			ru->app = ru->sc[i].val;
			ru->applen = ru->sc[i].vlen;
		}
	return bad ? -1 : 0;
}

static int
app_cmp(const void *a, const void *b)
{
	const struct appent	*x = a, *y = b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c;

	if ((c = memcmp(x->app, y->app, n)) != 0)
		return c;
	if (x->len != y->len)
		return (x->len > y->len) - (x->len < y->len);
	return (x->id0 > y->id0) - (x->id0 < y->id0);
}

/*
 * Split the rules into the app index and the rest, both in id order: sort
 * one entry per indexed rule by (app, id), then merge runs of equal apps.
 */
static int
build_index(struct classifier *cl)
{
	struct appent	*a;
	uint16_t	*ids;
	size_t		 id, i, n = 0;

	if ((cl->free_ids = calloc(cl->nrules, sizeof(uint16_t))) == NULL ||
	    (cl->idstore = ids = calloc(cl->nrules, sizeof(uint16_t))) ==
	    NULL || (cl->apps = calloc(cl->nrules, sizeof(*cl->apps))) == NULL)
		return -1;
	for (id = 1; id < cl->nrules; id++) {
		if (cl->rules[id].app == NULL) {
			cl->free_ids[cl->nfree++] = (uint16_t)id;
			continue;
		}
		a = &cl->apps[n];
		a->app = cl->rules[id].app;
		a->len = cl->rules[id].applen;
		a->id0 = (uint16_t)id;
		n++;
	}
	qsort(cl->apps, n, sizeof(*cl->apps), app_cmp);
	for (i = 0; i < n; i++) {
		ids[i] = cl->apps[i].id0;
		cl->apps[i].ids = &ids[i];
		cl->apps[i].nids = 1;
	}
	for (i = 0; i < n; i++) {
		a = &cl->apps[cl->napps];
		if (cl->napps > 0 && a[-1].len == cl->apps[i].len &&
		    memcmp(a[-1].app, cl->apps[i].app, a[-1].len) == 0) {
			a[-1].nids++;
			continue;
		}
		*a = cl->apps[i];
		cl->napps++;
	}
	return 0;
}

/*
 * Whether a regex means the same inside "(?:...)|(?:...)": no group
 * numbers or names to shift, no recursion, verbs, \Q quoting or comment
 * that could reach past its end.  Conservative: when in doubt, leave out.
 */
static int
combinable(const struct scond *c)
{
	static const char *const bad[] = {
		"(*", "(?R", "(?&", "(?P>", "(?(", "(?+", "(?-", "\\g", "\\Q",
		"\\k", NULL
	};
	uint32_t	 n;
	size_t		 i;
	const char	*p;

	/* Named groups may repeat across the alternation: PCRE2_DUPNAMES. */
	if (pcre2_pattern_info(c->re, PCRE2_INFO_BACKREFMAX, &n) != 0 ||
	    n != 0)
		return 0;
	for (i = 0; bad[i] != NULL; i++)
		if (strstr(c->pat, bad[i]) != NULL)
			return 0;
	for (p = c->pat; (p = strstr(p, "(?")) != NULL; p += 2)
		if (p[2] >= '0' && p[2] <= '9')
			return 0;
	return strchr(c->pat, '#') == NULL || strstr(c->pat, "(?") == NULL;
}

/*
 * With many message regexes, one alternation of them all runs first: when
 * it finds nothing, no covered regex can match, and an event of class
 * "other" costs one scan instead of one per rule.
 */
static int
build_prefilter(struct classifier *cl)
{
	struct scond	*c;
	char		*alt = NULL;
	size_t		 i, k, len = 0, n = 0, at;
	int		 err;
	PCRE2_SIZE	 off;

	for (i = 1; i < cl->nrules; i++)
		for (k = 0; k < cl->rules[i].nsc; k++) {
			c = &cl->rules[i].sc[k];
			if (c->pat != NULL && (c->covered = combinable(c))) {
				len += strlen(c->pat) + 5;
				n++;
			}
		}
	if (n >= PRE_MIN && (alt = malloc(len + 1)) != NULL) {
		for (at = 0, i = 1; i < cl->nrules; i++)
			for (k = 0; k < cl->rules[i].nsc; k++) {
				c = &cl->rules[i].sc[k];
				if (!c->covered)
					continue;
				if (at > 0)
					alt[at++] = '|';
				memcpy(alt + at, "(?:", 3);
				at += 3;
				memcpy(alt + at, c->pat, strlen(c->pat));
				at += strlen(c->pat);
				alt[at++] = ')';
			}
		cl->pre = pcre2_compile((PCRE2_SPTR)alt, at, PCRE2_UTF |
		    PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES, &err, &off,
		    NULL);
		free(alt);
	}
	if (cl->pre != NULL && pcre2_jit_compile(cl->pre,
	    PCRE2_JIT_COMPLETE) != 0) {
		pcre2_code_free(cl->pre);	/* not worth it uncompiled */
		cl->pre = NULL;
	}
	if (cl->pre == NULL) {
		for (i = 1; i < cl->nrules; i++)
			for (k = 0; k < cl->rules[i].nsc; k++)
				cl->rules[i].sc[k].covered = 0;
		return 0;
	}
	cl->prejit = 1;
	return 0;
}

static int
match_setup(struct classifier *cl)
{
	uint32_t	 n, most = 0;
	size_t		 i, k;

	/* Room for every group of the regexes that extract fields. */
	for (i = 1; i < cl->nrules; i++)
		for (k = 0; k < cl->rules[i].nsc; k++)
			if (cl->rules[i].sc[k].ncaps > 0 && pcre2_pattern_info(
			    cl->rules[i].sc[k].re, PCRE2_INFO_CAPTURECOUNT,
			    &n) == 0 && n > most)
				most = n;
	if ((cl->mdcap = pcre2_match_data_create(most + 1, NULL)) == NULL ||
	    (cl->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (cl->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (cl->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024,
	    NULL)) == NULL)
		return -1;
	pcre2_jit_stack_assign(cl->mctx, NULL, cl->jstack);
	pcre2_set_match_limit(cl->mctx, MATCH_LIMIT);
	return 0;
}

struct classifier *
classifier_new(struct config *cf)
{
	struct classifier	*cl;
	size_t			 i, n = 1;
	int			 bad = 0;

	for (i = 0; i < cf->nsects; i++)
		n += strcmp(cf->sects[i].kind, "class") == 0;
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->rules = calloc(n, sizeof(*cl->rules))) == NULL ||
	    (cl->hits = calloc(n, sizeof(*cl->hits))) == NULL ||
	    (cl->rules[0].name = strdup("other")) == NULL)
		goto fail;
	cl->rules[0].mask = SIG_ALL;
	cl->rules[0].store = 1;
	cl->nrules = 1;
	if (n - 1 > CLASSIFIER_MAX) {
		config_error(cf, 0, "%zu classes: at most %d", n - 1,
		    CLASSIFIER_MAX);
		goto fail;
	}
	for (i = 0; i < cf->nsects; i++)
		if (strcmp(cf->sects[i].kind, "class") == 0 &&
		    add_rule(cf, cl, &cf->sects[i]) == -1)
			bad = 1;
	if (bad || build_index(cl) == -1 || build_prefilter(cl) == -1 ||
	    match_setup(cl) == -1)
		goto fail;
	return cl;
fail:
	classifier_free(cl);
	return NULL;
}
