/*
 * multiline.c: joins the lines of one stream into events by a start regex
 * (multiline_start), bounded by max bytes and a timeout on the caller's
 * clock.  A pure module: the tail input and the listener's stream
 * connections feed it lines and hand on what it gives back.  One buffer per
 * joiner, grown up to max: an event handed out stays in it until the next
 * call, which is why a start line is answered "take the event, then feed me
 * this line again" instead of being copied beside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "multiline.h"

#define MATCH_LIMIT	1000000		/* bounds a pathological regex */
#define BUF_MIN		256

struct multiline_re {
	pcre2_code		*re;
	int			 jit;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;
};

struct multiline {
	struct multiline_re	*re;
	size_t			 max;
	uint64_t		 timeout;	/* ns; 0: none */
	char			*buf;
	size_t			 len;
	size_t			 cap;
	uint64_t		 last;		/* mono ns of its last line */
	uint32_t		 lines;
	int			 held;		/* an event is in progress */
	int			 trunc;
	int			 handed;	/* buf was handed out */
	struct mlstats		 st;
};

struct multiline_re *
multiline_re_new(const char *pattern, char *err, size_t errlen)
{
	struct multiline_re	*mr;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off;
	int			 rc;

	if ((mr = calloc(1, sizeof(*mr))) == NULL)
		goto nomem;
	mr->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &rc, &off, NULL);
	if (mr->re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(err, errlen, "bad regex: %s at offset %zu",
		    (char *)msg, (size_t)off);
		multiline_re_free(mr);
		return NULL;
	}
	mr->jit = pcre2_jit_compile(mr->re, PCRE2_JIT_COMPLETE) == 0;
	if ((mr->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (mr->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (mr->jstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024,
	    NULL)) == NULL)
		goto nomem;
	pcre2_jit_stack_assign(mr->mctx, NULL, mr->jstack);
	pcre2_set_match_limit(mr->mctx, MATCH_LIMIT);
	return mr;
nomem:
	snprintf(err, errlen, "out of memory");
	multiline_re_free(mr);
	return NULL;
}

void
multiline_re_free(struct multiline_re *mr)
{
	if (mr == NULL)
		return;
	pcre2_code_free(mr->re);
	pcre2_match_data_free(mr->md);
	pcre2_match_context_free(mr->mctx);
	pcre2_jit_stack_free(mr->jstack);
	free(mr);
}

int
multiline_re_match(struct multiline_re *mr, const char *p, size_t len)
{
	if (mr->jit)
		return pcre2_jit_match(mr->re, (PCRE2_SPTR)p, len, 0, 0,
		    mr->md, mr->mctx) >= 0;
	return pcre2_match(mr->re, (PCRE2_SPTR)p, len, 0, 0, mr->md,
	    mr->mctx) >= 0;
}

struct multiline *
multiline_new(struct multiline_re *re, size_t max, uint64_t timeout_ns)
{
	struct multiline	*ml;

	if ((ml = calloc(1, sizeof(*ml))) == NULL)
		return NULL;
	ml->re = re;
	ml->max = max > 0 ? max : 1;
	ml->timeout = timeout_ns;
	return ml;
}

void
multiline_set(struct multiline *ml, struct multiline_re *re, size_t max,
    uint64_t timeout_ns)
{
	ml->re = re;
	ml->max = max > 0 ? max : 1;
	ml->timeout = timeout_ns;
	if (ml->held && ml->len > ml->max) {
		ml->st.cut_bytes += ml->len - ml->max;
		ml->len = ml->max;
		ml->trunc = 1;
	}
}

void
multiline_free(struct multiline *ml)
{
	if (ml == NULL)
		return;
	free(ml->buf);
	free(ml);
}

/* Room for need bytes in the buffer (need <= max); 0 or -1 (ENOMEM). */
static int
reserve(struct multiline *ml, size_t need)
{
	size_t	 cap;
	char	*p;

	if (need <= ml->cap)
		return 0;
	cap = ml->cap < BUF_MIN ? BUF_MIN : ml->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > ml->max)
		cap = ml->max > need ? ml->max : need;
	if ((p = realloc(ml->buf, cap)) == NULL)
		return -1;
	ml->buf = p;
	ml->cap = cap;
	return 0;
}

/* Hand out the event in progress: it stays in buf till the next call. */
static void
emit(struct multiline *ml, struct mlevent *out)
{
	out->p = ml->buf != NULL ? ml->buf : "";
	out->len = ml->len;
	out->truncated = ml->trunc;
	out->lines = ml->lines;
	ml->st.events++;
	ml->st.joined += ml->lines > 1;
	ml->st.truncated += ml->trunc != 0;
	ml->held = 0;
	ml->handed = 1;
}

/* The line is an event by itself, not copied (no regex, or ENOMEM). */
static int
pass(struct multiline *ml, const char *line, size_t len, int truncated,
    struct mlevent *out)
{
	out->p = line;
	out->len = len;
	out->truncated = truncated;
	out->lines = 1;
	ml->st.events++;
	ml->st.truncated += truncated != 0;
	return ML_TAKEN | ML_EVENT;
}

/* The first line of an event. */
static int
begin(struct multiline *ml, const char *line, size_t len, int truncated,
    struct mlevent *out)
{
	if (reserve(ml, len) == -1) {
		ml->st.nomem++;
		return pass(ml, line, len, truncated, out);
	}
	if (len > 0)
		memcpy(ml->buf, line, len);
	ml->len = len;
	ml->lines = 1;
	ml->trunc = truncated;
	ml->held = 1;
	return ML_TAKEN;
}

/* A continuation line: joined with "\n", cut at max. */
static int
join(struct multiline *ml, const char *line, size_t len, int truncated,
    struct mlevent *out)
{
	size_t	 room = ml->max - ml->len, take = len + 1;

	if (take > room) {
		if (room == 0)
			ml->st.cut_lines++;
		ml->st.cut_bytes += take - room;
		take = room;
		truncated = 1;
	}
	if (take > 0 && reserve(ml, ml->len + take) == -1) {
		/* The event so far goes out; this line starts the next. */
		ml->st.nomem++;
		emit(ml, out);
		return ML_EVENT;
	}
	if (take > 0) {
		ml->buf[ml->len] = '\n';
		memcpy(ml->buf + ml->len + 1, line, take - 1);
		ml->len += take;
	}
	ml->lines++;
	ml->trunc |= truncated;
	return ML_TAKEN;
}

int
multiline_feed(struct multiline *ml, const char *line, size_t len,
    int truncated, uint64_t now_ns, struct mlevent *out)
{
	if (ml->handed) {
		ml->handed = 0;
		ml->len = 0;
	}
	if (len > ml->max) {
		ml->st.cut_bytes += len - ml->max;
		len = ml->max;
		truncated = 1;
	}
	if (ml->re == NULL && !ml->held)
		return pass(ml, line, len, truncated, out);
	if (ml->held && (ml->re == NULL ||
	    multiline_re_match(ml->re, line, len))) {
		emit(ml, out);
		return ML_EVENT;
	}
	ml->last = now_ns;
	if (!ml->held)
		return begin(ml, line, len, truncated, out);
	return join(ml, line, len, truncated, out);
}

int
multiline_due(const struct multiline *ml, uint64_t now_ns)
{
	return ml->held && ml->timeout > 0 && now_ns >= ml->last &&
	    now_ns - ml->last >= ml->timeout;
}

uint64_t
multiline_deadline(const struct multiline *ml)
{
	if (!ml->held || ml->timeout == 0 ||
	    ml->last > UINT64_MAX - ml->timeout)
		return UINT64_MAX;
	return ml->last + ml->timeout;
}

int
multiline_flush(struct multiline *ml, struct mlevent *out)
{
	if (ml->handed) {
		ml->handed = 0;
		ml->len = 0;
	}
	if (!ml->held)
		return 0;
	emit(ml, out);
	return 1;
}

size_t
multiline_held(const struct multiline *ml)
{
	return ml->held ? ml->len : 0;
}

int
multiline_pending(const struct multiline *ml)
{
	return ml->held;
}

void
multiline_stats(const struct multiline *ml, struct mlstats *st)
{
	*st = ml->st;
}
