/*
 * sources.h: what each peer address sent (events, bytes, when last), in a
 * bounded table that evicts the quietest address when full; the listener's
 * (event loop only), read through the stats provider STATS_SOURCES.
 */
#ifndef SOURCES_H
#define SOURCES_H

#include <stddef.h>
#include <stdint.h>

/* Event loop: one TCP read or UDP datagram of n events from src
 * ("addr:port"; the port is dropped). */
void		 sources_add(const char *src, size_t len, uint64_t n,
		    uint64_t bytes);
/* Add the table as the STATS_SOURCES provider (the listener, at its
 * start); 0 or -1 on ENOMEM. */
int		 sources_start(void);
/* Remove the provider (the listener, when it is freed). */
void		 sources_stop(void);

#endif
