/*
 * metrics_export.c: the figures written out, as Prometheus text (version
 * 0.0.4: HELP and TYPE for every family, cumulative histogram buckets) for
 * /metrics and as one JSON object for /stats and the page.  The modules'
 * figures come through their stats providers (stats.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "diag.h"
#include "metrics.h"
#include "metrics_int.h"
#include "stats.h"

static const char *const refuse_names[] = { "limit", "acl", "per_source" };

static void
family(struct evbuffer *o, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A label value with \, " and newline escaped (exposition format). */
static void
label_value(struct evbuffer *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(o, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(o, "\\n", 2);
		else
			evbuffer_add(o, s, 1);
	}
}

static void
sample1(struct evbuffer *o, const char *name, const char *label,
    const char *value, uint64_t v)
{
	evbuffer_add_printf(o, "%s", name);
	if (label != NULL) {
		evbuffer_add_printf(o, "{%s=\"", label);
		label_value(o, value);
		evbuffer_add(o, "\"}", 2);
	}
	evbuffer_add_printf(o, " %" PRIu64 "\n", v);
}

static void
counter(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	family(o, name, "counter", help);
	sample1(o, name, NULL, NULL, v);
}

static void
gauge(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	family(o, name, "gauge", help);
	sample1(o, name, NULL, NULL, v);
}

static void
histogram_text(struct evbuffer *o, const char *name, const char *help,
    const struct hist_snap *h)
{
	struct hist_snap	 s = *h;
	uint64_t		 cum = 0;
	size_t			 i;

	family(o, name, "histogram", help);
	for (i = 0; i < HIST_NBUCKETS; i++) {
		cum += s.bucket[i];
		if (i == HIST_NBUCKETS - 1)
			evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64
			    "\n", name, cum);
		else
			evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64
			    "\n", name, (double)histogram_bound_ns(i) / 1e9,
			    cum);
	}
	evbuffer_add_printf(o, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
	    (double)s.sum_ns / 1e9, name, cum);
}

/* Counters of other modules, exported as they are. */
static const struct simple {
	const char		*name;
	const char		*help;
	_Atomic uint64_t	*v;
} simples[] = {
	{ "logstreamd_rotate_errors_total", "Rotations that failed.",
	    &counters.rotate_errors },
	{ "logstreamd_rotated_compressed_total", "Rotated files gzipped.",
	    &counters.compressed },
	{ "logstreamd_rotated_compress_errors_total", "Rotated files that "
	    "could not be gzipped.", &counters.compress_errors },
	{ "logstreamd_rotated_deleted_total", "Rotated files deleted by "
	    "keep.", &counters.retention_deleted },
	{ "logstreamd_storage_files_opened_total", "Live storage files "
	    "opened (a templated path opens one per expanded path).",
	    &counters.files_opened },
	{ "logstreamd_storage_files_closed_total", "Live storage files "
	    "closed to stay within max_open_files (or at a reopen).",
	    &counters.files_closed },
	{ "logstreamd_storage_bytes_total", "Bytes written to the storage "
	    "tree.", &counters.store_bytes },
	{ "logstreamd_streams_evicted_total", "Streams forgotten at "
	    "max_streams (least recently seen).", &counters.streams_evicted },
	{ "logstreamd_streams_restarts_total", "Streams whose sequence went "
	    "back to its start.", &counters.streams_restarts },
	{ "logstreamd_streams_wraps_total", "Sequences that wrapped.",
	    &counters.streams_wraps },
	{ "logstreamd_repeat_summaries_lost_total", "Repeat summaries with "
	    "no room to be written.", &counters.repeats_lost },
	{ "logstreamd_limit_summaries_total", "Rate limit summary records "
	    "made (one per key and second with drops).",
	    &counters.limit_summaries },
	{ "logstreamd_limit_summaries_lost_total", "Rate limit summaries "
	    "with no room to be written.", &counters.limit_summaries_lost },
	{ "logstreamd_alert_exec_started_total", "Alert programs started.",
	    &counters.alert_exec_started },
	{ "logstreamd_alert_exec_failed_total", "Alert programs that could "
	    "not start or exited non-zero.", &counters.alert_exec_failed },
	{ "logstreamd_alert_exec_timeouts_total", "Alert programs killed "
	    "at exec_timeout.", &counters.alert_exec_timeouts },
	{ "logstreamd_alert_exec_skipped_total", "Alert programs not "
	    "started (exec_max running).", &counters.alert_exec_skipped },
	{ "logstreamd_alert_journal_errors_total", "Alerts that could not "
	    "be sent to the journal.", &counters.alert_journal_errors },
	{ "logstreamd_alert_late_events_total", "Events whose own time came "
	    "after their alert window closed (beyond lateness).",
	    &counters.alert_late },
	{ "logstreamd_alert_future_events_total", "Events dated more than "
	    "allowed_lateness after their receipt (time = event), counted at "
	    "their receipt time.", &counters.alert_future },
	{ "logstreamd_tap_sent_total", "Event lines queued for /tap "
	    "clients.", &counters.tap_sent },
	{ "logstreamd_tap_dropped_total", "Event lines a /tap client missed: "
	    "its buffer was full (reported to it in-band).",
	    &counters.tap_dropped },
};

struct lsctx {
	struct evbuffer	*o;
	int		 pass;
	json_t		*arr;
};

static void
listener_prom_cb(void *arg, const void *view)
{
	const struct stats_socket	*v = view;
	struct lsctx			*c = arg;
	int				 r;

	if (c->pass == 0) {
		evbuffer_add_printf(c->o, "logstreamd_listener_events_total"
		    "{listener=\"%s://", v->proto);
		label_value(c->o, v->addr);
		evbuffer_add_printf(c->o, "\"} %" PRIu64 "\n", v->events);
		return;
	}
	for (r = 0; r < DROP__COUNT; r++) {
		evbuffer_add_printf(c->o, "logstreamd_listener_dropped_total"
		    "{listener=\"%s://", v->proto);
		label_value(c->o, v->addr);
		evbuffer_add_printf(c->o, "\",reason=\"%s\"} %" PRIu64 "\n",
		    diag_drop_name(r), v->dropped[r]);
	}
}

static void
prom_events(struct metrics *m, struct evbuffer *o)
{
	struct lsctx	 c = { .o = o };
	uint64_t	 v[3];
	int		 i;

	family(o, "logstreamd_events_received_total", "counter", "Events "
	    "that reached the daemon (those dropped on arrival included).");
	for (i = 0; i < LRT__COUNT; i++)
		sample1(o, "logstreamd_events_received_total", "transport",
		    lr_transport_name(i), COUNT_GET(counters.received[i]));
	counter(o, "logstreamd_bytes_received_total", "Bytes read from "
	    "peers (framing included).", COUNT_GET(counters.bytes));
	counter(o, "logstreamd_events_stored_total", "Events written to "
	    "storage.", COUNT_GET(counters.stored));
	family(o, "logstreamd_events_dropped_total", "counter", "Events "
	    "dropped, by reason.");
	for (i = 0; i < DROP__COUNT; i++)
		sample1(o, "logstreamd_events_dropped_total", "reason",
		    diag_drop_name(i), COUNT_GET(counters.dropped[i]));
	counter(o, "logstreamd_events_generated_total", "Events the daemon "
	    "made itself (repeat and rate limit summaries).",
	    COUNT_GET(counters.repeats_summaries) +
	    COUNT_GET(counters.limit_summaries));
	family(o, "logstreamd_events_inflight", "gauge", "Events received "
	    "and not yet stored or dropped, by where they are; received + "
	    "generated = stored + dropped + the sum of these.");
	metrics_inflight(m, v);
	for (i = 0; i < 3; i++)
		sample1(o, "logstreamd_events_inflight", "stage",
		    metrics_inflight_names[i], v[i]);
	family(o, "logstreamd_listener_events_total", "counter", "Events "
	    "received per UDP listening socket (dropped ones included).");
	stats_read(STATS_SOCKET, listener_prom_cb, &c);
	c.pass = 1;
	family(o, "logstreamd_listener_dropped_total", "counter", "Events "
	    "dropped per UDP listening socket, by reason.");
	stats_read(STATS_SOCKET, listener_prom_cb, &c);
	counter(o, "logstreamd_events_truncated_total", "Events cut at "
	    "max_message.", COUNT_GET(counters.truncated));
	counter(o, "logstreamd_bad_frames_total", "TCP frames that broke "
	    "the framing rules.", COUNT_GET(counters.bad_frames));
	family(o, "logstreamd_parse_format_total", "counter", "Events by "
	    "detected format.");
	for (i = 0; i < LRF__COUNT; i++)
		sample1(o, "logstreamd_parse_format_total", "format",
		    lr_format_name(i), COUNT_GET(counters.formats[i]));
	family(o, "logstreamd_stream_events_total", "counter", "Events "
	    "marked with a stream problem, by kind.");
	for (i = 1; i < LRS__COUNT; i++)
		sample1(o, "logstreamd_stream_events_total", "kind",
		    lr_stream_name(i), COUNT_GET(counters.stream_kinds[i]));
}

/* The figures of the [lookup] and [limit] sections, by name. */
static void
prom_rules_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	struct evbuffer			*o = ctx;
	static const struct {
		const char	*name;
		int		 lim;		/* of the limits */
		int		 k;		/* counter; -1: the gauge */
		const char	*help;
	} rows[] = {
		{ "logstreamd_lookup_hits_total", 0, 0, "Events whose key "
		    "is a row of the lookup table." },
		{ "logstreamd_lookup_misses_total", 0, 1, "Events whose key "
		    "is no row (or that have no key)." },
		{ "logstreamd_lookup_reloads_total", 0, 2, "Tables read again "
		    "after their file changed." },
		{ "logstreamd_lookup_errors_total", 0, 3, "Reads refused (the "
		    "old table kept)." },
		{ "logstreamd_lookup_rows", 0, -1, "Rows of the table in use." },
		{ "logstreamd_limit_passed_total", 1, 0, "Events a rate limit "
		    "let by." },
		{ "logstreamd_limit_dropped_total", 1, 1, "Events over a rate "
		    "limit, dropped (and summarized)." },
		{ "logstreamd_limit_keys_evicted_total", 1, 2, "Keys forgotten "
		    "at max_keys (least recently seen)." },
		{ "logstreamd_limit_keys", 1, -1, "Keys a rate limit tracks "
		    "now." },
	};
	const struct stats_rule	*t;
	size_t			 i, j, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t = rows[i].lim ? v->lim : v->lk;
		n = rows[i].lim ? v->nlim : v->nlk;
		if (n == 0)
			continue;
		family(o, rows[i].name, rows[i].k < 0 ? "gauge" : "counter",
		    rows[i].help);
		for (j = 0; j < n; j++)
			sample1(o, rows[i].name, rows[i].lim ? "limit" :
			    "lookup", t[j].name, rows[i].k < 0 ? t[j].gauge :
			    t[j].base[rows[i].k] + t[j].v[rows[i].k]);
	}
}

static void
prom_stages_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	struct evbuffer			*o = ctx;
	size_t				 i;

	static const struct {
		const char	*name;
		const char	*help;
	} al[3] = {
		{ "logstreamd_alerts_total", "Alert lines written, by alert "
		    "rule." },
		{ "logstreamd_alerts_suppressed_total", "Alerts that reached "
		    "their threshold within suppress, by rule." },
		{ "logstreamd_alert_groups_evicted_total", "Alert groups "
		    "dropped to keep memory bounded, by rule." },
	};
	size_t				 k;

	family(o, "logstreamd_events_classified_total", "counter", "Events "
	    "by class (other: no rule matched).");
	for (i = 0; i < v->ncls; i++)
		sample1(o, "logstreamd_events_classified_total", "class",
		    v->cls[i].name, v->cls[i].base + v->cls[i].v[0]);
	for (k = 0; k < 3; k++) {
		family(o, al[k].name, "counter", al[k].help);
		for (i = 0; i < v->nal; i++)
			sample1(o, al[k].name, "alert", v->al[i].name,
			    v->al[i].v[k]);
	}
	counter(o, "logstreamd_alert_write_errors_total", "Failed writes of "
	    "alert lines.", v->al_write_errors);
}

static void
prom_conns(struct evbuffer *o)
{
	uint64_t	 r[3];
	int		 i;

	gauge(o, "logstreamd_connections", "TCP peers connected now.",
	    COUNT_GET(counters.connections));
	counter(o, "logstreamd_connections_accepted_total", "TCP peers "
	    "accepted.", COUNT_GET(counters.accepted));
	r[0] = COUNT_GET(counters.refused_limit);
	r[1] = COUNT_GET(counters.refused_acl);
	r[2] = COUNT_GET(counters.refused_source);
	family(o, "logstreamd_connections_refused_total", "counter", "TCP "
	    "peers refused (limit: max_connections, acl: allow, per_source: "
	    "max_per_source).");
	for (i = 0; i < 3; i++)
		sample1(o, "logstreamd_connections_refused_total", "reason",
		    refuse_names[i], r[i]);
	counter(o, "logstreamd_connections_idle_closed_total", "TCP peers "
	    "closed after idle_timeout without sending.",
	    COUNT_GET(counters.idle_closed));
	counter(o, "logstreamd_connections_slow_closed_total", "TCP peers "
	    "closed after idle_timeout holding part of an event.",
	    COUNT_GET(counters.slow_closed));
	counter(o, "logstreamd_connections_evicted_total", "TCP peers closed "
	    "at max_connections to make room (longest without an event).",
	    COUNT_GET(counters.evicted));
	counter(o, "logstreamd_tls_handshakes_total", "TLS handshakes "
	    "completed.", COUNT_GET(counters.tls_handshakes));
	family(o, "logstreamd_tls_handshake_failures_total", "counter", "TLS "
	    "peers closed before their handshake completed, by reason.");
	for (i = 0; i < TLSF__COUNT; i++)
		sample1(o, "logstreamd_tls_handshake_failures_total", "reason",
		    diag_tls_fail_name(i), COUNT_GET(counters.tls_failed[i]));
}

/* One sample of a section NAME: {KIND="NAME"} plus an optional label. */
static void
named_sample(struct evbuffer *o, const char *name, const char *kind,
    const char *sect, const char *label, const char *value, uint64_t v)
{
	evbuffer_add_printf(o, "%s{%s=\"", name, kind);
	label_value(o, sect);
	if (label != NULL) {
		evbuffer_add_printf(o, "\",%s=\"", label);
		label_value(o, value);
	}
	evbuffer_add_printf(o, "\"} %" PRIu64 "\n", v);
}

/* One sample per [output X]: {output="X"} plus an optional label. */
static void
out_sample(struct evbuffer *o, const char *name, const char *out,
    const char *label, const char *value, uint64_t v)
{
	named_sample(o, name, "output", out, label, value, v);
}

#define MAX_OUTPUTS	32	/* listed at most */

struct outs {
	struct stats_output	 v[MAX_OUTPUTS];
	size_t			 n;
};

static void
output_see(void *ctx, const void *view)
{
	struct outs	*c = ctx;

	if (c->n < MAX_OUTPUTS)
		c->v[c->n++] = *(const struct stats_output *)view;
}

static void
prom_outputs(struct evbuffer *o)
{
	static const char *const res[] = { "accepted", "sent", "failed",
	    "retried", "dropped" };
	struct outs		 c = { .n = 0 };
	struct stats_output	*st = c.v;
	size_t			 n, i, r;

	stats_read(STATS_OUTPUT, output_see, &c);
	if ((n = c.n) == 0)
		return;
	family(o, "logstreamd_output_events_total", "counter", "Events of "
	    "each [output]: accepted into its buffer, sent (acknowledged), "
	    "failed and retried deliveries, dropped (overflow, too large, "
	    "damaged in the buffer, given up at a stop).");
	for (i = 0; i < n; i++)
		for (r = 0; r < 5; r++)
			out_sample(o, "logstreamd_output_events_total",
			    st[i].name, "result", res[r], r == 0 ?
			    st[i].accepted : r == 1 ? st[i].sent : r == 2 ?
			    st[i].failed : r == 3 ? st[i].retried :
			    st[i].dropped);
	family(o, "logstreamd_output_blocked_total", "counter", "Batches "
	    "held back because the output's buffer was full (block).");
	for (i = 0; i < n; i++)
		out_sample(o, "logstreamd_output_blocked_total", st[i].name,
		    NULL, NULL, st[i].blocked);
	family(o, "logstreamd_output_connects_total", "counter",
	    "Connections made by forward outputs.");
	for (i = 0; i < n; i++)
		out_sample(o, "logstreamd_output_connects_total", st[i].name,
		    NULL, NULL, st[i].connects);
	family(o, "logstreamd_output_buffered_events", "gauge", "Events in "
	    "the output's disk buffer, not yet acknowledged.");
	for (i = 0; i < n; i++)
		out_sample(o, "logstreamd_output_buffered_events", st[i].name,
		    NULL, NULL, st[i].buffered);
	family(o, "logstreamd_output_buffer_bytes", "gauge", "Bytes of the "
	    "output's disk buffer segments.");
	for (i = 0; i < n; i++)
		out_sample(o, "logstreamd_output_buffer_bytes", st[i].name,
		    NULL, NULL, st[i].buffer_bytes);
	family(o, "logstreamd_output_up", "gauge", "1 while the output is "
	    "connected (forward) or a broker answers (kafka).");
	for (i = 0; i < n; i++)
		out_sample(o, "logstreamd_output_up", st[i].name, NULL, NULL,
		    (uint64_t)st[i].up);
}

/* The running config: reloads, and whether the file on disk is it. */
static void
prom_config(struct metrics *m, struct evbuffer *o)
{
	const char	*n = "logstreamd_config_reloads_total";

	family(o, n, "counter", "Reloads (SIGHUP, logstreamd reload) by "
	    "result: ok (took) or failed (refused, the running config kept).");
	sample1(o, n, "result", "ok", m->reloads[0]);
	sample1(o, n, "result", "failed", m->reloads[1]);
	gauge(o, "logstreamd_config_last_reload_successful", "0 when the "
	    "last reload was refused, else 1.", !m->reload_failed);
	gauge(o, "logstreamd_config_last_reload_timestamp_seconds", "Unix "
	    "time of the last reload, taken or refused; 0: none yet.",
	    (uint64_t)(m->reload_us / 1000000));
	gauge(o, "logstreamd_config_last_reload_success_timestamp_seconds",
	    "Unix time the running config was loaded (start or reload).",
	    (uint64_t)(m->loaded_us / 1000000));
	gauge(o, "logstreamd_config_file_changed", "1 when the config file "
	    "on disk is not the bytes the running config was read from.",
	    m->config_changed);
}

static void	jinput_see(void *, const void *);

/*
 * The inputs' figures, from their STATS_INPUT view (the JSON members
 * /stats shows): one family per figure, a sample per [input NAME] of
 * the row's type; rows of one name (a label that tells them apart) are
 * together.  Kafka's lag per owned partition {input,topic,partition} once
 * it is known (not -1) follows.
 */
static const struct kprom {
	const char	*itype;		/* the input type it is of */
	const char	*member;
	const char	*name;
	const char	*type;
	const char	*label;		/* an extra label, or NULL */
	const char	*value;
	const char	*help;
} kproms[] = {
	{ "kafka", "events", "logstreamd_input_kafka_messages_total",
	    "counter", "kind", "event", "Messages consumed: event (a stored "
	    "event of logstreamd's Kafka output, decoded) or line (any other, "
	    "parsed)." },
	{ "kafka", "lines", "logstreamd_input_kafka_messages_total",
	    "counter", "kind", "line", NULL },
	{ "kafka", "truncated", "logstreamd_input_kafka_truncated_total",
	    "counter", NULL, NULL, "Messages cut at the input's max_message." },
	{ "kafka", "dropped_nomem",
	    "logstreamd_input_kafka_dropped_nomem_total", "counter", NULL,
	    NULL, "Messages dropped: no memory for them." },
	{ "kafka", "commits", "logstreamd_input_kafka_commits_total",
	    "counter", "result", "ok", "Offset commits (after the events "
	    "before them were stored): ok, failed (sent again), or held "
	    "while the group was joining (sent after)." },
	{ "kafka", "commit_failed", "logstreamd_input_kafka_commits_total",
	    "counter", "result", "failed", NULL },
	{ "kafka", "commit_held", "logstreamd_input_kafka_commits_total",
	    "counter", "result", "held", NULL },
	{ "kafka", "committed",
	    "logstreamd_input_kafka_committed_messages_total", "counter", NULL,
	    NULL, "Messages whose offsets were committed." },
	{ "kafka", "rebalances", "logstreamd_input_kafka_rebalances_total",
	    "counter", NULL, NULL, "Group rebalances this member took part "
	    "in." },
	{ "kafka", "assigned", "logstreamd_input_kafka_partitions_total",
	    "counter", "event", "assigned", "Partitions assigned to and "
	    "revoked from this member." },
	{ "kafka", "revoked", "logstreamd_input_kafka_partitions_total",
	    "counter", "event", "revoked", NULL },
	{ "kafka", "redelivered", "logstreamd_input_kafka_redelivered_total",
	    "counter", NULL, NULL, "Messages read again: handed over or "
	    "re-read without their commit (the at-least-once duplicates)." },
	{ "kafka", "offset_resets",
	    "logstreamd_input_kafka_offset_resets_total", "counter", NULL,
	    NULL, "Offsets out of range, started again at the configured "
	    "reset point." },
	{ "kafka", "errors", "logstreamd_input_kafka_errors_total",
	    "counter", NULL, NULL, "Errors librdkafka reported (brokers down, "
	    "no topic...)." },
	{ "kafka", "partitions", "logstreamd_input_kafka_partitions", "gauge",
	    NULL, NULL, "Partitions this member owns now." },
	{ "kafka", "paused", "logstreamd_input_kafka_paused", "gauge", NULL,
	    NULL, "1 while the partitions are paused (64 MB read ahead)." },
	{ "kafka", "held", "logstreamd_input_kafka_held", "gauge", NULL, NULL,
	    "Messages read ahead, waiting for room in the queue." },
	{ "kafka", "lag_total", "logstreamd_input_kafka_lag_total_messages",
	    "gauge", NULL, NULL, "Sum of the owned partitions' lag." },
	{ "kafka", "lag_ok", "logstreamd_input_kafka_lag_ok", "gauge", NULL,
	    NULL, "0 while the lag is past max_lag (/health degraded), else "
	    "1." },
	{ "tail", "files_open", "logstreamd_input_tail_files_open", "gauge",
	    NULL, NULL, "Files being read now." },
	{ "tail", "files_waiting", "logstreamd_input_tail_files_waiting",
	    "gauge", NULL, NULL, "Matched files waiting for a place among "
	    "max_open_files." },
	{ "tail", "bytes", "logstreamd_input_tail_bytes_total", "counter",
	    NULL, NULL, "Bytes read from the files." },
	{ "tail", "events", "logstreamd_input_tail_events_total", "counter",
	    NULL, NULL, "Events handed on (a multiline event counts once)." },
	{ "tail", "rotations", "logstreamd_input_tail_rotations_total",
	    "counter", NULL, NULL, "Files renamed away (read to their end) "
	    "or replaced." },
	{ "tail", "truncations", "logstreamd_input_tail_truncations_total",
	    "counter", NULL, NULL, "Files truncated under the reader "
	    "(copy-truncate)." },
	{ "tail", "truncated_bytes",
	    "logstreamd_input_tail_truncated_bytes_total", "counter", NULL,
	    NULL, "Bytes lost to truncations: written and truncated before "
	    "they were read (a gap mark says where)." },
	{ "tail", "symlinks_skipped",
	    "logstreamd_input_tail_symlinks_skipped_total", "counter", NULL,
	    NULL, "Matched symlinks not read (follow_symlinks = no)." },
	{ "tail", "waited", "logstreamd_input_tail_waited_total", "counter",
	    NULL, NULL, "Times a file waited for a place among "
	    "max_open_files." },
	{ "tail", "multiline_joined",
	    "logstreamd_input_tail_multiline_joined_total", "counter", NULL,
	    NULL, "Lines joined into the event before them." },
	{ "tail", "multiline_cut_lines",
	    "logstreamd_input_tail_multiline_cut_lines_total", "counter", NULL,
	    NULL, "Lines that did not fit a multiline event (max_lines, "
	    "max_bytes): they start the next one." },
	{ "tail", "state_errors", "logstreamd_input_tail_state_errors_total",
	    "counter", NULL, NULL, "Position file saves or reads that "
	    "failed." },
	{ "tail", "read_errors", "logstreamd_input_tail_read_errors_total",
	    "counter", NULL, NULL, "Reads that failed (the file is tried "
	    "again)." },
	{ "tail", "nomem", "logstreamd_input_tail_nomem_total", "counter",
	    NULL, NULL, "Times memory ran out for a file found (it is "
	    "tried again at the next scan)." },
	{ "tail", "pending_bytes", "logstreamd_input_tail_pending_bytes",
	    "gauge", NULL, NULL, "Bytes in open files not taken yet: a line "
	    "without its newline, or not read yet." },
	{ "journal", "read", "logstreamd_input_journal_entries_total",
	    "counter", NULL, NULL, "Journal entries read." },
	{ "journal", "gaps", "logstreamd_input_journal_gaps_total", "counter",
	    NULL, NULL, "Places where entries were vacuumed before they were "
	    "read." },
	{ "journal", "missing", "logstreamd_input_journal_missing_total",
	    "counter", NULL, NULL, "Entries vacuumed before they were read "
	    "(an upper bound with match)." },
	{ "journal", "saves", "logstreamd_input_journal_cursor_saves_total",
	    "counter", "result", "ok", "Cursor saves (for durable batches): "
	    "ok or failed." },
	{ "journal", "save_errors",
	    "logstreamd_input_journal_cursor_saves_total", "counter",
	    "result", "failed", NULL },
	{ "journal", "paused", "logstreamd_input_journal_paused", "gauge",
	    NULL, NULL, "1 while reading is paused (the queue is full)." },
};

static uint64_t
kprom_value(json_t *j)
{
	if (json_is_true(j))
		return 1;
	if (json_is_integer(j) && json_integer_value(j) > 0)
		return (uint64_t)json_integer_value(j);
	return 0;
}

static void
prom_inputs(struct evbuffer *o)
{
	json_t		*in = json_object(), *v, *lag, *x;
	const char	*name, *key, *sl, *prev = NULL;
	size_t		 i, found;
	char		 topic[256];

	if (in == NULL || stats_read(STATS_INPUT, jinput_see, in) == 0)
		goto out;
	for (i = 0; i < sizeof(kproms) / sizeof(kproms[0]); i++) {
		found = 0;
		json_object_foreach(in, name, v) {
			if (!json_is_string(json_object_get(v, "type")) ||
			    strcmp(json_string_value(json_object_get(v,
			    "type")), kproms[i].itype) != 0)
				continue;
			if ((x = json_object_get(v, kproms[i].member)) == NULL)
				continue;
			if (!found++ && (prev == NULL ||
			    strcmp(prev, kproms[i].name) != 0))
				family(o, kproms[i].name, kproms[i].type,
				    kproms[i].help);
			named_sample(o, kproms[i].name, "input", name,
			    kproms[i].label, kproms[i].value, kprom_value(x));
		}
		if (found)
			prev = kproms[i].name;
	}
	found = 0;
	json_object_foreach(in, name, v) {
		if (!json_is_object(lag = json_object_get(v, "lag")))
			continue;
		json_object_foreach(lag, key, x) {
			if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			    (sl = strrchr(key, '/')) == NULL ||
			    (size_t)(sl - key) >= sizeof(topic))
				continue;
			memcpy(topic, key, (size_t)(sl - key));
			topic[sl - key] = '\0';
			if (!found++)
				family(o, "logstreamd_input_kafka_lag", "gauge",
				    "Messages behind per owned partition: "
				    "the high watermark less the committed "
				    "offset.");
			evbuffer_add_printf(o, "logstreamd_input_kafka_lag"
			    "{input=\"");
			label_value(o, name);
			evbuffer_add_printf(o, "\",topic=\"");
			label_value(o, topic);
			evbuffer_add_printf(o, "\",partition=\"%s\"} %" PRIu64
			    "\n", sl + 1, kprom_value(x));
		}
	}
out:
	json_decref(in);
}

void
metrics_prometheus(struct metrics *m, struct evbuffer *o)
{
	uint64_t		 rss, fds;
	char			 why[512];
	size_t			 i;
	struct stats_queue	 q;
	struct pipe_now		 pn;

	prom_events(m, o);
	metrics_pipe_read(prom_stages_see, o);
	metrics_pipe_read(prom_rules_see, o);
	stats_get(STATS_QUEUE, &q, sizeof(q));
	gauge(o, "logstreamd_queue_depth", "Events in the queue now.",
	    q.depth);
	gauge(o, "logstreamd_queue_capacity", "Events the queue holds at "
	    "most.", q.capacity);
	gauge(o, "logstreamd_queue_peak", "Most events ever queued at once.",
	    q.peak);
	gauge(o, "logstreamd_queue_bytes", "Memory of the queued events now "
	    "(text, field and event records).", q.bytes);
	gauge(o, "logstreamd_queue_max_bytes", "Memory of events the queue "
	    "holds at most.", q.max_bytes);
	prom_conns(o);
	prom_outputs(o);
	prom_inputs(o);
	counter(o, "logstreamd_storage_write_errors_total", "Failed writes "
	    "to storage (each retried).", COUNT_GET(counters.write_errors));
	counter(o, "logstreamd_storage_syncs_total", "fsync calls on "
	    "storage.", COUNT_GET(counters.syncs));
	counter(o, "logstreamd_storage_sync_errors_total", "fsync calls on "
	    "storage that failed (after one, input positions are held until "
	    "a restart; /health degraded).", COUNT_GET(counters.sync_errors));
	counter(o, "logstreamd_rotations_total", "Storage files rotated.",
	    COUNT_GET(counters.rotations));
	gauge(o, "logstreamd_storage_files_open", "Live storage files open "
	    "now (at most [storage] max_open_files).",
	    COUNT_GET(counters.files_open));
	for (i = 0; i < sizeof(simples) / sizeof(simples[0]); i++)
		counter(o, simples[i].name, simples[i].help,
		    COUNT_GET(*simples[i].v));
	metrics_pipe_now(&pn);
	histogram_text(o, "logstreamd_store_latency_seconds", "From receipt "
	    "(monotonic clock) to written to storage.", &pn.store);
	histogram_text(o, "logstreamd_alert_latency_seconds", "From receipt "
	    "of the event that fired to its alert line written.", &pn.alert);
	gauge(o, "logstreamd_healthy", "1 when /health answers 200, else 0.",
	    metrics_health(m, why, sizeof(why)) == 0);
	prom_config(m, o);
	metrics_process(&rss, &fds);
	gauge(o, "process_resident_memory_bytes", "Resident memory size in "
	    "bytes.", rss);
	gauge(o, "process_open_fds", "Open file descriptors.", fds);
	gauge(o, "logstreamd_uptime_seconds", "Seconds since start.",
	    (diag_mono_ns() - m->start_ns) / 1000000000ULL);
}

/* /stats. */

static json_t *
jnames(const char *const *names, const uint64_t *v, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; o != NULL && i < n; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)v[i]));
	return o;
}

static json_t *
jevents(struct metrics *m)
{
	uint64_t	 rx[LRT__COUNT], dr[DROP__COUNT], v[3], rxt, drt;
	const char	*tn[LRT__COUNT], *dn[DROP__COUNT];
	uint64_t	 stored, made;
	int		 i;

	for (i = 0; i < LRT__COUNT; i++) {
		rx[i] = COUNT_GET(counters.received[i]);
		tn[i] = lr_transport_name(i);
	}
	for (i = 0; i < DROP__COUNT; i++) {
		dr[i] = COUNT_GET(counters.dropped[i]);
		dn[i] = diag_drop_name(i);
	}
	metrics_inflight(m, v);
	stored = COUNT_GET(counters.stored);
	rxt = metrics_total_received();
	drt = metrics_total_dropped();
	made = COUNT_GET(counters.repeats_summaries) +
	    COUNT_GET(counters.limit_summaries);
	return json_pack("{s:o, s:I, s:I, s:I, s:o, s:I, s:o, s:I, s:b}",
	    "received", jnames(tn, rx, LRT__COUNT),
	    "received_total", (json_int_t)rxt,
	    "generated", (json_int_t)made,
	    "stored", (json_int_t)stored,
	    "dropped", jnames(dn, dr, DROP__COUNT),
	    "dropped_total", (json_int_t)drt,
	    "inflight", jnames(metrics_inflight_names, v, 3),
	    "bytes", (json_int_t)COUNT_GET(counters.bytes),
	    "balanced", rxt + made == stored + drt + v[0] + v[1] + v[2]);
}

static json_t *
jlatency(struct metrics *m, int alert)
{
	const struct sample	*now = metrics_sample_ago(m, 0), *then;
	struct pipe_now		 pn;
	struct hist_snap	 live;
	const struct hist_snap	*a, *b;

	metrics_pipe_now(&pn);
	live = alert ? pn.alert : pn.store;
	then = metrics_sample_ago(m, RECENT_S);
	a = now == NULL ? &live : alert ? &now->al : &now->st;
	b = then == NULL || then == now ? NULL : alert ? &then->al :
	    &then->st;
	return json_pack("{s:I, s:f, s:f, s:f, s:f}",
	    "count", (json_int_t)live.count,
	    "p50_s", (double)histogram_quantile(a, b, 0.5) / 1e9,
	    "p99_s", (double)histogram_quantile(a, b, 0.99) / 1e9,
	    "p99_all_s", (double)histogram_quantile(&live, NULL, 0.99) / 1e9,
	    "slo_p99_s", (double)(alert ? m->slo_alert_ns : m->slo_store_ns) /
	    1e9);
}

static void
jstages_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	json_t				**out = ctx;
	json_t				*cls = json_object(), *al = json_object();
	json_t				*last, *recent;
	size_t				 i;

	for (i = 0; i < v->ncls; i++)
		json_object_set_new(cls, v->cls[i].name, json_integer(
		    (json_int_t)(v->cls[i].base + v->cls[i].v[0])));
	for (i = 0; i < v->nal; i++)
		json_object_set_new(al, v->al[i].name, json_pack(
		    "{s:I, s:I, s:I}", "fired", (json_int_t)v->al[i].v[0],
		    "suppressed", (json_int_t)v->al[i].v[1],
		    "evicted", (json_int_t)v->al[i].v[2]));
	last = v->last_alert == NULL || v->last_alert[0] == '\0' ?
	    json_null() : json_pack("{s:s, s:I}", "alert", v->last_alert,
	    "time_us", (json_int_t)v->last_alert_us);
	recent = json_array();
	for (i = 0; recent != NULL && i < v->nrecent; i++)
		json_array_append_new(recent, json_pack("{s:s, s:I, s:I}",
		    "alert", v->recent[i].name, "time_us",
		    (json_int_t)v->recent[i].time_us, "fired",
		    (json_int_t)v->recent[i].fired));
	*out = json_pack("{s:o, s:o, s:o, s:o}", "classes", cls, "alerts", al,
	    "last_alert", last, "recent_alerts", recent);
}

/* The most recently seen streams as the pipeline last published them. */
static void
jstreams_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	const struct stats_stream	*p;
	json_t				**out = ctx;
	json_t				*arr = json_array(), *marks;
	size_t				 i;
	int				 k;

	for (i = 0; arr != NULL && i < v->nstreams; i++) {
		p = &v->streams[i];
		marks = json_object();
		for (k = 1; k < LRS__COUNT; k++)
			json_object_set_new(marks, lr_stream_name(k),
			    json_integer((json_int_t)p->f.kinds[k]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:o, s:I, s:I, s:I, s:I}", "source", p->part[0], "host",
		    p->part[1], "app", p->part[2], "events",
		    (json_int_t)p->f.events, "marks", marks, "missing",
		    (json_int_t)p->f.missing, "restarts",
		    (json_int_t)p->f.restarts, "last_seq",
		    (json_int_t)p->f.last_seq, "last_us",
		    (json_int_t)p->f.last_us));
	}
	*out = json_pack("{s:I, s:o}", "tracked", (json_int_t)
	    v->streams_tracked, "recent", arr);
}

/*
 * The busiest hosts from the pipeline's bounded table (STATS_TOP_HOSTS),
 * most events first: {"tracked": n, "top": [{"host", "events", "max_over"}]};
 * max_over > 0 when the host took another's place (the count may be over
 * by that much).
 */
static void
jhosts_see(void *ctx, const void *view)
{
	const struct stats_pipeline	*v = view;
	const struct stats_host		*h[STATS_TOP_HOSTS], *x;
	size_t				 i, k, n = 0;
	json_t				**out = ctx, *arr = json_array();

	for (i = 0; i < v->nhosts && i < STATS_TOP_HOSTS; i++) {
		x = &v->hosts[i];	/* insertion sort, most events first */
		for (k = n++; k > 0 && h[k - 1]->events < x->events; k--)
			h[k] = h[k - 1];
		h[k] = x;
	}
	for (i = 0; arr != NULL && i < n && i < 10; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "host",
		    h[i]->name, "events", (json_int_t)h[i]->events,
		    "max_over", (json_int_t)h[i]->err));
	*out = json_pack("{s:I, s:I, s:o}", "tracked", (json_int_t)n,
	    "capacity", (json_int_t)STATS_TOP_HOSTS, "top", arr);
}

/* The pipeline's view through see into a new JSON value. */
static json_t *
jpipe(stats_see_fn *see)
{
	json_t	*o = NULL;

	metrics_pipe_read(see, &o);
	return o;
}

static int
src_cmp(const void *a, const void *b)
{
	const struct stats_source *x = *(const struct stats_source *const *)a;
	const struct stats_source *y = *(const struct stats_source *const *)b;

	return x->events < y->events ? 1 : x->events > y->events ? -1 : 0;
}

/* The busiest sources, most events first. */
static void
jsources_see(void *ctx, const void *view)
{
	const struct stats_sources	*s = view;
	const struct stats_source	*v[STATS_MAX_SOURCES];
	json_t				*arr = ctx;
	size_t				 i;

	size_t				 n = s->n;

	if (n > STATS_MAX_SOURCES)
		n = STATS_MAX_SOURCES;
	for (i = 0; i < n; i++)
		v[i] = &s->ent[i];
	qsort(v, n, sizeof(v[0]), src_cmp);
	for (i = 0; i < n && i < METRICS_TOP_SOURCES; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}",
		    "source", v[i]->key, "events", (json_int_t)v[i]->events,
		    "bytes", (json_int_t)v[i]->bytes, "last_us",
		    (json_int_t)v[i]->last_us));
}

static json_t *
jsources(void)
{
	json_t	*arr = json_array();

	if (arr != NULL)
		stats_read(STATS_SOURCES, jsources_see, arr);
	return arr;
}

static void
listener_json_cb(void *arg, const void *view)
{
	const struct stats_socket	*v = view;
	struct lsctx			*c = arg;
	json_t				*d = json_object();
	int				 r;

	for (r = 0; r < DROP__COUNT; r++)
		json_object_set_new(d, diag_drop_name(r),
		    json_integer((json_int_t)v->dropped[r]));
	json_array_append_new(c->arr, json_pack("{s:s, s:s, s:I, s:o}",
	    "transport", v->proto, "address", v->addr, "events",
	    (json_int_t)v->events, "dropped", d));
}

/* The busiest live files, most bytes first: [{"path":..,"bytes":..}]. */
static json_t *
jbusiest(void)
{
	struct stats_storage	 v;
	json_t			*a = json_array();
	size_t			 i;

	stats_get(STATS_STORAGE, &v, sizeof(v));
	for (i = 0; a != NULL && i < v.nbusy && i < STATS_BUSIEST; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "path",
		    v.busy[i].path, "bytes", (json_int_t)v.busy[i].bytes));
	return a;
}

static json_t *
jmisc(struct metrics *m)
{
	const char	*fn[LRF__COUNT], *kn[LRS__COUNT - 1];
	uint64_t	 fv[LRF__COUNT], kv[LRS__COUNT - 1], rss, fds;
	struct stats_queue q;
	size_t		 cap, depth;
	int		 i;

	stats_get(STATS_QUEUE, &q, sizeof(q));
	cap = q.capacity;
	depth = q.depth;

	for (i = 0; i < LRF__COUNT; i++) {
		fn[i] = lr_format_name(i);
		fv[i] = COUNT_GET(counters.formats[i]);
	}
	for (i = 1; i < LRS__COUNT; i++) {
		kn[i - 1] = lr_stream_name(i);
		kv[i - 1] = COUNT_GET(counters.stream_kinds[i]);
	}
	metrics_process(&rss, &fds);
	return json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:f}, s:{s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:o}}",
	    "formats", jnames(fn, fv, LRF__COUNT),
	    "streams", jnames(kn, kv, LRS__COUNT - 1),
	    "queue", "depth", (json_int_t)depth, "capacity", (json_int_t)cap,
	    "peak", (json_int_t)q.peak, "fill", cap ?
	    (double)depth / (double)cap : 0.0,
	    "connections", "open", (json_int_t)COUNT_GET(counters.connections),
	    "accepted", (json_int_t)COUNT_GET(counters.accepted),
	    "refused_limit", (json_int_t)COUNT_GET(counters.refused_limit),
	    "refused_acl", (json_int_t)COUNT_GET(counters.refused_acl),
	    "refused_per_source",
	    (json_int_t)COUNT_GET(counters.refused_source),
	    "idle_closed", (json_int_t)COUNT_GET(counters.idle_closed),
	    "slow_closed", (json_int_t)COUNT_GET(counters.slow_closed),
	    "evicted", (json_int_t)COUNT_GET(counters.evicted),
	    "process", "rss_bytes", (json_int_t)rss, "open_fds",
	    (json_int_t)fds,
	    "storage", "write_errors",
	    (json_int_t)COUNT_GET(counters.write_errors),
	    "syncs", (json_int_t)COUNT_GET(counters.syncs),
	    "sync_errors", (json_int_t)COUNT_GET(counters.sync_errors),
	    "rotations", (json_int_t)COUNT_GET(counters.rotations),
	    "files_open", (json_int_t)COUNT_GET(counters.files_open),
	    "files_opened", (json_int_t)COUNT_GET(counters.files_opened),
	    "files_closed", (json_int_t)COUNT_GET(counters.files_closed),
	    "bytes", (json_int_t)COUNT_GET(counters.store_bytes),
	    "busiest", jbusiest());
}

/* The running config and its last reload. */
static json_t *
jconfig(struct metrics *m)
{
	return json_pack("{s:s, s:b, s:I, s:{s:I, s:I}, s:{s:s, s:I, s:s}}",
	    "file", m->config ? m->config : "",
	    "changed_on_disk", m->config_changed,
	    "loaded_at", (json_int_t)(m->loaded_us / 1000000),
	    "reloads", "ok", (json_int_t)m->reloads[0], "failed",
	    (json_int_t)m->reloads[1],
	    "last_reload", "result", m->reload_us == 0 ? "none" :
	    m->reload_failed ? "failed" : "ok",
	    "at", (json_int_t)(m->reload_us / 1000000),
	    "reason", m->reload_why);
}

/* Per second, oldest first, for the page's charts to start full. */
static json_t *
jhistory(struct metrics *m)
{
	const struct sample	*a, *b;
	json_t			*v[6];
	static const char *const names[6] = {
		"received_per_s", "stored_per_s", "alerts_per_s",
		"queue_fill_pct", "store_p99_ms", "alert_p99_ms"
	};
	struct stats_queue	 q;
	size_t			 k, i, cap;
	double			 dt;
	json_t			*o = json_object();

	stats_get(STATS_QUEUE, &q, sizeof(q));
	cap = q.capacity;

	for (i = 0; i < 6; i++)
		v[i] = json_array();
	for (k = m->nring > HISTORY_S ? HISTORY_S : m->nring; k > 1; k--) {
		b = metrics_sample_ago(m, k - 1);
		a = metrics_sample_ago(m, k - 2);
		if ((dt = (double)(a->t_ns - b->t_ns) / 1e9) <= 0)
			continue;
		json_array_append_new(v[0], json_real((double)(a->rx - b->rx) /
		    dt));
		json_array_append_new(v[1], json_real((double)(a->stored -
		    b->stored) / dt));
		json_array_append_new(v[2], json_real((double)(a->fired -
		    b->fired) / dt));
		json_array_append_new(v[3], json_real(cap ? 100.0 *
		    (double)a->depth / (double)cap : 0));
		json_array_append_new(v[4], json_real((double)
		    histogram_quantile(&a->st, &b->st, 0.99) / 1e6));
		json_array_append_new(v[5], json_real((double)
		    histogram_quantile(&a->al, &b->al, 0.99) / 1e6));
	}
	for (i = 0; i < 6; i++)
		json_object_set_new(o, names[i], v[i]);
	return o;
}

/* One [input]: its type and the members its type reports. */
static void
jinput_see(void *ctx, const void *view)
{
	const struct stats_input	*v = view;
	json_t				*o = ctx, *in = NULL;
	const char			*mb = v->members ? v->members : "";
	char				*text;

	if (asprintf(&text, "{%s}", mb) != -1) {
		in = json_loads(text, 0, NULL);
		free(text);
	}
	if (in == NULL)
		in = json_object();	/* members that are not JSON: none */
	json_object_set_new(in, "type", json_string(v->type ? v->type : ""));
	json_object_set_new(o, v->name ? v->name : "", in);
}

/* The [input] sections, when there are any: {"NAME": {"type": ..}}. */
static void
jinputs(json_t *o)
{
	json_t	*in = json_object();

	if (in != NULL && stats_read(STATS_INPUT, jinput_see, in) > 0)
		json_object_set_new(o, "inputs", in);
	else
		json_decref(in);
}

json_t *
metrics_stats(struct metrics *m)
{
	struct lsctx	 c = { .arr = json_array() };
	char		 why[512];
	int		 ok = metrics_health(m, why, sizeof(why)) == 0;
	int		 degraded = 0;
	json_t		*o;

	stats_read(STATS_SOCKET, listener_json_cb, &c);
	if (ok && metrics_degraded(m, why, sizeof(why)))
		degraded = 1;
	o = json_pack("{s:I, s:o, s:{s:f, s:f, s:f}, s:{s:o, s:o}, s:o, "
	    "s:o, s:o, s:{s:b, s:b, s:s}, s:o}",
	    "uptime_s", (json_int_t)((diag_mono_ns() - m->start_ns) /
	    1000000000ULL),
	    "events", jevents(m),
	    "rates", "received_per_s", metrics_rate(m, 1, 0), "stored_per_s",
	    metrics_rate(m, 1, 1), "alerts_per_s", metrics_rate(m, 1, 2),
	    "latency", "store", jlatency(m, 0), "alert", jlatency(m, 1),
	    "stages", jpipe(jstages_see),
	    "sources", jsources(),
	    "listeners", c.arr,
	    "health", "ok", ok, "degraded", degraded, "reason",
	    ok && !degraded ? "" : why,
	    "misc", jmisc(m));
	json_object_set_new(o, "history", jhistory(m));
	json_object_set_new(o, "streams", jpipe(jstreams_see));
	json_object_set_new(o, "hosts", jpipe(jhosts_see));
	json_object_set_new(o, "config", jconfig(m));
	json_object_set_new(o, "tap", json_pack("{s:I, s:I, s:I}",
	    "clients", (json_int_t)COUNT_GET(counters.tap_clients),
	    "sent", (json_int_t)COUNT_GET(counters.tap_sent),
	    "dropped", (json_int_t)COUNT_GET(counters.tap_dropped)));
	jinputs(o);
	return o;
}
