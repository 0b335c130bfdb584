/*
 * limiter.c: store = no and [limit NAME] (see limiter.h).  A limit keeps
 * one token bucket per key value in a SipHash table with an LRU list, at
 * most max_keys of them; a bucket that dropped events in a second owes
 * one summary record for it, made when a later second begins (by its next
 * drop or the once-a-second tick) or when the bucket is forgotten.
 */
#include <sys/queue.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "evkey.h"
#include "hash.h"
#include "limiter.h"
#include "logrec.h"

#define KEY_MAX		256		/* key bytes kept */
#define MAX_KEYS	1000000

struct bucket {
	struct bucket		*hnext;
	TAILQ_ENTRY(bucket)	 lru;		/* head: most recent */
	uint64_t		 hash;
	double			 tokens;
	uint64_t		 last_ns;	/* refilled up to here */
	int64_t			 sec;		/* second of the drops owed */
	uint64_t		 owed;		/* drops in that second */
	uint8_t			 transport;	/* of the last one dropped */
	uint32_t		 keylen;
	char			 key[];
};

struct limit {
	char			*name;
	struct evkey		 key;
	double			 rate;		/* tokens a second */
	uint64_t		 burst;
	uint64_t		 max_keys;
	uint8_t			*cls;		/* classes it holds; NULL: all */
	struct limiter		*owner;		/* while loading: its classes */
	struct bucket		**tab;
	size_t			 nbuckets;	/* power of two */
	size_t			 nkeys;
	TAILQ_HEAD(bucket_lru, bucket) lru;
	_Atomic uint64_t	 passed;
	_Atomic uint64_t	 dropped;
	_Atomic uint64_t	 evicted;
	_Atomic uint64_t	 nkeys_pub;
};

struct limiter {
	struct limit		*lim;
	size_t			 nlim;
	uint8_t			*nostore;	/* per class id */
	size_t			 ncls;
	const struct classifier	*cl;		/* while loading */
	uint64_t		 seed[2];
	struct lsbatch		*side;		/* limiter_process's summaries */
	struct diag_rate	 lost;
};

/* Loading. */

static int
set_key(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return evkey_parse(&((struct limit *)obj)->key, kv->val);
}

/* rate = N/s, N/m, N/h or N (a second). */
static int
set_rate(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct limit	*l = obj;
	char		 num[32], *slash;
	uint64_t	 n;
	double		 per = 1;

	snprintf(num, sizeof(num), "%s", kv->val);
	if ((slash = strchr(num, '/')) != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "s") == 0)
			per = 1;
		else if (strcmp(slash, "m") == 0)
			per = 60;
		else if (strcmp(slash, "h") == 0)
			per = 3600;
		else
			return -1;
	}
	if (conf_parse_uint(num, &n) == -1 || n < 1 || n > 100000000)
		return -1;
	l->rate = (double)n / per;
	return 0;
}

static int
set_class(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct limit	*l = obj;
	struct limiter	*lm = l->owner;
	char		*copy, *tok, *save;
	int		 id, rc = 0;

	if (strcmp(kv->val, "*") == 0)
		return 0;
	if ((copy = strdup(kv->val)) == NULL || (l->cls == NULL &&
	    (l->cls = calloc(lm->ncls, 1)) == NULL)) {
		free(copy);
		return -2;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if ((id = classifier_lookup(lm->cl, tok)) == -1) {
			config_error(cf, kv->line, "[limit %s] class '%s' is "
			    "not defined (a [class %s] or other)", s->name,
			    tok, tok);
			rc = CM_REPORTED;
			continue;
		}
		l->cls[id] = 1;
	}
	free(copy);
	return rc;
}

#define L(f)	offsetof(struct limit, f)

/* Every key of [limit NAME]: one row each. */
static const struct conf_map limit_map[] = {
	{ "key", CM_CUSTOM, CM_NOVALUE, "host", 0, 0, NULL,
	    "host, source, app or field.NAME", 0, set_key },
	{ "rate", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "N/s, N/m or N/h, N from 1 to 100000000", 0, set_rate },
	{ "burst", CM_UINT, L(burst), NULL, 1, 1000000000, NULL,
	    "1..1000000000 events", 0, NULL },
	{ "class", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "* or NAME, NAME...", 0, set_class },
	{ "max_keys", CM_UINT, L(max_keys), "10000", 1, MAX_KEYS, NULL,
	    "1..1000000", 0, NULL },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_limit_keys = {
	"limit", limit_map, CM_N(limit_map)
};

/* One [limit NAME] into lm->lim[lm->nlim]; 0, -1 reported, -2 ENOMEM. */
static int
limit_conf(struct config *cf, struct limiter *lm, const struct conf_sect *s)
{
	struct limit	*l = &lm->lim[lm->nlim++];	/* freed with the rest,
							 * whatever happens */
	int		 rc;

	TAILQ_INIT(&l->lru);
	l->owner = lm;
	if ((rc = conf_map_defaults(cf, limit_map, CM_N(limit_map), l)) == 0)
		rc = conf_map_apply(cf, s, limit_map, CM_N(limit_map), l,
		    NULL, 0, NULL);
	l->owner = NULL;
	if ((l->name = strdup(s->name)) == NULL || rc == -2)
		return -2;
	if (l->rate == 0 && rc == 0) {
		config_error(cf, s->line, "[limit %s] needs 'rate' (such as "
		    "1000/s)", s->name);
		rc = -1;
	}
	if (l->burst == 0)
		l->burst = l->rate < 1 ? 1 : (uint64_t)l->rate;
	l->nbuckets = 64;
	if ((l->tab = calloc(l->nbuckets, sizeof(*l->tab))) == NULL)
		return -2;
	return rc;
}

struct limiter *
limiter_new(struct config *cf, const struct classifier *cl)
{
	struct limiter	*lm;
	size_t		 i, n = 0;
	int		 rc, bad = 0;

	if ((lm = calloc(1, sizeof(*lm))) == NULL)
		return NULL;
	lm->cl = cl;
	lm->ncls = cl != NULL ? classifier_count(cl) : 1;
	hash_seed(lm->seed);
	for (i = 0; i < cf->nsects; i++)
		n += strcmp(cf->sects[i].kind, "limit") == 0;
	if ((lm->lim = calloc(n + 1, sizeof(*lm->lim))) == NULL ||
	    (lm->nostore = calloc(lm->ncls, 1)) == NULL)
		goto fail;
	for (i = 0; cl != NULL && i < lm->ncls; i++)
		lm->nostore[i] = !classifier_stores(cl, i);
	for (i = 0; i < cf->nsects; i++) {
		if (strcmp(cf->sects[i].kind, "limit") != 0)
			continue;
		if (cl == NULL) {	/* classes are bad: names unknown */
			bad = 1;
			continue;
		}
		if ((rc = limit_conf(cf, lm, &cf->sects[i])) == -2)
			goto fail;
		bad |= rc != 0;
	}
	if (bad)
		goto fail;
	lm->cl = NULL;
	return lm;
fail:
	limiter_free(lm);
	return NULL;
}

void
limiter_free(struct limiter *lm)
{
	struct bucket	*k;
	size_t		 i;

	if (lm == NULL)
		return;
	for (i = 0; i < lm->nlim; i++) {
		while ((k = TAILQ_FIRST(&lm->lim[i].lru)) != NULL) {
			TAILQ_REMOVE(&lm->lim[i].lru, k, lru);
			free(k);
		}
		free(lm->lim[i].tab);
		free(lm->lim[i].cls);
		evkey_clear(&lm->lim[i].key);
		free(lm->lim[i].name);
	}
	free(lm->lim);
	free(lm->nostore);
	free(lm);
}

/* Running. */

/* The summary of k's owed second, appended to side; 0, or -1 (no room). */
static int
summary(struct limit *l, struct bucket *k, struct lsbatch *side)
{
	struct logrec	*r;
	struct lsfield	*f;
	char		 msg[KEY_MAX + 128], num[24];
	int		 n, m;
	uint32_t	 nf = side->nfields, used = (uint32_t)side->used;

	if (k->owed == 0)
		return 0;
	if ((r = lsbatch_add_rec(side)) == NULL)
		return -1;
	r->received_us = diag_now_us();
	r->recv_mono_ns = diag_mono_ns();
	r->time_us = k->sec * 1000000;
	r->format = LRF_PLAIN;
	r->transport = k->transport;
	n = snprintf(msg, sizeof(msg), "rate limit %s: %llu events from "
	    "%.*s dropped", l->name, (unsigned long long)k->owed,
	    (int)k->keylen, k->key);
	m = snprintf(num, sizeof(num), "%llu", (unsigned long long)k->owed);
	if (lsbatch_append(side, "logstreamd", 10, &r->app) == -1 ||
	    lsbatch_append(side, msg, (size_t)n, &r->message) == -1)
		goto undo;
	r->raw = r->message;
	r->field_first = side->nfields;
	if ((f = lsbatch_add_field(side)) == NULL ||
	    lsbatch_append(side, "dropped", 7, &f->key) == -1 ||
	    lsbatch_append(side, num, (size_t)m, &f->val) == -1)
		goto undo;
	f->type = LSFT_NUMBER;
	if ((f = lsbatch_add_field(side)) == NULL ||
	    lsbatch_append(side, "limit", 5, &f->key) == -1 ||
	    lsbatch_append(side, l->name, strlen(l->name), &f->val) == -1)
		goto undo;
	f->type = LSFT_STRING;
	r->field_count = 2;
	COUNT_ADD(counters.limit_summaries, 1);
	k->owed = 0;
	return 0;
undo:
	side->n--;
	side->nfields = nf;
	side->used = used;
	return -1;
}

/* A summary that found no room: its drops stay counted, the record not. */
static void
summary_lost(struct limiter *lm, struct limit *l, struct bucket *k)
{
	COUNT_ADD(counters.limit_summaries_lost, 1);
	diag_rate(&lm->lost, "limit %s: no room for a summary record; %llu "
	    "dropped events not summarized", l->name,
	    (unsigned long long)k->owed);
	k->owed = 0;
}

static int
grow(struct limit *l)
{
	struct bucket	**tab, *k, *next;
	size_t		 i, n = l->nbuckets * 2;

	if ((tab = calloc(n, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < l->nbuckets; i++)
		for (k = l->tab[i]; k != NULL; k = next) {
			next = k->hnext;
			k->hnext = tab[k->hash & (n - 1)];
			tab[k->hash & (n - 1)] = k;
		}
	free(l->tab);
	l->tab = tab;
	l->nbuckets = n;
	return 0;
}

static void
forget(struct limiter *lm, struct limit *l, struct bucket *k)
{
	struct bucket	**pp;

	if (k->owed > 0 && summary(l, k, lm->side) == -1)
		summary_lost(lm, l, k);
	for (pp = &l->tab[k->hash & (l->nbuckets - 1)]; *pp != k;
	    pp = &(*pp)->hnext)
		;
	*pp = k->hnext;
	TAILQ_REMOVE(&l->lru, k, lru);
	free(k);
	l->nkeys--;
	COUNT_ADD(l->evicted, 1);
}

/* The bucket of key, made full when new; NULL on ENOMEM. */
static struct bucket *
bucket_get(struct limiter *lm, struct limit *l, const char *key,
    size_t len, uint64_t now_ns)
{
	struct bucket	*k;
	uint64_t	 h;

	if (len > KEY_MAX)
		len = KEY_MAX;
	h = hash_sip(lm->seed, key, len);
	for (k = l->tab[h & (l->nbuckets - 1)]; k != NULL; k = k->hnext)
		if (k->hash == h && k->keylen == len &&
		    memcmp(k->key, key, len) == 0) {
			TAILQ_REMOVE(&l->lru, k, lru);
			TAILQ_INSERT_HEAD(&l->lru, k, lru);
			return k;
		}
	if (l->nkeys >= l->max_keys)
		forget(lm, l, TAILQ_LAST(&l->lru, bucket_lru));
	if (l->nkeys >= l->nbuckets && l->nbuckets < 2 * MAX_KEYS)
		(void)grow(l);		/* longer chains if it cannot */
	if ((k = calloc(1, sizeof(*k) + len)) == NULL)
		return NULL;
	k->hash = h;
	k->keylen = (uint32_t)len;
	memcpy(k->key, key, len);
	k->tokens = (double)l->burst;
	k->last_ns = now_ns;
	k->hnext = l->tab[h & (l->nbuckets - 1)];
	l->tab[h & (l->nbuckets - 1)] = k;
	TAILQ_INSERT_HEAD(&l->lru, k, lru);
	l->nkeys++;
	return k;
}

/* Take a token for one event at now_ns: 1 if it passes. */
static int
bucket_take(const struct limit *l, struct bucket *k, uint64_t now_ns)
{
	if (now_ns > k->last_ns) {
		k->tokens += (double)(now_ns - k->last_ns) * l->rate / 1e9;
		if (k->tokens > (double)l->burst)
			k->tokens = (double)l->burst;
		k->last_ns = now_ns;
	}
	if (k->tokens < 1)
		return 0;
	k->tokens -= 1;
	return 1;
}

/* One event under limit l: 1 if it passes. */
static int
limit_event(struct limiter *lm, struct limit *l, struct lsbatch *b,
    const struct logrec *r, uint64_t now_ns, int64_t sec)
{
	struct lsslice	 ks = evkey_of(&l->key, b, r, 0);
	struct bucket	*k;

	k = bucket_get(lm, l, ks.len > 0 ? LS_PTR(b, ks) : "-",
	    ks.len > 0 ? ks.len : 1, now_ns);
	if (k == NULL || bucket_take(l, k, now_ns)) {
		COUNT_ADD(l->passed, 1);	/* ENOMEM: let it by */
		return 1;
	}
	if (k->owed > 0 && k->sec != sec && summary(l, k, lm->side) == -1)
		summary_lost(lm, l, k);
	k->sec = sec;
	k->owed++;
	k->transport = r->transport;
	COUNT_ADD(l->dropped, 1);
	return 0;
}

void
limiter_process(struct limiter *lm, struct lsbatch *b, struct lsbatch *side,
    uint64_t now_ns, int64_t now_us)
{
	struct logrec	*r;
	struct limit	*l;
	uint64_t	 rule = 0, limited = 0;
	int64_t		 sec = now_us / 1000000;
	uint32_t	 i;
	size_t		 j;

	lm->side = side;
	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (r->flags & LR_DROP)
			continue;
		if (r->cls_id < lm->ncls && lm->nostore[r->cls_id]) {
			r->flags |= LR_DROP;
			rule++;
			continue;
		}
		for (j = 0; j < lm->nlim; j++) {
			l = &lm->lim[j];
			if (l->cls != NULL && (r->cls_id >= lm->ncls ||
			    !l->cls[r->cls_id]))
				continue;
			if (!limit_event(lm, l, b, r, now_ns, sec)) {
				r->flags |= LR_DROP;
				limited++;
				break;
			}
		}
	}
	for (j = 0; j < lm->nlim; j++)
		atomic_store(&lm->lim[j].nkeys_pub, lm->lim[j].nkeys);
	if (rule > 0)
		COUNT_ADD(counters.dropped[DROP_RULE], rule);
	if (limited > 0)
		COUNT_ADD(counters.dropped[DROP_RATE_LIMIT], limited);
}

void
limiter_summaries(struct limiter *lm, struct lsbatch *side, int64_t now_us,
    int all)
{
	struct limit	*l;
	struct bucket	*k;
	int64_t		 sec = now_us / 1000000;
	size_t		 j;

	for (j = 0; j < lm->nlim; j++) {
		l = &lm->lim[j];
		TAILQ_FOREACH(k, &l->lru, lru) {
			if (k->owed == 0 || (!all && k->sec >= sec))
				continue;
			if (summary(l, k, side) == -1 && all)
				summary_lost(lm, l, k);
		}
	}
}

int
limiter_stat(const struct limiter *lm, size_t i, struct limit_stat *st)
{
	const struct limit	*l;

	if (lm == NULL || i >= lm->nlim)
		return -1;
	l = &lm->lim[i];
	st->name = l->name;
	st->passed = atomic_load(&l->passed);
	st->dropped = atomic_load(&l->dropped);
	st->keys = atomic_load(&l->nkeys_pub);
	st->evicted = atomic_load(&l->evicted);
	return 0;
}
