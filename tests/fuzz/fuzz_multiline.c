/*
 * fuzz_multiline.c: the multiline joiner (multiline.c) fed lines the way
 * the tail input feeds it (due first, then until the line is taken, a
 * flush at the end), checked against a plain model of the contract: a
 * group of lines starts at a line the regex matches (or the first, or the
 * first after a timeout), its event is the lines joined with "\n" cut at
 * max, truncated if anything was cut.  Every event is at most max long.
 * Header: regex choice, 2 bytes of max, timeout choice; then the lines
 * (LF-separated); each line's first byte advances the clock in ms.  Where
 * an allocation failed (the malloc-failure mode) only the bounds are
 * checked, since the joiner then hands events out early by design.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "multiline.h"

#define MAX_IN	65536
#define MAX_OUT	(MAX_IN * 10)
#define MS	1000000ULL

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const patterns[] = {
	NULL, "^\\S", "^\\d{4}-\\d\\d", "^(a|b)+c", "^(?:[^\\s]|$)"
};

struct out {
	char	*p;
	size_t	 len;
	size_t	 n;
};

static void
put(struct out *o, const char *p, size_t len, int trunc, size_t max)
{
	FUZZ_CHECK(len <= max);
	FUZZ_CHECK(o->len + 9 + len <= MAX_OUT);
	o->p[o->len++] = trunc ? 'T' : 'F';
	memcpy(o->p + o->len, &len, 8);
	o->len += 8;
	if (len > 0)
		memcpy(o->p + o->len, p, len);
	o->len += len;
	o->n++;
}

/* The model's group in progress: its join, uncut. */
struct group {
	char	*p;
	size_t	 len;
	int	 open;
	int	 trunc;
};

static void
model_close(struct group *gr, size_t max, struct out *o)
{
	if (!gr->open)
		return;
	put(o, gr->p, gr->len > max ? max : gr->len,
	    gr->trunc || gr->len > max, max);
	gr->open = 0;
	gr->len = 0;
	gr->trunc = 0;
}

static void
model_line(struct group *gr, struct multiline_re *re, const char *l,
    size_t len, int trunc, size_t max, struct out *o)
{
	if (re == NULL) {
		put(o, l, len, trunc, max);
		return;
	}
	if (gr->open && multiline_re_match(re, l, len))
		model_close(gr, max, o);
	if (gr->open)
		gr->p[gr->len++] = '\n';
	memcpy(gr->p + gr->len, l, len);
	gr->len += len;
	gr->trunc |= trunc;
	gr->open = 1;
}

static void
run(const char *s, size_t len, struct multiline_re *re, size_t max,
    uint64_t timeout, struct out *got, struct out *want, int *nomem)
{
	static char		 gbuf[MAX_IN * 2];
	struct group		 gr = { gbuf, 0, 0, 0 };
	struct multiline	*ml;
	struct mlevent		 e;
	struct mlstats		 st;
	const char		*l, *nl, *end = s + len;
	uint64_t		 now = 0, last = 0;
	size_t			 ll;
	int			 rc, tries, trunc;

	if ((ml = multiline_new(re, max, timeout)) == NULL) {
		*nomem = 1;
		return;
	}
	for (l = s; l < end; l = nl + 1) {
		if ((nl = memchr(l, '\n', (size_t)(end - l))) == NULL)
			nl = end;
		ll = (size_t)(nl - l);
		now += ll > 0 ? (uint8_t)l[0] * MS : 0;
		if (multiline_due(ml, now) && multiline_flush(ml, &e))
			put(got, e.p, e.len, e.truncated, max);
		tries = 0;
		do {
			FUZZ_CHECK(tries++ < 3);
			rc = multiline_feed(ml, l, ll, 0, now, &e);
			FUZZ_CHECK(rc != 0);
			if (rc & ML_EVENT)
				put(got, e.p, e.len, e.truncated, max);
			FUZZ_CHECK(multiline_held(ml) <= max);
		} while (!(rc & ML_TAKEN));
		/* the model */
		if (gr.open && timeout > 0 && now - last >= timeout)
			model_close(&gr, max, want);
		last = now;
		trunc = ll > max;
		model_line(&gr, re, l, trunc ? max : ll, trunc, max, want);
	}
	if (multiline_flush(ml, &e))
		put(got, e.p, e.len, e.truncated, max);
	FUZZ_CHECK(multiline_flush(ml, &e) == 0);
	model_close(&gr, max, want);
	multiline_stats(ml, &st);
	FUZZ_CHECK(st.events == got->n);
	*nomem = st.nomem > 0;
	multiline_free(ml);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 b1[MAX_OUT], b2[MAX_OUT];
	struct out		 got = { b1, 0, 0 }, want = { b2, 0, 0 };
	struct multiline_re	*re = NULL;
	const char		*pat;
	char			 err[256];
	size_t			 max;
	uint64_t		 timeout;
	int			 nomem = 0;

	if (size < 4 || size > MAX_IN)
		return 0;
	pat = patterns[data[0] % (sizeof(patterns) / sizeof(patterns[0]))];
	max = 1 + (((size_t)data[1] << 8 | data[2]) % 600);
	timeout = (uint64_t)(data[3] % 8) * 50 * MS;
	if (pat != NULL && (re = multiline_re_new(pat, err, sizeof(err))) ==
	    NULL)
		return 0;	/* ENOMEM in the malloc-failure mode */
	run((const char *)data + 4, size - 4, re, max, timeout, &got, &want,
	    &nomem);
	if (!nomem && (got.len != want.len ||
	    memcmp(got.p, want.p, got.len) != 0)) {
		fprintf(stderr, "joiner and model differ: %zu events, model "
		    "%zu\n", got.n, want.n);
		abort();
	}
	multiline_re_free(re);
	return 0;
}
