/*
 * config.h: the INI config file of SPEC, read by libinih through a line
 * reader that applies SPEC's comment and quoting rules and keeps line
 * numbers.  Fixed sections land in struct config by a table of keys; named
 * sections ([class X], [alert X], [output X]) are kept as ordered key lists
 * for the module that owns them to validate.  Every error reads
 * "file:line: message".
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct conf_kv {
	char		*key;
	char		*val;
	int		 line;
};

/* A named section: [kind name]. */
struct conf_sect {
	char		*kind;		/* "class", "alert", "output" */
	char		*name;
	int		 line;
	struct conf_kv	*kv;
	size_t		 nkv;
};

struct conf_addr {
	char		*text;		/* as written, e.g. "[::1]:5514" */
	int		 line;
};

struct conf_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
	int		 prefix;
};

enum { STORE_JSON, STORE_RAW };
enum { ALERT_TEXT, ALERT_JSON };
enum { COMPRESS_NONE, COMPRESS_GZIP };
enum { TLS_AUTH_NONE, TLS_AUTH_OPTIONAL, TLS_AUTH_REQUIRE };
enum { TLS_MIN_12, TLS_MIN_13 };

struct config {
	char		*file;		/* path as given */
	char		*dir;		/* its directory, for relative paths */

	/* [listen] */
	struct conf_addr *tcp;
	size_t		 ntcp;
	struct conf_addr *udp;
	size_t		 nudp;
	uint64_t	 max_message;
	uint64_t	 max_connections;
	uint64_t	 max_per_source;	/* per address or /64; 0: off */
	int64_t		 idle_timeout_ms;
	struct conf_cidr *allow;
	size_t		 nallow;
	int		 reuse_port;		/* SO_REUSEPORT */
	struct conf_addr *tls;			/* RFC 5425 listeners */
	size_t		 ntls;
	char		*tls_cert;		/* PEM paths */
	char		*tls_key;
	char		*tls_ca;
	int		 tls_client_auth;	/* TLS_AUTH_* */
	int		 tls_min_version;	/* TLS_MIN_* */
	struct conf_addr *unix_dgram;		/* unix: socket paths */
	size_t		 nunix_dgram;
	struct conf_addr *unix_stream;
	size_t		 nunix_stream;
	uint64_t	 unix_mode;		/* of the sockets we bind */
	char		*ml_start;		/* multiline_start, or NULL */
	int64_t		 ml_timeout_ms;		/* multiline_timeout */

	/* [queue] */
	uint64_t	 queue_capacity;
	uint64_t	 queue_max_bytes;

	/* [storage] */
	char		*store_path;
	int		 store_format;
	uint64_t	 rotate_size;
	int64_t		 rotate_interval_ms;
	uint64_t	 keep;
	int		 compress;
	int64_t		 sync_ms;
	int64_t		 max_age_ms;		/* rotated files; 0: off */
	uint64_t	 max_total;		/* rotated bytes; 0: off */
	uint64_t	 max_open_files;	/* templated path: LRU bound */

	/* [alerts] */
	char		*alerts_path;
	int		 alerts_format;
	uint64_t	 alerts_rotate_size;
	int64_t		 alerts_rotate_interval_ms;
	uint64_t	 alerts_keep;
	int		 alerts_compress;
	int64_t		 alerts_max_age_ms;
	uint64_t	 alerts_max_total;
	uint64_t	 alerts_exec_max;	/* alert programs at once */

	/* [streams] */
	int64_t		 max_delay_ms;		/* 0: no delayed marks */
	uint64_t	 max_streams;
	int		 drop_duplicates;
	int64_t		 collapse_repeats_ms;	/* 0: off */

	/* [http] */
	char		*http_listen;
	uint64_t	 http_max_clients;
	int64_t		 http_timeout_ms;

	/* [slo]: 0 is off */
	int64_t		 slo_store_p99_ms;
	int64_t		 slo_alert_p99_ms;
	int64_t		 slo_window_ms;
	int64_t		 slo_stuck_ms;

	/* [class X], [alert X], [output X] in file order */
	struct conf_sect *sects;
	size_t		 nsects;

	int		*key_lines;		/* see config_line */
	uint64_t	 hash;			/* config_hash of the bytes read */

	/* errors found while reading or validating */
	char		**errors;
	size_t		 nerrors;
};

/*
 * Read and check a config file.  Always returns a config (NULL only on
 * ENOMEM); its nerrors says whether it is usable.  Caller frees.
 */
struct config	*config_load(const char *path);
/* Free a config; NULL is a no-op. */
void		 config_free(struct config *);
/* Record an error "file:line: message" (line 0: no line). */
void		 config_error(struct config *, int line, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* Print every recorded error to stderr, one a line. */
void		 config_print_errors(const struct config *);
/* The line where a key of a fixed section was set; 0 if left default. */
int		 config_line(const struct config *, const char *section,
		    const char *key);
/* FNV-1a 64 of n bytes, continuing from h (CONFIG_HASH_INIT to begin):
 * the config's hash is over the bytes it was read from. */
#define CONFIG_HASH_INIT	0xcbf29ce484222325ULL
uint64_t	 config_hash(uint64_t h, const void *, size_t n);
/* A path made absolute against the config's directory; caller frees. */
char		*config_path(const struct config *, const char *);

/* Value parsers shared with modules: 0, or -1 if malformed. */
int		 conf_parse_size(const char *, uint64_t *);
int		 conf_parse_duration(const char *, int64_t *ms);
int		 conf_parse_uint(const char *, uint64_t *);
int		 conf_parse_bool(const char *, int *);
/* "host:port" or "[v6]:port" into host and port ("*" is 0.0.0.0); 0 or -1. */
int		 conf_split_addr(const char *, char *host, size_t, char *port,
		    size_t);
/* Format a duration as written in configs and alerts ("60s", "10m"). */
void		 conf_format_duration(int64_t ms, char *, size_t);

#endif
