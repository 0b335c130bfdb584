/*
 * query.c: `logstreamd query`, reading back what the JSON store holds.
 * The files of each live path (query_files.c finds and reads them) are
 * one time-ordered stream; the streams are merged by received time,
 * filtered by time and --where (expr.h, over the line itself where the
 * writer's form allows, else decoded); printed as stored or as aligned
 * text, the last N, or counted per value and time bucket; -f then follows
 * the live files like tail -F.  --strict: exit 1 if anything was skipped.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#define PARSER_INTERNAL		/* parser_rfc3339: the one RFC 3339 reader */
#include "config.h"
#include "parser.h"
#include "query.h"
#include "query_int.h"
#include "rotate.h"
#include "storepath.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: logstreamd query [-c FILE] [--since TIME] [--until TIME] "
	    "[--where EXPR]...\n"
	    "                        [--count-by FIELD]... [--bucket DURATION] "
	    "[-n N] [-f]\n"
	    "                        [-o json|text] [--strict] [--stats]\n"
	    "  --since, --until TIME  RFC 3339 (2026-11-23T20:00:00Z, "
	    "2026-11-23), now, or\n"
	    "                         relative to now (-2h, -30m, -1d)\n"
	    "  --where EXPR           FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, "
	    "FIELD!~REGEX,\n"
	    "                         severity<=warning, field.NAME>10 ...; "
	    "all must hold\n"
	    "  --count-by FIELD       counts per value instead of events "
	    "(repeatable)\n"
	    "  --bucket DURATION      ...and per this much received time "
	    "(1h, 10m)\n"
	    "  -n N                   only the last N events\n"
	    "  -f                     then follow the live files (tail -F)\n"
	    "  -o json|text           events as stored (default) or aligned "
	    "text\n"
	    "  --strict               exit 1 if a line or file was skipped\n"
	    "  --stats                say on stderr how many files were read "
	    "and skipped\n");
}

/* TIME: RFC 3339, a date, now, or -DURATION / +DURATION from now. */
static int
parse_time(const char *s, int64_t *us)
{
	struct timespec	 ts;
	int64_t		 now, ms;
	uint8_t		 prec;
	char		 buf[64];
	size_t		 len = strlen(s);

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (strcmp(s, "now") == 0) {
		*us = now;
		return 0;
	}
	if ((s[0] == '-' || s[0] == '+') && conf_parse_duration(s + 1, &ms) ==
	    0) {
		*us = now + (s[0] == '-' ? -ms : ms) * 1000;
		return 0;
	}
	if (len == 10) {		/* YYYY-MM-DD: its midnight, UTC */
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
		len = strlen(s);
	}
	return parser_rfc3339(s, len, 0, us, &prec) == (int)len ? 0 : -1;
}

/*
 * A condition KEY=VALUE on a top-level string key: the line holds
 * "KEY":"VALUE" as the writer puts it (no blank; inside a string a '"'
 * is escaped, so the text cannot come from one).  A line that lacks it
 * cannot match and is not decoded.  Only for plain ASCII values that are
 * not numbers (those compare in other ways).
 */
static void
make_needles(struct query *q)
{
	static const enum expr_top keys[] = { EXPR_K_SOURCE,
	    EXPR_K_TRANSPORT, EXPR_K_FORMAT, EXPR_K_HOST, EXPR_K_APP,
	    EXPR_K_PID, EXPR_K_MSGID, EXPR_K_CLASS, EXPR_K_MESSAGE,
	    EXPR_K_STREAM };
	const unsigned char	*v;
	size_t			 i;
	int			 ok, alpha;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = (const unsigned char *)expr_required(q->ex,
		    keys[i])) == NULL || *v == '\0')
			continue;
		for (ok = 1, alpha = 0; *v != '\0'; v++) {
			ok &= *v >= 0x20 && *v < 0x7f && *v != '"' &&
			    *v != '\\';
			alpha |= !(*v >= '0' && *v <= '9') && *v != '.' &&
			    *v != '-' && *v != '+';
		}
		if (!ok || !alpha)
			continue;
		if (asprintf(&q->needle[q->nneedle], "\"%s\":\"%s\"",
		    expr_top_name(keys[i]), expr_required(q->ex, keys[i])) ==
		    -1)
			continue;
		q->nneedle++;
	}
}

static int
has_needles(const struct query *q, const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < q->nneedle; i++)
		if (memmem(line, len, q->needle[i], strlen(q->needle[i])) ==
		    NULL)
			return 0;
	return 1;
}

/* The keys the writer puts first, in its order: read in place. */
static const char	*early_keys[EXPR_K_MESSAGE + 1];

/* g's line decoded (once).  0, or -1 if it is not a JSON object. */
static int
line_decode(struct qgroup *g)
{
	if (g->obj != NULL)
		return 0;
	if (g->bad)
		return -1;
	if ((g->obj = json_loadb(g->line, g->linelen, 0, NULL)) == NULL ||
	    !json_is_object(g->obj)) {
		json_decref(g->obj);
		g->obj = NULL;
		g->bad = 1;
		return -1;
	}
	return 0;
}

/*
 * The accessor the filter and --count-by read g's line through
 * (expr_get_fn): a key the writer puts before "message" straight from
 * the line; any other key, or a line of another form, from the line
 * decoded (once).  Most lines are never decoded.
 */
static int
line_get(void *arg, const struct expr_key *k, struct expr_val *v)
{
	struct qgroup	*g = arg;

	if (k->space == EXPR_TOP && k->top <= EXPR_K_MESSAGE &&
	    g->obj == NULL) {
		if (!g->scanned) {
			g->scanned = 1;
			g->scan_ok = storeidx_scan(g->line, g->linelen,
			    early_keys, EXPR_K_MESSAGE + 1, g->sp) == 0;
		}
		if (g->scan_ok) {
			if (g->sp[k->top].v == NULL)
				return 0;
			memset(v, 0, sizeof(*v));
			v->s = g->sp[k->top].v;
			v->len = g->sp[k->top].len;
			return 1;
		}
	}
	if (line_decode(g) == -1)
		return 0;
	g->j.obj = g->obj;
	return expr_json_get(&g->j, k, v);
}

/*
 * The received time of g's line, as storeidx_received reads it; 0 or -1.
 * A burst's lines share their received text: the time read from the
 * same text before a '"' is the same (the parse stops at the zone, which
 * the text holds), so it is kept (g->us is the last line's time).
 */
static int
line_received(struct qgroup *g)
{
	static const char	 pfx[] = "{\"received\":\"";
	const size_t		 pl = sizeof(pfx) - 1;
	const char		*q;

	if (g->rlen > 0 && g->linelen > pl + g->rlen &&
	    g->line[pl + g->rlen] == '"' &&
	    memcmp(g->line + pl, g->rtext, g->rlen) == 0 &&
	    memcmp(g->line, pfx, pl) == 0)
		return 0;
	g->rlen = 0;
	if (storeidx_received(g->line, g->linelen, &g->us) == -1)
		return -1;
	/* its end: the first '"' after the prefix (the text has none) */
	if ((q = memchr(g->line + pl, '"', g->linelen - pl)) != NULL &&
	    (size_t)(q - g->line) - pl <= sizeof(g->rtext)) {
		g->rlen = (size_t)(q - g->line) - pl;
		memcpy(g->rtext, g->line + pl, g->rlen);
	}
	return 0;
}

/* The next event of g that passes the time range and the filter. */
static int
next_event(struct query *q, struct qgroup *g)
{
	const char	*why;
	int		 fast;

	while (query_files_next_line(q, g)) {
		q->lines++;
		json_decref(g->obj);
		g->obj = NULL;
		g->bad = g->scanned = 0;
		/* The writer puts "received" first: most lines outside the
		 * time range are passed over without decoding them. */
		fast = line_received(g) == 0;
		why = "not JSON";
		if (!fast && (line_decode(g) == -1 ||
		    (why = "no \"received\" time",
		    storeidx_event_time(g->obj, &g->us) == -1)))
			goto bad;
		if (g->us < q->since || g->us > q->until)
			continue;
		if (fast && !has_needles(q, g->line, g->linelen))
			continue;
		why = "not JSON";
		if (!expr_match(q->ex, line_get, g)) {
			if (g->bad)
				goto bad;
			continue;
		}
		if (g->bad || (((q->text && q->ncb == 0) || q->cb_decode) &&
		    line_decode(g) == -1))
			goto bad;
		return 1;
bad:
		query_files_report(q, g->f[g->cur].path, g->lineno, why);
	}
	json_decref(g->obj);
	g->obj = NULL;
	g->done = 1;
	return 0;
}

/* Output. */

static void
put_col(struct query *q, const json_t *o, const char *key, int width)
{
	const char	*v = json_string_value(json_object_get(o, key));
	size_t		 before = q->out.len, len;

	if (v == NULL)
		v = "-";
	alerter_escape(&q->out, v, strlen(v), 0);
	len = q->out.len - before;
	while ((int)len++ < width)
		alerter_buf_put(&q->out, " ", 1);
	alerter_buf_put(&q->out, " ", 1);
}

/* One event as aligned text: received host app severity class message,
 * terminal-safe (the alert file's escaping). */
static void
put_text(struct query *q, const json_t *o)
{
	const char	*m;

	put_col(q, o, "received", 27);
	put_col(q, o, "host", 15);
	put_col(q, o, "app", 12);
	put_col(q, o, "severity", 7);
	put_col(q, o, "class", 15);
	if ((m = json_string_value(json_object_get(o, "message"))) != NULL)
		alerter_escape(&q->out, m, strlen(m), 0);
	alerter_buf_put(&q->out, "\n", 1);
}

static void
flush_out(struct query *q)
{
	if (q->out.len > 0)
		fwrite(q->out.p, 1, q->out.len, stdout);
	q->out.len = 0;
	q->out.oom = 0;
}

static void
put_event(struct query *q, const char *line, size_t len, const json_t *o)
{
	if (q->text && o != NULL)
		put_text(q, o);
	else {
		alerter_buf_put(&q->out, line, len);
		alerter_buf_put(&q->out, "\n", 1);
	}
	if (q->out.len >= CHUNK)
		flush_out(q);
}

/* --count-by: the key "bucket\x1fvalue\x1f..." of the event. */
static void
count_event(struct query *q, struct qgroup *g)
{
	struct expr_val		 v;
	struct abuf		 k = { 0 };
	json_t			*c;
	char			 b[40];
	int64_t			 s;
	size_t			 i;

	if (q->bucket_us > 0) {
		s = g->us - ((g->us % q->bucket_us) + q->bucket_us) %
		    q->bucket_us;
		snprintf(b, sizeof(b), "%lld", (long long)s);
		alerter_buf_put(&k, b, strlen(b));
	}
	for (i = 0; i < q->ncb; i++) {
		alerter_buf_put(&k, "\x1f", 1);
		if (line_get(g, q->cb[i], &v))
			alerter_buf_put(&k, v.s, v.len);
	}
	alerter_buf_put(&k, "", 1);
	if (k.oom)
		goto done;
	if ((c = json_object_get(q->counts, k.p)) != NULL)
		json_integer_set(c, json_integer_value(c) + 1);
	else
		json_object_set_new(q->counts, k.p, json_integer(1));
done:
	free(k.p);
}

static void
deliver(struct query *q, struct qgroup *g)
{
	char	*copy;

	q->matched++;
	if (q->sink != NULL) {
		q->sink(q->sink_arg, g->line, g->linelen);
		return;
	}
	if (q->ncb > 0) {
		count_event(q, g);
		return;
	}
	if (!q->n_set) {
		put_event(q, g->line, g->linelen, g->obj);
		return;
	}
	if (q->last_n == 0)
		return;
	/* -n: keep the line (as text output needs it decoded, re-read it
	 * at the end) */
	if ((copy = strndup(g->line, g->linelen)) == NULL)
		return;
	free(q->ring[q->nring % q->last_n]);
	q->ring[q->nring % q->last_n] = copy;
	q->nring++;
}

static void
print_ring(struct query *q)
{
	uint64_t	 i, first;
	json_t		*o;
	char		*l;

	first = q->nring > q->last_n ? q->nring - q->last_n : 0;
	for (i = first; i < q->nring; i++) {
		l = q->ring[i % q->last_n];
		o = q->text ? json_loads(l, 0, NULL) : NULL;
		put_event(q, l, strlen(l), o);
		json_decref(o);
	}
}

/* The merge: a heap of groups by their current event's received time
 * (ties: the group found first). */
static int
heap_less(const struct query *q, const struct qgroup *a,
    const struct qgroup *b)
{
	if (a->us != b->us)
		return a->us < b->us;
	return a < b;
}

static void
heap_down(struct query *q, size_t i)
{
	struct qgroup	*t;
	size_t		 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= q->nheap)
			return;
		if (c + 1 < q->nheap && heap_less(q, q->heap[c + 1],
		    q->heap[c]))
			c++;
		if (!heap_less(q, q->heap[c], q->heap[i]))
			return;
		t = q->heap[c];
		q->heap[c] = q->heap[i];
		q->heap[i] = t;
		i = c;
	}
}

static int
merge(struct query *q)
{
	struct qgroup	*g;
	size_t		 i;

	if ((q->heap = calloc(q->ng + 1, sizeof(*q->heap))) == NULL)
		return -1;
	for (i = 0; i < q->ng; i++)
		if (next_event(q, &q->g[i]))
			q->heap[q->nheap++] = &q->g[i];
	for (i = q->nheap / 2 + 1; i > 0; i--)
		heap_down(q, i - 1);
	while (q->nheap > 0) {
		g = q->heap[0];
		deliver(q, g);
		if (!next_event(q, g))
			q->heap[0] = q->heap[--q->nheap];
		heap_down(q, 0);
	}
	return 0;
}

/* --count-by output. */

struct row {
	const char	*key;
	json_int_t	 n;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;
	long long		 bx = atoll(x->key), by = atoll(y->key);

	if (bx != by)		/* the bucket (0 without --bucket) */
		return bx < by ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void
bucket_text(int64_t us, char *buf, size_t len)
{
	time_t		 sec = (time_t)(us / 1000000);
	struct tm	 tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Column i (0: the bucket) of a row key into *s, *len. */
static void
key_col(const char *key, size_t i, const char **s, size_t *len)
{
	const char	*p = key, *e;

	while (i-- > 0 && (p = strchr(p, '\x1f')) != NULL)
		p++;
	if (p == NULL)
		p = "";
	e = strchr(p, '\x1f');
	*s = p;
	*len = e != NULL ? (size_t)(e - p) : strlen(p);
}

static const char *
cb_name(const struct expr_key *k, char *buf, size_t len)
{
	static const char *const pfx[] = { "", "field.", "trusted.", "sd." };

	if (k->space == EXPR_TOP)
		return expr_top_name(k->top);
	snprintf(buf, len, "%s%s", pfx[k->space], k->name);
	return buf;
}

static void
print_counts(struct query *q)
{
	struct row	*r;
	const char	*key, *s;
	json_t		*v, *o;
	size_t		 n = 0, i, c, len, w[COUNT_BY_MAX + 1] = { 0 };
	char		 b[40], nm[300];

	if ((r = calloc(json_object_size(q->counts) + 1, sizeof(*r))) ==
	    NULL)
		return;
	json_object_foreach(q->counts, key, v) {
		r[n].key = key;
		r[n++].n = json_integer_value(v);
	}
	qsort(r, n, sizeof(*r), row_cmp);
	w[0] = q->bucket_us > 0 ? 20 : 0;
	for (c = 0; c < q->ncb; c++)
		w[c + 1] = strlen(cb_name(q->cb[c], nm, sizeof(nm)));
	for (i = 0; i < n; i++)
		for (c = 0; c < q->ncb; c++) {
			key_col(r[i].key, c + 1, &s, &len);
			if (len > w[c + 1])
				w[c + 1] = len;
		}
	if (q->text) {
		if (q->bucket_us > 0)
			printf("%-20s ", "bucket");
		for (c = 0; c < q->ncb; c++)
			printf("%-*s ", (int)w[c + 1], cb_name(q->cb[c], nm,
			    sizeof(nm)));
		printf("count\n");
	}
	for (i = 0; i < n; i++) {
		o = q->text ? NULL : json_object();
		if (q->bucket_us > 0) {
			bucket_text(atoll(r[i].key), b, sizeof(b));
			if (o != NULL)
				json_object_set_new(o, "bucket",
				    json_string(b));
			else
				printf("%-20s ", b);
		}
		for (c = 0; c < q->ncb; c++) {
			key_col(r[i].key, c + 1, &s, &len);
			if (o != NULL)
				json_object_set_new(o, cb_name(q->cb[c], nm,
				    sizeof(nm)), json_stringn(s, len));
			else
				printf("%-*.*s ", (int)w[c + 1], (int)len, s);
		}
		if (o == NULL) {
			printf("%lld\n", (long long)r[i].n);
			continue;
		}
		json_object_set_new(o, "count", json_integer(r[i].n));
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	}
	free(r);
}

/* -f: follow. */

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
drain(struct query *q, struct qgroup *g)
{
	while (next_event(q, g))
		deliver(q, g);
}

/* g's live path names another file than the one held open.  1 or 0. */
static int
follow_renamed(const struct qgroup *g)
{
	struct stat	 st;

	if (stat(g->live, &st) == -1)
		return 0;
	return st.st_dev != g->dev || st.st_ino != g->ino;
}

/* One look at g: what its files hold beyond what was printed.  The live
 * file stays open between looks (so its inode cannot be reused, and a
 * rename is seen for what it is). */
static void
follow_group(struct query *q, struct qgroup *g)
{
	if (query_files_ensure_live(q, g) == -1)
		return;
	if (g->cur + 1 < g->nf) {
		drain(q, g);		/* files not read yet */
		return;
	}
	if (g->gz == NULL) {		/* the live file, from its start */
		g->cur = g->nf - 1;
		g->seen = 0;
		drain(q, g);
		return;
	}
	gzclearerr(g->gz);		/* its end was where it ended then */
	drain(q, g);
	if (!follow_renamed(g))
		return;
	gzclearerr(g->gz);		/* what came before the rename */
	drain(q, g);
	gzclose(g->gz);
	g->gz = NULL;
	query_files_catch_up(q, g);
	drain(q, g);
}

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
follow(struct query *q)
{
	uint64_t	 ticks = 0;
	size_t		 i;

	for (i = 0; i < q->ng; i++)
		if (q->g[i].gz != NULL && !q->g[i].gz_live) {
			gzclose(q->g[i].gz);
			q->g[i].gz = NULL;
		}
	for (;;) {
		for (i = 0; i < q->ng; i++)
			follow_group(q, &q->g[i]);
		flush_out(q);
		if (fflush(stdout) == EOF || ferror(stdout))
			return -1;
		sleep_ms(FOLLOW_MS);
		if (++ticks % (RESCAN_MS / FOLLOW_MS) != 0 || !q->templated)
			continue;
		query_files_rescan(q);	/* new live files (hosts, days) */
	}
}

/* Setup. */

static int
add_count_by(struct query *q, const char *s)
{
	if (q->ncb == COUNT_BY_MAX) {
		fprintf(stderr, "logstreamd query: at most %d --count-by\n",
		    COUNT_BY_MAX);
		return -1;
	}
	if ((q->cb[q->ncb] = expr_key_new(s)) == NULL) {
		fprintf(stderr, "logstreamd query: --count-by %s: not a key "
		    "(host, class, app, severity, field.NAME...)\n", s);
		return -1;
	}
	q->ncb++;
	return 0;
}

static int
load_config(struct query *q)
{
	struct config	*cf;
	int		 rc = -1;

	if ((cf = config_load(q->config)) == NULL)
		return -1;
	if (cf->nerrors > 0)
		config_print_errors(cf);
	else if (cf->store_format != STORE_JSON)
		fprintf(stderr, "logstreamd query: %s: [storage] format is "
		    "not json: nothing to query\n", q->config);
	else if ((q->tmpl = strdup(cf->store_path)) != NULL) {
		q->templated = storepath_templated(q->tmpl);
		rc = 0;
	}
	config_free(cf);
	return rc;
}

static int
parse_args(struct query *q, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "where", required_argument, NULL, 'W' },
		{ "count-by", required_argument, NULL, 'C' },
		{ "bucket", required_argument, NULL, 'B' },
		{ "strict", no_argument, NULL, 'X' },
		{ "stats", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char		 err[256];
	uint64_t	 n;
	int64_t		 ms;
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:n:fo:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			q->config = optarg;
			break;
		case 'S':
		case 'U':
			if (query_time_opt("query", ch, optarg, &q->since,
			    &q->until) == -1)
				return -1;
			break;
		case 'W':
			if (expr_add(q->ex, optarg, err, sizeof(err)) == -1) {
				fprintf(stderr, "logstreamd query: --where "
				    "'%s': %s\n", optarg, err);
				return -1;
			}
			break;
		case 'C':
			if (add_count_by(q, optarg) == -1)
				return -1;
			break;
		case 'B':
			if (conf_parse_duration(optarg, &ms) == -1 || ms < 1) {
				fprintf(stderr, "logstreamd query: --bucket "
				    "%s: not a duration (10m, 1h, 1d)\n",
				    optarg);
				return -1;
			}
			q->bucket_us = ms * 1000;
			break;
		case 'n':
			if (conf_parse_uint(optarg, &n) == -1 ||
			    n > 10000000) {
				fprintf(stderr, "logstreamd query: -n %s: not "
				    "0 to 10000000\n", optarg);
				return -1;
			}
			q->last_n = n;
			q->n_set = 1;
			break;
		case 'f':
			q->follow = 1;
			break;
		case 'o':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "text") != 0) {
				fprintf(stderr, "logstreamd query: -o %s: "
				    "json or text\n", optarg);
				return -1;
			}
			q->text = strcmp(optarg, "text") == 0;
			q->text_set = 1;
			break;
		case 'X':
			q->strict = 1;
			break;
		case 'T':
			q->stats = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (q->bucket_us > 0 && q->ncb == 0) {
		fprintf(stderr, "logstreamd query: --bucket needs "
		    "--count-by\n");
		return -1;
	}
	if (q->n_set && q->ncb > 0) {
		fprintf(stderr, "logstreamd query: -n picks events, "
		    "--count-by prints counts: not both\n");
		return -1;
	}
	if (q->follow && q->ncb > 0) {
		fprintf(stderr, "logstreamd query: -f prints events, not "
		    "counts\n");
		return -1;
	}
	if (q->ncb > 0 && !q->text_set)
		q->text = 1;		/* a table, unless -o json */
	if (q->follow && !q->n_set && q->since == INT64_MIN) {
		q->last_n = 10;		/* as tail -f and journalctl -f */
		q->n_set = 1;
	}
	return 0;
}

void
query_free(struct query *q)
{
	size_t	 i, k;

	query_gz_stop(q);
	for (i = 0; i < q->ng; i++) {
		for (k = 0; k < q->g[i].nf; k++)
			free(q->g[i].f[k].path);
		if (q->g[i].gz != NULL)
			gzclose(q->g[i].gz);
		json_decref(q->g[i].obj);
		free(q->g[i].f);
		free(q->g[i].buf);
		free(q->g[i].live);
	}
	free(q->g);
	free(q->heap);
	for (i = 0; q->ring != NULL && i < q->last_n; i++)
		free(q->ring[i]);
	free(q->ring);
	for (i = 0; i < q->ncb; i++)
		free(q->cb[i]);
	json_decref(q->counts);
	for (i = 0; i < q->nneedle; i++)
		free(q->needle[i]);
	expr_free(q->ex);
	free(q->out.p);
	free(q->tmpl);
}

/* --since (ch 'S') or --until of the command CMD: 0, or -1 said. */
int
query_time_opt(const char *cmd, int ch, const char *arg, int64_t *since,
    int64_t *until)
{
	if (parse_time(arg, ch == 'S' ? since : until) == 0)
		return 0;
	fprintf(stderr, "logstreamd %s: --%s %s: not a time (RFC 3339, "
	    "YYYY-MM-DD, now, -2h)\n", cmd, ch == 'S' ? "since" : "until", arg);
	return -1;
}

int
query_walk(struct query *q)
{
	size_t	 i;

	for (i = 0; i <= EXPR_K_MESSAGE; i++)
		early_keys[i] = expr_top_name((enum expr_top)i);
	make_needles(q);
	if (query_files_scan(q) == -1 || merge(q) == -1)
		return -1;
	return 0;
}

int
query_main(int argc, char *argv[])
{
	struct query	 q;
	size_t		 i;
	int		 rc = 2;

	memset(&q, 0, sizeof(q));
	q.config = QUERY_DEFAULT_CONFIG;
	q.since = INT64_MIN;
	q.until = INT64_MAX;
	if ((q.ex = expr_new()) == NULL || (q.counts = json_object()) == NULL)
		goto done;
	rc = 1;
	if (parse_args(&q, argc, argv) == -1 || load_config(&q) == -1)
		goto done;
	for (i = 0; i < q.ncb; i++)
		q.cb_decode |= q.cb[i]->space != EXPR_TOP ||
		    q.cb[i]->top > EXPR_K_MESSAGE;
	q.req_host = expr_required(q.ex, EXPR_K_HOST);
	q.req_class = expr_required(q.ex, EXPR_K_CLASS);
	if (q.n_set && q.last_n > 0 &&
	    (q.ring = calloc(q.last_n, sizeof(*q.ring))) == NULL)
		goto done;
	rc = 2;
	if (query_walk(&q) == -1)
		goto done;
	if (q.ncb > 0)
		print_counts(&q);
	else if (q.n_set)
		print_ring(&q);
	flush_out(&q);
	if (q.stats)
		fprintf(stderr, "logstreamd query: %llu files, %llu opened, "
		    "%llu skipped by their index; %llu lines read, %llu "
		    "matched, %llu skipped as unreadable\n",
		    (unsigned long long)q.files, (unsigned long long)q.opened,
		    (unsigned long long)q.skipped, (unsigned long long)q.lines,
		    (unsigned long long)q.matched, (unsigned long long)q.bad);
	if (q.reported > REPORT_MAX)
		fprintf(stderr, "logstreamd query: %llu more skipped lines "
		    "not named\n", (unsigned long long)(q.reported -
		    REPORT_MAX));
	if (q.follow) {
		raise_nofile();		/* a live file held open per path */
		q.n_set = 0;
		rc = follow(&q) == 0 ? 0 : 2;
		goto done;
	}
	rc = fflush(stdout) == EOF ? 2 : q.strict && q.bad > 0 ? 1 : 0;
done:
	query_free(&q);
	return rc;
}
