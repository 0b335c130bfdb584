/*
 * out_kafka.c: type = kafka.  A librdkafka producer (acks=all and
 * enable.idempotence=true by default, so a retried batch is neither lost
 * nor doubled) sends each event as its JSON storage line, keyed by a field
 * (host by default: the partitioner keeps one host's events on one
 * partition, in order).  A record leaves the disk buffer only when its
 * delivery report came back, in buffer order.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "kafkaconf.h"
#include "logrec.h"
#include "output_int.h"
#include "writer.h"

#define RING_MAX	(1 << 17)	/* records produced, not yet reported */

enum { KEY_NONE, KEY_HOST, KEY_APP, KEY_SOURCE, KEY_FIELD };

struct inflight {
	struct dbpos	 end;
	uint64_t	 nth;
	int		 done;
};

struct kafka {
	char		*brokers;
	char		*topic;
	int		 key;
	char		*key_field;
	char		 acks[8];
	char		 compression[16];
	int		 idempotence;
	int64_t		 timeout_ms;		/* 0: never give up */
	struct kafka_opts opts;			/* kafka.NAME = VALUE */
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	struct inflight	*ring;
	uint64_t	 head, tail;		/* absolute record numbers */
	_Atomic uint64_t lib_retries;		/* from the statistics */
	uint64_t	 reproduced;
	struct diag_rate rate;
};

static struct kafka *
kafka_of(struct output *o)
{
	struct kafka	*k = o->impl;

	if (k == NULL && (k = calloc(1, sizeof(*k))) != NULL) {
		k->key = KEY_HOST;
		snprintf(k->acks, sizeof(k->acks), "all");
		snprintf(k->compression, sizeof(k->compression), "none");
		k->idempotence = 1;
		o->impl = k;
	}
	return k;
}

static int
set_str(char **dst, const char *v)
{
	free(*dst);
	return (*dst = strdup(v)) == NULL ? -1 : 0;
}

static int
set_kkey(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	static const char *const names[] = { "none", "host", "app",
	    "source" };
	struct kafka	*k = obj;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(kv->val, names[i]) == 0) {
			k->key = (int)i;	/* KEY_NONE.. in this order */
			return 0;
		}
	if (strncmp(kv->val, "field.", 6) != 0 || kv->val[6] == '\0')
		return -1;
	k->key = KEY_FIELD;
	return set_str(&k->key_field, kv->val + 6) == -1 ? -2 : 0;
}

static int
set_compression(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct kafka	*k = obj;

	snprintf(k->compression, sizeof(k->compression), "%s", kv->val);
	return 0;
}

static int
set_acks(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct kafka	*k = obj;

	if (strcmp(kv->val, "all") && strcmp(kv->val, "1") &&
	    strcmp(kv->val, "0"))
		return -1;
	snprintf(k->acks, sizeof(k->acks), "%s", kv->val);
	return 0;
}

/* kafka.NAME = VALUE: handed to librdkafka, which checks it at finish. */
static int
set_opt(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct kafka	*k = obj;

	return kafka_opts_add(&k->opts, cf, "output", s->name, kv);
}

static const char *const codecs[] = { "none", "gzip", "snappy", "lz4",
    "zstd", NULL };

#define K(f)	offsetof(struct kafka, f)

/* The keys of type = kafka (docs-outputs.md): one row each. */
static const struct conf_map kafka_map[] = {
	{ "brokers", CM_STRING, K(brokers), NULL, 0, 0, NULL,
	    "HOST:PORT, HOST:PORT...", 0, NULL },
	{ "topic", CM_STRING, K(topic), NULL, 1, 0, NULL, "a topic name", 0,
	    NULL },
	{ "key", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "none, host, app, source or field.NAME", 0, set_kkey },
	{ "compression", CM_ENUM, CM_NOVALUE, NULL, 0, 0, codecs,
	    "none, gzip, snappy, lz4 or zstd", 0, set_compression },
	{ "acks", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, "all, 1 or 0", 0,
	    set_acks },
	{ "idempotence", CM_BOOL, K(idempotence), NULL, 0, 0, NULL,
	    "yes or no", 0, NULL },
	{ "message_timeout", CM_MS, K(timeout_ms), NULL, 0, INT32_MAX, NULL,
	    "a duration, at most 24d", 0, NULL },
	{ "kafka.", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a librdkafka setting", CM_PREFIX, set_opt },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_output_kafka_keys = {
	"output/kafka", kafka_map, CM_N(kafka_map)
};

static void *
kafka_impl(struct output *o)
{
	return kafka_of(o);
}

static void	kafka_dr_cb(rd_kafka_t *, const rd_kafka_message_t *, void *);
static int	kafka_stats_cb(rd_kafka_t *, char *, size_t, void *);
static void	kafka_error_cb(rd_kafka_t *, int, const char *, void *);

/* librdkafka's own log lines: with -v only (errors come by error_cb). */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
	diag_debug("kafka: %s: %s", fac, buf);
}

/* The librdkafka config of an output; NULL after reporting (cf) or
 * logging (cf NULL) what librdkafka refused. */
static rd_kafka_conf_t *
kafka_conf(struct output *o, struct kafka *k, struct config *cf, int line)
{
	rd_kafka_conf_t	*c = rd_kafka_conf_new();
	char		 tmo[24];
	const char	*const kv[][2] = {
		{ "bootstrap.servers", k->brokers },
		{ "acks", k->acks },
		{ "enable.idempotence", k->idempotence ? "true" : "false" },
		{ "compression.codec", k->compression },
		{ "message.timeout.ms", tmo },
		{ "linger.ms", "5" },
		{ "statistics.interval.ms", "1000" },
	};

	snprintf(tmo, sizeof(tmo), "%lld", (long long)k->timeout_ms);
	if (kafka_conf_apply(c, kv, sizeof(kv) / sizeof(kv[0]), &k->opts, cf,
	    line, "output", o->name) == -1) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	rd_kafka_conf_set_opaque(c, o);
	rd_kafka_conf_set_dr_msg_cb(c, kafka_dr_cb);
	rd_kafka_conf_set_stats_cb(c, kafka_stats_cb);
	rd_kafka_conf_set_error_cb(c, kafka_error_cb);
	rd_kafka_conf_set_log_cb(c, kafka_log_cb);
	return c;
}

static int
kafka_finish(struct output *o, struct config *cf, int line)
{
	struct kafka	*k = kafka_of(o);
	rd_kafka_conf_t	*c;

	if (k == NULL)
		return -1;
	if (k->brokers == NULL || k->topic == NULL) {
		config_error(cf, line, "[output %s]: brokers and topic are "
		    "required for type = kafka", o->name);
		return -1;
	}
	/* librdkafka checks the names and values of the settings now, so
	 * -t and a reload report them with their line. */
	if ((c = kafka_conf(o, k, cf, line)) == NULL)
		return -1;
	rd_kafka_conf_destroy(c);
	return 0;
}

static struct lsslice
key_of(const struct kafka *k, const struct lsbatch *b, const struct logrec *r)
{
	const struct lsfield	*f = b->fields + r->field_first;
	struct lsslice		 none = { 0, 0 };
	size_t			 n;
	uint32_t		 i;

	switch (k->key) {
	case KEY_HOST:
		return r->host;
	case KEY_APP:
		return r->app;
	case KEY_SOURCE:
		return r->source;
	case KEY_FIELD:
		n = strlen(k->key_field);
		for (i = 0; i < r->field_count; i++)
			if (f[i].key.len == n && memcmp(LS_PTR(b, f[i].key),
			    k->key_field, n) == 0)
				return f[i].val;
		return none;
	}
	return none;
}

/* Payload in the buffer: u16 key length, the key, the JSON line. */
static void
kafka_encode(struct output *o, struct obuf *ob, const struct lsbatch *b,
    const struct logrec *r)
{
	struct lsslice	 key = key_of(o->impl, b, r);
	uint16_t	 kl = key.len > UINT16_MAX ? UINT16_MAX : key.len;

	obuf_add(ob, &kl, 2);
	obuf_add(ob, LS_PTR(b, key), kl);
	writer_encode_json(ob, b, r);
	if (ob->len > 0 && ob->p[ob->len - 1] == '\n')
		ob->len--;
}

/* Delivery report (from rd_kafka_poll on the output's thread). */
static void
kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct output	*o = opaque;
	struct kafka	*k = o->impl;
	uint64_t	 idx = (uint64_t)(uintptr_t)m->_private;
	struct inflight	*in = &k->ring[idx % RING_MAX];

	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		in->done = 1;
		atomic_store(&o->up, 1);
		return;
	}
	COUNT_ADD(o->failed, 1);
	diag_rate(&k->rate, "output %s: delivery failed: %s; sending it "
	    "again", o->name, rd_kafka_err2str(m->err));
	/* Sent again (at least once); a fatal producer error stops it. */
	if (rd_kafka_fatal_error(rk, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
	    m->payload, m->len, m->key, m->key_len, m->_private) == 0) {
		k->reproduced++;
		return;
	}
	in->done = 1;			/* given up: counted as failed */
}

/* Statistics: librdkafka's own retries, summed over the brokers. */
static int
kafka_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct output	*o = opaque;
	struct kafka	*k = o->impl;
	json_t		*root, *brokers, *b;
	const char	*name;
	uint64_t	 sum = 0;

	if ((root = json_loadb(json, len, 0, NULL)) == NULL)
		return 0;
	brokers = json_object_get(root, "brokers");
	json_object_foreach(brokers, name, b)
		sum += (uint64_t)json_integer_value(json_object_get(b,
		    "txretries"));
	json_decref(root);
	atomic_store(&k->lib_retries, sum);
	atomic_store(&o->retried, sum + k->reproduced);
	return 0;
}

static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct output	*o = opaque;
	struct kafka	*k = o->impl;

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    err == RD_KAFKA_RESP_ERR__TRANSPORT)
		atomic_store(&o->up, 0);
	diag_rate(&k->rate, "output %s: kafka: %s", o->name, reason);
}

/* Acknowledge the reported prefix, in buffer order. */
static void
kafka_ack(struct output *o, struct kafka *k)
{
	struct inflight	*in, last;
	uint64_t	 n = 0;

	while (k->head < k->tail && k->ring[k->head % RING_MAX].done) {
		in = &k->ring[k->head % RING_MAX];
		last = *in;
		in->done = 0;
		k->head++;
		n++;
	}
	if (n > 0) {
		diskbuf_ack(o->db, &last.end, last.nth);
		COUNT_ADD(o->sent, n);
	}
}

/* Produce r; on a full local queue serve reports until it fits.  0, or
 * -1 when stopping. */
static int
kafka_produce(struct output *o, struct kafka *k, const struct dbrec *r)
{
	uint16_t	 kl;
	const char	*key;

	memcpy(&kl, r->p, 2);
	if (r->len < 2u + kl)
		return 0;		/* not ours: skip */
	key = kl ? r->p + 2 : NULL;
	k->ring[k->tail % RING_MAX] = (struct inflight){ r->end, r->nth, 0 };
	while (rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA,
	    RD_KAFKA_MSG_F_COPY, (void *)(r->p + 2 + kl), r->len - 2 - kl,
	    key, kl, (void *)(uintptr_t)k->tail) == -1) {
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			diag_rate(&k->rate, "output %s: produce: %s", o->name,
			    rd_kafka_err2str(rd_kafka_last_error()));
			output_nap(o, 100);
		} else
			rd_kafka_poll(k->rk, 100);
		kafka_ack(o, k);
		if (atomic_load(&o->stop))
			return -1;
	}
	k->tail++;
	return 0;
}

static int
kafka_open(struct output *o, struct kafka *k)
{
	rd_kafka_conf_t	*c;
	char		 err[256];

	if ((k->ring = calloc(RING_MAX, sizeof(*k->ring))) == NULL ||
	    (c = kafka_conf(o, k, NULL, 0)) == NULL)
		return -1;
	if ((k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))) ==
	    NULL) {
		diag_err("output %s: %s", o->name, err);
		rd_kafka_conf_destroy(c);
		return -1;
	}
	if ((k->rkt = rd_kafka_topic_new(k->rk, k->topic, NULL)) == NULL) {
		diag_err("output %s: topic %s: %s", o->name, k->topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		return -1;
	}
	atomic_store(&o->up, 1);
	return 0;
}

static void *
kafka_run(void *arg)
{
	struct output	*o = arg;
	struct kafka	*k = o->impl;
	struct dbrec	 r;
	int		 n;

	pthread_setname_np(pthread_self(), "ls-kafka");
	if (kafka_open(o, k) == -1)
		return NULL;
	while (!atomic_load(&o->stop)) {
		diskbuf_tick(o->db);
		for (n = 0; n < 10000 && k->tail - k->head < RING_MAX - 1 &&
		    diskbuf_next(o->db, &r, n == 0 ? 50 : 0) == 1; n++)
			if (kafka_produce(o, k, &r) == -1)
				break;
		rd_kafka_poll(k->rk, n == 0 ? 10 : 0);
		kafka_ack(o, k);
	}
	/* Stopping: what was produced gets its reports for a moment; the
	 * rest stays in the buffer and goes at the next start. */
	rd_kafka_flush(k->rk, OUT_STOP_GRACE_MS);
	kafka_ack(o, k);
	return NULL;
}

static void
kafka_free(struct output *o)
{
	struct kafka	*k = o->impl;

	if (k == NULL)
		return;
	if (k->rkt != NULL)
		rd_kafka_topic_destroy(k->rkt);
	if (k->rk != NULL)
		rd_kafka_destroy(k->rk);
	kafka_opts_free(&k->opts);
	free(k->brokers);
	free(k->topic);
	free(k->key_field);
	free(k->ring);
	free(k);
	o->impl = NULL;
}

const struct out_ops out_kafka_ops = {
	.type = "kafka",
	.map = kafka_map,
	.nmap = CM_N(kafka_map),
	.impl = kafka_impl,
	.finish = kafka_finish,
	.encode = kafka_encode,
	.run = kafka_run,
	.free = kafka_free,
};
