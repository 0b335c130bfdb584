/*
 * statefile.h: an input's state file (input.h: a journal cursor, file
 * offsets), saved atomically and read back with every failure named, so a
 * corrupt or missing file is reported and the input starts over safely.
 */
#ifndef STATEFILE_H
#define STATEFILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Replace path's contents with len bytes of p, atomically: written to
 * "path.tmp", fdatasync'ed, renamed over path, and the directory
 * fsync'ed.  A crash leaves the old contents or the new, never a mix.
 * 0, or -1 with errno (the temp file is removed).
 */
int	statefile_save(const char *path, const void *p, size_t len);
/*
 * Read path into buf (at most cap - 1 bytes, NUL-terminated): its length,
 * or -1 with errno (ENOENT: none yet; EFBIG: longer than cap - 1).
 */
ssize_t	statefile_load(const char *path, char *buf, size_t cap);

/*
 * The journal input's state: "journal-cursor CURSOR\n".  jstate_parse
 * checks it (one line, that prefix, a cursor of printable bytes with the
 * journal's s= and i= parts) and copies the cursor to cur (cap bytes);
 * seqnum_id (32 hex digits, NUL-terminated into 33 bytes) and seqnum are
 * read from it.  0, or -1 with *why set to a static reason.
 */
int	jstate_parse(const char *buf, size_t len, char *cur, size_t cap,
	    char seqnum_id[33], uint64_t *seqnum, const char **why);
/* The seqnum and its id out of a journal cursor ("s=ID;i=HEX;..."): 0,
 * or -1 when it has none. */
int	jcursor_seqnum(const char *cursor, char seqnum_id[33],
	    uint64_t *seqnum);

#endif
