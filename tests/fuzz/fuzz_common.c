/*
 * fuzz_common.c: the parsed-record invariants of fuzz_common.h.
 */
#include <string.h>

#include "fuzz_common.h"
#include "parser.h"

static void
check_slice(const struct lsbatch *b, struct lsslice s)
{
	FUZZ_CHECK((size_t)s.off + s.len <= b->used);
	FUZZ_CHECK(b->used <= b->cap);
}

struct lsbatch *
fuzz_parse(const uint8_t *p, size_t len, const char *source)
{
	struct lsbatch	*b;
	struct logrec	*r;
	struct lsslice	 raw, src;

	if ((b = lsbatch_new(1)) == NULL)
		return NULL;
	if (lsbatch_append(b, source, strlen(source), &src) == -1 ||
	    lsbatch_append(b, p, len, &raw) == -1 ||
	    (r = lsbatch_add_rec(b)) == NULL) {
		lsbatch_free(b);
		return NULL;
	}
	r->raw = raw;
	r->source = src;
	r->received_us = 1700000000000000LL;
	r->recv_mono_ns = 1;
	(void)parser_parse(b, r);
	fuzz_check_batch(b);
	return b;
}

void
fuzz_check_batch(const struct lsbatch *b)
{
	const struct logrec	*r;
	const struct lsfield	*f;
	uint32_t		 i, j;

	FUZZ_CHECK(b->n <= b->max);
	FUZZ_CHECK(b->nfields <= b->capfields);
	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		check_slice(b, r->raw);
		check_slice(b, r->source);
		check_slice(b, r->host);
		check_slice(b, r->app);
		check_slice(b, r->pid);
		check_slice(b, r->msgid);
		check_slice(b, r->message);
		FUZZ_CHECK(r->format < LRF__COUNT);
		FUZZ_CHECK(r->severity >= -1 && r->severity <= 7);
		FUZZ_CHECK(r->facility >= -1 && r->facility <= 23);
		FUZZ_CHECK(r->time_prec <= 6);
		FUZZ_CHECK(lr_format_name(r->format) != NULL);
		if (r->format == LRF_PLAIN && !(r->flags & LR_PARSED)) {
			/* SPEC: unparsed events keep their whole text (one
			 * decoded from a stored line has that line as raw). */
			FUZZ_CHECK(r->message.len == r->raw.len);
			FUZZ_CHECK(memcmp(LS_PTR(b, r->message),
			    LS_PTR(b, r->raw), r->raw.len) == 0);
		}
		FUZZ_CHECK((uint64_t)r->field_first + r->field_count <=
		    b->nfields);
		for (j = 0; j < r->field_count; j++) {
			f = &b->fields[r->field_first + j];
			check_slice(b, f->key);
			check_slice(b, f->val);
			check_slice(b, f->sdid);
			FUZZ_CHECK(f->type <= LSFT_SD);
		}
	}
}
