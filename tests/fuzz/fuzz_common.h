/*
 * fuzz_common.h: what the libFuzzer harnesses share: a one-record batch
 * parsed by parser_parse, and the invariants every parsed record keeps
 * (each slice inside the arena, names in range).  A broken invariant aborts,
 * so libFuzzer saves the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "logrec.h"

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* A batch with one record whose raw text is p[0..len), parsed; NULL only
 * on ENOMEM (the malloc-failure mode makes that happen). */
struct lsbatch	*fuzz_parse(const uint8_t *p, size_t len, const char *source);
/* Abort unless every slice and field of every record of b is in range. */
void		 fuzz_check_batch(const struct lsbatch *b);

#endif
