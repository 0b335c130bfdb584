/*
 * alerter.c: [alert NAME] rules in the style of SEC's SingleWithThreshold.
 * Per rule and group (a seeded-hash table, LRU-ordered, at most max_groups)
 * a ring keeps the receive times of the last `threshold` events; when they
 * span at most `window` the rule fires, the ring is cleared, and the group
 * stays quiet for `suppress` (firings then are counted, not written).
 * time = event keeps the group's event times sorted instead, so a late burst
 * lands in its own window; type = absence fires, from alerter_tick, for a
 * group that has been silent `for` long.  Receive windows, suppression,
 * expiry and silence run on the monotonic clock (recv_mono_ns), so a step
 * of the wall clock neither delays nor hastens them; wall time is only
 * written.  The alerts file is a store (store.c, as [storage]'s): one live
 * file, or with placeholders in the path one per expanded path (the
 * firing event's host, class, date...), each rotated and kept by itself.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerter.h"
#include "alerter_int.h"
#include "classifier.h"
#include "config.h"
#include "diag.h"
#include "hash.h"
#include "histogram.h"
#include "jsonenc.h"
#include "livefile.h"
#include "logrec.h"
#include "rotate.h"
#include "store.h"

#define EXPIRE_STEP	2		/* idle groups freed per event */
#define LAT_MAX		256		/* alert latencies kept per batch */
#define FILES_MAX	64		/* alert files open at once (template) */

struct alerter {
	int			 dry;		/* alerter_dry: count only */
	alerter_print_fn	 print;		/* alerter_print: lines to it */
	void			*print_arg;
	struct rule		*rules;
	size_t			 nrules;
	uint32_t		*order;		/* rule ids grouped by class */
	uint32_t		*cls_start;	/* [ncls + 1] into order */
	size_t			 ncls;
	char			*path;
	int			 format;
	struct store		*st;		/* NULL without a path */
	struct lsbatch		*abs;		/* an absence's values */
	struct abuf		 out;
	struct abuf		 side;		/* exec/journal copy */
	struct alert_exec	*ex;
	size_t			 exec_max;
	struct alerter_tcache	 tc;
	_Atomic uint64_t	 write_errors;
	uint64_t		 lat[LAT_MAX];	/* recv_mono_ns of this batch's */
	size_t			 nlat;		/* ...alerts, for lat_hist */
	struct histogram	*lat_hist;	/* the owner's; NULL: none */
	struct diag_rate	 rate;
	struct diag_rate	 nomem;
};

/* One seed for the process, so groups keep their hash across reloads. */
static uint64_t	 seed[2];
static int	 seeded;

/* Single writer, many readers: a plain add published by a relaxed store. */
static void
bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

/* The key of group key s under tag: the process seed, tag folded in. */
static uint64_t
key_hash(uint8_t tag, const char *s, size_t len)
{
	const uint64_t	 k[2] = { seed[0] ^ tag, seed[1] };

	return hash_sip(k, s, len);
}

static void
seed_init(void)
{
	if (seeded)
		return;
	hash_seed(seed);
	seeded = 1;
}

/* Groups. */

/* The rule's oldest group (least recently seen), or NULL. */
#define OLDEST(ru)	TAILQ_LAST(&(ru)->lru, grouplru)

static void
group_remove(struct rule *ru, struct group *g)
{
	struct group	**pp;

	for (pp = &ru->tab[g->hash & (ru->nbuckets - 1)]; *pp != g;
	    pp = &(*pp)->hnext)
		;
	*pp = g->hnext;
	TAILQ_REMOVE(&ru->lru, g, lru);
	ru->ngroups--;
	free(g->ring);
	free(g);
}

/* Keys longer than KEY_MAX compare by prefix, length and 64-bit hash. */
static int
key_eq(const struct group *g, uint64_t h, uint8_t tag, const char *s,
    size_t len)
{
	size_t	 kept = len < KEY_MAX ? len : KEY_MAX;

	return g->hash == h && g->keylen == len + 1 &&
	    (uint8_t)g->key[0] == tag && memcmp(g->key + 1, s, kept) == 0;
}

static int
table_grow(struct rule *ru)
{
	struct group	**tab, *g, *next;
	size_t		 n = ru->nbuckets ? ru->nbuckets * 2 : 64, i;

	if ((tab = calloc(n, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < ru->nbuckets; i++)
		for (g = ru->tab[i]; g != NULL; g = next) {
			next = g->hnext;
			g->hnext = tab[g->hash & (n - 1)];
			tab[g->hash & (n - 1)] = g;
		}
	free(ru->tab);
	ru->tab = tab;
	ru->nbuckets = n;
	return 0;
}

static void
group_link(struct rule *ru, struct group *g)
{
	struct group	**pp = &ru->tab[g->hash & (ru->nbuckets - 1)];

	g->hnext = *pp;
	*pp = g;
	TAILQ_INSERT_HEAD(&ru->lru, g, lru);
	ru->ngroups++;
}

/*
 * The group of a key, made if new.  At max_groups the least recently seen
 * group is evicted (its window and suppression are lost) and counted in
 * alerter_evicted, so memory stays bounded however many hosts send.
 */
static struct group *
group_get(struct rule *ru, uint8_t tag, const char *s, size_t len)
{
	struct group	*g;
	uint64_t	 h = key_hash(tag, s, len);
	size_t		 kept = len < KEY_MAX ? len : KEY_MAX;

	if (ru->nbuckets > 0)
		for (g = ru->tab[h & (ru->nbuckets - 1)]; g != NULL;
		    g = g->hnext)
			if (key_eq(g, h, tag, s, len))
				return g;
	if (ru->ngroups >= ru->max_groups && OLDEST(ru) != NULL) {
		group_remove(ru, OLDEST(ru));
		bump(&ru->evicted, 1);
	}
	if (ru->ngroups >= ru->nbuckets && table_grow(ru) == -1)
		return NULL;
	if ((g = calloc(1, sizeof(*g) + 1 + kept)) == NULL)
		return NULL;
	g->hash = h;
	g->keylen = (uint32_t)len + 1;
	g->key[0] = (char)tag;
	memcpy(g->key + 1, s, kept);
	group_link(ru, g);
	return g;
}

/*
 * A group whose last event is older than the window and that is not
 * suppressed holds nothing that could still fire: free it (not an
 * eviction).  A few per event keep idle groups from piling up.  now is
 * monotonic us.
 */
static void
expire(struct rule *ru, int64_t now)
{
	struct group	*g;
	int		 i;

	if (ru->type == AT_ABSENCE)
		return;		/* alerter_tick frees what went silent */
	for (i = 0; i < EXPIRE_STEP && (g = OLDEST(ru)) != NULL; i++) {
		if (now - g->last_mono <= ru->window_us + ru->lateness_us ||
		    g->quiet_until > now)
			return;
		group_remove(ru, g);
	}
}

/* Add t to the ring; 0, or -1 on ENOMEM.  Until full, head stays 0. */
static int
ring_push(struct group *g, uint32_t threshold, int64_t t)
{
	int64_t		*r;
	uint32_t	 cap;

	if (g->n == threshold) {
		g->ring[g->head] = t;
		g->head = (g->head + 1) % threshold;
		return 0;
	}
	if (g->n == g->cap) {
		cap = g->cap ? g->cap * 2 : 4;
		if (cap > threshold)
			cap = threshold;
		if ((r = reallocarray(g->ring, cap, sizeof(*r))) == NULL)
			return -1;
		g->ring = r;
		g->cap = cap;
	}
	g->ring[g->n++] = t;
	return 0;
}

/* The name the alert line gives the group: the field's own name for
 * group_by = field.NAME (ip=203.0.113.9), else host, source or app. */
static const char *
gb_name(const struct rule *ru)
{
	return ru->gb == GB_FIELD ? ru->gbkey + 6 : ru->gbkey;
}

/* The group-by value of r: tag 1 and bytes, or tag 0 when r lacks it. */
static uint8_t
group_key(const struct rule *ru, const struct lsbatch *b,
    const struct logrec *r, const char **s, size_t *len)
{
	const struct lsfield	*f;
	struct lsslice		 sl = { 0, 0 };
	const char		*p, *colon;

	switch (ru->gb) {
	case GB_HOST:
		sl = r->host;
		break;
	case GB_APP:
		sl = r->app;
		break;
	case GB_SOURCE:
		sl = r->source;
		break;
	case GB_FIELD:
		f = classifier_field(b, r, ru->gbkey + 6, strlen(ru->gbkey + 6));
		if (f != NULL) {
			*s = LS_PTR(b, f->val);
			*len = f->val.len;
			return 1;
		}
		break;
	}
	*s = "";
	*len = 0;
	if (sl.len == 0)
		return 0;
	*s = p = LS_PTR(b, sl);
	*len = sl.len;
	if (ru->gb != GB_SOURCE)
		return 1;
	/* "addr:port" or "[v6]:port" without the port. */
	if ((colon = memrchr(p, ':', sl.len)) != NULL && colon > p)
		*len = (size_t)(colon - p);
	if (*len >= 2 && p[0] == '[' && p[*len - 1] == ']') {
		*s = p + 1;
		*len -= 2;
	}
	return 1;
}

/*
 * The line of a firing to the buffer of its file (the file of event r of
 * b: its expanded path), a line that fits nowhere counted; to exec and
 * journal where set.
 */
static void
output(struct alerter *a, const struct rule *ru,
    const struct alerter_firing *f, const struct lsbatch *b,
    const struct logrec *r)
{
	struct store_file	*sf;

	if (a->dry)
		return;
	a->out.len = 0;
	if (a->format == ALERT_JSON)
		alerter_line_json(&a->out, &a->tc, f);
	else
		alerter_line_text(&a->out, &a->tc, f);
	if (a->print != NULL) {
		if (a->out.oom)
			bump(&a->write_errors, 1);
		else
			a->print(a->print_arg, a->out.p, a->out.len);
		a->out.len = 0;
		a->out.oom = 0;
		return;
	}
	if (a->out.oom || a->st == NULL ||
	    (r == NULL && store_templated(a->st)) ||
	    (sf = store_file_for(a->st, b, r)) == NULL ||
	    obuf_add(&sf->out, a->out.p, a->out.len) == -1) {
		bump(&a->write_errors, 1);
		diag_rate(&a->rate, "alerts: %s, an alert line is lost",
		    a->out.oom ? "out of memory" : a->st == NULL ?
		    "no file" : "its file cannot be named or memory is short");
	} else
		sf->events++;
	a->out.len = 0;
	a->out.oom = 0;
	if (ru->exec != NULL) {
		a->side.len = 0;
		alerter_line_json(&a->side, &a->tc, f);
		if (!a->side.oom)
			alert_exec_run(a->ex, ru->exec, ru->exec_timeout_us,
			    a->side.p, a->side.len, f);
	}
	if (ru->journal) {
		a->side.len = 0;
		alerter_line_text(&a->side, &a->tc, f);
		if (!a->side.oom)
			alert_journal(f, a->side.p, a->side.len);
	}
	a->side.oom = 0;
}

static void
emit(struct alerter *a, const struct rule *ru, const struct lsbatch *b,
    const struct logrec *r, int64_t first, int64_t now_us)
{
	struct alerter_firing	 f;
	size_t			 len;
	uint8_t			 tag;

	if (a->nlat < LAT_MAX)
		a->lat[a->nlat++] = r->recv_mono_ns;
	memset(&f, 0, sizeof(f));
	f.now_us = now_us;
	f.alert = ru->name;
	f.cls = ru->cls;
	if (r->host.len > 0) {
		f.host = LS_PTR(b, r->host);
		f.hostlen = r->host.len;
	}
	if (ru->gb != GB_NONE && ru->gb != GB_HOST) {
		f.gkey = gb_name(ru);
		tag = group_key(ru, b, r, &f.gval, &len);
		f.gvallen = len;
		if (tag == 0)
			f.gval = NULL;
	}
	f.count = ru->threshold;
	f.window = ru->window;
	f.first_us = first;
	f.msg = LS_PTR(b, r->message);
	f.msglen = r->message.len;
	output(a, ru, &f, b, r);
}

/*
 * The values a silent group's file is named by (a templated path): the
 * group's host, app or field as {host}, {app}, {field.NAME}, the rule's
 * class, the day of now; the others are "_".  NULL if memory is short.
 */
static const struct logrec *
absence_rec(struct alerter *a, const struct rule *ru, const struct group *g,
    size_t klen, int64_t now_us)
{
	struct logrec	*r;
	struct lsfield	*fl;
	struct lsslice	*sl = NULL;

	if (a->abs == NULL && (a->abs = lsbatch_new(1)) == NULL)
		return NULL;
	lsbatch_reset(a->abs);
	if ((r = lsbatch_add_rec(a->abs)) == NULL)
		return NULL;
	r->received_us = now_us;
	r->time_us = LR_NOTIME;
	r->transport = LRT__COUNT;	/* none: "_" */
	r->cls = ru->cls;
	if (g->key[0] == 0)
		return r;
	if (ru->gb == GB_HOST)
		sl = &r->host;
	else if (ru->gb == GB_APP)
		sl = &r->app;
	else if (ru->gb == GB_FIELD &&
	    (fl = lsbatch_add_rec_field(a->abs, r)) != NULL &&
	    lsbatch_append(a->abs, ru->gbkey + 6, strlen(ru->gbkey + 6),
	    &fl->key) == 0)
		sl = &fl->val;
	if (sl != NULL && lsbatch_append(a->abs, g->key + 1, klen, sl) == -1)
		return NULL;
	return r;
}

/* A silent group: "host web01 silent since ..." from what its key holds. */
static void
emit_absence(struct alerter *a, const struct rule *ru,
    const struct group *g, int64_t now_us)
{
	struct alerter_firing	 f;
	struct tm		 tm;
	time_t			 t = (time_t)(g->last_us / 1000000);
	char			 msg[KEY_MAX + 96];
	size_t			 klen = g->keylen - 1 < KEY_MAX ?
				    g->keylen - 1 : KEY_MAX;
	const struct logrec	*r;
	int			 n;

	memset(&f, 0, sizeof(f));
	f.now_us = now_us;
	f.alert = ru->name;
	f.cls = ru->cls;
	f.type = "absence";
	if (g->key[0] != 0 && ru->gb == GB_HOST) {
		f.host = g->key + 1;
		f.hostlen = klen;
	} else if (g->key[0] != 0 && ru->gb != GB_NONE) {
		f.gkey = gb_name(ru);
		f.gval = g->key + 1;
		f.gvallen = klen;
	}
	gmtime_r(&t, &tm);
	n = snprintf(msg, sizeof(msg), "%s %.*s silent since "
	    "%04d-%02d-%02dT%02d:%02d:%02dZ", ru->gb == GB_NONE ? "class" :
	    ru->gbkey, ru->gb == GB_NONE ? (int)strlen(ru->cls) : (int)klen,
	    ru->gb == GB_NONE ? ru->cls : g->key + 1, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	f.count = 0;
	f.window = ru->window;
	f.first_us = g->last_us;
	f.msg = msg;
	f.msglen = n < 0 ? 0 : (size_t)n >= sizeof(msg) ? sizeof(msg) - 1 :
	    (size_t)n;
	r = a->st != NULL && store_templated(a->st) ?
	    absence_rec(a, ru, g, klen, now_us) : NULL;
	output(a, ru, &f, r != NULL ? a->abs : NULL, r);
}

/* Insert t into g's sorted times (time = event); 0, or -1 on ENOMEM.  At
 * EVTIME_SLOTS x threshold the oldest time makes room. */
static int
sorted_push(struct group *g, uint32_t threshold, int64_t t)
{
	int64_t		*r;
	uint32_t	 cap, lim = threshold * EVTIME_SLOTS, i;

	if (g->n == lim) {
		memmove(g->ring, g->ring + 1, (g->n - 1) * sizeof(*r));
		g->n--;
	}
	if (g->n == g->cap) {
		cap = g->cap ? g->cap * 2 : 4;
		if (cap > lim)
			cap = lim;
		if ((r = reallocarray(g->ring, cap, sizeof(*r))) == NULL)
			return -1;
		g->ring = r;
		g->cap = cap;
	}
	for (i = g->n; i > 0 && g->ring[i - 1] > t; i--)
		g->ring[i] = g->ring[i - 1];
	g->ring[i] = t;
	g->n++;
	return 0;
}

/*
 * time = event: t is the event's time, recv its receipt (wall).  A time
 * more than allowed_lateness after its receipt is a wrong clock, not an
 * event from the future: it is counted (alert_future) and the event counts
 * at its receipt, like one without a time, so one event dated 2099 cannot
 * move the watermark past every real event.  Nor does the watermark stay
 * ahead of receipt + allowed_lateness (the wall clock stepped back).  t
 * older than the watermark less allowed_lateness is too late (counted);
 * times that can no longer share a window with an acceptable event are let
 * go.  Fires when `threshold` sorted times span at most `window`; returns
 * the first of them, or LR_NOTIME.
 */
static int64_t
evtime_check(struct rule *ru, struct group *g, int64_t t, int64_t recv)
{
	uint32_t	 lo, i, k = ru->threshold, drop = 0;
	int64_t		 first;

	if (t > recv + ru->lateness_us) {
		bump(&ru->future, 1);
		COUNT_ADD(counters.alert_future, 1);
		t = recv;
	}
	if (g->wm > recv + ru->lateness_us)
		g->wm = recv + ru->lateness_us;
	if (g->n > 0 && t < g->wm - ru->lateness_us) {
		bump(&ru->late, 1);
		COUNT_ADD(counters.alert_late, 1);
		return LR_NOTIME;
	}
	if (g->n == 0 || t > g->wm)
		g->wm = t;
	while (drop < g->n && g->ring[drop] < g->wm - ru->lateness_us -
	    ru->window_us)
		drop++;
	if (drop > 0) {
		memmove(g->ring, g->ring + drop, (g->n - drop) *
		    sizeof(*g->ring));
		g->n -= drop;
	}
	if (sorted_push(g, k, t) == -1)
		return LR_NOTIME;
	for (i = 0; i < g->n && g->ring[i] != t; i++)
		;
	for (lo = i + 1 >= k ? i + 1 - k : 0; lo <= i && lo + k <= g->n; lo++)
		if (g->ring[lo + k - 1] - g->ring[lo] <= ru->window_us) {
			first = g->ring[lo];
			memmove(g->ring + lo, g->ring + lo + k, (g->n - lo - k) *
			    sizeof(*g->ring));
			g->n -= k;
			return first;
		}
	return LR_NOTIME;
}

/* One event against one rule. */
static void
count_event(struct alerter *a, struct rule *ru, const struct lsbatch *b,
    const struct logrec *r, int64_t now_us)
{
	struct group	*g;
	const char	*s;
	size_t		 len;
	uint8_t		 tag;
	int64_t		 t = r->received_us, first;
	int64_t		 m = (int64_t)(r->recv_mono_ns / 1000);

	expire(ru, m);
	tag = group_key(ru, b, r, &s, &len);
	if ((g = group_get(ru, tag, s, len)) == NULL || (ru->type ==
	    AT_THRESHOLD && !ru->evtime &&
	    ring_push(g, ru->threshold, m) == -1)) {
		diag_rate(&a->nomem, "alert %s: out of memory, event not "
		    "counted", ru->name);
		return;
	}
	if (g != TAILQ_FIRST(&ru->lru)) {
		TAILQ_REMOVE(&ru->lru, g, lru);
		TAILQ_INSERT_HEAD(&ru->lru, g, lru);
	}
	g->last_us = t;
	g->last_mono = m;
	if (ru->type == AT_ABSENCE)
		return;
	if (ru->evtime) {
		first = evtime_check(ru, g, r->time_us != LR_NOTIME ?
		    r->time_us : t, t);
		if (first == LR_NOTIME)
			return;
	} else {
		if (g->n < ru->threshold ||
		    m - g->ring[g->head] > ru->window_us)
			return;
		/* The first event's wall time, as this one's less the
		 * monotonic time between them. */
		first = t - (m - g->ring[g->head]);
		g->n = g->head = 0;
	}
	if (m < g->quiet_until) {
		bump(&ru->suppressed, 1);
		return;
	}
	g->quiet_until = m + ru->suppress_us;
	bump(&ru->fired, 1);
	emit(a, ru, b, r, first, now_us);
}

/*
 * One file's alert lines: opened if it is not (or was removed: opened
 * anew), rotated when due (per batch with alert lines, never per event),
 * then one write().  0, or -1 (the lines are lost, counted).
 */
static int
write_file(struct alerter *a, struct store_file *sf)
{
	if (store_use(a->st, sf) == -1)
		return -1;
	if (livefile_due(sf->lf, sf->out.len,
	    (int64_t)(diag_mono_ns() / 1000))) {
		/* A failed rename is logged: write on to the live file. */
		if (livefile_rotate(sf->lf) == 0)
			store_rotated(a->st);
		else if (livefile_fd(sf->lf) == -1) {
			diag_rate(&a->rate, "alerts %s: %s after rotation",
			    livefile_path(sf->lf), strerror(errno));
			return -1;
		}
	}
	return livefile_write(sf->lf, sf->out.p, sf->out.len);
}

/* Every file's lines of this batch (or tick) into it. */
static void
flush(struct alerter *a)
{
	struct store_file	*sf;

	if (a->st == NULL)
		return;
	for (sf = store_batch(a->st); sf != NULL; sf = sf->bnext) {
		if (sf->out.len == 0 || write_file(a, sf) == 0)
			continue;
		bump(&a->write_errors, 1);
		diag_rate(&a->rate, "alerts: %s cannot be written, %u alert "
		    "lines lost", livefile_path(sf->lf), sf->events);
	}
	store_batch_drop(a->st);
}

/* The latencies of the alerts just written, into the owner's histogram. */
static void
latencies_add(struct alerter *a, uint64_t now_ns)
{
	size_t	 i;

	for (i = 0; a->lat_hist != NULL && i < a->nlat; i++)
		histogram_add(a->lat_hist, now_ns > a->lat[i] ?
		    now_ns - a->lat[i] : 0);
}

void
alerter_set_latency(struct alerter *a, struct histogram *h)
{
	a->lat_hist = h;
}

void
alerter_process(struct alerter *a, struct lsbatch *b, int64_t now_us)
{
	struct logrec	*r;
	uint32_t	 i, j;
	uint64_t	 errs;

	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if ((r->flags & LR_DROP) || r->cls_id >= a->ncls)
			continue;
		for (j = a->cls_start[r->cls_id];
		    j < a->cls_start[r->cls_id + 1]; j++)
			count_event(a, &a->rules[a->order[j]], b, r, now_us);
	}
	if (a->st != NULL && store_batch(a->st) != NULL) {
		errs = atomic_load(&a->write_errors);
		flush(a);
		if (atomic_load(&a->write_errors) == errs)
			latencies_add(a, diag_mono_ns());
	}
	a->nlat = 0;
}

void
alerter_tick(struct alerter *a, int64_t now_us, uint64_t now_mono_ns)
{
	struct rule	*ru;
	struct group	*g;
	int64_t		 m = (int64_t)(now_mono_ns / 1000);
	size_t		 i;

	for (i = 0; i < a->nrules; i++) {
		ru = &a->rules[i];
		if (ru->type != AT_ABSENCE)
			continue;
		/* LRU order is last-seen order: the silent ones are oldest. */
		while ((g = OLDEST(ru)) != NULL &&
		    m - g->last_mono >= ru->window_us) {
			bump(&ru->fired, 1);
			emit_absence(a, ru, g, now_us);
			group_remove(ru, g);
		}
	}
	flush(a);
	alert_exec_reap(a->ex);
}

/* The file. */

int
alerter_open(struct alerter *a)
{
	if (a->st == NULL) {
		errno = EINVAL;
		return -1;
	}
	return store_open_plain(a->st);
}

int
alerter_reopen(struct alerter *a)
{
	if (a->st == NULL) {
		errno = EINVAL;
		return -1;
	}
	return store_reopen(a->st);
}

/* Reload. */

static void
adopt_ring(struct group *g, uint32_t threshold)
{
	int64_t		*r;
	uint32_t	 keep = g->n < threshold ? g->n : threshold, i, from;

	if (g->n == 0) {
		g->head = 0;	/* cap may exceed threshold: harmless */
		return;
	}
	if ((r = calloc(keep, sizeof(*r))) == NULL) {
		g->n = g->head = 0;	/* start counting afresh */
		return;
	}
	/* The newest `keep` entries, oldest first. */
	from = g->n - keep;
	for (i = 0; i < keep; i++)
		r[i] = g->ring[(g->head + from + i) % g->n];
	free(g->ring);
	g->ring = r;
	g->cap = keep;
	g->n = keep;
	g->head = 0;
}

static void
adopt_rule(struct rule *nw, struct rule *old)
{
	struct group	*g;
	size_t		 i;

	bump(&nw->fired, atomic_load(&old->fired));
	bump(&nw->suppressed, atomic_load(&old->suppressed));
	bump(&nw->evicted, atomic_load(&old->evicted));
	bump(&nw->late, atomic_load(&old->late));
	bump(&nw->future, atomic_load(&old->future));
	if (strcmp(nw->cls, old->cls) != 0 || nw->gb != old->gb ||
	    (nw->gb == GB_FIELD && strcmp(nw->gbkey, old->gbkey) != 0) ||
	    nw->type != old->type || nw->evtime != old->evtime)
		return;		/* the groups would mean something else */
	while ((g = OLDEST(old)) != NULL) {
		TAILQ_REMOVE(&old->lru, g, lru);
		old->ngroups--;
		if (nw->ngroups >= nw->nbuckets && table_grow(nw) == -1) {
			free(g->ring);
			free(g);
			continue;
		}
		if (nw->ngroups >= nw->max_groups) {
			group_remove(nw, OLDEST(nw));
			bump(&nw->evicted, 1);
		}
		if (nw->evtime && g->n > nw->threshold * EVTIME_SLOTS) {
			memmove(g->ring, g->ring + g->n - nw->threshold *
			    EVTIME_SLOTS, nw->threshold * EVTIME_SLOTS *
			    sizeof(*g->ring));
			g->n = nw->threshold * EVTIME_SLOTS;
		} else if (!nw->evtime && nw->threshold != old->threshold)
			adopt_ring(g, nw->threshold);
		group_link(nw, g);
	}
	for (i = 0; i < old->nbuckets; i++)
		old->tab[i] = NULL;
	old->ngroups = 0;
}

void
alerter_adopt(struct alerter *nw, struct alerter *old)
{
	size_t			 i, j;

	if (nw == NULL || old == NULL)
		return;
	struct alert_exec	*ex;

	bump(&nw->write_errors, atomic_load(&old->write_errors));
	nw->lat_hist = old->lat_hist;
	/* Programs still running stay watched (and killed at timeout). */
	ex = nw->ex;
	nw->ex = old->ex;
	old->ex = ex;
	alert_exec_max(nw->ex, nw->exec_max);
	for (i = 0; i < nw->nrules; i++)
		for (j = 0; j < old->nrules; j++)
			if (strcmp(nw->rules[i].name, old->rules[j].name) == 0)
				adopt_rule(&nw->rules[i], &old->rules[j]);
}

/* Loading: the keys of each rule are read in alert_config.c. */

/* Rule ids grouped by class id, so an event visits only its rules. */
static int
index_rules(struct alerter *a)
{
	size_t	 i, c, k = 0;

	if ((a->cls_start = calloc(a->ncls + 1, sizeof(uint32_t))) == NULL ||
	    (a->order = calloc(a->nrules + 1, sizeof(uint32_t))) == NULL)
		return -1;
	for (c = 0; c < a->ncls; c++) {
		a->cls_start[c] = (uint32_t)k;
		for (i = 0; i < a->nrules; i++)
			if ((size_t)a->rules[i].cls_id == c)
				a->order[k++] = (uint32_t)i;
	}
	a->cls_start[a->ncls] = (uint32_t)k;
	return 0;
}

struct alerter *
alerter_new(struct config *cf, const struct classifier *cl)
{
	struct rotate_policy	 pol;
	struct alerter	*a;
	size_t		 i, n = 0;
	int		 bad = 0, rc;

	seed_init();
	for (i = 0; i < cf->nsects; i++)
		n += strcmp(cf->sects[i].kind, "alert") == 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->format = cf->alerts_format;
	a->exec_max = cf->alerts_exec_max ? cf->alerts_exec_max : 4;
	if ((a->ex = alert_exec_new(a->exec_max)) == NULL)
		goto fail;
	a->ncls = cl != NULL ? classifier_count(cl) : 1;
	rotate_policy_alerts(cf, &pol);
	if ((cf->alerts_path != NULL &&
	    ((a->path = strdup(cf->alerts_path)) == NULL ||
	    (a->st = store_new(a->path, "alerts", &pol, FILES_MAX,
	    NULL)) == NULL)) ||
	    (a->rules = calloc(n + 1, sizeof(*a->rules))) == NULL)
		goto fail;
	for (i = 0; i < n + 1; i++)
		TAILQ_INIT(&a->rules[i].lru);
	for (i = 0; i < cf->nsects; i++) {
		if (strcmp(cf->sects[i].kind, "alert") != 0)
			continue;
		rc = alerter_conf_rule(cf, cl, a->rules, a->nrules++,
		    &cf->sects[i]);
		if (rc == -2)
			goto fail;
		if (rc == -1)
			bad = 1;
	}
	if (bad || index_rules(a) == -1)
		goto fail;
	return a;
fail:
	alerter_free(a);
	return NULL;
}

void
alerter_dry(struct alerter *a)
{
	a->dry = 1;
}

void
alerter_print(struct alerter *a, alerter_print_fn fn, void *arg)
{
	a->print = fn;
	a->print_arg = arg;
}

void
alerter_free(struct alerter *a)
{
	struct rule	*ru;
	size_t		 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nrules; i++) {
		ru = &a->rules[i];
		while (OLDEST(ru) != NULL)
			group_remove(ru, OLDEST(ru));
		free(ru->tab);
		free(ru->name);
		free(ru->cls);
		free(ru->gbkey);
		free(ru->exec);
	}
	alert_exec_free(a->ex);
	free(a->side.p);
	if (a->st != NULL)
		store_batch_drop(a->st);
	store_free(a->st);
	lsbatch_free(a->abs);
	free(a->rules);
	free(a->order);
	free(a->cls_start);
	free(a->path);
	free(a->out.p);
	free(a);
}

size_t
alerter_count(const struct alerter *a)
{
	return a->nrules;
}

const char *
alerter_name(const struct alerter *a, size_t i)
{
	return i < a->nrules ? a->rules[i].name : NULL;
}

uint64_t
alerter_fired(const struct alerter *a, size_t i)
{
	return i < a->nrules ? atomic_load_explicit(&a->rules[i].fired,
	    memory_order_relaxed) : 0;
}

uint64_t
alerter_suppressed(const struct alerter *a, size_t i)
{
	return i < a->nrules ? atomic_load_explicit(&a->rules[i].suppressed,
	    memory_order_relaxed) : 0;
}

uint64_t
alerter_evicted(const struct alerter *a, size_t i)
{
	return i < a->nrules ? atomic_load_explicit(&a->rules[i].evicted,
	    memory_order_relaxed) : 0;
}

uint64_t
alerter_write_errors(const struct alerter *a)
{
	return atomic_load_explicit(&a->write_errors, memory_order_relaxed);
}
