/*
 * tailstate.h: the positions file of a tail input ([input X] state): per
 * file its identity (device, inode and a fingerprint of its first bytes,
 * so a reused inode is not taken for the old file), the offset up to
 * which its lines are stored, and its path.  Written whole through
 * statefile_save (temp file, fdatasync, rename, directory fsync); read back
 * with every line checked (a count and a checksum close the file), so a
 * torn or edited file is reported as corrupt, never half believed.
 */
#ifndef TAILSTATE_H
#define TAILSTATE_H

#include <stddef.h>
#include <stdint.h>

#define TAILSTATE_FP_MAX	256	/* bytes a fingerprint covers */
#define TAILSTATE_MAX		1000000	/* entries a file may hold */

struct tailpos {
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 off;		/* stored up to here */
	uint64_t	 fp;		/* hash of the first fplen bytes */
	uint32_t	 fplen;
	char		*path;		/* owned by the array's holder */
};

/* The fingerprint of a file's first len bytes (len <= TAILSTATE_FP_MAX). */
uint64_t	 tailstate_fingerprint(const void *p, size_t len);
/*
 * Read path into *v (n entries, malloc'ed; free with tailstate_free).
 * 0: read, or no such file (n = 0); -1: unreadable or corrupt, with why
 * in err (then *v is NULL and n 0: the caller starts over).
 */
int		 tailstate_load(const char *path, struct tailpos **v,
		    size_t *n, char *err, size_t errlen);
/* Write v atomically (statefile_save: temp + fdatasync + rename + fsync
 * of the directory); 0, or -1 with why in err (the old file stays). */
int		 tailstate_save(const char *path, const struct tailpos *v,
		    size_t n, char *err, size_t errlen);
/* Free what tailstate_load made; NULL is a no-op. */
void		 tailstate_free(struct tailpos *v, size_t n);

#endif
