/*
 * srclimit.c: connections per source (see srclimit.h).  Chained buckets,
 * doubled when the table passes one entry per bucket; the hash is keyed by
 * a random seed so that a sender cannot pick addresses that all land in one
 * bucket.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "srclimit.h"

#define MIN_BUCKETS	64

struct srckey {
	uint8_t		 b[16];		/* IPv4 in b[0..3], /64 in b[0..7] */
	uint8_t		 family;
};

struct srcent {
	struct srcent	*next;
	struct srckey	 key;
	uint64_t	 hash;
	uint64_t	 n;
};

struct srclimit {
	struct srcent	**b;
	size_t		 nb;		/* a power of two */
	size_t		 n;
	uint64_t	 seed[2];
};

/* The source of sa: IPv4 address, or the /64 of an IPv6 address. */
static void
src_key(const struct sockaddr *sa, struct srckey *k)
{
	const struct sockaddr_in6	*s6;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		k->family = 4;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(k->b, &s6->sin6_addr.s6_addr[12], 4);
			k->family = 4;
		} else {
			memcpy(k->b, s6->sin6_addr.s6_addr, 8);
			k->family = 6;
		}
	}
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
src_hash(const struct srclimit *t, const struct srckey *k)
{
	uint64_t	 a, b;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	return mix(mix(a ^ t->seed[0]) ^ b ^ t->seed[1] ^ k->family);
}

struct srclimit *
srclimit_new(void)
{
	struct srclimit	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->b = calloc(MIN_BUCKETS, sizeof(*t->b))) == NULL) {
		free(t);
		return NULL;
	}
	t->nb = MIN_BUCKETS;
	hash_seed(t->seed);
	return t;
}

void
srclimit_free(struct srclimit *t)
{
	struct srcent	*e, *next;
	size_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	free(t);
}

static struct srcent *
src_find(const struct srclimit *t, const struct srckey *k, uint64_t h)
{
	struct srcent	*e;

	for (e = t->b[h & (t->nb - 1)]; e != NULL; e = e->next)
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

/* Double the buckets; on ENOMEM keep the old ones (longer chains). */
static void
src_grow(struct srclimit *t)
{
	struct srcent	**nb, *e, *next;
	size_t		 i, n = t->nb * 2;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(t->b);
	t->b = nb;
	t->nb = n;
}

int
srclimit_take(struct srclimit *t, const struct sockaddr *sa, uint64_t max,
    struct srcent **ent)
{
	struct srckey	 k;
	struct srcent	*e;
	uint64_t	 h;

	src_key(sa, &k);
	h = src_hash(t, &k);
	if ((e = src_find(t, &k, h)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return -1;
		e->key = k;
		e->hash = h;
		e->next = t->b[h & (t->nb - 1)];
		t->b[h & (t->nb - 1)] = e;
		if (++t->n > t->nb)
			src_grow(t);
	} else if (max > 0 && e->n >= max)
		return SRC_OVER;
	e->n++;
	*ent = e;
	return SRC_TAKEN;
}

void
srclimit_put(struct srclimit *t, struct srcent *e)
{
	struct srcent	**pp;

	if (e == NULL || --e->n > 0)
		return;
	for (pp = &t->b[e->hash & (t->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			free(e);
			return;
		}
}

uint64_t
srclimit_count(const struct srclimit *t, const struct sockaddr *sa)
{
	struct srckey	 k;
	struct srcent	*e;

	src_key(sa, &k);
	e = src_find(t, &k, src_hash(t, &k));
	return e != NULL ? e->n : 0;
}

size_t
srclimit_sources(const struct srclimit *t)
{
	return t->n;
}
