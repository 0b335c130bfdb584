/*
 * logrec.c: batches of event records with one growable arena, and the name
 * tables (severity, facility, format, transport, stream) used both ways by
 * the parser, classifier and writer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "logrec.h"

#define ARENA_INITIAL	(64 * 1024)
#define ARENA_KEEP	(1024 * 1024)		/* shrink back past this */
#define FIELDS_INITIAL	256
#define FIELDS_KEEP	65536

struct lsbatch *
lsbatch_new(uint32_t max)
{
	struct lsbatch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max = max;
	b->recs = calloc(max, sizeof(*b->recs));
	b->cap = ARENA_INITIAL;
	b->arena = malloc(b->cap);
	b->capfields = FIELDS_INITIAL;
	b->fields = malloc(b->capfields * sizeof(*b->fields));
	if (b->recs == NULL || b->arena == NULL || b->fields == NULL) {
		lsbatch_free(b);
		return NULL;
	}
	return b;
}

size_t
lsbatch_capmem(const struct lsbatch *b)
{
	return sizeof(*b) + b->cap + (size_t)b->capfields *
	    sizeof(*b->fields) + (size_t)b->max * sizeof(*b->recs);
}

void
lsbatch_free(struct lsbatch *b)
{
	if (b == NULL)
		return;
	free(b->recs);
	free(b->arena);
	free(b->fields);
	free(b);
}

void
lsbatch_clear(struct lsbatch *b)
{
	b->n = 0;
	b->used = 0;
	b->nfields = 0;
	b->prepared = 0;
	b->qbytes = 0;
	b->next = NULL;
}

void
lsbatch_reset(struct lsbatch *b)
{
	char		*a;
	struct lsfield	*f;

	lsbatch_clear(b);
	if (b->cap > ARENA_KEEP && (a = realloc(b->arena, ARENA_INITIAL))) {
		b->arena = a;
		b->cap = ARENA_INITIAL;
	}
	if (b->capfields > FIELDS_KEEP &&
	    (f = realloc(b->fields, FIELDS_INITIAL * sizeof(*f)))) {
		b->fields = f;
		b->capfields = FIELDS_INITIAL;
	}
}

int
lsbatch_reserve(struct lsbatch *b, size_t len)
{
	size_t	 cap;
	char	*a;

	if (b->used + len <= b->cap)
		return 0;
	if (len > UINT32_MAX || b->used + len > UINT32_MAX)
		return -1;
	cap = b->cap;
	while (cap < b->used + len)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	if ((a = realloc(b->arena, cap)) == NULL)
		return -1;
	b->arena = a;
	b->cap = cap;
	return 0;
}

int
lsbatch_append(struct lsbatch *b, const void *p, size_t len,
    struct lsslice *out)
{
	if (lsbatch_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->arena + b->used, p, len);
	out->off = (uint32_t)b->used;
	out->len = (uint32_t)len;
	b->used += len;
	return 0;
}

struct lsfield *
lsbatch_add_field(struct lsbatch *b)
{
	struct lsfield	*f;
	uint32_t	 cap;

	if (b->nfields == b->capfields) {
		if (b->capfields >= UINT32_MAX / 2)
			return NULL;
		cap = b->capfields * 2;
		if ((f = realloc(b->fields, cap * sizeof(*f))) == NULL)
			return NULL;
		b->fields = f;
		b->capfields = cap;
	}
	f = &b->fields[b->nfields++];
	memset(f, 0, sizeof(*f));
	return f;
}

struct lsfield *
lsbatch_add_rec_field(struct lsbatch *b, struct logrec *r)
{
	struct lsfield	*f;
	uint32_t	 i, first = b->nfields;

	/* r's fields must end the list: copy them there if they do not
	 * (the old copies stay unused until the batch is reset). */
	if (r->field_count == 0)
		r->field_first = b->nfields;
	else if (r->field_first + r->field_count != b->nfields) {
		for (i = 0; i < r->field_count; i++) {
			if ((f = lsbatch_add_field(b)) == NULL)
				return NULL;
			*f = b->fields[r->field_first + i];
		}
		r->field_first = first;
	}
	if ((f = lsbatch_add_field(b)) == NULL)
		return NULL;
	r->field_count++;
	return f;
}

struct logrec *
lsbatch_add_rec(struct lsbatch *b)
{
	struct logrec	*r;

	if (b->n == b->max)
		return NULL;
	r = &b->recs[b->n++];
	memset(r, 0, sizeof(*r));
	r->time_us = LR_NOTIME;
	r->facility = -1;
	r->severity = -1;
	r->field_first = b->nfields;
	return r;
}

static const char *const severities[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

static const char *const facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	"local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7"
};

static const char *const formats[] = {
	"plain", "rfc5424", "rfc3164", "json", "logfmt", "journal"
};

static const char *const transports[] = { "tcp", "udp", "tls", "unix",
    "journal", "file", "kafka" };

static const char *const streams[] = {
	"ok", "gap", "duplicate", "out_of_order", "delayed"
};

/* Aliases that real senders use for severities. */
static const struct {
	const char	*name;
	int		 value;
} severity_alias[] = {
	{ "emergency", 0 }, { "panic", 0 }, { "critical", 2 }, { "fatal", 2 },
	{ "error", 3 }, { "warn", 4 }, { "informational", 6 },
	{ "information", 6 }, { "trace", 7 }, { "dbg", 7 }, { "inf", 6 },
	{ "wrn", 4 }, { "err", 3 }, { "eror", 3 }, { "crit", 2 }
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *tab, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return NULL;
	return tab[v];
}

static int
value_of(const char *const *tab, size_t n, const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return -1;
	/* The first letter first (ASCII, either case): most names differ
	 * there, so strlen and strncasecmp run for one or two. */
	for (i = 0; i < n; i++)
		if ((tab[i][0] | 0x20) == (s[0] | 0x20) &&
		    strlen(tab[i]) == len && strncasecmp(tab[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* A decimal number 0..max written alone, or -1. */
static int
small_number(const char *s, size_t len, int max)
{
	int	 v = 0;
	size_t	 i;

	if (len == 0 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

const char *
lr_severity_name(int v)
{
	return name_of(severities, NELEM(severities), v);
}

const char *
lr_facility_name(int v)
{
	return name_of(facilities, NELEM(facilities), v);
}

const char *
lr_format_name(int v)
{
	return name_of(formats, NELEM(formats), v);
}

const char *
lr_transport_name(int v)
{
	return name_of(transports, NELEM(transports), v);
}

const char *
lr_stream_name(int v)
{
	return name_of(streams, NELEM(streams), v);
}

int
lr_severity_parse(const char *s, size_t len)
{
	size_t	 i;
	int	 v;

	if ((v = small_number(s, len, 7)) != -1)
		return v;
	if ((v = value_of(severities, NELEM(severities), s, len)) != -1)
		return v;
	for (i = 0; i < NELEM(severity_alias); i++)
		if (strlen(severity_alias[i].name) == len &&
		    strncasecmp(severity_alias[i].name, s, len) == 0)
			return severity_alias[i].value;
	return -1;
}

int
lr_facility_parse(const char *s, size_t len)
{
	int	 v;

	if ((v = small_number(s, len, 23)) != -1)
		return v;
	if (len == 8 && strncasecmp(s, "security", 8) == 0)
		return 4;	/* the RFC 3164 alias of auth */
	return value_of(facilities, NELEM(facilities), s, len);
}

int
lr_format_parse(const char *s, size_t len)
{
	return value_of(formats, NELEM(formats), s, len);
}

int
lr_transport_parse(const char *s, size_t len)
{
	return value_of(transports, NELEM(transports), s, len);
}

int
lr_stream_parse(const char *s, size_t len)
{
	return value_of(streams, NELEM(streams), s, len);
}
