/*
 * fuzz_frame.c: the RFC 6587 framer (frame_next) fed the way conn_drain
 * feeds it.  The stream is framed twice, once in one piece and once split
 * at points drawn from the input; both must give the same frames (bytes and
 * truncation marks).  Every frame lies inside the bytes given, is at most
 * max long, and 'used' never passes the end.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"

#define MAX_IN	65536
#define MAX_OUT	(MAX_IN * 10)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct out {
	char	*p;
	size_t	 len;
	size_t	 nframes;
};

static void
emit(struct out *o, const char *p, const struct frame *f)
{
	/* Frames are recorded as "T|F" + 8-byte length + bytes. */
	FUZZ_CHECK(o->len + 9 + f->len <= MAX_OUT);
	o->p[o->len++] = f->truncated ? 'T' : 'F';
	memcpy(o->p + o->len, &f->len, 8);
	o->len += 8;
	memcpy(o->p + o->len, p + f->off, f->len);
	o->len += f->len;
	o->nframes++;
}

/* Frame all of buf[*start..*end) as conn_drain does; keeps the rest. */
static void
drain(struct framer *fr, const char *buf, size_t *start, size_t end,
    size_t max, int eof, struct out *o)
{
	struct frame	 f;
	size_t		 used, len;

	while (*start < end) {
		len = end - *start;
		if (frame_next(fr, buf + *start, len, max, eof, &f, &used) ==
		    FRAME_NEED_MORE) {
			FUZZ_CHECK(used <= len);
			*start += used;
			return;
		}
		FUZZ_CHECK(used <= len && used > 0);
		FUZZ_CHECK(f.off + f.len <= len);
		FUZZ_CHECK(f.len <= max && f.len > 0);
		emit(o, buf + *start, &f);
		*start += used;
	}
}

/* Frame s[0..len) delivered in chunks (cuts NULL: one piece). */
static void
run(const char *s, size_t len, size_t max, const uint8_t *cuts,
    size_t ncuts, struct out *o)
{
	struct framer	 fr;
	size_t		 start = 0, end = 0, step, k = 0;

	memset(&fr, 0, sizeof(fr));
	while (end < len) {
		step = cuts == NULL ? len : 1 + cuts[k++ % ncuts] % 97;
		end = end + step > len ? len : end + step;
		drain(&fr, s, &start, end, max, 0, o);
	}
	drain(&fr, s, &start, len, max, 1, o);
	FUZZ_CHECK(start == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 b1[MAX_OUT], b2[MAX_OUT];
	struct out	 one = { b1, 0, 0 }, split = { b2, 0, 0 };
	size_t		 max, ncuts;

	if (size < 4 || size > MAX_IN)
		return 0;
	max = 16 + (((size_t)data[0] << 8 | data[1]) % 2048);
	ncuts = 1 + data[2] % 16;
	if (ncuts > size - 3)
		ncuts = size - 3;
	run((const char *)data + 3, size - 3, max, NULL, 0, &one);
	run((const char *)data + 3, size - 3, max, data + 3, ncuts, &split);
	if (one.len != split.len || memcmp(one.p, split.p, one.len) != 0) {
		fprintf(stderr, "frames differ: %zu in one piece, %zu split\n",
		    one.nframes, split.nframes);
		abort();
	}
	return 0;
}
