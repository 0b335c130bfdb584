/*
 * srclimit.h: how many TCP connections each source holds, for [listen]
 * max_per_source.  A source is an IPv4 address or an IPv6 /64 (one host or
 * one subnet's worth of addresses, which an IPv6 host can pick from at
 * will); an IPv4-mapped IPv6 address counts as its IPv4 address.  A seeded
 * hash table whose entries live only while a source holds a connection, so
 * it never holds more entries than there are connections.
 */
#ifndef SRCLIMIT_H
#define SRCLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct srclimit;
struct srcent;

enum {
	SRC_OVER = 0,		/* the source is at its limit */
	SRC_TAKEN = 1		/* counted; release with srclimit_put */
};

/* An empty table; NULL on ENOMEM.  Caller frees with srclimit_free. */
struct srclimit	*srclimit_new(void);
/* Free the table and its entries; NULL is a no-op. */
void		 srclimit_free(struct srclimit *);
/*
 * Count one more connection from sa unless its source already holds max (0:
 * no limit).  SRC_TAKEN sets *ent, owned by the table and valid until the
 * matching srclimit_put; SRC_OVER; -1 on ENOMEM.
 */
int		 srclimit_take(struct srclimit *, const struct sockaddr *sa,
		    uint64_t max, struct srcent **ent);
/* Give back one connection of ent; the entry is freed at zero. */
void		 srclimit_put(struct srclimit *, struct srcent *);
/* Connections held by sa's source now. */
uint64_t	 srclimit_count(const struct srclimit *, const struct sockaddr *);
/* Sources holding at least one connection. */
size_t		 srclimit_sources(const struct srclimit *);

#endif
