/*
 * storepath.c: templated storage paths.  A template's literal parts come
 * from the config; each placeholder's value comes from an event (a host
 * name is whatever a sender says), so it is made safe first: it can hold
 * no '/', begins with no '.', is never empty and has a bounded length, so
 * every expanded path names a file inside the storage directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logrec.h"
#include "storepath.h"

enum ph { PH_HOST, PH_APP, PH_CLASS, PH_TRANSPORT, PH_DATE, PH_HOUR,
    PH_FIELD, PH__BAD };

static const char *const ph_names[] = {
	"host", "app", "class", "transport", "date", "hour",
};

#define FIELD_PREFIX	"field."

/* The placeholder at p ("{...}"); *end past its '}'; *name, *nlen the
 * field name for PH_FIELD. */
static enum ph
ph_parse(const char *p, const char **end, const char **name, size_t *nlen)
{
	const char	*close = strchr(p, '}');
	size_t		 len, i;

	if (close == NULL)
		return PH__BAD;
	*end = close + 1;
	p++;
	len = (size_t)(close - p);
	for (i = 0; i < sizeof(ph_names) / sizeof(ph_names[0]); i++)
		if (strlen(ph_names[i]) == len &&
		    memcmp(p, ph_names[i], len) == 0)
			return (enum ph)i;
	if (len > strlen(FIELD_PREFIX) &&
	    memcmp(p, FIELD_PREFIX, strlen(FIELD_PREFIX)) == 0 &&
	    memchr(p, '{', len) == NULL) {
		*name = p + strlen(FIELD_PREFIX);
		*nlen = len - strlen(FIELD_PREFIX);
		return PH_FIELD;
	}
	return PH__BAD;
}

int
storepath_templated(const char *tmpl)
{
	return tmpl != NULL && strchr(tmpl, '{') != NULL;
}

int
storepath_check(const char *tmpl, char *err, size_t errlen)
{
	const char	*p, *end, *name;
	size_t		 nlen;

	for (p = tmpl; (p = strchr(p, '{')) != NULL; p = end) {
		if (ph_parse(p, &end, &name, &nlen) == PH__BAD) {
			snprintf(err, errlen, "unknown placeholder in %s at "
			    "\"%.20s\" (known: {host} {app} {class} "
			    "{transport} {date} {hour} {field.NAME})", tmpl, p);
			return -1;
		}
	}
	return 0;
}

size_t
storepath_root_len(const char *tmpl)
{
	const char	*brace = strchr(tmpl, '{'), *p;

	if (brace == NULL)
		brace = tmpl + strlen(tmpl);
	for (p = brace; p > tmpl; p--)
		if (p[-1] == '/')
			return p - 1 == tmpl ? 1 : (size_t)(p - 1 - tmpl);
	return 0;
}

size_t
storepath_safe(char *dst, const char *v, size_t n)
{
	const unsigned char	*u = (const unsigned char *)v;
	size_t			 i;

	if (n == 0) {
		dst[0] = '_';
		return 1;
	}
	if (n > STOREPATH_VALUE_MAX) {
		n = STOREPATH_VALUE_MAX;
		while (n > 0 && (u[n] & 0xc0) == 0x80)
			n--;			/* not inside a sequence */
		if (n == 0)
			n = STOREPATH_VALUE_MAX;
	}
	for (i = 0; i < n; i++)
		dst[i] = u[i] == '/' || u[i] < 0x20 || u[i] == 0x7f ||
		    (i == 0 && u[i] == '.') ? '_' : (char)u[i];
	return n;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void
civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t		 z = days + 719468, era, yy;
	unsigned	 doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static _Thread_local int64_t	 date_day;
static _Thread_local char	 date_s[16];
static _Thread_local size_t	 date_len;

/* The value of placeholder ph for r: into tmp (made safe), its length. */
static size_t
ph_value(char *tmp, enum ph ph, const char *name, size_t nlen,
    const struct lsbatch *b, const struct logrec *r)
{
	const struct lsfield	*f;
	int64_t			 sec = r->received_us / 1000000, days;
	const char		*s = NULL;
	size_t			 len = 0;
	unsigned		 m, d;
	uint32_t		 i;
	int			 y, h;

	if (r->received_us < 0 && r->received_us % 1000000 != 0)
		sec--;
	days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
	switch (ph) {
	case PH_HOST:
		s = LS_PTR(b, r->host);
		len = r->host.len;
		break;
	case PH_APP:
		s = LS_PTR(b, r->app);
		len = r->app.len;
		break;
	case PH_CLASS:
		if ((s = r->cls) != NULL)
			len = strlen(s);
		break;
	case PH_TRANSPORT:
		if ((s = lr_transport_name(r->transport)) != NULL)
			len = strlen(s);
		break;
	case PH_DATE:
		/* Formatted once a day (per thread), not per event. */
		if (days != date_day || date_len == 0) {
			civil(days, &y, &m, &d);
			date_len = (size_t)snprintf(date_s, sizeof(date_s),
			    "%04d-%02u-%02u", y, m, d);
			date_day = days;
		}
		memcpy(tmp, date_s, date_len);
		return date_len;
	case PH_HOUR:
		h = (int)((sec - days * 86400) / 3600);
		tmp[0] = (char)('0' + h / 10);
		tmp[1] = (char)('0' + h % 10);
		return 2;
	case PH_FIELD:
		f = b->fields + r->field_first;
		for (i = 0; i < r->field_count; i++)
			if (f[i].key.len == nlen &&
			    memcmp(LS_PTR(b, f[i].key), name, nlen) == 0) {
				s = LS_PTR(b, f[i].val);
				len = f[i].val.len;
				break;
			}
		break;
	default:
		break;
	}
	return storepath_safe(tmp, s, s != NULL ? len : 0);
}

/*
 * A compiled template: its literal runs and placeholders found once, so
 * an event's path (or its key) is made without parsing the template.
 */
struct sp_part {
	enum ph		 ph;		/* PH__BAD: a literal */
	const char	*s;		/* the literal, or a field's name */
	size_t		 len;
};

struct storepath {
	char		*tmpl;
	size_t		 n;
	struct sp_part	 part[];
};

struct storepath *
storepath_new(const char *tmpl)
{
	struct storepath	*sp;
	const char		*p, *brace, *end, *name;
	size_t			 n = 1, nlen;

	for (p = tmpl; (p = strchr(p, '{')) != NULL; p++)
		n += 2;
	if ((sp = calloc(1, sizeof(*sp) + n * sizeof(sp->part[0]))) == NULL)
		return NULL;
	if ((sp->tmpl = strdup(tmpl)) == NULL) {
		free(sp);
		return NULL;
	}
	for (p = sp->tmpl; *p != '\0'; p = end) {
		if ((brace = strchr(p, '{')) == NULL)
			brace = p + strlen(p);
		if (brace > p) {
			sp->part[sp->n].ph = PH__BAD;
			sp->part[sp->n].s = p;
			sp->part[sp->n++].len = (size_t)(brace - p);
		}
		if (*(end = brace) == '\0')
			break;
		name = NULL;
		nlen = 0;
		if ((sp->part[sp->n].ph = ph_parse(brace, &end, &name,
		    &nlen)) == PH__BAD) {
			storepath_free(sp);
			return NULL;
		}
		sp->part[sp->n].s = name;
		sp->part[sp->n++].len = nlen;
	}
	return sp;
}

void
storepath_free(struct storepath *sp)
{
	if (sp == NULL)
		return;
	free(sp->tmpl);
	free(sp);
}

int
storepath_path(const struct storepath *sp, char *buf, size_t len,
    const struct lsbatch *b, const struct logrec *r)
{
	char			 tmp[STOREPATH_VALUE_MAX + 1];
	const struct sp_part	*pt;
	size_t			 o = 0, n, i;

	for (i = 0; i < sp->n; i++) {
		pt = &sp->part[i];
		if (pt->ph == PH__BAD) {
			if (o + pt->len >= len)
				return -1;
			memcpy(buf + o, pt->s, pt->len);
			o += pt->len;
			continue;
		}
		n = ph_value(tmp, pt->ph, pt->s, pt->len, b, r);
		if (o + n >= len)
			return -1;
		memcpy(buf + o, tmp, n);
		o += n;
	}
	if (o >= len)
		return -1;
	buf[o] = '\0';
	return 0;
}

/* One word into a key's hash (a multiply-xorshift). */
static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

/*
 * A value's bytes in a key: as many as storepath_safe looks at, after
 * their count.  The hash reads them where they are (the batch), not back
 * from the key just written: a word loaded over a few fresh byte stores
 * waits for them (store forwarding fails), which cost more than the rest.
 */
static size_t
key_bytes(char *k, size_t o, size_t len, const char *v, size_t vlen,
    uint64_t *h)
{
	uint64_t	 w;
	size_t		 i;

	if (v == NULL)
		vlen = 0;
	if (vlen > STOREPATH_VALUE_MAX + 1)
		vlen = STOREPATH_VALUE_MAX + 1;
	if (o + 1 + vlen > len)
		return len + 1;
	k[o] = (char)vlen;
	memcpy(k + o + 1, v, vlen);
	*h = mix(*h, vlen);
	for (i = 0; i + 8 <= vlen; i += 8) {
		memcpy(&w, v + i, 8);
		*h = mix(*h, w);
	}
	if (i < vlen) {
		for (w = 0; i < vlen; i++)
			w = w << 8 | (unsigned char)v[i];
		*h = mix(*h, w);
	}
	return o + 1 + vlen;
}

int
storepath_key(const struct storepath *sp, char *k, size_t len,
    const struct lsbatch *b, const struct logrec *r, const uint64_t seed[2],
    uint64_t *hash)
{
	const struct sp_part	*pt;
	const struct lsfield	*f;
	const char		*v;
	size_t			 o = 0, i, vlen;
	int64_t			 sec = r->received_us / 1000000, t;
	uint64_t		 h = seed != NULL ? seed[0] : 0;
	uint32_t		 j;

	if (r->received_us < 0 && r->received_us % 1000000 != 0)
		sec--;
	for (i = 0; i < sp->n && o <= len; i++) {
		pt = &sp->part[i];
		switch (pt->ph) {
		case PH_HOST:
			o = key_bytes(k, o, len, LS_PTR(b, r->host),
			    r->host.len, &h);
			break;
		case PH_APP:
			o = key_bytes(k, o, len, LS_PTR(b, r->app), r->app.len,
			    &h);
			break;
		case PH_CLASS:
			o = key_bytes(k, o, len, r->cls,
			    r->cls != NULL ? strlen(r->cls) : 0, &h);
			break;
		case PH_TRANSPORT:
			if (o + 1 > len)
				return -1;
			k[o++] = (char)r->transport;
			h = mix(h, r->transport);
			break;
		case PH_DATE:
		case PH_HOUR:
			t = pt->ph == PH_DATE ?
			    (sec >= 0 ? sec / 86400 : (sec - 86399) / 86400) :
			    (sec >= 0 ? sec / 3600 : (sec - 3599) / 3600);
			if (o + sizeof(t) > len)
				return -1;
			memcpy(k + o, &t, sizeof(t));
			o += sizeof(t);
			h = mix(h, (uint64_t)t);
			break;
		case PH_FIELD:
			v = NULL;
			vlen = 0;
			f = b->fields + r->field_first;
			for (j = 0; j < r->field_count; j++)
				if (f[j].key.len == pt->len &&
				    memcmp(LS_PTR(b, f[j].key), pt->s,
				    pt->len) == 0) {
					v = LS_PTR(b, f[j].val);
					vlen = f[j].val.len;
					break;
				}
			o = key_bytes(k, o, len, v, vlen, &h);
			break;
		default:
			break;
		}
	}
	if (hash != NULL && seed != NULL) {
		h = (h ^ seed[1]) * 0x94d049bb133111ebULL;
		*hash = h ^ (h >> 29);
	}
	return o <= len ? (int)o : -1;
}

int
storepath_expand(char *buf, size_t len, const char *tmpl,
    const struct lsbatch *b, const struct logrec *r)
{
	char		 tmp[STOREPATH_VALUE_MAX + 1];
	const char	*p = tmpl, *brace, *end, *name = NULL;
	size_t		 o = 0, n, nlen = 0;
	enum ph		 ph;

	while ((brace = strchr(p, '{')) != NULL) {
		n = (size_t)(brace - p);
		if ((ph = ph_parse(brace, &end, &name, &nlen)) == PH__BAD)
			return -1;
		if (o + n >= len)
			return -1;
		memcpy(buf + o, p, n);
		o += n;
		n = ph_value(tmp, ph, name, nlen, b, r);
		if (o + n >= len)
			return -1;
		memcpy(buf + o, tmp, n);
		o += n;
		p = end;
	}
	n = strlen(p);
	if (o + n >= len)
		return -1;
	memcpy(buf + o, p, n + 1);
	return 0;
}
