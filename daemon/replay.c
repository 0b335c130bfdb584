/*
 * replay.c: `logstreamd replay`, batch mode.  The events of the candidate
 * config's store (read as `logstreamd query` reads it: query_walk) or of
 * the FILEs given (stored JSON lines, decoded with kdec, or raw log lines,
 * parsed as received ones) run through that config's classifier, lookups
 * and the daemon's own alerter to completion.  The clock is the events':
 * each batch holds the events of one second of received time, the
 * alerter's windows run on those times, and alerter_tick runs at every
 * second of event time, so windows, suppress and absence behave as they
 * did live.  The alert lines the alerter would have written (print mode)
 * go to stdout, then a summary ("# " lines).  --diff OLD.conf runs both
 * configs and prints only the lines one raises and the other does not.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "alerter.h"
#include "classifier.h"
#include "config.h"
#include "diag.h"
#include "kdec.h"
#include "logrec.h"
#include "lookup.h"
#include "parser.h"
#include "pipeline.h"
#include "query_int.h"
#include "replay.h"
#include "storepath.h"

#define BATCH_MAX	4096
#define SEC		1000000LL
#define TICK_GAP_MAX	(86400 * SEC)	/* silence ticked second by second */

/* An alert line of a run (--diff keeps them). */
struct rline {
	char		*s;
	size_t		 len;
	int64_t		 clock;		/* the event clock when raised */
	int		 matched;	/* the other run raised it too */
};

struct replay {
	const char	*config;
	const char	*old;		/* --diff */
	int64_t		 since, until;
	char		**files;
	int		 nfiles;
};

/* One config's run. */
struct run {
	const struct replay	*rp;
	const char		*config;
	struct stageset		*ss;
	struct lsbatch		*b;
	struct kdec		 kd;
	int64_t			 clock;		/* newest received time */
	int64_t			 batch_sec;	/* the batch's second */
	int64_t			 next_tick;	/* 0: no event yet */
	uint64_t		 events, raw, nomem, nalerts;
	uint64_t		 notevent;	/* store lines kdec refused */
	uint64_t		*per_class;
	int			 keep;		/* --diff: keep the lines */
	struct rline		*lines;
	size_t			 nlines, cap;
	const char		*path;		/* the FILE being read */
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: logstreamd replay -c CANDIDATE.conf [--since TIME] "
	    "[--until TIME]\n"
	    "                         [--diff OLD.conf] [FILE...]\n"
	    "  Runs the stored events (the candidate's [storage] path, or the "
	    "FILEs:\n"
	    "  stored JSON lines or raw log lines, .gz read too) through the "
	    "candidate's\n"
	    "  classes and alerts with the events' own time as the clock; "
	    "prints the\n"
	    "  alert lines it would have written, then a summary (# lines).\n"
	    "  --since TIME, --until TIME  only the events received then "
	    "(as query takes\n"
	    "                      TIME: RFC 3339, a date, now, -2h)\n"
	    "  --diff OLD.conf     print only the alert lines one config "
	    "raises and the\n"
	    "                      other does not: + the candidate, - OLD\n");
}

/* The alerter's print mode: a line to stdout, or kept for --diff. */
static void
put_line(void *arg, const char *line, size_t len)
{
	struct run	*ru = arg;
	struct rline	*nl;

	ru->nalerts++;
	if (!ru->keep) {
		fwrite(line, 1, len, stdout);
		return;
	}
	if (ru->nlines == ru->cap) {
		if ((nl = reallocarray(ru->lines, ru->cap ? ru->cap * 2 : 64,
		    sizeof(*nl))) == NULL)
			goto nomem;
		ru->lines = nl;
		ru->cap = ru->cap ? ru->cap * 2 : 64;
	}
	nl = &ru->lines[ru->nlines];
	if ((nl->s = malloc(len)) == NULL)
		goto nomem;
	memcpy(nl->s, line, len);
	nl->len = len;
	nl->clock = ru->clock;
	nl->matched = 0;
	ru->nlines++;
	return;
nomem:
	ru->nomem++;
}

/* The batch through the stages, stamped with the clock (its newest
 * event's received time, as the daemon stamps a batch on its arrival). */
static void
run_batch(struct run *ru)
{
	struct lsbatch	*b = ru->b;
	uint32_t	 i;

	if (b->n == 0)
		return;
	classifier_process(ru->ss->cl, b);
	if (ru->ss->lk != NULL)
		lookups_process(ru->ss->lk, b);
	alerter_process(ru->ss->al, b, ru->clock);
	for (i = 0; i < b->n; i++)
		ru->per_class[b->recs[i].cls_id]++;
	ru->events += b->n;
	lsbatch_clear(b);	/* its arena kept: refilled at once */
}

/* The clock to t: the batch of the seconds before goes through, then the
 * alerter ticks at every second up to t (a silence over TICK_GAP_MAX is
 * ticked at its start and its last TICK_GAP_MAX). */
static void
advance(struct run *ru, int64_t t)
{
	if (ru->next_tick == 0) {
		ru->next_tick = (t / SEC + 1) * SEC;
		ru->batch_sec = t / SEC;
	}
	if (t / SEC != ru->batch_sec || ru->b->n == BATCH_MAX) {
		run_batch(ru);
		ru->batch_sec = t / SEC;
	}
	while (ru->next_tick <= t) {
		alerter_tick(ru->ss->al, ru->next_tick,
		    (uint64_t)ru->next_tick * 1000);
		ru->next_tick += SEC;
		if (t - ru->next_tick > TICK_GAP_MAX)
			ru->next_tick = (t - TICK_GAP_MAX) / SEC * SEC;
	}
	if (t > ru->clock)
		ru->clock = t;
}

/* The record just added: on the event clock. */
static void
stamp(struct logrec *r, int64_t t)
{
	r->received_us = t;
	r->recv_mono_ns = t > 0 ? (uint64_t)t * 1000 : 0;
}

/* One line: a stored event, or a raw log line (FILE) parsed as a
 * received one, on its own time (or, without one, the clock's). */
static void
add_line(struct run *ru, const char *s, size_t len)
{
	struct logrec	*r;
	struct lsslice	 sl;
	int64_t		 t;
	int		 rc;

	if ((rc = kdec_parse(&ru->kd, s, len)) == -1) {
		ru->nomem++;
		return;
	}
	if (rc == 1) {
		t = ru->kd.received_us;
		if (t < ru->rp->since || t > ru->rp->until)
			return;
		advance(ru, t);
		if ((r = kdec_batch(&ru->kd, ru->b, s, len)) == NULL) {
			ru->nomem++;
			return;
		}
		stamp(r, t);
		return;
	}
	if (ru->path == NULL) {
		ru->notevent++;		/* the store: not an event */
		return;
	}
	/* Its time is known once parsed: a batch of its own. */
	run_batch(ru);
	if ((r = lsbatch_add_rec(ru->b)) == NULL ||
	    lsbatch_append(ru->b, s, len, &sl) == -1) {
		lsbatch_reset(ru->b);
		ru->nomem++;
		return;
	}
	r->raw = sl;
	if (lsbatch_append(ru->b, ru->path, strlen(ru->path), &sl) == 0)
		r->source = sl;
	r->transport = LRT_FILE;
	parser_parse(ru->b, r);
	t = r->time_us != LR_NOTIME ? r->time_us : ru->clock != 0 ?
	    ru->clock : diag_now_us();
	if (t < ru->rp->since || t > ru->rp->until) {
		lsbatch_reset(ru->b);
		return;
	}
	ru->raw++;
	stamp(r, t);
	ru->batch_sec = t / SEC;	/* alone: advance does not cut it */
	advance(ru, t);
}

static void
sink(void *arg, const char *line, size_t len)
{
	add_line(arg, line, len);
}

/* The store of the config, as query reads it.  0, or -1. */
static int
walk_store(struct run *ru)
{
	struct query	 q;
	int		 rc = -1;

	memset(&q, 0, sizeof(q));
	q.config = ru->config;
	q.since = ru->rp->since;
	q.until = ru->rp->until;
	if (ru->ss->cf->store_format != STORE_JSON) {
		fprintf(stderr, "logstreamd replay: %s: [storage] format is "
		    "not json: no stored events to replay\n", ru->config);
		return -1;
	}
	if ((q.ex = expr_new()) == NULL ||
	    (q.tmpl = strdup(ru->ss->cf->store_path)) == NULL)
		goto done;
	q.templated = storepath_templated(q.tmpl);
	q.sink = sink;
	q.sink_arg = ru;
	rc = query_walk(&q);
done:
	if (rc == -1)
		fprintf(stderr, "logstreamd replay: %s: the store cannot be "
		    "read\n", ru->config);
	query_free(&q);
	return rc;
}

/* A FILE, line by line (.gz read too).  0, or -1. */
static int
walk_file(struct run *ru, const char *path)
{
	gzFile	 gz;
	char	*line = NULL, *nl, *p;
	size_t	 cap = 0, len = 0;
	int	 n, rc = -1;

	if ((gz = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "logstreamd replay: %s: %s\n", path,
		    strerror(errno ? errno : ENOMEM));
		return -1;
	}
	ru->path = path;
	for (;;) {
		if (cap - len < CHUNK) {
			if (cap + CHUNK > LINE_MAX_B ||
			    (nl = realloc(line, cap + CHUNK)) == NULL)
				goto done;
			line = nl;
			cap += CHUNK;
		}
		if ((n = gzread(gz, line + len, (unsigned)(cap - len))) < 0)
			goto done;
		if (n == 0)
			break;
		len += (size_t)n;
		/* Every whole line read so far; the rest moved to the front. */
		for (p = line; (nl = memchr(p, '\n', len - (size_t)(p - line)))
		    != NULL; p = nl + 1)
			if (nl > p)
				add_line(ru, p, (size_t)(nl - p));
		len -= (size_t)(p - line);
		memmove(line, p, len);
	}
	if (len > 0)
		add_line(ru, line, len);	/* no newline at the end */
	rc = 0;
done:
	if (rc == -1)
		fprintf(stderr, "logstreamd replay: %s: cannot be read to its "
		    "end\n", path);
	gzclose(gz);
	free(line);
	ru->path = NULL;
	return rc;
}

/* Load path and run every event through it.  0, 1 config, 2 read. */
static int
run_config(struct run *ru, const struct replay *rp, const char *path,
    int keep)
{
	struct config	*cf;
	int		 i, rc = 0;

	memset(ru, 0, sizeof(*ru));
	ru->rp = rp;
	ru->config = path;
	ru->keep = keep;
	if ((cf = config_load(path)) == NULL)
		return 1;
	if (cf->nerrors > 0 || (ru->ss = stageset_new(cf)) == NULL) {
		config_print_errors(cf);
		config_free(cf);
		return 1;
	}
	if ((ru->b = lsbatch_new(BATCH_MAX)) == NULL ||
	    (ru->per_class = calloc(classifier_count(ru->ss->cl) + 1,
	    sizeof(*ru->per_class))) == NULL)
		return 2;
	alerter_print(ru->ss->al, put_line, ru);
	if (rp->nfiles == 0)
		rc = walk_store(ru) == -1 ? 2 : 0;
	for (i = 0; i < rp->nfiles; i++)
		if (walk_file(ru, rp->files[i]) == -1)
			rc = 2;
	run_batch(ru);
	/* To completion: the silences up to --until, or the last event. */
	if (ru->next_tick != 0)
		advance(ru, rp->until != INT64_MAX ? rp->until : ru->clock);
	return rc;
}

static void
run_free(struct run *ru)
{
	size_t	 i;

	for (i = 0; i < ru->nlines; i++)
		free(ru->lines[i].s);
	free(ru->lines);
	free(ru->per_class);
	lsbatch_free(ru->b);
	kdec_free(&ru->kd);
	stageset_free(ru->ss);
}

static void
summary(const struct run *ru)
{
	const struct alerter	*al = ru->ss->al;
	size_t			 i;

	printf("# replay %s: %llu events (%llu raw lines), %llu alert "
	    "lines\n", ru->config, (unsigned long long)ru->events,
	    (unsigned long long)ru->raw, (unsigned long long)ru->nalerts);
	for (i = 0; i < classifier_count(ru->ss->cl); i++)
		if (ru->per_class != NULL && ru->per_class[i] > 0)
			printf("# class %s: %llu\n", classifier_name(ru->ss->cl,
			    i), (unsigned long long)ru->per_class[i]);
	for (i = 0; i < alerter_count(al); i++)
		printf("# alert %s: %llu fired, %llu suppressed\n",
		    alerter_name(al, i), (unsigned long long)alerter_fired(al,
		    i), (unsigned long long)alerter_suppressed(al, i));
	if (ru->notevent > 0)
		printf("# %llu stored lines not read as events, skipped\n",
		    (unsigned long long)ru->notevent);
	if (ru->nomem > 0)
		printf("# %llu events or lines lost for memory\n",
		    (unsigned long long)ru->nomem);
}

static int
rline_cmp(const void *a, const void *b)
{
	const struct rline	*x = *(struct rline * const *)a;
	const struct rline	*y = *(struct rline * const *)b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c;

	if ((c = memcmp(x->s, y->s, n)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The lines of ru, sorted by their text; NULL on ENOMEM. */
static struct rline **
sorted(const struct run *ru)
{
	struct rline	**v;
	size_t		  i;

	if ((v = calloc(ru->nlines + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < ru->nlines; i++)
		v[i] = &ru->lines[i];
	qsort(v, ru->nlines, sizeof(*v), rline_cmp);
	return v;
}

/* Mark the lines both raise (as many times as both do); then print the
 * others in the order of the clock, - before + at the same time. */
static int
diff(struct run *nw, struct run *old)
{
	struct rline	**a, **b;
	size_t		  i = 0, j = 0;
	int		  c;
	uint64_t	  plus = 0, minus = 0;

	a = sorted(nw);
	b = sorted(old);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -1;
	}
	while (i < nw->nlines && j < old->nlines) {
		if ((c = rline_cmp(&a[i], &b[j])) == 0) {
			a[i++]->matched = b[j++]->matched = 1;
		} else if (c < 0)
			i++;
		else
			j++;
	}
	free(a);
	free(b);
	for (i = j = 0; i < nw->nlines || j < old->nlines;) {
		if (j < old->nlines && (i == nw->nlines ||
		    old->lines[j].clock <= nw->lines[i].clock)) {
			if (!old->lines[j].matched) {
				fputs("- ", stdout);
				fwrite(old->lines[j].s, 1, old->lines[j].len,
				    stdout);
				minus++;
			}
			j++;
		} else {
			if (!nw->lines[i].matched) {
				fputs("+ ", stdout);
				fwrite(nw->lines[i].s, 1, nw->lines[i].len,
				    stdout);
				plus++;
			}
			i++;
		}
	}
	printf("# diff: %llu alert lines only with %s (+), %llu only with "
	    "%s (-)\n", (unsigned long long)plus, nw->config,
	    (unsigned long long)minus, old->config);
	return 0;
}

static int
parse_args(struct replay *rp, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "diff", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			rp->config = optarg;
			break;
		case 'S':
		case 'U':
			if (query_time_opt("replay", ch, optarg, &rp->since,
			    &rp->until) == -1)
				return -1;
			break;
		case 'D':
			rp->old = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (rp->config == NULL) {
		fprintf(stderr, "logstreamd replay: -c CANDIDATE.conf is "
		    "required\n");
		usage(stderr);
		return -1;
	}
	rp->files = argv + optind;
	rp->nfiles = argc - optind;
	return 0;
}

int
replay_main(int argc, char *argv[])
{
	struct replay	 rp;
	struct run	 nw, old;
	int		 rc, rc2 = 0;

	memset(&rp, 0, sizeof(rp));
	memset(&old, 0, sizeof(old));
	rp.since = INT64_MIN;
	rp.until = INT64_MAX;
	if (parse_args(&rp, argc, argv) == -1)
		return 1;
	rc = run_config(&nw, &rp, rp.config, rp.old != NULL);
	if (rc != 1 && rp.old != NULL)
		rc2 = run_config(&old, &rp, rp.old, 1);
	if (rc == 1 || rc2 == 1) {
		rc = 1;
		goto done;
	}
	if (rp.old != NULL && diff(&nw, &old) == -1)
		rc = 2;
	summary(&nw);
	if (rp.old != NULL)
		summary(&old);
	if (rc == 0 && rc2 != 0)
		rc = rc2;
	if (fflush(stdout) == EOF)
		rc = 2;
done:
	run_free(&nw);
	run_free(&old);
	return rc;
}
