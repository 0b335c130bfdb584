/*
 * hash.h: keyed hashing for tables whose keys come from senders (stream
 * keys, alert groups, source addresses): a random per-process key and
 * SipHash-1-3, so that no sender can steer keys into one chain.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

/* Fill k with random bits (getrandom; time and pid if it has none). */
void		 hash_seed(uint64_t k[2]);
/* SipHash-1-3 of s under key k. */
uint64_t	 hash_sip(const uint64_t k[2], const void *s, size_t len);

#endif
