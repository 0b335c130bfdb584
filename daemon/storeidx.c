/*
 * storeidx.c: the index of a rotated store file (see storeidx.h).  Built
 * on the rotation thread by reading the rotated file once (before it is
 * compressed, while it is still in the page cache); a file whose index is
 * missing or unreadable is simply read by the query.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#define PARSER_INTERNAL		/* parser_rfc3339: the one RFC 3339 reader */
#include "parser.h"
#include "storeidx.h"

#define CHUNK		(128 * 1024)
#define LINE_MAX_B	(64u << 20)	/* a longer line is not an event */
#define RECV_PFX	"{\"received\":\""

int
storeidx_name(char *buf, size_t len, const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 dl, bl;
	int		 n;

	base = base != NULL ? base + 1 : path;
	dl = (size_t)(base - path);
	bl = strlen(base);
	if (bl > 3 && strcmp(base + bl - 3, ".gz") == 0)
		bl -= 3;
	n = snprintf(buf, len, "%.*s.%.*s.idx", (int)dl, path, (int)bl, base);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
storeidx_received(const char *line, size_t len, int64_t *us)
{
	size_t	 pl = sizeof(RECV_PFX) - 1;
	uint8_t	 prec;
	int	 n;

	if (len <= pl || memcmp(line, RECV_PFX, pl) != 0)
		return -1;
	n = parser_rfc3339(line + pl, len - pl, 0, us, &prec);
	if (n <= 0 || pl + (size_t)n >= len || line[pl + n] != '"')
		return -1;
	return 0;
}

int
storeidx_event_time(const json_t *o, int64_t *us)
{
	const char	*s = json_string_value(json_object_get(o, "received"));
	uint8_t		 prec;
	size_t		 len;

	if (s == NULL)
		return -1;
	len = strlen(s);
	return parser_rfc3339(s, len, 0, us, &prec) == (int)len ? 0 : -1;
}

/* Count value v[0..len) in map *m (dropped to NULL past the bound). */
static void
count_key(json_t **m, const char *v, size_t len)
{
	json_t	*c;

	if (*m == NULL)
		return;
	if ((c = json_object_getn(*m, v, len)) != NULL) {
		json_integer_set(c, json_integer_value(c) + 1);
		return;
	}
	if (json_object_size(*m) >= STOREIDX_MAX_KEYS ||
	    json_object_setn_new(*m, v, len, json_integer(1)) == -1) {
		json_decref(*m);
		*m = NULL;
	}
}

/* A string member of o as text ("" if it has none). */
static void
member(const json_t *o, const char *key, const char **v, size_t *len)
{
	const json_t	*s = json_object_get(o, key);

	*v = json_is_string(s) ? json_string_value(s) : "";
	*len = json_is_string(s) ? json_string_length(s) : 0;
}

int
storeidx_scan(const char *p, size_t len, const char *const *keys, size_t n,
    struct storeidx_span *sp)
{
	const char	*e = p + len, *k, *v;
	size_t		 kl, i;

	for (i = 0; i < n; i++)
		sp[i].v = NULL;
	if (len < 2 || *p != '{')
		return -1;
	for (p++; p < e && *p == '"'; p++) {
		k = ++p;
		if ((p = memchr(p, '"', (size_t)(e - p))) == NULL)
			return -1;
		kl = (size_t)(p - k);
		if (++p >= e || *p++ != ':' || p >= e)
			return -1;
		if (*p != '"')
			return 0;	/* sd, fields...: the early keys are past */
		for (v = ++p; p < e && *p != '"'; p++)
			if (*p == '\\')
				return -1;
		if (p >= e)
			return -1;
		for (i = 0; i < n; i++)
			if (strlen(keys[i]) == kl && memcmp(keys[i], k, kl) ==
			    0) {
				sp[i].v = v;
				sp[i].len = (size_t)(p - v);
			}
		if (++p < e && *p == '}')
			return 0;
		if (p >= e || *p != ',')
			return -1;
	}
	return -1;
}

static void
index_line(struct storeidx *ix, const char *p, size_t len)
{
	static const char *const keys[] = { "host", "class" };
	struct storeidx_span	 sp[2];
	const char		*host, *cls;
	size_t			 hl, cl;
	json_t			*o = NULL;
	int64_t			 us;

	if (storeidx_received(p, len, &us) == 0 &&
	    storeidx_scan(p, len, keys, 2, sp) == 0) {
		host = sp[0].v != NULL ? sp[0].v : "";
		hl = sp[0].v != NULL ? sp[0].len : 0;
		cls = sp[1].v != NULL ? sp[1].v : "";
		cl = sp[1].v != NULL ? sp[1].len : 0;
	} else {
		if ((o = json_loadb(p, len, 0, NULL)) == NULL ||
		    storeidx_event_time(o, &us) == -1) {
			json_decref(o);
			ix->bad++;
			return;
		}
		member(o, "host", &host, &hl);
		member(o, "class", &cls, &cl);
	}
	ix->lines++;
	if (us < ix->first_us)
		ix->first_us = us;
	if (us > ix->last_us)
		ix->last_us = us;
	count_key(&ix->hosts, host, hl);
	count_key(&ix->classes, cls, cl);
	json_decref(o);
}

/* Every line of gz into ix; 0, or -1 if the file cannot be read whole. */
static int
index_file(gzFile gz, struct storeidx *ix)
{
	char	*buf, *nb, *nl, *p;
	size_t	 cap = CHUNK, len = 0, off;
	int	 n, rc = 0;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (cap - len < CHUNK / 2) {
			if (cap >= LINE_MAX_B || (nb = realloc(buf, cap * 2)) ==
			    NULL) {
				rc = -1;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		if ((n = gzread(gz, buf + len, (unsigned)(cap - len))) <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		len += (size_t)n;
		for (off = 0, p = buf; (nl = memchr(p, '\n', len - off)) !=
		    NULL; p = nl + 1, off = (size_t)(p - buf))
			index_line(ix, p, (size_t)(nl - p));
		memmove(buf, p, len - off);
		len -= off;
	}
	if (len > 0)
		ix->bad++;		/* a torn last line */
	free(buf);
	return rc;
}

static json_t *
index_json(const struct storeidx *ix, uint64_t bytes)
{
	json_t	*o;

	o = json_pack("{s:i,s:I,s:I,s:I}", "version", 1, "lines",
	    (json_int_t)ix->lines, "bad", (json_int_t)ix->bad, "bytes",
	    (json_int_t)bytes);
	if (o == NULL)
		return NULL;
	if (ix->lines > 0) {
		json_object_set_new(o, "first_us", json_integer(ix->first_us));
		json_object_set_new(o, "last_us", json_integer(ix->last_us));
	}
	if (ix->hosts != NULL)
		json_object_set(o, "hosts", ix->hosts);
	if (ix->classes != NULL)
		json_object_set(o, "classes", ix->classes);
	return o;
}

int
storeidx_build(int dfd, const char *name)
{
	struct storeidx	 ix = { .first_us = INT64_MAX, .last_us = INT64_MIN };
	struct stat	 st;
	char		 idx[4096], tmp[4112], *s = NULL;
	json_t		*o = NULL;
	gzFile		 gz = NULL;
	size_t		 len;
	int		 fd = -1, out = -1, rc = -1, e;

	if (storeidx_name(idx, sizeof(idx), name) == -1 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", idx) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	ix.hosts = json_object();
	ix.classes = json_object();
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		goto done;
	if ((gz = gzdopen(fd, "rb")) == NULL)
		goto done;
	fd = -1;		/* gz's now */
	/* A file not readable to its end (a truncated .gz) is indexed all
	 * the same, marked bad: the query always reads it, and the worker
	 * does not try again at every pass. */
	if (index_file(gz, &ix) == -1)
		ix.bad++;
	if ((o = index_json(&ix, (uint64_t)st.st_size)) == NULL ||
	    (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		goto done;
	}
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps left room for the NUL */
	if ((out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1)
		goto done;
	if (write(out, s, len) != (ssize_t)len || renameat(dfd, tmp, dfd,
	    idx) == -1) {
		e = errno;
		unlinkat(dfd, tmp, 0);
		errno = e;
		goto done;
	}
	rc = 0;
done:
	e = errno;
	if (gz != NULL)
		gzclose(gz);
	if (fd != -1)
		close(fd);
	if (out != -1)
		close(out);
	free(s);
	json_decref(o);
	storeidx_clear(&ix);
	errno = e;
	return rc;
}

void
storeidx_unlink(int dfd, const char *name)
{
	char	 idx[4096];

	if (storeidx_name(idx, sizeof(idx), name) == 0)
		unlinkat(dfd, idx, 0);
}

int
storeidx_read(const char *path, struct storeidx *ix)
{
	char	 idx[4096];
	json_t	*o, *h, *c;

	memset(ix, 0, sizeof(*ix));
	if (storeidx_name(idx, sizeof(idx), path) == -1 ||
	    (o = json_load_file(idx, 0, NULL)) == NULL)
		return -1;
	if (json_integer_value(json_object_get(o, "version")) != 1) {
		json_decref(o);
		return -1;
	}
	ix->lines = (uint64_t)json_integer_value(json_object_get(o, "lines"));
	ix->bad = (uint64_t)json_integer_value(json_object_get(o, "bad"));
	ix->first_us = INT64_MAX;
	ix->last_us = INT64_MIN;
	if (json_is_integer(json_object_get(o, "first_us"))) {
		ix->first_us = json_integer_value(json_object_get(o,
		    "first_us"));
		ix->last_us = json_integer_value(json_object_get(o,
		    "last_us"));
	}
	if (json_is_object(h = json_object_get(o, "hosts")))
		ix->hosts = json_incref(h);
	if (json_is_object(c = json_object_get(o, "classes")))
		ix->classes = json_incref(c);
	json_decref(o);
	return 0;
}

void
storeidx_clear(struct storeidx *ix)
{
	json_decref(ix->hosts);
	json_decref(ix->classes);
	ix->hosts = ix->classes = NULL;
}

int
storeidx_may_match(const struct storeidx *ix, int64_t since_us,
    int64_t until_us, const char *host, const char *cls)
{
	if (ix->bad > 0)
		return 1;	/* what it could not read may be anything */
	if (ix->lines == 0 || ix->first_us > until_us ||
	    ix->last_us < since_us)
		return 0;	/* empty, or all outside the range */
	if (host != NULL && ix->hosts != NULL &&
	    json_object_get(ix->hosts, host) == NULL)
		return 0;
	if (cls != NULL && ix->classes != NULL &&
	    json_object_get(ix->classes, cls) == NULL)
		return 0;
	return 1;
}
