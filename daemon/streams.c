/*
 * streams.c: stream health.  A seeded-hash table of streams (source address
 * + host + app), LRU-ordered and capped at max_streams, keeps per stream the
 * highest sequence number and a bitmap of the STREAMS_WINDOW before it, to
 * tell a gap, a duplicate and an out-of-order event apart; it recognises
 * RFC 5424 wrap-around and sender restarts, and collapses repeated messages.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "hash.h"
#include "logrec.h"
#include "streams.h"

#define PART_MAX	255		/* key bytes kept of addr, host, app */
#define KEY_MAX		(3 * PART_MAX + 2)
#define SIDE_MAX	256		/* summaries waiting for a batch */
#define NWORDS		(STREAMS_WINDOW / 64)

struct stream {
	struct stream	*hnext;		/* hash chain */
	TAILQ_ENTRY(stream) lru;	/* LRU, head is newest */
	struct stream	*rnext;		/* open repeat runs, oldest first */
	struct stream	*rprev;
	uint64_t	 hash;
	uint64_t	 src;		/* hash of "addr:port": a new peer */
	uint64_t	 last_seq;	/* highest seen */
	uint64_t	 pos;		/* virtual position of last_seq */
	uint64_t	 bits[NWORDS];	/* seen, by position % WINDOW */
	int64_t		 last_us;	/* wall, for /stats */
	int64_t		 last_ns;	/* monotonic: the restart pause */
	uint64_t	 rep_hash;	/* message of the run's stored event */
	uint32_t	 rep_len;
	uint32_t	 rep_count;	/* repeats dropped in the run */
	int64_t		 rep_start_ns;	/* monotonic; 0: no run */
	struct streams_stat st;
	uint8_t		 has_seq;
	uint8_t		 transport;
	uint16_t	 addrlen;
	uint16_t	 hostlen;
	uint16_t	 applen;
	uint32_t	 keylen;
	char		 key[];		/* addr NUL host NUL app */
};

struct streams {
	struct streams_conf	 c;
	struct stream		**tab;
	size_t			 nbuckets;	/* power of two */
	size_t			 n;
	TAILQ_HEAD(streamlru, stream) lru;	/* newest first */
	struct stats_host	 hosts[STATS_TOP_HOSTS];
	size_t			 nhosts;
	uint32_t		 hhash[STATS_TOP_HOSTS];
	size_t			 hlast;		/* the last one counted */
	uint32_t		 hmiss;		/* misses of a full table */
	struct stream		*runs;		/* open runs, oldest first */
	struct stream		*runs_tail;
	struct lsbatch		*side;
	uint64_t		 seed[2];
	struct diag_rate	 nomem;
};

void
streams_conf_from(const struct config *cf, struct streams_conf *sc)
{
	sc->max_delay_us = cf->max_delay_ms * 1000;
	sc->max_streams = cf->max_streams ? cf->max_streams : 10000;
	sc->drop_duplicates = cf->drop_duplicates;
	sc->collapse_us = cf->collapse_repeats_ms * 1000;
}

/* The sequence number. */

static int
parse_dec(const char *p, size_t len, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

int
streams_seq(const struct lsbatch *b, const struct logrec *r, uint64_t *seq)
{
	const struct lsfield	*f, *end;
	const char		*k;

	f = b->fields + r->field_first;
	for (end = f + r->field_count; f < end; f++) {
		k = LS_PTR(b, f->key);
		if (f->type == LSFT_SD) {
			if (f->sdid.len != 4 || f->key.len != 10 ||
			    memcmp(LS_PTR(b, f->sdid), "meta", 4) != 0 ||
			    memcmp(k, "sequenceId", 10) != 0)
				continue;
		} else if (f->key.len != 3 || memcmp(k, "seq", 3) != 0 ||
		    (f->type != LSFT_NUMBER && f->type != LSFT_STRING))
			continue;
		return parse_dec(LS_PTR(b, f->val), f->val.len, seq);
	}
	return -1;
}

/* The table. */

/* The least recently seen stream, or NULL. */
#define OLDEST(t)	TAILQ_LAST(&(t)->lru, streamlru)

static void
run_unlink(struct streams *t, struct stream *s)
{
	if (s->rprev != NULL)
		s->rprev->rnext = s->rnext;
	else if (t->runs == s)
		t->runs = s->rnext;
	else
		return;		/* not in the list */
	if (s->rnext != NULL)
		s->rnext->rprev = s->rprev;
	else
		t->runs_tail = s->rprev;
	s->rnext = s->rprev = NULL;
}

static void
run_append(struct streams *t, struct stream *s)
{
	s->rprev = t->runs_tail;
	s->rnext = NULL;
	if (t->runs_tail != NULL)
		t->runs_tail->rnext = s;
	else
		t->runs = s;
	t->runs_tail = s;
}

static int
table_grow(struct streams *t)
{
	struct stream	**tab, *s, *next;
	size_t		 n = t->nbuckets ? t->nbuckets * 2 : 64, i;

	if ((tab = calloc(n, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < t->nbuckets; i++)
		for (s = t->tab[i]; s != NULL; s = next) {
			next = s->hnext;
			s->hnext = tab[s->hash & (n - 1)];
			tab[s->hash & (n - 1)] = s;
		}
	free(t->tab);
	t->tab = tab;
	t->nbuckets = n;
	return 0;
}

static int	 run_close(struct streams *, struct stream *,
		    struct lsbatch *, uint32_t at, int64_t now);

static void
stream_remove(struct streams *t, struct stream *s)
{
	struct stream	**pp;

	for (pp = &t->tab[s->hash & (t->nbuckets - 1)]; *pp != s;
	    pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	TAILQ_REMOVE(&t->lru, s, lru);
	run_unlink(t, s);
	t->n--;
	free(s);
}

/* The least recently seen stream goes; an open repeat run is summed up
 * first so that no count is lost with it. */
static void
evict_oldest(struct streams *t, int64_t now)
{
	struct stream	*s = OLDEST(t);

	if (s->rep_count > 0)
		run_close(t, s, NULL, 0, now);
	stream_remove(t, s);
	COUNT_ADD(counters.streams_evicted, 1);
}

/* Key of r: address without the port, host, app; into buf. */
static size_t
make_key(const struct lsbatch *b, const struct logrec *r, char *buf,
    uint16_t lens[3])
{
	const char	*p = LS_PTR(b, r->source), *colon;
	size_t		 n = r->source.len, k = 0;

	if ((colon = memrchr(p, ':', n)) != NULL && colon > p)
		n = (size_t)(colon - p);
	if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
		p++;
		n -= 2;
	}
	lens[0] = (uint16_t)(n < PART_MAX ? n : PART_MAX);
	memcpy(buf, p, lens[0]);
	k = lens[0];
	buf[k++] = '\0';
	lens[1] = (uint16_t)(r->host.len < PART_MAX ? r->host.len : PART_MAX);
	memcpy(buf + k, LS_PTR(b, r->host), lens[1]);
	k += lens[1];
	buf[k++] = '\0';
	lens[2] = (uint16_t)(r->app.len < PART_MAX ? r->app.len : PART_MAX);
	memcpy(buf + k, LS_PTR(b, r->app), lens[2]);
	return k + lens[2];
}

/* The stream of r, made if new (evicting at max_streams); NULL: ENOMEM. */
static struct stream *
stream_get(struct streams *t, const struct lsbatch *b, const struct logrec *r,
    int64_t now)
{
	struct stream	*s;
	char		 key[KEY_MAX];
	uint16_t	 lens[3];
	size_t		 len = make_key(b, r, key, lens);
	uint64_t	 h = hash_sip(t->seed, key, len);

	if (t->nbuckets > 0)
		for (s = t->tab[h & (t->nbuckets - 1)]; s != NULL;
		    s = s->hnext)
			if (s->hash == h && s->keylen == len &&
			    memcmp(s->key, key, len) == 0) {
				if (s != TAILQ_FIRST(&t->lru)) {
					TAILQ_REMOVE(&t->lru, s, lru);
					TAILQ_INSERT_HEAD(&t->lru, s, lru);
				}
				return s;
			}
	while (t->n >= t->c.max_streams && OLDEST(t) != NULL)
		evict_oldest(t, now);
	if (t->n >= t->nbuckets && table_grow(t) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s) + len)) == NULL)
		return NULL;
	s->hash = h;
	s->keylen = (uint32_t)len;
	memcpy(s->key, key, len);
	s->addrlen = lens[0];
	s->hostlen = lens[1];
	s->applen = lens[2];
	s->transport = r->transport;
	s->hnext = t->tab[h & (t->nbuckets - 1)];
	t->tab[h & (t->nbuckets - 1)] = s;
	TAILQ_INSERT_HEAD(&t->lru, s, lru);
	t->n++;
	return s;
}

/* Sequence tracking. */

#define BIT_SET(s, p)	((s)->bits[((p) % STREAMS_WINDOW) / 64] |= \
			    1ULL << ((p) % 64))
#define BIT_CLR(s, p)	((s)->bits[((p) % STREAMS_WINDOW) / 64] &= \
			    ~(1ULL << ((p) % 64)))
#define BIT_GET(s, p)	(((s)->bits[((p) % STREAMS_WINDOW) / 64] >> \
			    ((p) % 64)) & 1)

static void
seq_reset(struct stream *s, uint64_t seq)
{
	memset(s->bits, 0, sizeof(s->bits));
	s->pos = STREAMS_WINDOW;	/* any start; positions never go < 0 */
	s->last_seq = seq;
	s->has_seq = 1;
	BIT_SET(s, s->pos);
}

/* Move the highest seq d ahead: the positions skipped are unseen. */
static void
seq_advance(struct stream *s, uint64_t seq, uint64_t d)
{
	uint64_t	 j;

	if (d >= STREAMS_WINDOW)
		memset(s->bits, 0, sizeof(s->bits));
	else
		for (j = 1; j <= d; j++)
			BIT_CLR(s, s->pos + j);
	s->pos += d;
	s->last_seq = seq;
	BIT_SET(s, s->pos);
}

/*
 * The mark seq earns on stream s.  Forward by one is fine, forward by more
 * a gap; RFC 5424's wrap (2147483647 -> 1) counts as forward.  Backwards
 * within the window is a duplicate if that seq was seen, else out of order.
 * Back to 0 or 1, or further back than the window, from a new peer (a new
 * connection or port) or after a pause is a sender restart: tracking
 * starts afresh, nothing is marked.
 */
static int
seq_track(struct stream *s, uint64_t seq, uint64_t src, int64_t now,
    uint32_t *missing)
{
	uint64_t	 last = s->last_seq, d = 0, k;
	int		 fresh;

	if (!s->has_seq) {
		seq_reset(s, seq);
		return LRS_OK;
	}
	if (seq > last)
		d = seq - last;
	else if (last <= STREAMS_SEQ_WRAP && last > STREAMS_SEQ_WRAP -
	    STREAMS_WINDOW && seq >= 1 && seq <= STREAMS_WINDOW) {
		d = STREAMS_SEQ_WRAP - last + seq;
		COUNT_ADD(counters.streams_wraps, 1);
	}
	if (d > 0) {
		seq_advance(s, seq, d);
		if (d == 1)
			return LRS_OK;
		*missing = d - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(d - 1);
		return LRS_GAP;
	}
	k = last - seq;
	fresh = src != s->src ||
	    now - s->last_ns >= STREAMS_RESTART_PAUSE * 1000;
	if (k > 0 && fresh && (seq <= 1 || k >= STREAMS_WINDOW)) {
		seq_reset(s, seq);
		s->st.f.restarts++;
		COUNT_ADD(counters.streams_restarts, 1);
		return LRS_OK;
	}
	if (k >= STREAMS_WINDOW)
		return LRS_OUT_OF_ORDER;	/* too old to tell */
	if (BIT_GET(s, s->pos - k))
		return LRS_DUPLICATE;
	BIT_SET(s, s->pos - k);
	return LRS_OUT_OF_ORDER;
}

static uint64_t
src_hash(const struct lsbatch *b, const struct logrec *r)
{
	const unsigned char	*p = (const unsigned char *)LS_PTR(b, r->source);
	uint64_t		 h = 0xcbf29ce484222325ULL;
	uint32_t		 i;

	for (i = 0; i < r->source.len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Repeat collapse. */

/* Insert the summary of s's run into b at index at; 1 if so, 0 if it went
 * to the side batch (b NULL or full: written after the current one). */
static int
run_close(struct streams *t, struct stream *s, struct lsbatch *b,
    uint32_t at, int64_t now)
{
	struct logrec	*r, tmp;
	struct lsfield	*f;
	char		 msg[64], num[24];
	int		 n, k, in_b = 1;
	const char	*host = s->key + s->addrlen + 1;

	if (b == NULL || b->n == b->max) {
		b = t->side;
		at = b->n;
		in_b = 0;
	}
	if ((r = lsbatch_add_rec(b)) == NULL)
		goto lost;
	r->received_us = diag_now_us();
	r->recv_mono_ns = now;
	r->format = LRF_PLAIN;
	r->transport = s->transport;
	n = snprintf(msg, sizeof(msg), "last message repeated %u times",
	    s->rep_count);
	k = snprintf(num, sizeof(num), "%u", s->rep_count);
	if (lsbatch_append(b, s->key, s->addrlen, &r->source) == -1 ||
	    lsbatch_append(b, host, s->hostlen, &r->host) == -1 ||
	    lsbatch_append(b, host + s->hostlen + 1, s->applen, &r->app) ==
	    -1 || lsbatch_append(b, msg, (size_t)n, &r->message) == -1 ||
	    (f = lsbatch_add_field(b)) == NULL)
		goto undo;
	r->raw = r->message;
	if (lsbatch_append(b, "repeated", 8, &f->key) == -1 ||
	    lsbatch_append(b, num, (size_t)k, &f->val) == -1)
		goto undo;
	f->type = LSFT_NUMBER;
	r->field_count = 1;
	if (at < b->n - 1) {
		tmp = *r;
		memmove(&b->recs[at + 1], &b->recs[at],
		    (b->n - 1 - at) * sizeof(*r));
		b->recs[at] = tmp;
	}
	COUNT_ADD(counters.repeats_summaries, 1);
	goto done;
undo:
	b->n--;
lost:
	in_b = 0;
	COUNT_ADD(counters.repeats_lost, 1);
	diag_rate(&t->nomem, "streams: no room for a repeat summary; "
	    "%u repeats not written", s->rep_count);
done:
	s->rep_count = 0;
	s->rep_start_ns = 0;
	run_unlink(t, s);
	return in_b;
}

/* 1 if r repeats s's run (r is then dropped), else 0 (r starts a run). */
static int
collapse(struct streams *t, struct stream *s, struct lsbatch *b,
    uint32_t *i, int64_t now)
{
	struct logrec	*r = &b->recs[*i];
	uint64_t	 h = hash_sip(t->seed, LS_PTR(b, r->message),
			     r->message.len);
	int64_t		 rt = r->recv_mono_ns;
	uint32_t	 len = r->message.len;

	if (s->rep_start_ns != 0 && h == s->rep_hash && len == s->rep_len &&
	    rt - s->rep_start_ns < t->c.collapse_us * 1000) {
		if (s->rep_count++ == 0)
			run_append(t, s);
		return 1;
	}
	if (s->rep_count > 0 && run_close(t, s, b, *i, now))
		(*i)++;		/* the summary went in before r */
	s->rep_hash = h;	/* r may have moved: no r from here */
	s->rep_len = len;
	s->rep_start_ns = rt;
	return 0;
}

/* Runs whose window ended by now: their summaries go to the front of b
 * (NULL: the side batch), oldest first. */
static void
runs_expire(struct streams *t, struct lsbatch *b, int64_t now)
{
	struct stream	*s;
	uint32_t	 at = 0;

	while ((s = t->runs) != NULL && now - s->rep_start_ns >=
	    t->c.collapse_us * 1000)
		at += (uint32_t)run_close(t, s, b, at, now);
}

/* The stage. */

static void
one(struct streams *t, struct lsbatch *b, uint32_t *i, int64_t now,
    uint64_t kinds[LRS__COUNT])
{
	struct logrec	*r = &b->recs[*i];
	struct stream	*s = NULL;
	uint64_t	 seq, src = 0;
	int		 has, mark = LRS_OK;
	uint32_t	 missing = 0;

	/* An input's own mark (a journal or file gap) stands as it is. */
	if (r->stream != LRS_OK) {
		kinds[r->stream < LRS__COUNT ? r->stream : LRS_OK]++;
		return;
	}
	has = streams_seq(b, r, &seq) == 0;
	if ((has || t->c.collapse_us > 0) &&
	    (s = stream_get(t, b, r, now)) == NULL)
		diag_rate(&t->nomem, "streams: out of memory, stream not "
		    "tracked");
	if (s != NULL)
		src = src_hash(b, r);
	if (s != NULL && has)
		mark = seq_track(s, seq, src, r->recv_mono_ns, &missing);
	if (mark == LRS_OK && t->c.max_delay_us > 0 &&
	    r->time_us != LR_NOTIME &&
	    r->received_us - r->time_us > t->c.max_delay_us)
		mark = LRS_DELAYED;
	r->stream = (uint8_t)mark;
	r->missing = missing;
	kinds[mark]++;
	if (s != NULL) {
		s->src = src;
		s->last_us = r->received_us;
		s->last_ns = r->recv_mono_ns;
		s->st.f.events++;
		s->st.f.kinds[mark]++;
		s->st.f.missing += missing;
		s->st.f.last_seq = s->last_seq;
	}
	if (mark == LRS_DUPLICATE && t->c.drop_duplicates) {
		r->flags |= LR_DROP;
		COUNT_ADD(counters.dropped[DROP_DUPLICATE], 1);
	} else if (s != NULL && mark == LRS_OK && t->c.collapse_us > 0 &&
	    collapse(t, s, b, i, now)) {
		b->recs[*i].flags |= LR_DROP;
		COUNT_ADD(counters.dropped[DROP_REPEAT], 1);
	}
}

/* Count n events of host h (len bytes, cut at STATS_HOST_LEN - 1) in the
 * bounded table: the last host first (runs), else a scan of the entries'
 * 32-bit hashes; a new host past STATS_TOP_HOSTS replaces the least busy
 * one.  No string compare but on a hash match: ~10 ns an event at worst. */
static void
host_count(struct streams *t, const char *h, size_t len, uint64_t n)
{
	struct stats_host	*e;
	uint32_t		 hv = 2166136261u;
	size_t			 i, min = 0;

	if (len > STATS_HOST_LEN - 1)
		len = STATS_HOST_LEN - 1;
	e = &t->hosts[t->hlast];
	if (t->nhosts > 0 && strncmp(e->name, h, len) == 0 &&
	    e->name[len] == '\0') {
		e->events += n;
		return;
	}
	for (i = 0; i < len; i++)	/* FNV-1a */
		hv = (hv ^ (uint8_t)h[i]) * 16777619u;
	for (i = 0; i < t->nhosts; i++)
		if (t->hhash[i] == hv && strncmp(t->hosts[i].name, h,
		    len) == 0 && t->hosts[i].name[len] == '\0') {
			t->hosts[i].events += n;
			t->hlast = i;
			return;
		}
	if (t->nhosts < STATS_TOP_HOSTS) {
		min = t->nhosts++;
		t->hosts[min].events = t->hosts[min].err = 0;
	} else {
		/*
		 * Full: one miss in 8 takes the least busy entry's place (a
		 * busy host still gets in within a few events).  A central
		 * server's hundreds of hosts would otherwise pay the scan on
		 * every event of the stage thread.
		 */
		if ((t->hmiss++ & 7) != 0)
			return;
		for (i = 1; i < t->nhosts; i++)
			if (t->hosts[i].events < t->hosts[min].events)
				min = i;
		t->hosts[min].err = t->hosts[min].events;
	}
	e = &t->hosts[min];
	memcpy(e->name, h, len);
	e->name[len] = '\0';
	e->events += n;
	t->hhash[min] = hv;
	t->hlast = min;
}

const struct stats_host *
streams_hosts(const struct streams *t, size_t *n)
{
	*n = t->nhosts;
	return t->hosts;
}

void
streams_process(struct streams *t, struct lsbatch *b, int64_t now_ns)
{
	uint64_t	 kinds[LRS__COUNT] = { 0 };
	uint32_t	 i;
	int		 k;

	if (t->c.collapse_us > 0)
		runs_expire(t, b, now_ns);
	for (i = 0; i < b->n; i++) {
		if (b->recs[i].flags & LR_DROP)
			continue;
		host_count(t, LS_PTR(b, b->recs[i].host),
		    b->recs[i].host.len, 1);
		/* Judged where its sender's stream was whole (an edge,
		 * through Kafka): its mark is kept, counted, not redone. */
		if (b->recs[i].flags & LR_STREAMED)
			kinds[b->recs[i].stream < LRS__COUNT ?
			    b->recs[i].stream : LRS_OK]++;
		else
			one(t, b, &i, now_ns, kinds);
	}
	for (k = 0; k < LRS__COUNT; k++)
		if (kinds[k] > 0)
			COUNT_ADD(counters.stream_kinds[k], kinds[k]);
}

struct lsbatch *
streams_due(struct streams *t, int64_t now_ns)
{
	if (t->runs != NULL)
		runs_expire(t, NULL, now_ns);
	return t->side->n > 0 ? t->side : NULL;
}

void
streams_configure(struct streams *t, const struct streams_conf *c)
{
	t->c = *c;
	while (t->n > t->c.max_streams && OLDEST(t) != NULL)
		evict_oldest(t, diag_mono_ns());
	if (t->c.collapse_us == 0)
		while (t->runs != NULL)
			run_close(t, t->runs, NULL, 0, diag_mono_ns());
}

struct streams *
streams_new(const struct streams_conf *c)
{
	struct streams	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	TAILQ_INIT(&t->lru);
	t->c = *c;
	hash_seed(t->seed);	/* keys come from senders: SipHash */
	if ((t->side = lsbatch_new(SIDE_MAX)) == NULL ||
	    table_grow(t) == -1) {
		streams_free(t);
		return NULL;
	}
	return t;
}

void
streams_foreach(const struct streams *t, size_t max,
    void (*cb)(const struct streams_stat *, void *), void *arg)
{
	struct stream	*s;
	size_t		 i = 0;

	for (s = TAILQ_FIRST(&t->lru); s != NULL && i < max;
	    s = TAILQ_NEXT(s, lru), i++) {
		s->st.key = s->key;
		s->st.keylen = s->keylen;
		s->st.f.last_us = s->last_us;
		cb(&s->st, arg);
	}
}

size_t
streams_count(const struct streams *t)
{
	return t->n;
}

void
streams_free(struct streams *t)
{
	if (t == NULL)
		return;
	while (OLDEST(t) != NULL)
		stream_remove(t, OLDEST(t));
	free(t->tab);
	lsbatch_free(t->side);
	free(t);
}
