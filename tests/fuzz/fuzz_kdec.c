/*
 * fuzz_kdec.c: the reader of stored event lines (kdec.c), which a Kafka
 * worker runs on whatever a producer sent and replay on whatever is in the
 * store.  For every input: no read outside the line or the scratch; a
 * decoder reused from input to input (its memo of names and times) reads
 * what a fresh one reads; and a line it takes is a fixed point after one
 * round: decoded into a batch (kdec_batch), written again
 * (writer_encode_json), read again, written again, the two written lines
 * are the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "jsonenc.h"
#include "kdec.h"
#include "logrec.h"
#include "writer.h"

#define MAX_IN	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kdec	 reused;	/* kept from input to input */

static void
piece_in(const struct kdec *d, size_t len, const struct kpiece *k)
{
	if (k->scratch)
		FUZZ_CHECK((size_t)k->off + k->len <= d->slen);
	else
		FUZZ_CHECK((size_t)k->off + k->len <= len);
}

static const char *
piece_ptr(const struct kdec *d, const char *s, const struct kpiece *k)
{
	return k->scratch ? d->scratch + k->off : s + k->off;
}

static void
same_piece(const struct kdec *a, const char *s, const struct kpiece *ka,
    const struct kdec *b, const struct kpiece *kb)
{
	FUZZ_CHECK(ka->len == kb->len);
	FUZZ_CHECK(ka->len == 0 ||
	    memcmp(piece_ptr(a, s, ka), piece_ptr(b, s, kb), ka->len) == 0);
}

/* The line of one record decoded from s into a batch of its own: 0, or
 * -1 if memory ran short (the malloc-failure mode). */
static int
round_trip(struct kdec *d, const char *s, size_t len, struct obuf *o)
{
	struct lsbatch	*b;
	struct logrec	*r;

	if ((b = lsbatch_new(1)) == NULL)
		return -1;
	if ((r = kdec_batch(d, b, s, len)) == NULL) {
		lsbatch_free(b);
		return -1;
	}
	fuzz_check_batch(b);
	writer_encode_json(o, b, r);
	lsbatch_free(b);
	return o->p != NULL ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kdec	 fresh;
	struct obuf	 o1 = { 0 }, o2 = { 0 };
	const char	*s = (const char *)data;
	uint32_t	 i;
	int		 rc, rc2;

	if (size > MAX_IN)
		return 0;
	memset(&fresh, 0, sizeof(fresh));
	rc = kdec_parse(&fresh, s, size);
	rc2 = kdec_parse(&reused, s, size);
	if (rc == -1 || rc2 == -1)
		goto out;
	if (rc != rc2)
		fprintf(stderr, "fresh %d, reused %d\n", rc, rc2);
	FUZZ_CHECK(rc == rc2);
	if (rc != 1)
		goto out;
	piece_in(&fresh, size, &fresh.source);
	piece_in(&fresh, size, &fresh.host);
	piece_in(&fresh, size, &fresh.app);
	piece_in(&fresh, size, &fresh.pid);
	piece_in(&fresh, size, &fresh.msgid);
	piece_in(&fresh, size, &fresh.message);
	piece_in(&fresh, size, &fresh.trusted);
	FUZZ_CHECK(fresh.nfields <= fresh.capfields || fresh.nfields == 0);
	for (i = 0; i < fresh.nfields; i++) {
		piece_in(&fresh, size, &fresh.fields[i].key);
		piece_in(&fresh, size, &fresh.fields[i].val);
		piece_in(&fresh, size, &fresh.fields[i].sdid);
	}
	/* the memo changes nothing */
	FUZZ_CHECK(reused.received_us == fresh.received_us);
	FUZZ_CHECK(reused.time_us == fresh.time_us);
	FUZZ_CHECK(reused.time_prec == fresh.time_prec);
	FUZZ_CHECK(reused.transport == fresh.transport);
	FUZZ_CHECK(reused.format == fresh.format);
	FUZZ_CHECK(reused.facility == fresh.facility);
	FUZZ_CHECK(reused.severity == fresh.severity);
	FUZZ_CHECK(reused.stream == fresh.stream);
	FUZZ_CHECK(reused.nfields == fresh.nfields);
	same_piece(&reused, s, &reused.host, &fresh, &fresh.host);
	same_piece(&reused, s, &reused.message, &fresh, &fresh.message);
	same_piece(&reused, s, &reused.source, &fresh, &fresh.source);
	/* a fixed point after one round */
	if (round_trip(&fresh, s, size, &o1) == -1)
		goto out;
	FUZZ_CHECK(o1.len > 0 && o1.p[o1.len - 1] == '\n');
	rc = kdec_parse(&fresh, o1.p, o1.len - 1);
	if (rc == -1)
		goto out;
	if (rc != 1) {
		fprintf(stderr, "written: %.*s", (int)o1.len, o1.p);
		FUZZ_CHECK(!"a line written from a decoded one is not taken");
	}
	if (round_trip(&fresh, o1.p, o1.len - 1, &o2) == -1)
		goto out;
	if (o1.len != o2.len || memcmp(o1.p, o2.p, o1.len) != 0) {
		fprintf(stderr, "first:  %.*s\nsecond: %.*s\n", (int)o1.len,
		    o1.p, (int)o2.len, o2.p);
		FUZZ_CHECK(!"a written line read and written again differs");
	}
out:
	free(o1.p);
	free(o2.p);
	kdec_free(&fresh);
	return 0;
}
