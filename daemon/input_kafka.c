/*
 * input_kafka.c: [input NAME] type = kafka.  A librdkafka high-level
 * consumer in a consumer group (cooperative-sticky rebalancing), polled
 * on the event loop (the consumer queue's io event wakes it).  A message
 * that is a JSON line of logstreamd's own Kafka output is taken as the
 * stored event it is (kafka_decode.c); any other message is a line for
 * the parser.  At least once: an offset is committed only once the batch
 * that holds its message is durable (ops->durable), never by librdkafka.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "kafkaconf.h"
#include "input.h"
#include "kdec.h"
#include "logrec.h"

#define MAX_TOPICS	32
#define POLL_MAX	4096	/* messages per callback, then the loop runs */
#define POLL_BATCH	512	/* taken from librdkafka's queue at once */
#define TICK_MS		200	/* the poll that serves rebalances when idle */
#define HANDOVER_MS	5000	/* a revoke waits for durable reads this long */
#define STATS_TAIL	64	/* room kept for the last members of stats */
/* Our read-ahead: every message taken from librdkafka's queue waits here
 * until the intake has room.  Past READ_AHEAD bytes the partitions are
 * paused, and resumed below half of it (see kin_throttle). */
#define READ_AHEAD	(64u << 20)
#define HELD_COST	96	/* bytes counted for a held message's header */

enum { RV_NONE, RV_DURABLE, RV_COMMIT };

/* A message's batch, per partition, in batch order: what a durable
 * batch number lets us commit. */
struct mark {
	uint64_t	 batchno;
	int64_t		 offset;	/* the last one in that batch */
	uint32_t	 n;		/* messages */
};

struct part {
	char		*topic;		/* one of k->topics */
	int32_t		 id;
	int		 owned;
	int		 revoking;	/* handed over once durable */
	int64_t		 next;		/* offset after the last read */
	int64_t		 committed;	/* durable: to commit (asked), or -1 */
	int64_t		 acked;		/* committed (broker said yes) */
	int64_t		 sent;		/* in a commit not yet answered */
	int64_t		 first;		/* the first offset read since assigned */
	int64_t		 hole;		/* a message not held (ENOMEM): no
					 * commit past it, or -1 */
	struct mark	*marks;
	size_t		 mhead, mn, mcap;	/* a ring */
	uint64_t	 inflight;	/* read, not yet committed */
};

struct kin {
	/* keys */
	char		*brokers;
	char		*topics[MAX_TOPICS];
	size_t		 ntopics;
	char		*group;
	char		*client_id;
	int		 reset;		/* 0 earliest, 1 latest */
	int64_t		 session_ms;
	uint64_t	 max_message;
	uint64_t	 max_lag;	/* 0: no bound */
	struct kafka_opts opts;		/* kafka.NAME = VALUE */
	/* running */
	struct input	*in;
	rd_kafka_t	*rk;
	rd_kafka_queue_t *rkqu;
	struct event_base *base;
	struct listener	*l;
	int		 efd;
	struct event	*ev, *tick;
	int		 paused;	/* the intake is full: hold */
	int		 throttled;	/* the partitions are paused */
	int		 stopped, cooperative;
	struct part	*parts;
	size_t		 nparts;
	struct part	*last;		/* cache for part_find */
	rd_kafka_message_t **held;	/* read ahead: a ring, in read order */
	size_t		 hhead, nheld, capheld;
	size_t		 heldbytes;	/* their length and HELD_COST each */
	struct kdec	 dec;
	uint64_t	 last_durable;
	/* A revoke waiting for its reads to be durable and committed. */
	rd_kafka_topic_partition_list_t *revoking;
	int		 revoke_state;
	uint64_t	 revoke_batch;	/* durable up to this: commit */
	uint64_t	 revoke_until;	/* monotonic ns: then anyway */
	uint64_t	 commits_sent, commits_back;
	/* librdkafka is (re)joining the group (its join state, from its
	 * cgrp log lines, set on its thread): a commit now is answered
	 * ILLEGAL_GENERATION once the join is done, and librdkafka 2.0
	 * then takes the whole assignment for lost (its issue #4059). */
	atomic_int	 joining;
	/* figures */
	uint64_t	 received, events, lines, truncated, nomem;
	uint64_t	 commits, commit_failed, committed_msgs, commit_held;
	int		 holding;	/* a commit held in this join */
	uint64_t	 rebalances, assigned, revoked, redelivered;
	uint64_t	 errors, resets;
	struct diag_rate rate;
};

static struct kin *
kin_of(struct input *in)
{
	return in->impl;
}

static int
set_topic(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct kin	*k = obj;

	if (s == NULL)
		return 0;
	if (k->ntopics == MAX_TOPICS) {
		config_error(cf, kv->line, "[input %s]: at most %d topics",
		    s->name, MAX_TOPICS);
		return CM_REPORTED;
	}
	if (kv->val[0] == '\0')
		return -1;
	if ((k->topics[k->ntopics] = strdup(kv->val)) == NULL)
		return -2;
	k->ntopics++;
	return 0;
}

/* kafka.NAME = VALUE: handed to librdkafka, which checks it at finish. */
static int
set_opt(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct kin	*k = obj;

	return kafka_opts_add(&k->opts, cf, "input", s->name, kv);
}

static const char *const resets[] = { "earliest", "latest", NULL };


#define K(f)	offsetof(struct kin, f)

/* The keys of type = kafka (docs-kafka.md): one row each. */
static const struct conf_map kin_map[] = {
	{ "brokers", CM_STRING, K(brokers), NULL, 0, 0, NULL,
	    "HOST:PORT, HOST:PORT...", 0, NULL },
	{ "topic", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a topic name (repeatable)", CM_REPEAT, set_topic },
	{ "group", CM_STRING, K(group), "logstreamd", 1, 0, NULL,
	    "a consumer group id", 0, NULL },
	{ "client_id", CM_STRING, K(client_id), "logstreamd", 1, 0, NULL,
	    "the client.id the brokers see", 0, NULL },
	{ "offset_reset", CM_ENUM, K(reset), "earliest", 0, 0, resets,
	    "earliest or latest: where a partition without a committed "
	    "offset (or out of range) starts", 0, NULL },
	{ "session_timeout", CM_MS, K(session_ms), "10s", 1000, 3600000,
	    NULL, "a duration, 1s to 1h", 0, NULL },
	{ "max_message", CM_SIZE, K(max_message), "64k", 16, 16 << 20, NULL,
	    "a size, 16 to 16M: longer messages are cut and marked", 0,
	    NULL },
	{ "max_lag", CM_UINT, K(max_lag), "0", 0, UINT64_MAX / 2, NULL,
	    "messages; a partition further behind degrades /health (0: "
	    "never)", 0, NULL },
	{ "kafka.", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a librdkafka consumer setting", CM_PREFIX, set_opt },
};

static void *
kin_impl(struct input *in)
{
	struct kin	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->efd = -1;
	k->in = in;
	return k;
}

static void	kin_rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	kin_commit_cb(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	kin_error_cb(rd_kafka_t *, int, const char *, void *);
static void	kin_handover(struct kin *);
static void	kin_commit(struct kin *);
static void	kin_revoke_step(struct kin *);

/*
 * librdkafka's log lines (kafka.debug: cgrp at least, which we set).  A
 * join state change ("... changed join state steady -> init (state up)")
 * says whether the member is between a JoinGroup and its SyncGroup answer
 * (init, wait-join, wait-metadata, wait-sync): commits wait meanwhile.
 */
static void
kin_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	static const char *const steps[] = { "init ", "wait-join ",
	    "wait-metadata ", "wait-sync " };
	struct kin	*k = rd_kafka_opaque(rk);
	const char	*to;
	size_t		 i;
	int		 j = 0;

	if (k != NULL && strcmp(fac, "CGRPJOINSTATE") == 0 &&
	    (to = strstr(buf, " -> ")) != NULL) {
		to += 4;
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			j |= strncmp(to, steps[i], strlen(steps[i])) == 0;
		atomic_store(&k->joining, j);
	}
	diag_debug("kafka: %s: %s", fac, buf);
}

/* The librdkafka config; NULL after reporting (cf) or logging (cf NULL)
 * what librdkafka refused. */
static rd_kafka_conf_t *
kin_conf(struct input *in, struct kin *k, struct config *cf, int line)
{
	rd_kafka_conf_t	*c = rd_kafka_conf_new();
	char		 stmo[24], hbeat[24], dbg[512], err[256];
	size_t		 i;
	const char	*const kv[][2] = {
		{ "bootstrap.servers", k->brokers },
		{ "group.id", k->group },
		{ "client.id", k->client_id },
		{ "enable.auto.commit", "false" },
		{ "enable.auto.offset.store", "false" },
		{ "auto.offset.reset", resets[k->reset] },
		{ "session.timeout.ms", stmo },
		/* a rebalance is noticed at the next heartbeat */
		{ "heartbeat.interval.ms", hbeat },
		/* polled every TICK_MS, paused or not: a member that stops
		 * polling for this long is out (and a rebalance waits at most
		 * this long for members that do not rejoin) */
		{ "max.poll.interval.ms", "30000" },
		/* incremental: a rebalance moves only the partitions that
		 * change owner (kafka.partition.assignment.strategy may say
		 * range or roundrobin: eager) */
		{ "partition.assignment.strategy", "cooperative-sticky" },
		{ "enable.partition.eof", "false" },
		/* the join state for kin_log_cb (a kafka.debug setting
		 * should name cgrp too) */
		{ "debug", "cgrp" },
		/* librdkafka's own read-ahead (the consumer queue) is
		 * drained into ours (held, READ_AHEAD), which pauses the
		 * partitions when full and resumes them at half: a resume
		 * fetches at once.  librdkafka's bounds stay a backstop for
		 * an event loop that does not drain: past them a fetcher
		 * (before librdkafka 2.2's fetch.queue.backoff.ms) sleeps up
		 * to a second before it looks again, so a worker that
		 * empties the queue faster idles (on the mock cluster it
		 * stored nothing 0.5-0.9 s of every second; 100000
		 * messages, the default count, last a fraction of one).
		 * Its kbytes default, 64 MB, kept; the count raised so the
		 * bytes decide. */
		{ "queued.min.messages", "1000000" },
		{ "queued.max.messages.kbytes", "65536" },
		/* A pause (kin_throttle) drops the fetches in flight: 4 MB a
		 * broker's answer at most (librdkafka's default, 50 MB, made
		 * a throttled worker fetch much of the topic twice: 1.3-2.6
		 * CPU-s per million events on the mock cluster, against
		 * 1.4-1.8 with 4 MB). */
		{ "fetch.max.bytes", "4194304" },
	};

	snprintf(stmo, sizeof(stmo), "%lld", (long long)k->session_ms);
	snprintf(hbeat, sizeof(hbeat), "%lld", (long long)(k->session_ms / 6));
	if (kafka_conf_apply(c, kv, sizeof(kv) / sizeof(kv[0]), &k->opts, cf,
	    line, "input", in->name) == -1) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	/* A kafka.debug or kafka.log_level of the user's keeps what the join
	 * gate reads (kin_log_cb): cgrp added, debug lines let through (they
	 * go to logstreamd's debug log only). */
	for (i = 0; i < k->opts.n; i++) {
		if (strcmp(k->opts.v[i].name, "debug") == 0 &&
		    strstr(k->opts.v[i].val, "cgrp") == NULL &&
		    strstr(k->opts.v[i].val, "all") == NULL) {
			snprintf(dbg, sizeof(dbg), "%s,cgrp", k->opts.v[i].val);
			rd_kafka_conf_set(c, "debug", dbg, err, sizeof(err));
		}
		if (strcmp(k->opts.v[i].name, "log_level") == 0)
			rd_kafka_conf_set(c, "log_level", "7", err,
			    sizeof(err));
	}
	rd_kafka_conf_set_opaque(c, k);
	rd_kafka_conf_set_rebalance_cb(c, kin_rebalance_cb);
	rd_kafka_conf_set_offset_commit_cb(c, kin_commit_cb);
	rd_kafka_conf_set_error_cb(c, kin_error_cb);
	rd_kafka_conf_set_log_cb(c, kin_log_cb);
	return c;
}

static int
kin_finish(struct input *in, struct config *cf, int line)
{
	struct kin	*k = kin_of(in);
	rd_kafka_conf_t	*c;

	if (k->brokers == NULL || k->ntopics == 0) {
		config_error(cf, line, "[input %s]: brokers and topic are "
		    "required for type = kafka", in->name);
		return -1;
	}
	if ((c = kin_conf(in, k, cf, line)) == NULL)
		return -1;
	rd_kafka_conf_destroy(c);
	return 0;
}

/* ---- partitions and the marks that say what a durable batch commits ---- */

static struct part *
part_find(struct kin *k, const char *topic, int32_t id, int make)
{
	struct part	*p;
	size_t		 i;

	if (k->last != NULL && k->last->id == id &&
	    strcmp(k->last->topic, topic) == 0)
		return k->last;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].id == id && strcmp(k->parts[i].topic,
		    topic) == 0)
			return k->last = &k->parts[i];
	if (!make)
		return NULL;
	for (i = 0; i < k->ntopics && strcmp(k->topics[i], topic) != 0; i++)
		;
	if (i == k->ntopics)
		return NULL;		/* not one we subscribed to */
	if ((p = reallocarray(k->parts, k->nparts + 1, sizeof(*p))) == NULL)
		return NULL;
	k->parts = p;
	p = &k->parts[k->nparts++];
	memset(p, 0, sizeof(*p));
	p->topic = k->topics[i];
	p->id = id;
	p->next = p->committed = p->acked = p->first = p->sent = -1;
	p->hole = -1;
	return k->last = p;
}

/*
 * A full ring (n elements of size sz from *head in *cap slots) grown to
 * twice its slots (first, when it has none), its elements from slot 0.
 * 0 or -1 (the ring as it was).
 */
static int
ring_grow(void **v, size_t sz, size_t *cap, size_t *head, size_t n,
    size_t first)
{
	size_t	 ncap = *cap ? *cap * 2 : first, tail;
	char	*nv, *ov = *v;

	if ((nv = reallocarray(NULL, ncap, sz)) == NULL)
		return -1;
	tail = n < *cap - *head ? n : *cap - *head;	/* head to the end */
	if (n > 0) {
		memcpy(nv, ov + *head * sz, tail * sz);
		memcpy(nv + tail * sz, ov, (n - tail) * sz);
	}
	free(ov);
	*v = nv;
	*cap = ncap;
	*head = 0;
	return 0;
}

/* The message at offset of p is in batch batchno. */
static int
mark_add(struct part *p, uint64_t batchno, int64_t offset)
{
	struct mark	*m;

	if (p->mn > 0) {
		m = &p->marks[(p->mhead + p->mn - 1) % p->mcap];
		if (m->batchno == batchno) {
			m->offset = offset;
			m->n++;
			return 0;
		}
	}
	if (p->mn == p->mcap && ring_grow((void **)&p->marks,
	    sizeof(*p->marks), &p->mcap, &p->mhead, p->mn, 64) == -1)
		return -1;
	p->marks[(p->mhead + p->mn++) % p->mcap] =
	    (struct mark){ batchno, offset, 1 };
	return 0;
}

/* Forget p's uncommitted reads: another member reads them again, from
 * the last offset the group coordinator acknowledged (or, without one,
 * from where this member began). */
static void
part_drop(struct kin *k, struct part *p)
{
	int64_t	 from = p->acked >= 0 ? p->acked : p->first;

	if (p->next >= 0 && from >= 0 && p->next > from)
		k->redelivered += (uint64_t)(p->next - from);
	p->inflight = 0;
	p->mn = 0;
	p->mhead = 0;
	p->owned = 0;
	p->next = p->committed = p->acked = p->first = p->sent = -1;
	p->hole = -1;
}

/* ---- the messages ---- */

static void
kin_msg_error(struct kin *k, const rd_kafka_message_t *m)
{
	const char	*t = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";

	k->errors++;
	switch (m->err) {
	case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
	case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
		k->resets++;
		diag_warn("input %s: %s [%d]: offset out of range; starting "
		    "from the %s offset (offset_reset): %s", k->in->name, t,
		    (int)m->partition, resets[k->reset],
		    rd_kafka_message_errstr(m));
		break;
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		diag_rate(&k->rate, "input %s: topic %s does not exist (yet): "
		    "%s", k->in->name, t, rd_kafka_message_errstr(m));
		break;
	default:
		diag_rate(&k->rate, "input %s: kafka: %s", k->in->name,
		    rd_kafka_message_errstr(m));
	}
}

/* One message to the intake (there is room); 0, or -1 on ENOMEM. */
static int
kin_take(struct kin *k, const rd_kafka_message_t *m)
{
	struct part	*p;
	struct logrec	*r;
	const char	*topic = rd_kafka_topic_name(m->rkt);
	char		 src[300];
	int		 n, trunc = m->len > k->max_message;

	if ((p = part_find(k, topic, m->partition, 0)) == NULL ||
	    !p->owned || p->revoking)
		return 0;	/* revoked meanwhile: the new owner reads it */
	k->received++;
	r = NULL;
	if (!trunc && kdec_parse(&k->dec, m->payload, m->len) == 1) {
		r = kdec_apply(&k->dec, k->l, m->payload, m->len);
		if (r != NULL)
			k->events++;
	} else {
		n = snprintf(src, sizeof(src), "%s/%d", topic,
		    (int)m->partition);
		r = intake_add(k->l, m->payload, trunc ? k->max_message :
		    m->len, trunc, LRT_KAFKA, src, (size_t)n);
		k->lines++;
		k->truncated += trunc;
	}
	if (r == NULL)
		k->nomem++;	/* dropped: ENOMEM */
	/* Dropped or not, its offset goes with the batch being filled. */
	if (mark_add(p, intake_batchno(k->l), m->offset) == -1)
		return -1;
	if (p->first < 0)
		p->first = m->offset;
	p->next = m->offset + 1;
	p->inflight++;
	return 0;
}

/* Room for one more held message; 0 or -1. */
static int
held_grow(struct kin *k)
{
	if (k->nheld < k->capheld)
		return 0;
	return ring_grow((void **)&k->held, sizeof(*k->held), &k->capheld,
	    &k->hhead, k->nheld, 1024);
}

/* The oldest held message, taken off the ring. */
static rd_kafka_message_t *
held_pop(struct kin *k)
{
	rd_kafka_message_t	*m = k->held[k->hhead];

	k->hhead = (k->hhead + 1) % k->capheld;
	k->nheld--;
	k->heldbytes -= m->len + HELD_COST;
	return m;
}

/* A message onto the ring's tail (room made first). */
static void
held_push(struct kin *k, rd_kafka_message_t *m)
{
	k->held[(k->hhead + k->nheld++) % k->capheld] = m;
	k->heldbytes += m->len + HELD_COST;
}

/* Hold a message (in order) until the intake takes it. */
static void
kin_hold(struct kin *k, rd_kafka_message_t *m)
{
	struct part	*p;

	if (m->err) {
		kin_msg_error(k, m);
		rd_kafka_message_destroy(m);
		return;
	}
	if (held_grow(k) == -1) {
		/* Not taken: no commit of its partition goes past it, so
		 * the next owner (or this one after a restart) reads it. */
		if ((p = part_find(k, rd_kafka_topic_name(m->rkt),
		    m->partition, 0)) != NULL &&
		    (p->hole < 0 || m->offset < p->hole))
			p->hole = m->offset;
		k->nomem++;
		diag_rate(&k->rate, "input %s: out of memory: a message not "
		    "held (its partition is not committed past it: read "
		    "again after a restart or a rebalance)", k->in->name);
		rd_kafka_message_destroy(m);
		return;
	}
	held_push(k, m);
}

/* Held messages to the intake, in order, while it has room: at most max. */
static int
kin_unhold(struct kin *k, int max)
{
	rd_kafka_message_t	*m;
	int			 n = 0;

	while (n < max && k->nheld > 0 && !k->paused && intake_room(k->l)) {
		m = held_pop(k);
		if (kin_take(k, m) == -1)
			diag_rate(&k->rate, "input %s: out of memory: an "
			    "offset not noted (read again after a restart)",
			    k->in->name);
		rd_kafka_message_destroy(m);
		n++;
	}
	return n;
}

static rd_kafka_topic_partition_list_t *kin_owned(struct kin *);

/*
 * Resume pl where we stopped.  librdkafka 2.0 hands a resume to its main
 * thread, and a broker thread sees it only when it next looks (up to a
 * second): a seek to the position (the offset after the last message we
 * took) wakes the broker threads at once.
 */
static void
kin_unpause(struct kin *k, rd_kafka_topic_partition_list_t *pl)
{
	rd_kafka_topic_partition_list_t	*sl;
	rd_kafka_error_t		*e;
	struct part			*p;
	int				 i;

	rd_kafka_resume_partitions(k->rk, pl);
	if (rd_kafka_position(k->rk, pl) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    (sl = rd_kafka_topic_partition_list_new(pl->cnt)) == NULL)
		return;
	/* Only a position past what this ownership took (p->next): one
	 * from before a revoke must not skip what another member read. */
	for (i = 0; i < pl->cnt; i++)
		if (pl->elems[i].err == 0 && (p = part_find(k,
		    pl->elems[i].topic, pl->elems[i].partition, 0)) != NULL &&
		    p->next >= 0 && pl->elems[i].offset >= p->next)
			rd_kafka_topic_partition_list_add(sl, pl->elems[i].topic,
			    pl->elems[i].partition)->offset =
			    pl->elems[i].offset;
	/* Asynchronous (timeout 0): a partition revoked meanwhile is not
	 * fetched by a seek (it is not started). */
	if (sl->cnt > 0 && (e = rd_kafka_seek_partitions(k->rk, sl, 0)) !=
	    NULL)
		rd_kafka_error_destroy(e);
	rd_kafka_topic_partition_list_destroy(sl);
}

/*
 * Pause the owned partitions once READ_AHEAD bytes are held; resume them
 * below half of it.  Only then: librdkafka drops what it had fetched of a
 * partition when it pauses it (a version barrier), and fetches again on
 * resume from the message after the last one we took.
 */
static void
kin_throttle(struct kin *k)
{
	rd_kafka_topic_partition_list_t	*pl;
	int				 on;

	if (!k->throttled && k->heldbytes >= READ_AHEAD)
		on = 1;
	else if (k->throttled && k->heldbytes <= READ_AHEAD / 2)
		on = 0;
	else
		return;
	if ((pl = kin_owned(k)) == NULL)
		return;
	k->throttled = on;
	diag_debug("input %s: %s partitions, %zu bytes held", k->in->name,
	    on ? "pausing" : "resuming", k->heldbytes);
	if (on)
		rd_kafka_pause_partitions(k->rk, pl);
	else
		kin_unpause(k, pl);
	rd_kafka_topic_partition_list_destroy(pl);
}

/*
 * Serve the consumer queue: messages, rebalances, commit reports.  All of
 * librdkafka's queue is moved to ours first (pointers), so its bounds are
 * not reached while we parse (see kin_conf); past READ_AHEAD the partitions
 * are paused, so this ends.  Then at most POLL_MAX messages go to the
 * intake, and the loop runs before the next.
 */
static void
kin_poll(struct kin *k)
{
	rd_kafka_message_t	*v[POLL_BATCH];
	ssize_t			 got, i;

	if (k->rk == NULL || k->stopped)
		return;
	while ((got = rd_kafka_consume_batch_queue(k->rkqu, 0, v,
	    POLL_BATCH)) > 0) {
		for (i = 0; i < got; i++)
			kin_hold(k, v[i]);
		kin_throttle(k);
	}
	kin_unhold(k, POLL_MAX);
	intake_handoff(k->l);
	kin_throttle(k);
	if (k->nheld > 0 && !k->paused && !k->stopped)
		event_active(k->ev, EV_READ, 0);	/* more, after the rest */
}

static void
kin_read_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	 v;

	if (read(fd, &v, sizeof(v)) == -1) {
		/* EAGAIN: woken by event_active, nothing written */
	}
	kin_poll(arg);
}

static void
kin_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kin	*k = arg;

	if (k->revoke_state != RV_NONE && diag_mono_ns() >= k->revoke_until)
		kin_handover(k);	/* storage too slow: repeats counted */
	else if (k->revoke_state == RV_COMMIT)
		kin_revoke_step(k);
	else if (!k->stopped && k->commits_back >= k->commits_sent)
		kin_commit(k);		/* one refused or held */
	kin_poll(k);
}

/* ---- the group: rebalances and commits ---- */

static void
plist_str(const rd_kafka_topic_partition_list_t *pl, char *buf, size_t len)
{
	size_t	 n = 0;
	int	 i, w;

	buf[0] = '\0';
	for (i = 0; i < pl->cnt && n < len; i++) {
		w = snprintf(buf + n, len - n, "%s%s/%d", i ? "," : "",
		    pl->elems[i].topic, (int)pl->elems[i].partition);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static void
kin_assign(struct kin *k, rd_kafka_topic_partition_list_t *pl)
{
	rd_kafka_error_t	*e = NULL;
	rd_kafka_resp_err_t	 err = 0;
	struct part		*p;
	int			 i;

	for (i = 0; i < pl->cnt; i++)
		if ((p = part_find(k, pl->elems[i].topic,
		    pl->elems[i].partition, 1)) != NULL) {
			part_drop(k, p);	/* nothing in flight: none */
			p->owned = 1;
			k->assigned++;
		}
	if (k->cooperative)
		e = rd_kafka_incremental_assign(k->rk, pl);
	else
		err = rd_kafka_assign(k->rk, pl);
	if (e != NULL || err)
		diag_err("input %s: assign: %s", k->in->name, e != NULL ?
		    rd_kafka_error_string(e) : rd_kafka_err2str(err));
	if (e != NULL)
		rd_kafka_error_destroy(e);
	/* Throttled: the new partitions wait too; else they run (one
	 * revoked and given back was paused at its revoke). */
	if (k->throttled)
		rd_kafka_pause_partitions(k->rk, pl);
	else
		rd_kafka_resume_partitions(k->rk, pl);
}

/* The held messages of p go: whoever owns p next reads them. */
static void
held_drop(struct kin *k, const struct part *p)
{
	rd_kafka_message_t	*m;
	size_t			 i, n = k->nheld;

	for (i = 0; i < n; i++) {
		m = held_pop(k);
		if (m->partition == p->id && strcmp(rd_kafka_topic_name(
		    m->rkt), p->topic) == 0)
			rd_kafka_message_destroy(m);
		else		/* back at the tail: the order is kept */
			held_push(k, m);
	}
}

/* The handover ends: the partitions go (what is still not committed of
 * them is read again by the next owner: counted as redelivered). */
static void
kin_handover(struct kin *k)
{
	rd_kafka_topic_partition_list_t	*pl = k->revoking;
	rd_kafka_error_t		*e = NULL;
	struct part			*p;
	uint64_t			 before = k->redelivered;
	int				 x;

	if (pl == NULL)
		return;
	k->revoking = NULL;
	k->revoke_state = RV_NONE;
	for (x = 0; x < pl->cnt; x++)
		if ((p = part_find(k, pl->elems[x].topic,
		    pl->elems[x].partition, 0)) != NULL) {
			part_drop(k, p);
			p->revoking = 0;
		}
	if (k->redelivered > before)
		diag_warn("input %s: handed over with %llu messages read but "
		    "not yet stored: the next owner reads them again",
		    k->in->name, (unsigned long long)(k->redelivered - before));
	if (k->cooperative)
		e = rd_kafka_incremental_unassign(k->rk, pl);
	else
		rd_kafka_assign(k->rk, NULL);
	if (e != NULL) {
		diag_err("input %s: unassign: %s", k->in->name,
		    rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(pl);
}

/*
 * Revoked: no more is taken from those partitions, and the handover waits
 * (at most HANDOVER_MS) until what was read from them is durable and its
 * offsets are committed, so the next owner goes on exactly where this one
 * stopped: a rebalance (a member joining or leaving) repeats nothing.
 * Lost partitions (this member was thrown out: another owns them already)
 * and a stop go at once, without a commit.
 */
static void
kin_revoke(struct kin *k, rd_kafka_topic_partition_list_t *pl)
{
	struct part	*p;
	uint64_t	 inflight = 0;
	int		 x;

	if (k->revoking != NULL)
		kin_handover(k);	/* not expected: one at a time */
	for (x = 0; x < pl->cnt; x++) {
		if ((p = part_find(k, pl->elems[x].topic,
		    pl->elems[x].partition, 0)) == NULL)
			continue;
		k->revoked++;
		p->revoking = 1;
		held_drop(k, p);
		inflight += p->inflight + (p->committed > p->acked);
	}
	if ((k->revoking = rd_kafka_topic_partition_list_copy(pl)) == NULL)
		return;
	rd_kafka_pause_partitions(k->rk, pl);
	if (inflight == 0 || k->stopped || rd_kafka_assignment_lost(k->rk)) {
		kin_handover(k);
		return;
	}
	k->revoke_state = RV_DURABLE;
	k->revoke_batch = intake_filled(k->l);
	k->revoke_until = diag_mono_ns() + HANDOVER_MS * 1000000ULL;
	if (k->last_durable >= k->revoke_batch) {	/* durable already */
		k->revoke_state = RV_COMMIT;
		kin_revoke_step(k);
	}
}

static void
kin_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *pl, void *opaque)
{
	struct kin	*k = opaque;
	char		 buf[512];

	k->cooperative = strcmp(rd_kafka_rebalance_protocol(rk),
	    "COOPERATIVE") == 0;
	plist_str(pl, buf, sizeof(buf));
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		k->rebalances++;
		diag_info("input %s: assigned %s (%s)", k->in->name,
		    pl->cnt ? buf : "nothing new", k->cooperative ?
		    "cooperative" : "eager");
		kin_assign(k, pl);
	} else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		diag_info("input %s: revoked %s", k->in->name,
		    pl->cnt ? buf : "nothing");
		kin_revoke(k, pl);
	} else {
		diag_err("input %s: rebalance: %s", k->in->name,
		    rd_kafka_err2str(err));
		kin_revoke(k, pl);
	}
}

/* What a commit did (pl: the offsets, or NULL). */
static void
commit_result(struct kin *k, rd_kafka_resp_err_t err,
    const rd_kafka_topic_partition_list_t *pl)
{
	struct part	*p;
	size_t		 j;
	int		 i;

	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	if (err) {
		k->commit_failed++;
		for (j = 0; j < k->nparts; j++)
			k->parts[j].sent = -1;	/* sent again */
		diag_rate(&k->rate, "input %s: commit failed: %s (committed "
		    "again)", k->in->name, rd_kafka_err2str(err));
		return;
	}
	k->commits++;
	for (i = 0; pl != NULL && i < pl->cnt; i++) {
		if ((p = part_find(k, pl->elems[i].topic,
		    pl->elems[i].partition, 0)) == NULL || !p->owned)
			continue;
		if (pl->elems[i].err) {
			p->sent = -1;
			continue;
		}
		/* Offsets acknowledged: messages, but for control records. */
		if (pl->elems[i].offset > p->acked && p->first >= 0) {
			k->committed_msgs += (uint64_t)(pl->elems[i].offset -
			    (p->acked >= 0 ? p->acked : p->first));
			p->acked = pl->elems[i].offset;
		}
	}
}

/*
 * Commit the durable positions not yet acknowledged nor in a commit in
 * flight.  Asynchronous (the report comes through the queue), but when
 * stopping.  Not while librdkafka (re)joins the group (joining): held
 * until it is done (commit_held; the tick sends them).
 */
static void
kin_commit(struct kin *k)
{
	rd_kafka_topic_partition_list_t	*pl;
	rd_kafka_resp_err_t		 err;
	struct part			*p;
	size_t				 i;

	if (k->rk == NULL)
		return;
	if (!k->stopped && atomic_load(&k->joining)) {
		for (i = 0; i < k->nparts; i++)
			if (k->parts[i].owned && k->parts[i].committed >
			    k->parts[i].acked && k->parts[i].committed !=
			    k->parts[i].sent) {
				/* once a join, not once a tick */
				if (!k->holding)
					k->commit_held++;
				k->holding = 1;
				break;
			}
		return;
	}
	k->holding = 0;
	if ((pl = rd_kafka_topic_partition_list_new((int)k->nparts)) == NULL)
		return;
	for (i = 0; i < k->nparts; i++) {
		p = &k->parts[i];
		if (!p->owned || p->committed < 0 || p->committed <= p->acked ||
		    (p->committed == p->sent && !k->stopped))
			continue;
		rd_kafka_topic_partition_list_add(pl, p->topic, p->id)->offset =
		    p->committed;
		p->sent = p->committed;
	}
	if (pl->cnt > 0) {
		err = rd_kafka_commit(k->rk, pl, !k->stopped);
		if (k->stopped)
			commit_result(k, err, pl);
		else if (err)
			commit_result(k, err, NULL);
		else
			k->commits_sent++;
	}
	rd_kafka_topic_partition_list_destroy(pl);
}

/*
 * A revoke whose reads are durable: hand over once every revoked
 * partition's durable position is acknowledged; else commit it (again,
 * after a refusal) when no commit is in flight.  The tick calls this too,
 * so a commit held while the group joins goes out once it is done.
 */
static void
kin_revoke_step(struct kin *k)
{
	rd_kafka_topic_partition_list_t	*pl = k->revoking;
	struct part			*p;
	int				 x, todo = 0;

	if (k->revoke_state != RV_COMMIT || pl == NULL)
		return;
	for (x = 0; x < pl->cnt; x++)
		if ((p = part_find(k, pl->elems[x].topic,
		    pl->elems[x].partition, 0)) != NULL && p->owned &&
		    p->committed > p->acked)
			todo = 1;
	if (!todo)
		kin_handover(k);
	else if (k->commits_back >= k->commits_sent)
		kin_commit(k);
}

/* The report of an asynchronous commit (in the order they were sent). */
static void
kin_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *pl, void *opaque)
{
	struct kin	*k = opaque;

	commit_result(k, err, pl);
	k->commits_back++;
	kin_revoke_step(k);
}

static void
kin_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kin	*k = opaque;

	k->errors++;
	diag_rate(&k->rate, "input %s: kafka: %s", k->in->name, reason);
}

/*
 * Batches up to batchno are stored and synced: commit, per partition, the
 * offset after the last message those batches hold.
 */
static void
kin_durable(struct input *in, uint64_t batchno)
{
	struct kin	*k = kin_of(in);
	struct part	*p;
	struct mark	*m;
	int64_t		 off;
	uint64_t	 n;
	size_t		 i;

	k->last_durable = batchno;
	if (k->rk == NULL)
		return;
	for (i = 0; i < k->nparts; i++) {
		p = &k->parts[i];
		off = -1;
		n = 0;
		while (p->mn > 0 && (m = &p->marks[p->mhead])->batchno <=
		    batchno) {
			off = m->offset;
			n += m->n;
			p->mhead = (p->mhead + 1) % p->mcap;
			p->mn--;
		}
		if (off >= 0) {
			p->committed = off + 1;
			if (p->hole >= 0 && p->committed > p->hole)
				p->committed = p->hole;
			p->inflight -= n;
		}
	}
	kin_commit(k);
	/* A handover waiting for this batch: once its commit is back. */
	if (k->revoke_state == RV_DURABLE && batchno >= k->revoke_batch) {
		k->revoke_state = RV_COMMIT;
		kin_revoke_step(k);
	}
}

/* ---- start, pause, stop ---- */

static int
kin_start(struct input *in, struct event_base *base, struct listener *l)
{
	struct kin			*k = kin_of(in);
	rd_kafka_topic_partition_list_t	*sub;
	rd_kafka_conf_t			*c;
	rd_kafka_resp_err_t		 err;
	char				 errs[256];
	size_t				 i;

	k->base = base;
	k->l = l;
	if ((c = kin_conf(in, k, NULL, 0)) == NULL)
		return -1;
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errs,
	    sizeof(errs))) == NULL) {
		diag_err("input %s: %s", in->name, errs);
		rd_kafka_conf_destroy(c);
		return -1;
	}
	/* Everything (errors, rebalances, commit reports) comes through the
	 * consumer queue, served on this thread. */
	rd_kafka_poll_set_consumer(k->rk);
	k->rkqu = rd_kafka_queue_get_consumer(k->rk);
	if ((k->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (k->ev = event_new(base, k->efd, EV_READ | EV_PERSIST,
	    kin_read_cb, k)) == NULL ||
	    (k->tick = event_new(base, -1, EV_PERSIST, kin_tick_cb, k)) ==
	    NULL) {
		diag_err("input %s: cannot make its events", in->name);
		return -1;
	}
	{
		static const uint64_t	 one = 1;

		rd_kafka_queue_io_event_enable(k->rkqu, k->efd, &one,
		    sizeof(one));
	}
	sub = rd_kafka_topic_partition_list_new((int)k->ntopics);
	for (i = 0; i < k->ntopics; i++)
		rd_kafka_topic_partition_list_add(sub, k->topics[i],
		    RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(k->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err) {
		diag_err("input %s: subscribe: %s", in->name,
		    rd_kafka_err2str(err));
		return -1;
	}
	event_add(k->ev, NULL);
	event_add(k->tick, &(struct timeval){ 0, TICK_MS * 1000 });
	diag_info("input %s: consuming %s%s from %s as group %s",
	    in->name, k->topics[0], k->ntopics > 1 ? " (and more)" : "",
	    k->brokers, k->group);
	return 0;
}

/* The owned partitions, for pause and resume. */
static rd_kafka_topic_partition_list_t *
kin_owned(struct kin *k)
{
	rd_kafka_topic_partition_list_t	*pl;
	size_t				 i;

	if ((pl = rd_kafka_topic_partition_list_new((int)k->nparts)) == NULL)
		return NULL;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].owned && !k->parts[i].revoking)
			rd_kafka_topic_partition_list_add(pl,
			    k->parts[i].topic, k->parts[i].id);
	return pl;
}

/* The queue is full: what comes is held (kin_hold), and past READ_AHEAD
 * the partitions are paused (kin_throttle).  Not at once: a pause drops
 * librdkafka's read-ahead, which a short stall would have used. */
static void
kin_pause(struct input *in)
{
	struct kin	*k = kin_of(in);

	k->paused = 1;
}

static void
kin_resume(struct input *in)
{
	struct kin	*k = kin_of(in);

	if (!k->paused || k->rk == NULL)
		return;
	k->paused = 0;
	if (!k->stopped)
		event_active(k->ev, EV_READ, 0);
}

/* Stop reading: held messages are not handed over (not committed: read
 * again by whoever owns the partition next). */
static void
kin_stop(struct input *in)
{
	struct kin	*k = kin_of(in);

	if (k->stopped)
		return;
	k->stopped = 1;
	if (k->ev != NULL)
		event_del(k->ev);
	if (k->tick != NULL)
		event_del(k->tick);
	while (k->nheld > 0)
		rd_kafka_message_destroy(held_pop(k));
}

static void
kin_free(struct input *in)
{
	struct kin	*k = kin_of(in);
	size_t		 i;

	if (k == NULL)
		return;
	kin_stop(in);
	kin_handover(k);
	if (k->rk != NULL) {
		/* Leaves the group: the partitions go to the others now,
		 * not after session_timeout. */
		rd_kafka_consumer_close(k->rk);
		if (k->rkqu != NULL)
			rd_kafka_queue_destroy(k->rkqu);
		rd_kafka_destroy(k->rk);
	}
	if (k->ev != NULL)
		event_free(k->ev);
	if (k->tick != NULL)
		event_free(k->tick);
	if (k->efd != -1)
		close(k->efd);
	for (i = 0; i < k->nparts; i++)
		free(k->parts[i].marks);
	free(k->parts);
	free(k->held);
	for (i = 0; i < k->ntopics; i++)
		free(k->topics[i]);
	kafka_opts_free(&k->opts);
	kdec_free(&k->dec);
	free(k->brokers);
	free(k->group);
	free(k->client_id);
	free(k);
	in->impl = NULL;
}

/* ---- figures ---- */

/* A partition's lag: the high watermark librdkafka last saw, less what
 * is committed (or, before a commit, what is read); -1 unknown. */
static int64_t
part_lag(struct kin *k, const struct part *p)
{
	int64_t	 lo, hi, at;

	if (rd_kafka_get_watermark_offsets(k->rk, p->topic, p->id, &lo,
	    &hi) != RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
		return -1;
	at = p->committed >= 0 ? p->committed : p->next;
	if (at < 0)		/* nothing read yet: all of it */
		at = lo > 0 ? lo : 0;
	return hi > at ? hi - at : 0;
}

/* /health: every owned partition within max_lag. */
static int
kin_health(struct input *in, char *why, size_t len)
{
	struct kin	*k = kin_of(in);
	int64_t		 lag;
	size_t		 i;

	if (k == NULL || k->rk == NULL || k->max_lag == 0)
		return 0;
	for (i = 0; i < k->nparts; i++) {
		if (!k->parts[i].owned ||
		    (lag = part_lag(k, &k->parts[i])) < 0 ||
		    (uint64_t)lag <= k->max_lag)
			continue;
		snprintf(why, len, "input %s: %s/%d is %lld messages behind "
		    "(max_lag %llu)", in->name, k->parts[i].topic,
		    (int)k->parts[i].id, (long long)lag,
		    (unsigned long long)k->max_lag);
		return -1;
	}
	return 0;
}

static size_t
kin_stats(struct input *in, char *buf, size_t len)
{
	struct kin	*k = kin_of(in);
	size_t		 n, i, owned = 0;
	int64_t		 lag, total = 0, max = 0;
	int		 w, first = 1;
	char		 why[256];

	for (i = 0; i < k->nparts; i++)
		owned += k->parts[i].owned;
	w = snprintf(buf, len, "\"received\":%llu,\"events\":%llu,"
	    "\"lines\":%llu,\"truncated\":%llu,\"dropped_nomem\":%llu,"
	    "\"commits\":%llu,\"commit_failed\":%llu,\"commit_held\":%llu,"
	    "\"committed\":%llu,"
	    "\"rebalances\":%llu,\"assigned\":%llu,\"revoked\":%llu,"
	    "\"redelivered\":%llu,\"offset_resets\":%llu,\"errors\":%llu,"
	    "\"paused\":%s,\"held\":%zu,\"partitions\":%zu,"
	    "\"lag_ok\":%s,\"lag\":{",
	    (unsigned long long)k->received, (unsigned long long)k->events,
	    (unsigned long long)k->lines, (unsigned long long)k->truncated,
	    (unsigned long long)k->nomem, (unsigned long long)k->commits,
	    (unsigned long long)k->commit_failed,
	    (unsigned long long)k->commit_held,
	    (unsigned long long)k->committed_msgs,
	    (unsigned long long)k->rebalances,
	    (unsigned long long)k->assigned, (unsigned long long)k->revoked,
	    (unsigned long long)k->redelivered,
	    (unsigned long long)k->resets, (unsigned long long)k->errors,
	    k->throttled ? "true" : "false", k->nheld, owned,
	    kin_health(in, why, sizeof(why)) == 0 ? "true" : "false");
	if (w < 0 || (size_t)w >= len)
		return 0;
	n = (size_t)w;
	/* Per partition while there is room (the rest is in lag_total and
	 * lag_max), keeping room for the closing members. */
	for (i = 0; i < k->nparts && k->rk != NULL; i++) {
		if (!k->parts[i].owned)
			continue;
		lag = part_lag(k, &k->parts[i]);
		total += lag > 0 ? lag : 0;
		max = lag > max ? lag : max;
		if (len - n < STATS_TAIL)
			continue;
		w = snprintf(buf + n, len - n - STATS_TAIL, "%s\"%s/%d\":%lld",
		    first ? "" : ",", k->parts[i].topic, (int)k->parts[i].id,
		    (long long)lag);
		if (w < 0 || (size_t)w >= len - n - STATS_TAIL) {
			buf[n] = '\0';
			n = len;	/* no more */
			continue;
		}
		n += (size_t)w;
		first = 0;
	}
	if (n == len)
		n = strlen(buf);
	w = snprintf(buf + n, len - n, "},\"lag_total\":%lld,\"lag_max\":%lld",
	    (long long)total, (long long)max);
	if (w < 0 || (size_t)w >= len - n)
		return 0;
	return n + (size_t)w;
}

const struct input_ops input_kafka_ops = {
	.type = "kafka",
	.map = kin_map,
	.nmap = CM_N(kin_map),
	.impl = kin_impl,
	.finish = kin_finish,
	.start = kin_start,
	.pause = kin_pause,
	.resume = kin_resume,
	.durable = kin_durable,
	.stop = kin_stop,
	.free = kin_free,
	.stats = kin_stats,
	.health = kin_health,
};
