/*
 * config.c: reads SPEC's INI config.  libinih parses the structure; our line
 * reader in front of it applies SPEC's comment and quoting rules, keeps exact
 * line numbers and hands long values aside (Debian's inih cuts lines at 200
 * bytes).  Fixed sections are filled through one table of keys; named
 * sections are kept in order for the modules that own them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "storepath.h"

enum ctype {
	CT_ADDRS,		/* repeatable list of host:port */
	CT_CIDRS,		/* comma list of CIDR, repeatable */
	CT_SIZE,
	CT_UINT,
	CT_DURATION,
	CT_PATH,
	CT_STRING,
	CT_ENUM,
	CT_BOOL			/* yes/no, true/false, on/off, 1/0 */
};

struct ckey {
	const char		*section;
	const char		*key;
	enum ctype		 type;
	size_t			 off;
	const char		*def;
	uint64_t		 min;
	uint64_t		 max;
	const char *const	*names;		/* CT_ENUM: value = index */
};

static const char *const store_formats[] = { "json", "raw", NULL };
static const char *const alert_formats[] = { "text", "json", NULL };
static const char *const compressions[] = { "none", "gzip", NULL };
static const char *const tls_auths[] = { "none", "optional", "require",
    NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };

#define O(f)	offsetof(struct config, f)
#define DAY_MS	(86400000ULL)

/* Every key of the fixed sections: one row each. */
static const struct ckey keys[] = {
	{ "listen", "tcp", CT_ADDRS, O(tcp), NULL, 0, 0, NULL },
	{ "listen", "udp", CT_ADDRS, O(udp), NULL, 0, 0, NULL },
	{ "listen", "max_message", CT_SIZE, O(max_message), "64k", 16,
	    16 << 20, NULL },
	{ "listen", "max_connections", CT_UINT, O(max_connections), "1024",
	    1, 1000000, NULL },
	{ "listen", "max_per_source", CT_UINT, O(max_per_source), "256", 0,
	    1000000, NULL },
	{ "listen", "idle_timeout", CT_DURATION, O(idle_timeout_ms), "5m", 0,
	    365 * DAY_MS, NULL },
	{ "listen", "allow", CT_CIDRS, O(allow), NULL, 0, 0, NULL },
	{ "listen", "reuse_port", CT_BOOL, O(reuse_port), "no", 0, 0, NULL },
	{ "listen", "tls", CT_ADDRS, O(tls), NULL, 0, 0, NULL },
	{ "listen", "tls_cert", CT_PATH, O(tls_cert), NULL, 0, 0, NULL },
	{ "listen", "tls_key", CT_PATH, O(tls_key), NULL, 0, 0, NULL },
	{ "listen", "tls_ca", CT_PATH, O(tls_ca), NULL, 0, 0, NULL },
	{ "listen", "tls_client_auth", CT_ENUM, O(tls_client_auth), "none", 0,
	    0, tls_auths },
	{ "listen", "tls_min_version", CT_ENUM, O(tls_min_version), "1.2", 0,
	    0, tls_versions },
	{ "queue", "capacity", CT_UINT, O(queue_capacity), "65536", 16,
	    1 << 24, NULL },
	{ "queue", "max_bytes", CT_SIZE, O(queue_max_bytes), "32M", 1 << 20,
	    (uint64_t)1 << 40, NULL },
	{ "storage", "path", CT_PATH, O(store_path),
	    "/var/log/logstreamd/events.log", 0, 0, NULL },
	{ "storage", "format", CT_ENUM, O(store_format), "json", 0, 0,
	    store_formats },
	{ "storage", "rotate_size", CT_SIZE, O(rotate_size), "64M", 0,
	    UINT64_MAX, NULL },
	{ "storage", "rotate_interval", CT_DURATION, O(rotate_interval_ms),
	    "1d", 0, 3650 * DAY_MS, NULL },
	{ "storage", "keep", CT_UINT, O(keep), "14", 0, 100000, NULL },
	{ "storage", "compress", CT_ENUM, O(compress), "gzip", 0, 0,
	    compressions },
	{ "storage", "sync", CT_DURATION, O(sync_ms), "1s", 0, DAY_MS, NULL },
	{ "storage", "max_age", CT_DURATION, O(max_age_ms), "0", 0,
	    36500 * DAY_MS, NULL },
	{ "storage", "max_total", CT_SIZE, O(max_total), "0", 0, UINT64_MAX,
	    NULL },
	{ "storage", "max_open_files", CT_UINT, O(max_open_files), "256", 1,
	    65536, NULL },
	{ "alerts", "path", CT_PATH, O(alerts_path),
	    "/var/log/logstreamd/alerts.log", 0, 0, NULL },
	{ "alerts", "format", CT_ENUM, O(alerts_format), "text", 0, 0,
	    alert_formats },
	{ "alerts", "rotate_size", CT_SIZE, O(alerts_rotate_size), "16M", 0,
	    UINT64_MAX, NULL },
	{ "alerts", "rotate_interval", CT_DURATION,
	    O(alerts_rotate_interval_ms), "1d", 0, 3650 * DAY_MS, NULL },
	{ "alerts", "keep", CT_UINT, O(alerts_keep), "30", 0, 100000, NULL },
	{ "alerts", "compress", CT_ENUM, O(alerts_compress), "gzip", 0, 0,
	    compressions },
	{ "alerts", "max_age", CT_DURATION, O(alerts_max_age_ms), "0", 0,
	    36500 * DAY_MS, NULL },
	{ "alerts", "max_total", CT_SIZE, O(alerts_max_total), "0", 0,
	    UINT64_MAX, NULL },
	{ "alerts", "exec_max", CT_UINT, O(alerts_exec_max), "4", 1, 256,
	    NULL },
	{ "streams", "max_delay", CT_DURATION, O(max_delay_ms), "30s", 0,
	    3650 * DAY_MS, NULL },
	{ "streams", "max_streams", CT_UINT, O(max_streams), "10000", 1,
	    1000000, NULL },
	{ "streams", "drop_duplicates", CT_BOOL, O(drop_duplicates), "no", 0,
	    0, NULL },
	{ "streams", "collapse_repeats", CT_DURATION, O(collapse_repeats_ms),
	    "0", 0, DAY_MS, NULL },
	{ "http", "listen", CT_STRING, O(http_listen), "", 0, 0, NULL },
	{ "http", "max_clients", CT_UINT, O(http_max_clients), "64", 1,
	    1000, NULL },
	{ "http", "timeout", CT_DURATION, O(http_timeout_ms), "10s", 100,
	    3600000, NULL },
	{ "slo", "store_p99", CT_DURATION, O(slo_store_p99_ms), "0", 0,
	    DAY_MS, NULL },
	{ "slo", "alert_p99", CT_DURATION, O(slo_alert_p99_ms), "0", 0,
	    DAY_MS, NULL },
	{ "slo", "window", CT_DURATION, O(slo_window_ms), "1m", 1000,
	    600000, NULL },
	{ "slo", "stuck_after", CT_DURATION, O(slo_stuck_ms), "10s", 1000,
	    DAY_MS, NULL },
};

#define NKEYS		(sizeof(keys) / sizeof(keys[0]))
#define VAL_MARK	'\x01'

static const char *const named_kinds[] = { "class", "alert", "output",
    "limit", "lookup", NULL };

/* State of one read: the line reader and the inih handler share it. */
struct reader {
	struct config	*cf;
	FILE		*fp;
	int		 lineno;
	char		 section[128];	/* current section as written */
	int		 fixed;		/* in a fixed section */
	int		 skip;		/* in a bad section: ignore keys */
	char		**vals;		/* values handed aside */
	int		*vlines;
	size_t		 nvals;
	int		 set[NKEYS];	/* line where each key was set */
};

/* The error recorded when formatting one failed for want of memory. */
static const char config_oom[] = "out of memory";

void
config_error(struct config *cf, int line, const char *fmt, ...)
{
	char		 msg[1024], *e, **v;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = asprintf(&e, "%s:%d: %s", cf->file, line, msg);
	else
		n = asprintf(&e, "%s: %s", cf->file, msg);
	if (n == -1)
		e = (char *)config_oom;	/* still an error: never a valid cf */
	if ((v = reallocarray(cf->errors, cf->nerrors + 1, sizeof(*v))) ==
	    NULL) {
		if (e != config_oom)
			free(e);
		return;
	}
	cf->errors = v;
	cf->errors[cf->nerrors++] = e;
}

void
config_print_errors(const struct config *cf)
{
	size_t	 i;

	/* Under journald, at error priority so `journalctl -p err` shows it. */
	for (i = 0; i < cf->nerrors; i++)
		fprintf(stderr, "%s%s\n", getenv("JOURNAL_STREAM") ? "<3>" : "",
		    cf->errors[i]);
}

uint64_t
config_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

char *
config_path(const struct config *cf, const char *p)
{
	char	*s;

	if (p[0] == '/' || p[0] == '\0')
		return strdup(p);
	if (asprintf(&s, "%s/%s", cf->dir, p) == -1)
		return NULL;
	return s;
}

int
conf_parse_uint(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	}
	if (mul > 1 && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}

int
conf_parse_duration(const char *s, int64_t *ms)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = DAY_MS;
	else
		return -1;
	if (v != 0 && mul > (uint64_t)INT64_MAX / v)
		return -1;
	*ms = (int64_t)(v * mul);
	return 0;
}

int
conf_parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") ||
	    !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "false") ||
	    !strcmp(s, "off") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

void
conf_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % DAY_MS == 0)
		snprintf(buf, len, "%" PRId64 "d", ms / (int64_t)DAY_MS);
	else if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRId64 "h", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* "host:port" or "[v6]:port" to its parts; 0 or -1. */
int
conf_split_addr(const char *text, char *host, size_t hlen, char *port,
    size_t plen)
{
	const char	*c, *h = text;
	size_t		 n;

	if (*text == '[') {
		if ((c = strstr(text, "]:")) == NULL)
			return -1;
		h = text + 1;
		n = c - h;
		c++;
	} else {
		if ((c = strrchr(text, ':')) == NULL ||
		    memchr(text, ':', c - text) != NULL)
			return -1;
		n = c - text;
	}
	if (n == 0 || n >= hlen || strlen(c + 1) == 0 ||
	    strlen(c + 1) >= plen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, c + 1);
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 19 ||
	    strtoull(port, NULL, 10) < 1 || strtoull(port, NULL, 10) > 65535)
		return -1;
	if (strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	return 0;
}

static int
add_addr(struct config *cf, const struct ckey *k, const char *v, int line)
{
	struct conf_addr	**list = (void *)((char *)cf + k->off);
	/* the count follows the list pointer in struct config */
	size_t			*n = (size_t *)((char *)cf + k->off +
				    sizeof(struct conf_addr *));
	struct conf_addr	*a;
	char			 host[256], port[16];

	if (*v == '\0')
		return 0;	/* "tcp =" adds nothing */
	if (conf_split_addr(v, host, sizeof(host), port, sizeof(port)) == -1) {
		config_error(cf, line, "%s: bad address '%s' (expected "
		    "HOST:PORT or [IPv6]:PORT)", k->key, v);
		return -1;
	}
	if ((a = reallocarray(*list, *n + 1, sizeof(*a))) == NULL)
		return -1;
	*list = a;
	a[*n].text = strdup(v);
	a[*n].line = line;
	(*n)++;
	return 0;
}

static int
add_cidr(struct config *cf, const char *v, int line)
{
	char			*copy, *tok, *save = NULL, *slash, *end;
	struct conf_cidr	 c, *a;
	long			 p;
	int			 rc = 0, max;

	if ((copy = strdup(v)) == NULL)
		return -1;
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		memset(&c, 0, sizeof(c));
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		if (inet_pton(AF_INET, tok, c.addr) == 1)
			c.family = AF_INET, max = 32;
		else if (inet_pton(AF_INET6, tok, c.addr) == 1)
			c.family = AF_INET6, max = 128;
		else {
			config_error(cf, line, "allow: bad address '%s'", tok);
			rc = -1;
			continue;
		}
		p = max;
		if (slash != NULL) {
			p = strtol(slash, &end, 10);
			if (*slash == '\0' || *end != '\0' || p < 0 ||
			    p > max) {
				config_error(cf, line, "allow: bad prefix "
				    "length '/%s'", slash);
				rc = -1;
				continue;
			}
		}
		c.prefix = (int)p;
		if ((a = reallocarray(cf->allow, cf->nallow + 1,
		    sizeof(*a))) == NULL) {
			rc = -1;
			break;
		}
		cf->allow = a;
		a[cf->nallow++] = c;
	}
	free(copy);
	return rc;
}

static const char *
type_hint(enum ctype t)
{
	switch (t) {
	case CT_SIZE:
		return "a size such as 64k, 16M or 1G";
	case CT_UINT:
		return "a whole number";
	case CT_DURATION:
		return "a duration such as 500ms, 30s, 5m, 1h or 1d";
	case CT_BOOL:
		return "yes or no";
	default:
		return "a valid value";
	}
}

/* Parse one value of a fixed section into cf; 0 or -1 (reported). */
static int
set_key(struct config *cf, const struct ckey *k, const char *v, int line)
{
	void		*dst = (char *)cf + k->off;
	uint64_t	 u;
	int64_t		 d;
	size_t		 i;
	char		*s, names[128];

	switch (k->type) {
	case CT_ADDRS:
		return add_addr(cf, k, v, line);
	case CT_CIDRS:
		return add_cidr(cf, v, line);
	case CT_SIZE:
	case CT_UINT:
		if ((k->type == CT_SIZE ? conf_parse_size(v, &u) :
		    conf_parse_uint(v, &u)) == -1)
			goto bad;
		if (u < k->min || u > k->max) {
			config_error(cf, line, "%s = %s: out of range "
			    "(%" PRIu64 " to %" PRIu64 ")", k->key, v, k->min,
			    k->max);
			return -1;
		}
		*(uint64_t *)dst = u;
		return 0;
	case CT_DURATION:
		if (conf_parse_duration(v, &d) == -1)
			goto bad;
		if ((uint64_t)d < k->min || (uint64_t)d > k->max) {
			config_error(cf, line, "%s = %s: out of range",
			    k->key, v);
			return -1;
		}
		*(int64_t *)dst = d;
		return 0;
	case CT_PATH:
		if (*v == '\0') {
			config_error(cf, line, "%s: empty path", k->key);
			return -1;
		}
		/* FALLTHROUGH */
	case CT_STRING:
		s = k->type == CT_PATH ? config_path(cf, v) : strdup(v);
		if (s == NULL) {
			config_error(cf, line, "%s: out of memory", k->key);
			return -1;
		}
		free(*(char **)dst);
		*(char **)dst = s;
		return 0;
	case CT_ENUM:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(k->names[i], v) == 0) {
				*(int *)dst = (int)i;
				return 0;
			}
		for (i = 0, names[0] = '\0'; k->names[i] != NULL; i++)
			snprintf(names + strlen(names), sizeof(names) -
			    strlen(names), "%s%s", i ? ", " : "", k->names[i]);
		config_error(cf, line, "%s = %s: expected one of %s", k->key,
		    v, names);
		return -1;
	case CT_BOOL:
		if (conf_parse_bool(v, (int *)dst) == -1)
			goto bad;
		return 0;
	}
bad:
	config_error(cf, line, "%s = %s: expected %s", k->key, v,
	    type_hint(k->type));
	return -1;
}

static const struct ckey *
find_key(const char *section, const char *key)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static int
fixed_section(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, name) == 0)
			return 1;
	return 0;
}

static int
named_kind(const char *name)
{
	size_t	 i;

	for (i = 0; named_kinds[i] != NULL; i++)
		if (strcmp(named_kinds[i], name) == 0)
			return 1;
	return 0;
}

static int
add_sect(struct config *cf, const char *kind, const char *name, int line)
{
	struct conf_sect	*s;
	size_t			 i;

	for (i = 0; i < cf->nsects; i++)
		if (strcmp(cf->sects[i].kind, kind) == 0 &&
		    strcmp(cf->sects[i].name, name) == 0) {
			config_error(cf, line, "[%s %s] already defined at "
			    "line %d", kind, name, cf->sects[i].line);
			return -1;
		}
	if ((s = reallocarray(cf->sects, cf->nsects + 1, sizeof(*s))) == NULL)
		goto nomem;
	cf->sects = s;
	s = &cf->sects[cf->nsects];
	memset(s, 0, sizeof(*s));
	s->kind = strdup(kind);
	s->name = strdup(name);
	s->line = line;
	if (s->kind != NULL && s->name != NULL) {
		cf->nsects++;
		return 0;
	}
	free(s->kind);
	free(s->name);
nomem:
	config_error(cf, line, "out of memory");
	return -1;
}

/* A section line "[name]" or "[kind name]", checked as the reader sees it. */
static void
enter_section(struct reader *rd, char *body)
{
	struct config	*cf = rd->cf;
	char		*sp, *name;

	rd->skip = 1;
	rd->fixed = 0;
	body += strspn(body, " \t");
	body[strcspn(body, "]")] = '\0';
	while (*body && isspace((unsigned char)body[strlen(body) - 1]))
		body[strlen(body) - 1] = '\0';
	snprintf(rd->section, sizeof(rd->section), "%s", body);
	if ((sp = strpbrk(body, " \t")) == NULL) {
		if (fixed_section(body)) {
			rd->fixed = 1;
			rd->skip = 0;
		} else if (named_kind(body))
			config_error(cf, rd->lineno, "[%s] needs a name: "
			    "[%s NAME]", body, body);
		else
			config_error(cf, rd->lineno, "unknown section [%s]",
			    body);
		return;
	}
	*sp = '\0';
	name = sp + 1 + strspn(sp + 1, " \t");
	if (!named_kind(body)) {
		config_error(cf, rd->lineno, "unknown section [%s %s]", body,
		    name);
		return;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != strlen(name)) {
		config_error(cf, rd->lineno, "[%s %s]: a name may hold "
		    "letters, digits, '_', '.' and '-' only", body, name);
		return;
	}
	if (add_sect(cf, body, name, rd->lineno) == 0)
		rd->skip = 0;
}

/*
 * The value part of "key = value": a double-quoted string (with \" and \\),
 * or text up to a '#' or ';' that follows white space.  NULL if malformed.
 */
static char *
lex_value(char *v)
{
	char	*w, *r;

	v += strspn(v, " \t");
	if (*v == '"') {
		for (r = w = v + 1; *r != '"'; r++) {
			if (*r == '\0')
				return NULL;
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r;
		}
		r++;
		r += strspn(r, " \t\r\n");
		if (*r != '\0' && *r != '#' && *r != ';')
			return NULL;
		*w = '\0';
		return v + 1;
	}
	/* r[-1] is always in the line: at worst the '=' (now a NUL) */
	for (r = v; *r != '\0'; r++)
		if ((*r == '#' || *r == ';') && (r[-1] == ' ' || r[-1] == '\t'))
			break;
	*r = '\0';
	while (r > v && isspace((unsigned char)r[-1]))
		*--r = '\0';
	return v;
}

/* inih's line source: one cooked line at a time, see the file comment. */
static char *
reader_line(char *str, int num, void *stream)
{
	struct reader	*rd = stream;
	char		*line = NULL, *p, *eq, *val, **vv;
	size_t		 cap = 0;
	ssize_t		 len;
	int		*vl;

	if ((len = getline(&line, &cap, rd->fp)) == -1) {
		free(line);
		return NULL;
	}
	rd->cf->hash = config_hash(rd->cf->hash, line, len);
	rd->lineno++;
	str[0] = '\0';
	p = line + strspn(line, " \t\r\n");
	if (rd->lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (memchr(line, '\0', len) != NULL) {
		config_error(rd->cf, rd->lineno, "NUL byte in line");
		goto done;
	}
	if (*p == '\0' || *p == '#' || *p == ';')
		goto done;
	if (*p == '[') {
		if ((eq = strchr(p, ']')) == NULL) {
			config_error(rd->cf, rd->lineno, "section header "
			    "without ']'");
			goto done;
		}
		eq += 1 + strspn(eq + 1, " \t\r\n");
		eq[strcspn(eq, "\r\n")] = '\0';
		if (*eq != '\0' && *eq != '#' && *eq != ';') {
			config_error(rd->cf, rd->lineno, "text after the "
			    "section header: '%s'", eq);
			rd->skip = 1;
			rd->section[0] = '\0';
			goto done;
		}
		enter_section(rd, p + 1);
		snprintf(str, num, "[s]\n");
		goto done;
	}
	if ((eq = strchr(p, '=')) == NULL) {
		config_error(rd->cf, rd->lineno, "expected 'key = value'");
		goto done;
	}
	*eq = '\0';
	val = eq + 1;
	while (eq > p && isspace((unsigned char)eq[-1]))
		*--eq = '\0';
	if (*p == '\0' || strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@") != strlen(p) ||
	    strlen(p) > 100) {
		config_error(rd->cf, rd->lineno, "bad key '%s'", p);
		goto done;
	}
	if ((val = lex_value(val)) == NULL) {
		config_error(rd->cf, rd->lineno, "%s: unterminated or "
		    "malformed quoted value", p);
		goto done;
	}
	if ((vv = reallocarray(rd->vals, rd->nvals + 1, sizeof(*vv))) == NULL)
		goto nomem;
	rd->vals = vv;
	if ((vl = reallocarray(rd->vlines, rd->nvals + 1, sizeof(*vl))) ==
	    NULL)
		goto nomem;
	rd->vlines = vl;
	if ((rd->vals[rd->nvals] = strdup(val)) == NULL)
		goto nomem;
	rd->vlines[rd->nvals] = rd->lineno;
	snprintf(str, num, "%s=%c%zu\n", p, VAL_MARK, rd->nvals);
	rd->nvals++;
	goto done;
nomem:
	/* A key lost for want of memory must not leave a valid config. */
	config_error(rd->cf, rd->lineno, "out of memory");
done:
	free(line);
	return str;
}

static int
add_kv(struct config *cf, const char *key, const char *val, int line)
{
	struct conf_sect	*s = &cf->sects[cf->nsects - 1];
	struct conf_kv		*kv;

	if ((kv = reallocarray(s->kv, s->nkv + 1, sizeof(*kv))) == NULL)
		goto nomem;
	s->kv = kv;
	kv[s->nkv].key = strdup(key);
	kv[s->nkv].val = strdup(val);
	kv[s->nkv].line = line;
	if (kv[s->nkv].key != NULL && kv[s->nkv].val != NULL) {
		s->nkv++;
		return 1;
	}
	free(kv[s->nkv].key);
	free(kv[s->nkv].val);
nomem:
	config_error(cf, line, "out of memory");
	return 1;
}

/* inih's handler: a key of the current section. */
static int
reader_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct reader		*rd = user;
	struct config		*cf = rd->cf;
	const struct ckey	*k;
	size_t			 idx;
	int			 line;

	if (value[0] != VAL_MARK)
		return 1;
	idx = strtoul(value + 1, NULL, 10);
	if (idx >= rd->nvals)
		return 1;
	value = rd->vals[idx];
	line = rd->vlines[idx];
	if (rd->section[0] == '\0' && !rd->skip) {
		config_error(cf, line, "'%s' is outside any section", name);
		return 1;
	}
	if (rd->skip)
		return 1;
	if (!rd->fixed)
		return add_kv(cf, name, value, line);
	if ((k = find_key(rd->section, name)) == NULL) {
		config_error(cf, line, "unknown key '%s' in [%s]", name,
		    rd->section);
		return 1;
	}
	if (k->type != CT_ADDRS && k->type != CT_CIDRS && rd->set[k - keys]) {
		config_error(cf, line, "'%s' already set at line %d", name,
		    rd->set[k - keys]);
		return 1;
	}
	rd->set[k - keys] = line;
	set_key(cf, k, value, line);
	return 1;
}

static int
set_dir(struct config *cf, const char *path)
{
	char	*copy, *slash, *real;

	if ((copy = strdup(path)) == NULL)
		return -1;
	if ((slash = strrchr(copy, '/')) == NULL)
		strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	real = realpath(copy, NULL);
	free(copy);
	if (real == NULL)
		return -1;
	cf->dir = real;
	return 0;
}

/* A templated [storage] path names only placeholders it knows. */
static void
check_templates(struct config *cf)
{
	char	 err[256];

	if (cf->store_path != NULL &&
	    storepath_check(cf->store_path, err, sizeof(err)) == -1)
		config_error(cf, config_line(cf, "storage", "path"), "%s", err);
	if (storepath_templated(cf->alerts_path))
		config_error(cf, config_line(cf, "alerts", "path"),
		    "[alerts] path: placeholders are not supported here yet");
}

struct config *
config_load(const char *path)
{
	struct config	*cf;
	struct reader	 rd;
	size_t		 i;

	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		return NULL;
	cf->file = strdup(path);
	cf->hash = CONFIG_HASH_INIT;
	memset(&rd, 0, sizeof(rd));
	rd.cf = cf;
	if (cf->file == NULL || (rd.fp = fopen(path, "r")) == NULL ||
	    set_dir(cf, path) == -1) {
		config_error(cf, 0, "cannot read: %s", strerror(errno));
		if (rd.fp != NULL)
			fclose(rd.fp);
		return cf;
	}
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL && set_key(cf, &keys[i], keys[i].def,
		    0) == -1)
			goto out;	/* ENOMEM: reported (a bad default is a
					 * bug the unit tests catch) */
	ini_parse_stream(reader_line, &rd, reader_key, &rd);
	if (ferror(rd.fp))
		config_error(cf, rd.lineno, "read error: %s", strerror(errno));
out:
	if ((cf->key_lines = calloc(NKEYS, sizeof(int))) != NULL)
		memcpy(cf->key_lines, rd.set, sizeof(rd.set));
	check_templates(cf);
	fclose(rd.fp);
	for (i = 0; i < rd.nvals; i++)
		free(rd.vals[i]);
	free(rd.vals);
	free(rd.vlines);
	return cf;
}

int
config_line(const struct config *cf, const char *section, const char *key)
{
	const struct ckey	*k = find_key(section, key);

	if (k == NULL || cf->key_lines == NULL)
		return 0;
	return cf->key_lines[k - keys];
}

void
config_free(struct config *cf)
{
	size_t	 i, j;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->ntcp; i++)
		free(cf->tcp[i].text);
	for (i = 0; i < cf->nudp; i++)
		free(cf->udp[i].text);
	for (i = 0; i < cf->ntls; i++)
		free(cf->tls[i].text);
	for (i = 0; i < cf->nsects; i++) {
		for (j = 0; j < cf->sects[i].nkv; j++) {
			free(cf->sects[i].kv[j].key);
			free(cf->sects[i].kv[j].val);
		}
		free(cf->sects[i].kv);
		free(cf->sects[i].kind);
		free(cf->sects[i].name);
	}
	for (i = 0; i < cf->nerrors; i++)
		if (cf->errors[i] != config_oom)
			free(cf->errors[i]);
	free(cf->errors);
	free(cf->sects);
	free(cf->tcp);
	free(cf->udp);
	free(cf->tls);
	free(cf->tls_cert);
	free(cf->tls_key);
	free(cf->tls_ca);
	free(cf->key_lines);
	free(cf->allow);
	free(cf->store_path);
	free(cf->alerts_path);
	free(cf->http_listen);
	free(cf->file);
	free(cf->dir);
	free(cf);
}
