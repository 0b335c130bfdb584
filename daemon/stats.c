/*
 * stats.c: the registry of stats providers (see stats.h): a list under one
 * mutex, held while a provider is read so that removing a provider waits
 * for its read to end.  Small (a dozen providers), read a few times a
 * second: a list walk is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "stats.h"

struct provider {
	enum stats_kind		 kind;
	stats_read_fn		*read;
	void			*arg;
	struct provider		*next;
};

static pthread_mutex_t	 reg_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct provider	*head;

int
stats_add(enum stats_kind kind, stats_read_fn *read, void *arg)
{
	struct provider	*p, **tail;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		diag_err("stats: out of memory");
		return -1;
	}
	p->kind = kind;
	p->read = read;
	p->arg = arg;
	pthread_mutex_lock(&reg_mtx);
	for (tail = &head; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	pthread_mutex_unlock(&reg_mtx);
	return 0;
}

void
stats_remove(stats_read_fn *read, void *arg)
{
	struct provider	**pp, *p;

	pthread_mutex_lock(&reg_mtx);
	for (pp = &head; (p = *pp) != NULL; pp = &p->next)
		if (p->read == read && p->arg == arg) {
			*pp = p->next;
			free(p);
			break;
		}
	pthread_mutex_unlock(&reg_mtx);
}

size_t
stats_read(enum stats_kind kind, stats_see_fn *see, void *ctx)
{
	struct provider	*p;
	size_t		 n = 0;

	pthread_mutex_lock(&reg_mtx);
	for (p = head; p != NULL; p = p->next)
		if (p->kind == kind) {
			p->read(p->arg, see, ctx);
			n++;
		}
	pthread_mutex_unlock(&reg_mtx);
	return n;
}

struct getctx {
	void	*out;
	size_t	 size;
	int	 got;
};

static void
get_see(void *ctx, const void *view)
{
	struct getctx	*g = ctx;

	if (!g->got)
		memcpy(g->out, view, g->size);
	g->got = 1;
}

int
stats_get(enum stats_kind kind, void *out, size_t size)
{
	struct getctx	 g = { out, size, 0 };

	memset(out, 0, size);
	stats_read(kind, get_see, &g);
	return g.got ? 0 : -1;
}
