/*
 * sources.c: the per-address table (see sources.h): open addressing over
 * STATS_MAX_SOURCES entries, the quietest evicted (and counted) when it is full.
 */
#include <string.h>

#include "diag.h"
#include "sources.h"
#include "stats.h"

#define SRC_SLOTS	(2 * STATS_MAX_SOURCES)

static struct stats_source	 ent[STATS_MAX_SOURCES];
static size_t			 nent;
static int16_t			 slot[SRC_SLOTS];	/* into ent, -1 empty */
static int			 init;
static uint64_t			 evicted;

static uint32_t
src_hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void
src_reindex(void)
{
	size_t		 i;
	uint32_t	 h;

	memset(slot, 0xff, sizeof(slot));
	for (i = 0; i < nent; i++) {
		h = src_hash(ent[i].key, strlen(ent[i].key));
		while (slot[h % SRC_SLOTS] != -1)
			h++;
		slot[h % SRC_SLOTS] = (int16_t)i;
	}
	init = 1;
}

/* The entry for key, made (evicting the quietest when full). */
static struct stats_source *
src_get(const char *key, size_t len)
{
	struct stats_source	*e;
	uint32_t		 h = src_hash(key, len);
	size_t			 i, min;
	int16_t			 k;

	if (!init)
		src_reindex();
	while ((k = slot[h % SRC_SLOTS]) != -1) {
		e = &ent[k];
		if (strncmp(e->key, key, len) == 0 && e->key[len] == '\0')
			return e;
		h++;
	}
	if (nent == STATS_MAX_SOURCES) {
		for (min = 0, i = 1; i < nent; i++)
			if (ent[i].events < ent[min].events)
				min = i;
		ent[min] = ent[--nent];
		evicted++;
		src_reindex();
		return src_get(key, len);
	}
	e = &ent[nent];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, len);
	slot[h % SRC_SLOTS] = (int16_t)nent++;
	return e;
}

void
sources_add(const char *src, size_t len, uint64_t n, uint64_t bytes)
{
	const char		*colon;
	struct stats_source	*e;

	if (n == 0 && bytes == 0)
		return;
	/* "addr:port", "[v6]:port": per address, not per connection. */
	if ((colon = memrchr(src, ':', len)) != NULL && colon > src &&
	    (src[0] == '[' || memchr(src, ':', (size_t)(colon - src)) == NULL))
		len = (size_t)(colon - src);
	if (len >= STATS_SOURCE_KEY)
		len = STATS_SOURCE_KEY - 1;
	e = src_get(src, len);
	e->events += n;
	e->bytes += bytes;
	e->last_us = diag_now_us();
}

/* The STATS_SOURCES provider: the table as it is (event loop only). */
static void
sources_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct stats_sources	 v = { ent, nent, evicted };

	see(ctx, &v);
}

static int	 users;		/* listeners started; the provider once */

int
sources_start(void)
{
	if (users == 0 && stats_add(STATS_SOURCES, sources_read, NULL) == -1)
		return -1;
	users++;
	return 0;
}

void
sources_stop(void)
{
	if (users > 0 && --users == 0)
		stats_remove(sources_read, NULL);
}
