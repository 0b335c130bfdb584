/*
 * tailstate.c: the tail input's positions file (tailstate.h).  Text, one
 * file a line:
 *
 *	# logstreamd tail positions 1
 *	DEV INO OFFSET FPLEN FPHASH PATH
 *	end COUNT CHECKSUM
 *
 * numbers in decimal but FPHASH and CHECKSUM (16 hex digits; the checksum
 * is FNV-1a 64 over the lines before "end"), PATH with '%', LF, CR and
 * bytes below 0x20 as %XX.  Anything else is corrupt.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexval.h"
#include "statefile.h"
#include "tailstate.h"

#define HEADER		"# logstreamd tail positions 1\n"
#define FNV_OFF		0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL
#define LINE_MAX_LEN	(4096 * 3 + 128)

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
tailstate_fingerprint(const void *p, size_t len)
{
	return fnv(FNV_OFF, p, len);
}

void
tailstate_free(struct tailpos *v, size_t n)
{
	size_t	 i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].path);
	free(v);
}

/* A decimal (hex) number at *s up to a blank; advances past the blank. */
static int
number(char **s, int base, uint64_t *out)
{
	char	*end;

	if (**s < '0' || (base == 10 && **s > '9') || hexval(**s) < 0)
		return -1;
	errno = 0;
	*out = strtoull(*s, &end, base);
	if (errno != 0 || *end != ' ')
		return -1;
	*s = end + 1;
	return 0;
}

/* The %XX-escaped path at s (up to its LF) into a new string. */
static char *
unescape(const char *s, size_t len)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if (len == 0 || (out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		if (s[i] != '%') {
			if ((unsigned char)s[i] < 0x20)
				goto bad;
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
			goto bad;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int
parse_line(char *s, size_t len, struct tailpos *p)
{
	uint64_t	 fplen;

	if (len == 0 || s[len - 1] != '\n')
		return -1;
	s[--len] = '\0';
	memset(p, 0, sizeof(*p));
	if (number(&s, 10, &p->dev) == -1 || number(&s, 10, &p->ino) == -1 ||
	    number(&s, 10, &p->off) == -1 || number(&s, 10, &fplen) == -1 ||
	    fplen > TAILSTATE_FP_MAX || number(&s, 16, &p->fp) == -1)
		return -1;
	p->fplen = (uint32_t)fplen;
	return (p->path = unescape(s, strlen(s))) == NULL ? -1 : 0;
}

int
tailstate_load(const char *path, struct tailpos **vp, size_t *np, char *err,
    size_t errlen)
{
	FILE		*fp;
	char		*line = NULL, *s;
	size_t		 cap = 0, n = 0, vcap = 0, lineno = 1;
	ssize_t		 len;
	uint64_t	 h = FNV_OFF, cnt, sum;
	struct tailpos	*v = NULL, *nv;
	int		 done = 0;

	*vp = NULL;
	*np = 0;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((len = getline(&line, &cap, fp)) < 0 ||
	    strcmp(line, HEADER) != 0) {
		snprintf(err, errlen, "%s: corrupt: no header", path);
		goto fail;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (done || (size_t)len > LINE_MAX_LEN ||
		    (size_t)len != strlen(line))
			goto corrupt;
		if (strncmp(line, "end ", 4) == 0) {
			s = line + 4;
			if (line[len - 1] != '\n')
				goto corrupt;
			line[len - 1] = ' ';
			if (number(&s, 10, &cnt) == -1 ||
			    number(&s, 16, &sum) == -1 || *s != '\0' ||
			    cnt != n || sum != h)
				goto corrupt;
			done = 1;
			continue;
		}
		h = fnv(h, line, (size_t)len);
		if (n == TAILSTATE_MAX)
			goto corrupt;
		if (n == vcap) {
			vcap = vcap ? vcap * 2 : 16;
			if ((nv = reallocarray(v, vcap, sizeof(*v))) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			v = nv;
		}
		if (parse_line(line, (size_t)len, &v[n]) == -1)
			goto corrupt;
		n++;
	}
	if (ferror(fp) || !done) {
		snprintf(err, errlen, "%s: corrupt: %s", path, ferror(fp) ?
		    strerror(errno) : "cut short (no end line)");
		goto fail;
	}
	fclose(fp);
	free(line);
	*vp = v;
	*np = n;
	return 0;
corrupt:
	snprintf(err, errlen, "%s:%zu: corrupt", path, lineno);
fail:
	fclose(fp);
	free(line);
	tailstate_free(v, n);
	return -1;
}

static void
escape(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%' || (unsigned char)*s < 0x20)
			fprintf(fp, "%%%02X", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
}

int
tailstate_save(const char *path, const struct tailpos *v, size_t n,
    char *err, size_t errlen)
{
	char		*body = NULL;
	size_t		 blen = 0, i;
	uint64_t	 sum;
	FILE		*mem;
	int		 rc;

	if ((mem = open_memstream(&body, &blen)) == NULL)
		goto nomem;
	fputs(HEADER, mem);
	for (i = 0; i < n; i++) {
		fprintf(mem, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32
		    " %016" PRIx64 " ", v[i].dev, v[i].ino, v[i].off,
		    v[i].fplen, v[i].fp);
		escape(mem, v[i].path);
		fputc('\n', mem);
	}
	if (fflush(mem) != 0) {
		fclose(mem);
		free(body);
		goto nomem;
	}
	sum = fnv(FNV_OFF, body + strlen(HEADER), blen - strlen(HEADER));
	fprintf(mem, "end %zu %016" PRIx64 "\n", n, sum);
	if (fclose(mem) != 0) {
		free(body);
		goto nomem;
	}
	/* the one way state files are written (statefile.c) */
	if ((rc = statefile_save(path, body, blen)) == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	free(body);
	return rc;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}
