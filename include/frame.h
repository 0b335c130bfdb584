/*
 * frame.h: TCP framing of syslog streams as a pure function over a run of
 * contiguous bytes, with a little state per connection: RFC 6587 3.4.1 octet
 * counting ("LEN SP MSG") or 3.4.2 non-transparent framing (LF, CRLF
 * tolerated), detected on the first frame of the connection.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_mode {
	FRAME_DETECT = 0,
	FRAME_LF,
	FRAME_OCTET
};

enum frame_status {
	FRAME_NEED_MORE = 0,
	FRAME_OK
};

/* Per-connection framing state; zero it to start. */
struct framer {
	uint8_t		 mode;		/* enum frame_mode */
	uint8_t		 skip_line;	/* discarding the rest of a cut line */
	uint64_t	 skip;		/* octet counting: bytes to discard */
	uint64_t	 bad;		/* malformed octet counts seen */
	uint64_t	 truncated;	/* frames cut at max */
};

struct frame {
	size_t		 off;		/* from the start of the bytes given */
	size_t		 len;
	int		 truncated;	/* cut at max bytes */
};

/*
 * Find the next frame in p[0..len).  *used is how many bytes the caller may
 * drop (frames, delimiters and skipped bytes); it may be non-zero with
 * FRAME_NEED_MORE.  max is the longest frame kept; longer ones are cut there
 * and marked truncated, the rest discarded.  eof: no more bytes will come,
 * so a last line without LF is a frame.
 */
int	frame_next(struct framer *, const char *p, size_t len, size_t max,
	    int eof, struct frame *, size_t *used);

#endif
