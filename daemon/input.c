/*
 * input.c: the [input NAME] sections (input.h).  The table of input types,
 * the key every input has (type; a type brings the rest through its
 * struct input_ops), and the set of inputs of a config: start, pause and
 * resume with the listener, the durable batch number handed on, stop,
 * and a reload that keeps what did not change running.
 *
 * A type that is not linked in (input_TYPE.c absent) is a weak symbol
 * that is NULL: its name is known, and a config that asks for it is told
 * that this build has no such type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "input.h"
#include "listen.h"
#include "stats.h"

#define MAX_INPUTS	64

/* Weak: NULL while the type's file is not part of the build. */
extern const struct input_ops input_journal_ops __attribute__((weak));
extern const struct input_ops input_tail_ops __attribute__((weak));
extern const struct input_ops input_kafka_ops __attribute__((weak));

static const struct {
	const char		*name;
	const struct input_ops	*ops;
} types[] = {
	{ "journal",	&input_journal_ops },
	{ "tail",	&input_tail_ops },
	{ "kafka",	&input_kafka_ops },
};

#define NTYPES	(sizeof(types) / sizeof(types[0]))

/* One input of a set, and what the set keeps of it. */
struct inent {
	struct input	*in;
	char		*sig;		/* its section's keys, for a reload */
	int		 started;
	int		 stopped;
	int		 deferred;	/* waits for the one it replaces */
	uint64_t	 last_no;	/* stopped: the last batch it filled */
};

struct inputs {
	struct inent		*v;
	size_t			 n;
	/* Stopped by a reload; kept until what they read is durable, so
	 * their positions are saved (then freed). */
	struct inent		*gone;
	size_t			 ngone;
	struct event_base	*base;
	struct listener		*l;
};

/* type is read first (find_type): here it is only let by. */
static int
set_type(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return 0;
}

/* The keys every input has (docs-inputs.md); a type's own are its map. */
static const struct conf_map input_map[] = {
	{ "type", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "journal, tail or kafka", 0, set_type },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_input_keys = {
	"input", input_map, CM_N(input_map)
};

size_t
input_key_tables(struct conf_table *v, size_t max)
{
	static char	 names[NTYPES][32];
	size_t		 i, n = 0;

	for (i = 0; i < NTYPES && n < max; i++) {
		if (types[i].ops == NULL)
			continue;
		snprintf(names[i], sizeof(names[i]), "input/%s",
		    types[i].name);
		v[n].section = names[i];
		v[n].map = types[i].ops->map;
		v[n].n = types[i].ops->nmap;
		n++;
	}
	return n;
}

static void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	if (in->ops != NULL && in->ops->free != NULL)
		in->ops->free(in);
	free(in);
}

/* The input's figures for /stats (stats.h; on the event loop). */
static void
input_stats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct input		*in = arg;
	struct stats_input	 v = { in->name, in->ops->type, "", "" };
	char			 buf[1024], why[256];
	size_t			 n;

	if (in->ops->stats != NULL) {
		n = in->ops->stats(in, buf, sizeof(buf) - 1);
		buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
		v.members = buf;
	}
	if (in->ops->health != NULL && in->ops->health(in, why,
	    sizeof(why)) == -1)
		v.health = why;
	see(ctx, &v);
}

static void
inent_free(struct inent *e)
{
	if (e->in != NULL && e->started)
		stats_remove(input_stats_read, e->in);
	input_free(e->in);
	free(e->sig);
}

/* The section's keys as one string: an input whose string is the same
 * after a reload goes on running. */
static char *
signature(const struct conf_sect *s)
{
	char	*buf = NULL;
	size_t	 len = 0, i;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < s->nkv; i++)
		fprintf(fp, "%s\n%s\n", s->kv[i].key, s->kv[i].val);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static struct input *
input_new(struct config *cf, const struct conf_sect *s)
{
	struct input	*in;
	const char	*type = conf_sect_get(s, "type");
	size_t		 t;
	int		 errs = (int)cf->nerrors;

	if (type == NULL) {
		config_error(cf, s->line, "[input %s]: type = journal | tail "
		    "| kafka is required", s->name);
		return NULL;
	}
	for (t = 0; t < NTYPES && strcmp(types[t].name, type) != 0; t++)
		;
	if (t == NTYPES) {
		config_error(cf, conf_sect_line(s, "type"), "[input %s]: type "
		    "= %s: unknown (journal, tail or kafka)", s->name, type);
		return NULL;
	}
	if (types[t].ops == NULL) {
		config_error(cf, conf_sect_line(s, "type"), "[input %s]: type "
		    "= %s: not built into this logstreamd", s->name, type);
		return NULL;
	}
	if (strlen(s->name) >= sizeof(in->name)) {
		config_error(cf, s->line, "[input %s]: name longer than %zu "
		    "bytes", s->name, sizeof(in->name) - 1);
		return NULL;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL)
		goto nomem;
	snprintf(in->name, sizeof(in->name), "%s", s->name);
	in->line = s->line;
	in->ops = types[t].ops;
	if ((in->impl = in->ops->impl(in)) == NULL ||
	    conf_map_defaults(cf, in->ops->map, in->ops->nmap, in->impl) ==
	    -2 || conf_map_apply(cf, s, input_map, CM_N(input_map), in,
	    in->ops->map, in->ops->nmap, in->impl) == -2)
		goto nomem;
	if ((int)cf->nerrors == errs && in->ops->finish(in, cf, s->line) == -1 &&
	    (int)cf->nerrors == errs)
		config_error(cf, s->line, "[input %s]: not usable", s->name);
	if ((int)cf->nerrors > errs) {
		input_free(in);
		return NULL;
	}
	return in;
nomem:
	config_error(cf, s->line, "[input %s]: out of memory", s->name);
	input_free(in);
	return NULL;
}

struct inputs *
inputs_new(struct config *cf)
{
	struct inputs	*ins;
	struct inent	*v;
	struct input	*in;
	size_t		 i;

	if ((ins = calloc(1, sizeof(*ins))) == NULL) {
		config_error(cf, 0, "out of memory");
		return NULL;
	}
	for (i = 0; i < cf->nsects; i++) {
		if (strcmp(cf->sects[i].kind, "input") != 0)
			continue;
		if (ins->n == MAX_INPUTS) {
			config_error(cf, cf->sects[i].line, "at most %d "
			    "[input] sections", MAX_INPUTS);
			break;
		}
		if ((in = input_new(cf, &cf->sects[i])) == NULL)
			continue;
		if ((v = reallocarray(ins->v, ins->n + 1, sizeof(*v))) ==
		    NULL) {
			input_free(in);
			config_error(cf, cf->sects[i].line, "out of memory");
			break;
		}
		ins->v = v;
		memset(&v[ins->n], 0, sizeof(v[ins->n]));
		v[ins->n].in = in;
		if ((v[ins->n++].sig = signature(&cf->sects[i])) == NULL)
			config_error(cf, cf->sects[i].line, "out of memory");
	}
	if (ins->n == 0 || cf->nerrors > 0) {
		inputs_free(ins);
		return NULL;
	}
	return ins;
}

static int
inent_start(struct inputs *ins, struct inent *e)
{
	if (e->in->ops->start(e->in, ins->base, ins->l) == -1)
		return -1;
	e->started = 1;
	e->deferred = 0;
	stats_add(STATS_INPUT, input_stats_read, e->in);
	diag_info("input %s (%s)", e->in->name, e->in->ops->type);
	return 0;
}

int
inputs_start(struct inputs *ins, struct event_base *base,
    struct listener *l)
{
	size_t	 i;

	if (ins == NULL)
		return 0;
	ins->base = base;
	ins->l = l;
	for (i = 0; i < ins->n; i++)
		if (!ins->v[i].started && !ins->v[i].deferred &&
		    inent_start(ins, &ins->v[i]) == -1)
			return -1;
	return 0;
}

void
inputs_pause(struct inputs *ins)
{
	size_t	 i;

	for (i = 0; ins != NULL && i < ins->n; i++)
		if (ins->v[i].started && !ins->v[i].stopped &&
		    ins->v[i].in->ops->pause != NULL)
			ins->v[i].in->ops->pause(ins->v[i].in);
}

void
inputs_resume(struct inputs *ins)
{
	size_t	 i;

	for (i = 0; ins != NULL && i < ins->n; i++)
		if (ins->v[i].started && !ins->v[i].stopped &&
		    ins->v[i].in->ops->resume != NULL)
			ins->v[i].in->ops->resume(ins->v[i].in);
}

static int
gone_has(const struct inputs *ins, const char *name)
{
	size_t	 i;

	for (i = 0; i < ins->ngone; i++)
		if (strcmp(ins->gone[i].in->name, name) == 0)
			return 1;
	return 0;
}

void
inputs_durable(struct inputs *ins, uint64_t batchno)
{
	struct inent	*e;
	size_t		 i;

	if (ins == NULL)
		return;
	for (i = 0; i < ins->n; i++) {
		e = &ins->v[i];
		if (e->started && e->in->ops->durable != NULL)
			e->in->ops->durable(e->in, batchno);
	}
	/* Inputs a reload stopped: saved, and freed once all they read is
	 * durable. */
	for (i = 0; i < ins->ngone; ) {
		e = &ins->gone[i];
		if (e->in->ops->durable != NULL)
			e->in->ops->durable(e->in, batchno);
		if (batchno < e->last_no) {
			i++;
			continue;
		}
		inent_free(e);
		ins->gone[i] = ins->gone[--ins->ngone];
	}
	/* A changed input starts once the one it replaces is done with its
	 * state file. */
	for (i = 0; ins->base != NULL && i < ins->n; i++) {
		e = &ins->v[i];
		if (e->deferred && !gone_has(ins, e->in->name) &&
		    inent_start(ins, e) == -1) {
			diag_err("input %s: not started after the reload",
			    e->in->name);
			e->deferred = 0;
		}
	}
}

static void
inent_stop(struct inputs *ins, struct inent *e)
{
	if (!e->started || e->stopped)
		return;
	if (e->in->ops->stop != NULL)
		e->in->ops->stop(e->in);
	e->stopped = 1;
	e->last_no = ins->l != NULL ? intake_filled(ins->l) : 0;
}

void
inputs_stop(struct inputs *ins)
{
	size_t	 i;

	for (i = 0; ins != NULL && i < ins->n; i++)
		inent_stop(ins, &ins->v[i]);
}

void
inputs_free(struct inputs *ins)
{
	size_t	 i;

	if (ins == NULL)
		return;
	for (i = 0; i < ins->n; i++)
		inent_free(&ins->v[i]);
	for (i = 0; i < ins->ngone; i++)
		inent_free(&ins->gone[i]);
	free(ins->v);
	free(ins->gone);
	free(ins);
}

size_t
inputs_describe(struct inputs *ins, char *buf, size_t len)
{
	size_t	 i, n = 0;
	int	 k;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; ins != NULL && i < ins->n && n < len; i++) {
		k = snprintf(buf + n, len - n, "%s%s (%s)", i ? ", " : "",
		    ins->v[i].in->name, ins->v[i].in->ops->type);
		if (k < 0)
			break;
		n += (size_t)k;
	}
	return n < len ? n : len > 0 ? len - 1 : 0;
}

/* Take over e (an input of the running set) into nw: a new input of the
 * same name and keys is dropped for it. */
static int
adopt(struct inputs *nw, struct inent *e)
{
	size_t	 i;

	for (i = 0; nw != NULL && i < nw->n; i++) {
		if (strcmp(nw->v[i].in->name, e->in->name) != 0)
			continue;
		if (strcmp(nw->v[i].sig, e->sig) != 0)
			return 0;
		inent_free(&nw->v[i]);
		nw->v[i] = *e;
		memset(e, 0, sizeof(*e));
		return 1;
	}
	return 0;
}

int
inputs_reload(struct inputs **cur, struct inputs *nw,
    struct event_base *base, struct listener *l)
{
	struct inputs	*old = *cur;
	struct inent	*v;
	size_t		 i, j, ngone = 0;

	if (nw == NULL && old != NULL && (nw = calloc(1, sizeof(*nw))) ==
	    NULL) {
		diag_err("reload: inputs: out of memory");
		return -1;
	}
	if (nw == NULL) {
		*cur = NULL;
		return 0;
	}
	nw->base = base;
	nw->l = l;
	/* Room for what the old set stops, first: nothing can fail later. */
	for (i = 0; old != NULL && i < old->n; i++)
		ngone++;
	if (old != NULL && (v = reallocarray(nw->gone, ngone + old->ngone,
	    sizeof(*v))) == NULL) {
		diag_err("reload: inputs: out of memory");
		inputs_free(nw);
		return -1;
	}
	else if (old != NULL)
		nw->gone = v;
	/* Which new ones replace a running one of the same name: they wait
	 * until it is stopped and its positions saved. */
	for (i = 0; i < nw->n; i++)
		for (j = 0; old != NULL && j < old->n; j++)
			if (strcmp(nw->v[i].in->name, old->v[j].in->name) ==
			    0 && strcmp(nw->v[i].sig, old->v[j].sig) != 0 &&
			    old->v[j].started)
				nw->v[i].deferred = 1;
	/* Start the new ones (not those kept): a failure undoes it all. */
	for (i = 0; i < nw->n; i++) {
		for (j = 0; old != NULL && j < old->n; j++)
			if (strcmp(nw->v[i].in->name, old->v[j].in->name) ==
			    0 && strcmp(nw->v[i].sig, old->v[j].sig) == 0)
				break;
		if ((old != NULL && j < old->n) || nw->v[i].deferred)
			continue;
		if (inent_start(nw, &nw->v[i]) == -1) {
			for (j = 0; j < nw->n; j++)
				inent_stop(nw, &nw->v[j]);
			inputs_free(nw);
			return -1;
		}
	}
	/* Commit: the unchanged ones move over running, the rest stop. */
	for (i = 0; old != NULL && i < old->n; i++) {
		if (old->v[i].in == NULL || adopt(nw, &old->v[i]))
			continue;
		inent_stop(old, &old->v[i]);
		if (old->v[i].started) {
			diag_info("input %s (%s) stopped by the reload",
			    old->v[i].in->name, old->v[i].in->ops->type);
			nw->gone[nw->ngone++] = old->v[i];
		} else
			inent_free(&old->v[i]);
		memset(&old->v[i], 0, sizeof(old->v[i]));
	}
	for (i = 0; old != NULL && i < old->ngone; i++)
		nw->gone[nw->ngone++] = old->gone[i];
	if (old != NULL) {
		old->n = old->ngone = 0;
		inputs_free(old);
	}
	if (nw->n == 0 && nw->ngone == 0) {
		inputs_free(nw);
		nw = NULL;
	}
	*cur = nw;
	listener_inputs(l, nw);
	return 0;
}
