/*
 * storepath.h: the templated storage path ([storage] path =
 * remote/{host}/{date}.log).  Pure functions: check a template, find the
 * storage directory it stays inside, expand it for one event with every
 * value made safe for a path, so no event can name a file outside it.
 */
#ifndef STOREPATH_H
#define STOREPATH_H

#include <stddef.h>
#include <stdint.h>

struct lsbatch;
struct logrec;
struct storepath;

#define STOREPATH_VALUE_MAX	64	/* bytes of one placeholder's value */

/* Whether tmpl holds a placeholder ('{').  1 or 0. */
int		 storepath_templated(const char *tmpl);
/* Check tmpl's placeholders ({host} {app} {class} {transport} {date}
 * {hour} {field.NAME}); 0, or -1 with what is wrong in err. */
int		 storepath_check(const char *tmpl, char *err, size_t errlen);
/* The length of tmpl's storage directory: the part before the last '/'
 * that comes before the first placeholder (0: the current directory). */
size_t		 storepath_root_len(const char *tmpl);
/* v[0..n) made safe into dst (room for STOREPATH_VALUE_MAX): '/', NUL,
 * control bytes and a leading '.' become '_', empty is "_", at most
 * STOREPATH_VALUE_MAX bytes (not cutting a UTF-8 sequence).  Its length. */
size_t		 storepath_safe(char *dst, const char *v, size_t n);
/* tmpl compiled once (NULL: an unknown placeholder, or no memory). */
struct storepath *storepath_new(const char *tmpl);
void		 storepath_free(struct storepath *);
/* The compiled template expanded for r, as storepath_expand.  0 or -1. */
int		 storepath_path(const struct storepath *, char *buf,
		    size_t len, const struct lsbatch *b,
		    const struct logrec *r);
/* The key of r's path: its placeholders' values as they came (as many
 * bytes as storepath_safe reads), the day or hour as a number; events
 * with equal keys have equal paths, without one being expanded.  With
 * seed, *hash is a fast hash of the key under it (equal keys, equal
 * hashes; not SipHash: made to collide, a caller must notice).  Its
 * length, or -1 if it does not fit in len. */
int		 storepath_key(const struct storepath *, char *key, size_t len,
		    const struct lsbatch *b, const struct logrec *r,
		    const uint64_t seed[2], uint64_t *hash);
/* tmpl expanded for event r of b into buf (NUL-terminated).  0, or -1 if
 * it does not fit. */
int		 storepath_expand(char *buf, size_t len, const char *tmpl,
		    const struct lsbatch *b, const struct logrec *r);

#endif
