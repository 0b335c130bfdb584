/*
 * output.c: the [output NAME] sections and what is common to every output:
 * the class filter, the disk buffer (its bounded queue) with its overflow
 * policy, the encode-once append from the pipeline thread, the thread of
 * each output, and their figures (the STATS_OUTPUT providers).  The types (forward, kafka)
 * bring their keys, their wire format and their sending thread.
 */
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "logrec.h"
#include "output.h"
#include "stats.h"
#include "storepath.h"
#include "output_int.h"

#define MAX_OUTPUTS	32

struct outputs {
	struct output	**v;
	size_t		 n;
};

static const struct out_ops *const types[] = {
	&out_forward_ops,
	&out_kafka_ops,
};

static stats_read_fn outputs_stats_read;

void
output_nap(struct output *o, int ms)
{
	for (; ms > 0 && !atomic_load(&o->stop); ms -= 10)
		usleep((ms < 10 ? ms : 10) * 1000);
}

static void
output_free(struct output *o)
{
	size_t	 i;

	if (o == NULL)
		return;
	if (o->ops != NULL && o->ops->free != NULL)
		o->ops->free(o);
	diskbuf_free(o->db);
	for (i = 0; i < o->nclasses; i++)
		free(o->classes[i]);
	free(o->classes);
	free(o->bufdir);
	obuf_free(&o->enc);
	free(o);
}

/* Is name a class of cf (or "other")? */
static int
class_known(const struct config *cf, const char *name)
{
	size_t	 i;

	if (strcmp(name, "other") == 0)
		return 1;
	for (i = 0; i < cf->nsects; i++)
		if (strcmp(cf->sects[i].kind, "class") == 0 &&
		    strcmp(cf->sects[i].name, name) == 0)
			return 1;
	return 0;
}

/* class = * | NAME, NAME... */
static int
set_classes(struct output *o, struct config *cf, const struct conf_kv *kv)
{
	char	*s, *tok, *save, **v;

	if (strcmp(kv->val, "*") == 0)
		return 0;
	if ((s = strdup(kv->val)) == NULL)
		return -1;
	for (tok = strtok_r(s, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (!class_known(cf, tok)) {
			config_error(cf, kv->line, "[output %s]: class '%s' "
			    "is no [class] of this config (nor 'other')",
			    o->name, tok);
			continue;
		}
		if ((v = reallocarray(o->classes, o->nclasses + 1,
		    sizeof(*v))) == NULL || (v[o->nclasses] = strdup(tok)) ==
		    NULL) {
			if (v != NULL)
				o->classes = v;
			free(s);
			return -1;
		}
		o->classes = v;
		o->nclasses++;
	}
	free(s);
	return 0;
}

static int
set_class(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return set_classes(obj, cf, kv) == -1 ? -2 : 0;
}

static int
set_sync(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct output	*o = obj;

	if (strcmp(kv->val, "never") == 0)
		o->dbc.sync_ms = -1;
	else if (conf_parse_duration(kv->val, &o->dbc.sync_ms) == -1)
		return -1;
	return 0;
}

/* type is read first (find_type): here it is only let by. */
static int
set_type(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return 0;
}

static const char *const overflows[] = { "block", "drop_oldest", NULL };

#define OO(f)	offsetof(struct output, f)

/* The keys every output has (docs-outputs.md): one row each. */
static const struct conf_map output_map[] = {
	{ "type", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, "kafka or forward",
	    0, set_type },
	{ "class", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "* or NAME, NAME...", 0, set_class },
	{ "buffer", CM_PATH, OO(bufdir), NULL, 0, 0, NULL, "a directory", 0,
	    NULL },
	{ "buffer_size", CM_SIZE, OO(dbc.max_size), "256M", 1 << 20,
	    UINT64_MAX, NULL, "a size of at least 1M", 0, NULL },
	{ "segment_size", CM_SIZE, OO(dbc.segment_size), "16M", 64 << 10,
	    UINT64_MAX, NULL, "a size of at least 64k", 0, NULL },
	{ "buffer_sync", CM_CUSTOM, CM_NOVALUE, "1s", 0, 0, NULL,
	    "a duration, or never", 0, set_sync },
	{ "overflow", CM_ENUM, OO(dbc.drop_oldest), "block", 0, 0, overflows,
	    "block or drop_oldest", 0, NULL },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_output_keys = {
	"output", output_map, CM_N(output_map)
};

/* The default buffer: outbuf/NAME beside the storage file (in the
 * storage directory of a templated path). */
static char *
default_bufdir(const struct config *cf, const char *name)
{
	const char	*sl = strrchr(cf->store_path, '/');
	char		*s;
	int		 n;

	if (storepath_templated(cf->store_path))
		sl = cf->store_path + storepath_root_len(cf->store_path);
	if (sl == NULL)
		n = asprintf(&s, "outbuf/%s", name);
	else
		n = asprintf(&s, "%.*s/outbuf/%s", (int)(sl - cf->store_path),
		    cf->store_path, name);
	return n == -1 ? NULL : s;
}

static const struct out_ops *
find_type(const struct conf_sect *s)
{
	size_t	 i, t;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, "type") == 0)
			for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
				if (strcmp(types[t]->type, s->kv[i].val) == 0)
					return types[t];
	return NULL;
}

static struct output *
output_new(struct config *cf, const struct conf_sect *s)
{
	struct output	*o;
	void		*impl;
	int		 errs = (int)cf->nerrors;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	snprintf(o->name, sizeof(o->name), "%s", s->name);
	if ((o->ops = find_type(s)) == NULL) {
		config_error(cf, s->line, "[output %s]: type = kafka | forward "
		    "is required", s->name);
		output_free(o);
		return NULL;
	}
	if (conf_map_defaults(cf, output_map, CM_N(output_map), o) == -2 ||
	    (impl = o->ops->impl(o)) == NULL ||
	    conf_map_apply(cf, s, output_map, CM_N(output_map), o,
	    o->ops->map, o->ops->nmap, impl) == -2) {
		config_error(cf, s->line, "[output %s]: out of memory",
		    s->name);
		output_free(o);
		return NULL;
	}
	if (o->dbc.segment_size > o->dbc.max_size / 4)
		config_error(cf, s->line, "[output %s]: segment_size must be "
		    "at most a quarter of buffer_size", s->name);
	if (o->bufdir == NULL)
		o->bufdir = default_bufdir(cf, s->name);
	o->dbc.dir = o->bufdir;
	o->ops->finish(o, cf, s->line);
	if ((int)cf->nerrors > errs || o->bufdir == NULL) {
		output_free(o);
		return NULL;
	}
	return o;
}

struct outputs *
outputs_new(struct config *cf)
{
	struct outputs	*os;
	struct output	*o, **v;
	size_t		 i;

	if ((os = calloc(1, sizeof(*os))) == NULL)
		return NULL;
	for (i = 0; i < cf->nsects; i++) {
		if (strcmp(cf->sects[i].kind, "output") != 0)
			continue;
		if (os->n == MAX_OUTPUTS) {
			config_error(cf, cf->sects[i].line, "at most %d "
			    "[output] sections", MAX_OUTPUTS);
			break;
		}
		if ((o = output_new(cf, &cf->sects[i])) == NULL)
			continue;
		if ((v = reallocarray(os->v, os->n + 1, sizeof(*v))) == NULL) {
			output_free(o);
			break;
		}
		os->v = v;
		os->v[os->n++] = o;
	}
	if (os->n == 0 || cf->nerrors > 0) {
		outputs_free(os);
		return NULL;
	}
	return os;
}

int
outputs_start(struct outputs *os)
{
	struct output	*o;
	size_t		 i;

	if (os == NULL)
		return 0;
	for (i = 0; i < os->n; i++) {
		o = os->v[i];
		if ((o->db = diskbuf_open(&o->dbc)) == NULL) {
			diag_err("output %s: cannot open its buffer %s",
			    o->name, o->bufdir);
			return -1;
		}
		if (pthread_create(&o->thr, NULL, o->ops->run, o) != 0) {
			diag_err("output %s: cannot start its thread", o->name);
			return -1;
		}
		o->running = 1;
	}
	return stats_add(STATS_OUTPUT, outputs_stats_read, os);
}

static int
wanted(const struct output *o, const struct logrec *r)
{
	const char	*c = r->cls != NULL ? r->cls : "other";
	size_t		 i;

	if (r->flags & LR_DROP)
		return 0;
	if (o->classes == NULL)
		return 1;
	for (i = 0; i < o->nclasses; i++)
		if (strcmp(o->classes[i], c) == 0)
			return 1;
	return 0;
}

/* Encode the records o wants, each framed for the disk buffer; a record
 * too large for the buffer's bounds is dropped and counted. */
static void
output_encode(struct output *o, const struct lsbatch *b)
{
	uint64_t	 lim = o->dbc.max_size / 4;
	uint32_t	 i;
	size_t		 st;

	o->enc.len = 0;
	for (i = 0; i < b->n; i++) {
		if (!wanted(o, &b->recs[i]))
			continue;
		st = diskbuf_rec_begin(&o->enc);
		o->ops->encode(o, &o->enc, b, &b->recs[i]);
		if (o->enc.len - st > lim || o->enc.len - st > DISKBUF_MAXREC) {
			o->enc.len = st;
			COUNT_ADD(o->too_large, 1);
			continue;
		}
		diskbuf_rec_end(&o->enc, st);
	}
	o->done = 0;
	o->taken = 0;
	o->pend_full = 0;
}

/* The framed records in enc from byte from to byte to. */
static uint64_t
output_nrec(const struct output *o, size_t from, size_t to)
{
	const char	*p;
	uint64_t	 n = 0;
	uint32_t	 len;

	for (p = o->enc.p + from; p < o->enc.p + to; n++) {
		memcpy(&len, p, 4);
		p += DISKBUF_HDR + len;
	}
	return n;
}

/* Append what of the encoded batch the buffer does not have yet; -1 while
 * it is full (overflow = block). */
static int
output_process(struct output *o, const struct lsbatch *b, int again)
{
	ssize_t		 n;
	size_t		 before;

	if (!again)
		output_encode(o, b);
	if (o->taken)
		return 0;
	before = o->done;
	while (o->done < o->enc.len) {
		if ((n = diskbuf_write(o->db, o->enc.p + o->done,
		    o->enc.len - o->done)) <= 0)
			break;
		o->done += (size_t)n;
	}
	COUNT_ADD(o->accepted, output_nrec(o, before, o->done));
	if (o->done < o->enc.len) {
		if (!o->pend_full)
			COUNT_ADD(o->blocked, 1);
		o->pend_full = 1;
		return -1;
	}
	o->taken = 1;
	return 0;
}

int
outputs_process(struct outputs *os, struct lsbatch *b, int again)
{
	size_t	 i;
	int	 rc = 0;

	if (os == NULL)
		return 0;
	/* Per output: one that took all of b is not handed it again while
	 * another one holds it (that was a copy a retry, at every peer). */
	for (i = 0; i < os->n; i++)
		if (output_process(os->v[i], b, again) == -1)
			rc = -1;
	return rc;
}

uint64_t
outputs_give_up(struct outputs *os)
{
	struct output	*o;
	uint64_t	 n, all = 0;
	size_t		 i;

	for (i = 0; os != NULL && i < os->n; i++) {
		o = os->v[i];
		if (o->taken)
			continue;
		n = output_nrec(o, o->done, o->enc.len);
		COUNT_ADD(o->given_up, n);
		diag_err("stopping: output %s still full; %llu events not "
		    "given to it (counted as its dropped)", o->name,
		    (unsigned long long)n);
		o->done = o->enc.len;
		o->taken = 1;
		all += n;
	}
	return all;
}

void
outputs_free(struct outputs *os)
{
	size_t	 i;

	if (os == NULL)
		return;
	stats_remove(outputs_stats_read, os);
	for (i = 0; i < os->n; i++) {
		atomic_store(&os->v[i]->stop, 1);
		if (os->v[i]->db != NULL)
			diskbuf_wake(os->v[i]->db);
	}
	for (i = 0; i < os->n; i++) {
		if (os->v[i]->running)
			pthread_join(os->v[i]->thr, NULL);
		output_free(os->v[i]);
	}
	free(os->v);
	free(os);
}

/* The STATS_OUTPUT provider of a started set: each output's figures
 * (atomics, and the disk buffer's under its own lock), any thread. */
static void
outputs_stats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct outputs		*os = arg;
	struct diskbuf_stats	 ds;
	struct stats_output	 v;
	struct output		*o;
	size_t			 i;

	for (i = 0; i < os->n; i++) {
		o = os->v[i];
		diskbuf_stats(o->db, &ds);
		memset(&v, 0, sizeof(v));
		snprintf(v.name, sizeof(v.name), "%s", o->name);
		v.type = o->ops->type;
		v.accepted = COUNT_GET(o->accepted);
		v.sent = COUNT_GET(o->sent);
		v.failed = COUNT_GET(o->failed);
		v.retried = COUNT_GET(o->retried);
		v.dropped = COUNT_GET(o->too_large) +
		    COUNT_GET(o->given_up) + ds.dropped + ds.corrupt;
		v.blocked = COUNT_GET(o->blocked);
		v.connects = COUNT_GET(o->connects);
		v.buffered = ds.records;
		v.buffer_bytes = ds.bytes;
		v.recovered = ds.recovered;
		v.up = atomic_load(&o->up);
		see(ctx, &v);
	}
}
