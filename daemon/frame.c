/*
 * frame.c: RFC 6587 framing, see frame.h.  Octet counting is recognised by
 * "NONZERO-DIGIT *DIGIT SP" followed by '<' (a syslog PRI) on the first frame
 * of a connection; from then on the count alone decides.  Everything else is
 * a line ended by LF; one CR before the LF is dropped.  Empty frames are
 * skipped.  A NUL ends a line too where a sender uses it as the delimiter
 * (Python's SysLogHandler over TCP; rsyslog's AddtlFrameDelimiter): when
 * the PRI of the next event follows it ("\0<13>").  One NUL at the end of
 * a line is dropped, like rsyslog does.  Any other NUL stays in the event.
 * The rule looks at the bytes after the NUL, so how the stream was split
 * into reads never changes the frames (a NUL that ends the bytes read so
 * far waits for the next two).
 */
#include <string.h>

#include "frame.h"

#define MAX_DIGITS	10

enum octet_header {
	HDR_NO,			/* not an octet-counted frame */
	HDR_MORE,		/* cannot tell yet */
	HDR_YES
};

/* Is there an RFC 6587 3.4.1 header at p?  Sets its length and count. */
static enum octet_header
octet_header(const struct framer *fr, const char *p, size_t len, int eof,
    size_t *hlen, uint64_t *count)
{
	size_t		 i;
	uint64_t	 n = 0;

	if (len == 0)
		return eof ? HDR_NO : HDR_MORE;
	if (p[0] < '1' || p[0] > '9')
		return HDR_NO;
	for (i = 0; i < len && i <= MAX_DIGITS; i++) {
		if (p[i] == ' ')
			break;
		if (p[i] < '0' || p[i] > '9')
			return HDR_NO;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	if (i > MAX_DIGITS)
		return HDR_NO;
	if (i == len || (fr->mode != FRAME_OCTET && i + 1 == len))
		return eof ? HDR_NO : HDR_MORE;
	if (fr->mode != FRAME_OCTET && p[i + 1] != '<')
		return HDR_NO;
	*hlen = i + 1;
	*count = n;
	return HDR_YES;
}

static int
octet_frame(struct framer *fr, const char *p, size_t len, size_t max,
    int eof, struct frame *f, size_t *used, size_t hlen, uint64_t count)
{
	size_t	 avail = len - hlen;

	f->off = hlen;
	f->truncated = 0;
	if (count > max) {
		if (avail < max && !eof)
			return FRAME_NEED_MORE;
		f->len = avail < max ? avail : max;
		f->truncated = 1;
		fr->truncated++;
		fr->skip = count - f->len;
		*used += hlen + f->len;
		return FRAME_OK;
	}
	if (avail < count) {
		if (!eof)
			return FRAME_NEED_MORE;
		f->len = avail;		/* the peer left mid-frame */
		*used += len;
		if (avail > 0) {
			f->truncated = 1;
			fr->truncated++;
		}
		return FRAME_OK;
	}
	f->len = count;
	*used += hlen + count;
	/* Senders such as rsyslog end the counted message with LF too; like
	 * rsyslog's own receiver, do not keep one trailing LF (or CRLF). */
	if (f->len > 0 && p[hlen + f->len - 1] == '\n')
		f->len--;
	if (f->len > 0 && p[hlen + f->len - 1] == '\r')
		f->len--;
	return FRAME_OK;
}

/*
 * The end of the line at p: its LF, or a NUL that a sender uses as the
 * delimiter, known by the PRI of the next event right after it ("\0<1").
 * Only a NUL at most max bytes in counts, so that a longer line is cut the
 * same way however it was read.  *wait: a NUL whose next bytes have not
 * come yet may be one; the caller asks for them.
 */
static const char *
line_end(const char *p, size_t win, size_t len, size_t max, int eof,
    int *wait)
{
	const char	*lf = memchr(p, '\n', win), *z, *from = p;
	size_t		 n = lf != NULL ? (size_t)(lf - p) : win, at;

	*wait = 0;
	if (n > max + 1)
		n = max + 1;
	while ((z = memchr(from, '\0', n - (size_t)(from - p))) != NULL) {
		at = (size_t)(z - p);
		if (at + 2 < len) {
			if (p[at + 1] == '<' && p[at + 2] >= '0' &&
			    p[at + 2] <= '9')
				return z;
		} else if (!eof && (at + 1 == len || p[at + 1] == '<')) {
			*wait = 1;
			return NULL;
		}
		from = z + 1;
	}
	return lf;
}

/* The frame's length without its trailing CR, then one trailing NUL. */
static size_t
line_trim(const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > 0 && p[n - 1] == '\0')
		n--;
	return n;
}

/* A line ended by LF (or NUL); sets FRAME_OK or asks for more. */
static int
line_frame(struct framer *fr, const char *p, size_t len, size_t max,
    int eof, struct frame *f, size_t *used)
{
	size_t		 win = len < max + 2 ? len : max + 2, n;
	const char	*lf;
	int		 wait;

	f->off = 0;
	f->truncated = 0;
	if ((lf = line_end(p, win, len, max, eof, &wait)) != NULL) {
		n = lf - p;
		*used += n + 1;
		if (*lf == '\n')
			n = line_trim(p, n);
		if (n > max) {
			n = max;
			f->truncated = 1;
			fr->truncated++;
		}
		f->len = n;
		return FRAME_OK;
	}
	if (wait)
		return FRAME_NEED_MORE;
	if (len > max && !(len == max + 1 && p[max] == '\r')) {
		f->len = max;
		f->truncated = 1;
		fr->truncated++;
		fr->skip_line = 1;
		*used += max;
		return FRAME_OK;
	}
	if (!eof)
		return FRAME_NEED_MORE;
	f->len = line_trim(p, len);
	*used += len;
	return FRAME_OK;
}

int
frame_next(struct framer *fr, const char *p, size_t len, size_t max,
    int eof, struct frame *f, size_t *used)
{
	const char	*lf;
	size_t		 hlen, n, start;
	uint64_t	 count;
	int		 rc;

	*used = 0;
	for (;;) {
		if (fr->skip > 0) {
			n = fr->skip < len ? (size_t)fr->skip : len;
			fr->skip -= n;
			p += n, len -= n, *used += n;
			if (fr->skip > 0)
				return FRAME_NEED_MORE;
		}
		if (fr->skip_line) {
			if ((lf = memchr(p, '\n', len)) == NULL) {
				*used += len;
				return FRAME_NEED_MORE;
			}
			fr->skip_line = 0;
			n = lf - p + 1;
			p += n, len -= n, *used += n;
		}
		if (fr->mode == FRAME_OCTET)	/* LF after a counted frame */
			while (len > 0 && (*p == '\n' || *p == '\r'))
				p++, len--, (*used)++;
		if (len == 0)
			return FRAME_NEED_MORE;
		start = *used;
		rc = HDR_NO;
		if (fr->mode != FRAME_LF)
			rc = octet_header(fr, p, len, eof, &hlen, &count);
		if (rc == HDR_MORE)
			return FRAME_NEED_MORE;
		if (rc == HDR_YES) {
			fr->mode = FRAME_OCTET;
			rc = octet_frame(fr, p, len, max, eof, f, used, hlen,
			    count);
		} else {
			rc = line_frame(fr, p, len, max, eof, f, used);
			/* Decide on a real frame only: a split read or an
			 * empty line says nothing about the framing. */
			if (rc == FRAME_OK && f->len > 0) {
				if (fr->mode == FRAME_OCTET)
					fr->bad++;
				else
					fr->mode = FRAME_LF;
			}
		}
		if (rc == FRAME_NEED_MORE)
			return rc;
		f->off += start;
		if (f->len > 0)
			return FRAME_OK;
		p += *used - start, len -= *used - start;	/* empty */
	}
}
