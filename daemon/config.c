/*
 * config.c: reads SPEC's INI config.  libinih parses the structure; our line
 * reader in front of it applies SPEC's comment and quoting rules, keeps exact
 * line numbers and hands long values aside (Debian's inih cuts lines at 200
 * bytes).  Fixed sections are filled through their key tables (confmap.h
 * rows, below) as the keys are read; named sections are kept in order for
 * the modules that own them, which read them through their own tables.
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
#include "confmap.h"
#include "storepath.h"

static const char *const store_formats[] = { "json", "raw", NULL };
static const char *const alert_formats[] = { "text", "json", NULL };
static const char *const compressions[] = { "none", "gzip", NULL };
static const char *const tls_auths[] = { "none", "optional", "require",
    NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };

static int	set_addr(struct config *, void *, const struct conf_sect *,
		    const struct conf_kv *);
static int	set_cidr(struct config *, void *, const struct conf_sect *,
		    const struct conf_kv *);

#define O(f)	offsetof(struct config, f)
#define DAY_MS	(86400000ULL)
#define ADDRS	"HOST:PORT or [IPv6]:PORT, repeatable"

/*
 * Every key of the fixed sections: one row each, in the format of the
 * named sections' tables (include/confmap.h).  A CM_PATH with min 1 must
 * not be empty; lists are CM_CUSTOM and CM_REPEAT.
 */
static const struct conf_map listen_keys[] = {
	{ "tcp", CM_CUSTOM, O(tcp), NULL, 0, 0, NULL, ADDRS, CM_REPEAT,
	    set_addr },
	{ "udp", CM_CUSTOM, O(udp), NULL, 0, 0, NULL, ADDRS, CM_REPEAT,
	    set_addr },
	{ "max_message", CM_SIZE, O(max_message), "64k", 16, 16 << 20, NULL,
	    "largest event in bytes", 0, NULL },
	{ "max_connections", CM_UINT, O(max_connections), "1024", 1, 1000000,
	    NULL, "TCP and TLS connections at once", 0, NULL },
	{ "max_per_source", CM_UINT, O(max_per_source), "256", 0, 1000000,
	    NULL, "connections of one IPv4 address or IPv6 /64; 0: no limit",
	    0, NULL },
	{ "idle_timeout", CM_MS, O(idle_timeout_ms), "5m", 0, 365 * DAY_MS,
	    NULL, "close a peer that completes no event this long; 0: never",
	    0, NULL },
	{ "allow", CM_CUSTOM, O(allow), NULL, 0, 0, NULL,
	    "CIDR list of peers let in, repeatable", CM_REPEAT, set_cidr },
	{ "reuse_port", CM_BOOL, O(reuse_port), "no", 0, 0, NULL,
	    "SO_REUSEPORT on the listeners", 0, NULL },
	{ "tls", CM_CUSTOM, O(tls), NULL, 0, 0, NULL, ADDRS, CM_REPEAT,
	    set_addr },
	{ "tls_cert", CM_PATH, O(tls_cert), NULL, 1, 0, NULL,
	    "PEM certificate chain", 0, NULL },
	{ "tls_key", CM_PATH, O(tls_key), NULL, 1, 0, NULL,
	    "PEM key; the certificate file if unset", 0, NULL },
	{ "tls_ca", CM_PATH, O(tls_ca), NULL, 1, 0, NULL,
	    "PEM CA bundle for client certificates", 0, NULL },
	{ "tls_client_auth", CM_ENUM, O(tls_client_auth), "none", 0, 0,
	    tls_auths, "client certificates: optional and require need tls_ca",
	    0, NULL },
	{ "tls_min_version", CM_ENUM, O(tls_min_version), "1.2", 0, 0,
	    tls_versions, "oldest TLS version taken", 0, NULL },
};

static const struct conf_map queue_keys[] = {
	{ "capacity", CM_UINT, O(queue_capacity), "65536", 16, 1 << 24, NULL,
	    "events the queue holds", 0, NULL },
	{ "max_bytes", CM_SIZE, O(queue_max_bytes), "32M", 1 << 20,
	    (uint64_t)1 << 40, NULL, "memory of the queued events", 0, NULL },
};

static const struct conf_map storage_keys[] = {
	{ "path", CM_PATH, O(store_path), "/var/log/logstreamd/events.log", 1,
	    0, NULL, "the live file", 0, NULL },
	{ "format", CM_ENUM, O(store_format), "json", 0, 0, store_formats,
	    "line format of the stored events", 0, NULL },
	{ "rotate_size", CM_SIZE, O(rotate_size), "64M", 0, UINT64_MAX, NULL,
	    "rotate when the live file reaches this; 0: never", 0, NULL },
	{ "rotate_interval", CM_MS, O(rotate_interval_ms), "1d", 0,
	    3650 * DAY_MS, NULL, "rotate when the live file is this old; "
	    "0: never", 0, NULL },
	{ "keep", CM_UINT, O(keep), "14", 0, 100000, NULL,
	    "rotated files kept; 0: none kept", 0, NULL },
	{ "compress", CM_ENUM, O(compress), "gzip", 0, 0, compressions,
	    "compression of rotated files", 0, NULL },
	{ "sync", CM_MS, O(sync_ms), "1s", 0, DAY_MS, NULL,
	    "an event is fsync'ed at most this long after receipt", 0, NULL },
	{ "max_age", CM_MS, O(max_age_ms), "0", 0, 36500 * DAY_MS, NULL,
	    "delete rotated files older than this; 0: no limit", 0, NULL },
	{ "max_total", CM_SIZE, O(max_total), "0", 0, UINT64_MAX, NULL,
	    "delete the oldest rotated files past this total; 0: no limit", 0,
	    NULL },
	{ "max_open_files", CM_UINT, O(max_open_files), "256", 1, 65536, NULL,
	    "files of a templated path open at once (least recently used "
	    "closed)", 0, NULL },
};

static const struct conf_map alerts_keys[] = {
	{ "path", CM_PATH, O(alerts_path), "/var/log/logstreamd/alerts.log",
	    1, 0, NULL, "the live alert file", 0, NULL },
	{ "format", CM_ENUM, O(alerts_format), "text", 0, 0, alert_formats,
	    "line format of the alerts", 0, NULL },
	{ "rotate_size", CM_SIZE, O(alerts_rotate_size), "16M", 0, UINT64_MAX,
	    NULL, "rotate when the live file reaches this; 0: never", 0,
	    NULL },
	{ "rotate_interval", CM_MS, O(alerts_rotate_interval_ms), "1d", 0,
	    3650 * DAY_MS, NULL, "rotate when the live file is this old; "
	    "0: never", 0, NULL },
	{ "keep", CM_UINT, O(alerts_keep), "30", 0, 100000, NULL,
	    "rotated files kept; 0: none kept", 0, NULL },
	{ "compress", CM_ENUM, O(alerts_compress), "gzip", 0, 0, compressions,
	    "compression of rotated files", 0, NULL },
	{ "max_age", CM_MS, O(alerts_max_age_ms), "0", 0, 36500 * DAY_MS,
	    NULL, "delete rotated files older than this; 0: no limit", 0,
	    NULL },
	{ "max_total", CM_SIZE, O(alerts_max_total), "0", 0, UINT64_MAX, NULL,
	    "delete the oldest rotated files past this total; 0: no limit", 0,
	    NULL },
	{ "exec_max", CM_UINT, O(alerts_exec_max), "4", 1, 256, NULL,
	    "alert commands running at once", 0, NULL },
};

static const struct conf_map streams_keys[] = {
	{ "max_delay", CM_MS, O(max_delay_ms), "30s", 0, 3650 * DAY_MS, NULL,
	    "mark an event delayed whose time is older on arrival; 0: off", 0,
	    NULL },
	{ "max_streams", CM_UINT, O(max_streams), "10000", 1, 1000000, NULL,
	    "sequence streams tracked", 0, NULL },
	{ "drop_duplicates", CM_BOOL, O(drop_duplicates), "no", 0, 0, NULL,
	    "drop events whose seq was seen", 0, NULL },
	{ "collapse_repeats", CM_MS, O(collapse_repeats_ms), "0", 0, DAY_MS,
	    NULL, "fold repeats of one message within this; 0: off", 0, NULL },
};

static const struct conf_map http_keys[] = {
	{ "listen", CM_STRING, O(http_listen), "", 0, 0, NULL,
	    "HOST:PORT of /metrics and /health; empty: off", 0, NULL },
	{ "max_clients", CM_UINT, O(http_max_clients), "64", 1, 1000, NULL,
	    "HTTP connections at once", 0, NULL },
	{ "timeout", CM_MS, O(http_timeout_ms), "10s", 100, 3600000, NULL,
	    "an HTTP request must complete within this", 0, NULL },
};

static const struct conf_map slo_keys[] = {
	{ "store_p99", CM_MS, O(slo_store_p99_ms), "0", 0, DAY_MS, NULL,
	    "p99 receipt-to-stored latency objective; 0: none", 0, NULL },
	{ "alert_p99", CM_MS, O(slo_alert_p99_ms), "0", 0, DAY_MS, NULL,
	    "p99 receipt-to-alert latency objective; 0: none", 0, NULL },
	{ "window", CM_MS, O(slo_window_ms), "1m", 1000, 600000, NULL,
	    "window the p99 is taken over", 0, NULL },
	{ "stuck_after", CM_MS, O(slo_stuck_ms), "10s", 1000, DAY_MS, NULL,
	    "a stage with work and no progress this long is stuck", 0, NULL },
};

const struct conf_table conf_fixed[] = {
	{ "listen", listen_keys, CM_N(listen_keys) },
	{ "queue", queue_keys, CM_N(queue_keys) },
	{ "storage", storage_keys, CM_N(storage_keys) },
	{ "alerts", alerts_keys, CM_N(alerts_keys) },
	{ "streams", streams_keys, CM_N(streams_keys) },
	{ "http", http_keys, CM_N(http_keys) },
	{ "slo", slo_keys, CM_N(slo_keys) },
};
const size_t conf_nfixed = CM_N(conf_fixed);

#define VAL_MARK	'\x01'

static const char *const named_kinds[] = { "class", "alert", "output",
    "limit", "lookup", "input", NULL };

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
	int		*set;		/* line where each fixed key was set:
					 * cf->key_lines, in conf_fixed order */
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

/* A HOST:PORT of a repeatable list (tcp, udp, tls) onto its list. */
static int
set_addr(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	const struct conf_map	*k = conf_map_find(listen_keys,
				    CM_N(listen_keys), kv->key);
	struct conf_addr	**list = (void *)((char *)obj + k->off);
	/* the count follows the list pointer in struct config */
	size_t			*n = (size_t *)((char *)obj + k->off +
				    sizeof(struct conf_addr *));
	struct conf_addr	*a;
	const char		*v = kv->val;
	char			 host[256], port[16];

	(void)s;
	if (*v == '\0')
		return 0;	/* "tcp =" adds nothing */
	if (conf_split_addr(v, host, sizeof(host), port, sizeof(port)) == -1) {
		config_error(cf, kv->line, "%s: bad address '%s' (expected "
		    "HOST:PORT or [IPv6]:PORT)", k->key, v);
		return CM_REPORTED;
	}
	if ((a = reallocarray(*list, *n + 1, sizeof(*a))) == NULL)
		return CM_REPORTED;
	*list = a;
	a[*n].text = strdup(v);
	a[*n].line = kv->line;
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

static int
set_cidr(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	(void)obj;
	(void)s;
	return add_cidr(cf, kv->val, kv->line) == -1 ? CM_REPORTED : 0;
}

/* The row of [section] key, and its index over all fixed rows; NULL. */
static const struct conf_map *
find_key(const char *section, const char *key, size_t *idx)
{
	const struct conf_map	*m;
	size_t			 t, base = 0;

	for (t = 0; t < conf_nfixed; base += conf_fixed[t].n, t++) {
		if (strcmp(conf_fixed[t].section, section) != 0)
			continue;
		if ((m = conf_map_find(conf_fixed[t].map, conf_fixed[t].n,
		    key)) == NULL)
			return NULL;
		*idx = base + (size_t)(m - conf_fixed[t].map);
		return m;
	}
	return NULL;
}

static int
fixed_section(const char *name)
{
	size_t	 t;

	for (t = 0; t < conf_nfixed; t++)
		if (strcmp(conf_fixed[t].section, name) == 0)
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
	const struct conf_map	*k;
	size_t			 idx, ki;
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
	if ((k = find_key(rd->section, name, &ki)) == NULL) {
		config_error(cf, line, "unknown key '%s' in [%s]", name,
		    rd->section);
		return 1;
	}
	if (!(k->flags & CM_REPEAT) && rd->set[ki]) {
		config_error(cf, line, "'%s' already set at line %d", name,
		    rd->set[ki]);
		return 1;
	}
	rd->set[ki] = line;
	conf_map_set(cf, k, cf, name, value, line);
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
	size_t		 i, nkeys = 0;

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
	for (i = 0; i < conf_nfixed; i++)
		nkeys += conf_fixed[i].n;
	if ((rd.set = cf->key_lines = calloc(nkeys, sizeof(int))) == NULL) {
		config_error(cf, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < conf_nfixed; i++)
		if (conf_map_defaults(cf, conf_fixed[i].map, conf_fixed[i].n,
		    cf) == -2) {
			/* a bad default is a bug the unit tests catch */
			config_error(cf, 0, "out of memory");
			goto out;
		}
	ini_parse_stream(reader_line, &rd, reader_key, &rd);
	if (ferror(rd.fp))
		config_error(cf, rd.lineno, "read error: %s", strerror(errno));
	check_templates(cf);
out:
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
	size_t	 ki;

	if (find_key(section, key, &ki) == NULL || cf->key_lines == NULL)
		return 0;
	return cf->key_lines[ki];
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
