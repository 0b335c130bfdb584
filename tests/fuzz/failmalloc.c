/*
 * failmalloc.c: the malloc-failure mode.  Linked with -Wl,--wrap=malloc
 * (calloc, realloc, reallocarray, strdup, strndup) around a harness whose
 * entry point was renamed fuzz_one: each input is run once to count the
 * allocations the daemon's code makes, then once more for every k in
 * 1..count with the k-th allocation failing.  ASan and LeakSanitizer
 * judge the error paths.  jansson's allocations (json_set_alloc_funcs)
 * fail in turn too, except its strbuffer's: jansson 2.14 aborts on an
 * assertion in lex_unget_unsave when a strbuffer append fails mid-token,
 * which is its bug, not one our code can handle.  FM_JANSSON=1 fails
 * those as well (to see that bug), FM_JANSSON=0 none of jansson's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define FM_MAX_RUNS	2000	/* failure points tried per input */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	fuzz_one(const uint8_t *, size_t);

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__real_reallocarray(void *, size_t, size_t);
char	*__real_strdup(const char *);
char	*__real_strndup(const char *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
void	*__wrap_reallocarray(void *, size_t, size_t);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);

static int		 armed;		/* counting inside fuzz_one */
static uint64_t		 nallocs;	/* allocations seen this run */
static uint64_t		 fail_at;	/* 0: none fails */
static uint64_t		 nfailed;

/* 1 if this allocation is the one to fail. */
static int
fm_fail(void)
{
	if (!armed)
		return 0;
	if (++nallocs == fail_at) {
		nfailed++;
		return 1;
	}
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return fm_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return fm_fail() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fm_fail() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t m)
{
	return fm_fail() ? NULL : __real_reallocarray(p, n, m);
}

char *
__wrap_strdup(const char *s)
{
	return fm_fail() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fm_fail() ? NULL : __real_strndup(s, n);
}

static int	 json_all;	/* FM_JANSSON=1 */

/*
 * A power-of-two size of 16 or more is not failed unless FM_JANSSON=1:
 * jansson's strbuffer grows in powers of two from 16, and its failure is
 * the one jansson cannot take (see above).  The rest (values, keys,
 * strings; not the hash tables, whose sizes are powers of two as well)
 * still fail in turn, so parse_json's handling of a jansson ENOMEM is
 * tested.
 */
static void *
fm_json_malloc(size_t n)
{
	if (!json_all && n >= 16 && (n & (n - 1)) == 0)
		return __real_malloc(n);
	return __wrap_malloc(n);
}

static void
fm_json_free(void *p)
{
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t	 total, k;
	const char	*e;

	static int	 init;

	if (!init) {
		init = 1;
		e = getenv("FM_JANSSON");
		json_all = e != NULL && strcmp(e, "1") == 0;
		if (e == NULL || strcmp(e, "0") != 0)
			json_set_alloc_funcs(fm_json_malloc, fm_json_free);
	}
	armed = 1;
	nallocs = 0;
	fail_at = 0;
	fuzz_one(data, size);
	total = nallocs;
	for (k = 1; k <= total && k <= FM_MAX_RUNS; k++) {
		nallocs = 0;
		fail_at = k;
		fuzz_one(data, size);
	}
	armed = 0;
	fail_at = 0;
	return 0;
}
