/*
 * test_config.c: the config reader on real files in a temp dir: every key
 * of the fixed sections, defaults, value syntax (sizes, durations, CIDR
 * lists, addresses), comments and quoting, long and indented lines, named
 * sections in file order, and each error with its exact "file:line: ".
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char	 tmpdir[64];
static char	 realdir[PATH_MAX];
static char	 cpath[128];

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || realpath(tmpdir, realdir) == NULL)
		return -1;
	snprintf(cpath, sizeof(cpath), "%s/t.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	unlink(cpath);
	rmdir(tmpdir);
	return 0;
}

/* Write text as the config file and load it. */
static struct config *
load(const char *text)
{
	struct config	*cf;
	FILE		*fp;

	fp = fopen(cpath, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	cf = config_load(cpath);
	assert_non_null(cf);
	return cf;
}

static void
dump_errors(const struct config *cf)
{
	size_t	 i;

	for (i = 0; i < cf->nerrors; i++)
		print_message("  error: %s\n", cf->errors[i]);
}

static struct config *
load_ok(const char *text)
{
	struct config	*cf = load(text);

	if (cf->nerrors != 0)
		dump_errors(cf);
	assert_int_equal(cf->nerrors, 0);
	return cf;
}

/* Is there an error "PATH:LINE: ...needle..."? */
static void
expect_err(const struct config *cf, int line, const char *needle)
{
	char	 prefix[256];
	size_t	 i;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", cpath, line);
	for (i = 0; i < cf->nerrors; i++)
		if (strncmp(cf->errors[i], prefix, strlen(prefix)) == 0 &&
		    strstr(cf->errors[i] + strlen(prefix), needle) != NULL)
			return;
	dump_errors(cf);
	fail_msg("no error '%s%s'", prefix, needle);
}

/* Exactly one error, on line, mentioning needle. */
static void
one_err(const char *text, int line, const char *needle)
{
	struct config	*cf = load(text);

	if (cf->nerrors != 1)
		dump_errors(cf);
	assert_int_equal(cf->nerrors, 1);
	expect_err(cf, line, needle);
	config_free(cf);
}

static const char *
kv(const struct conf_sect *s, const char *key, int *line)
{
	size_t	 i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0) {
			if (line != NULL)
				*line = s->kv[i].line;
			return s->kv[i].val;
		}
	return NULL;
}

static void
test_defaults(void **state)
{
	struct config	*cf = load_ok("");

	assert_int_equal(cf->ntcp, 0);
	assert_int_equal(cf->nudp, 0);
	assert_int_equal(cf->max_message, 65536);
	assert_int_equal(cf->max_connections, 1024);
	assert_int_equal(cf->max_per_source, 256);
	assert_int_equal(cf->idle_timeout_ms, 300000);
	assert_int_equal(cf->nallow, 0);
	assert_int_equal(cf->queue_capacity, 65536);
	assert_string_equal(cf->store_path, "/var/log/logstreamd/events.log");
	assert_int_equal(cf->store_format, STORE_JSON);
	assert_int_equal(cf->rotate_size, 64ULL << 20);
	assert_int_equal(cf->rotate_interval_ms, 86400000);
	assert_int_equal(cf->keep, 14);
	assert_int_equal(cf->compress, COMPRESS_GZIP);
	assert_int_equal(cf->sync_ms, 1000);
	assert_string_equal(cf->alerts_path, "/var/log/logstreamd/alerts.log");
	assert_int_equal(cf->alerts_format, ALERT_TEXT);
	assert_int_equal(cf->max_delay_ms, 30000);
	assert_string_equal(cf->http_listen, "");
	assert_int_equal(cf->nsects, 0);
	assert_string_equal(cf->file, cpath);
	assert_string_equal(cf->dir, realdir);
	config_free(cf);
	config_free(NULL);

	/* only comments and blank lines */
	cf = load_ok("# a\n; b\n\n   \n\t# c\n");
	assert_int_equal(cf->max_message, 65536);
	config_free(cf);
}

static void
test_all_keys(void **state)
{
	struct config	*cf;
	char		 want[PATH_MAX + 64];

	cf = load_ok(
	    "[listen]\n"
	    "tcp = 0.0.0.0:5514            # repeatable; IPv6 as [::]:5514\n"
	    "tcp = [::]:5515\n"
	    "udp = 0.0.0.0:5514            # repeatable\n"
	    "max_message = 32k\n"
	    "max_connections = 10\n"
	    "idle_timeout = 90s\n"
	    "allow = 127.0.0.0/8, ::1\n"
	    "\n"
	    "[queue]\n"
	    "capacity = 1000\n"
	    "[storage]\n"
	    "path = ../var/events.log\n"
	    "format = raw\n"
	    "rotate_size = 1G\n"
	    "rotate_interval = 0\n"
	    "keep = 3\n"
	    "compress = none\n"
	    "sync = 250ms\n"
	    "[alerts]\n"
	    "path = /abs/alerts.log\n"
	    "format = json\n"
	    "[streams]\n"
	    "max_delay = 2m\n"
	    "[http]\n"
	    "listen = 127.0.0.1:9514\n");
	assert_int_equal(cf->ntcp, 2);
	assert_string_equal(cf->tcp[0].text, "0.0.0.0:5514");
	assert_int_equal(cf->tcp[0].line, 2);
	assert_string_equal(cf->tcp[1].text, "[::]:5515");
	assert_int_equal(cf->tcp[1].line, 3);
	assert_int_equal(cf->nudp, 1);
	assert_string_equal(cf->udp[0].text, "0.0.0.0:5514");
	assert_int_equal(cf->udp[0].line, 4);
	assert_int_equal(cf->max_message, 32768);
	assert_int_equal(cf->max_connections, 10);
	assert_int_equal(cf->idle_timeout_ms, 90000);
	assert_int_equal(cf->nallow, 2);
	assert_int_equal(cf->queue_capacity, 1000);
	snprintf(want, sizeof(want), "%s/../var/events.log", realdir);
	assert_string_equal(cf->store_path, want);
	assert_int_equal(cf->store_format, STORE_RAW);
	assert_int_equal(cf->rotate_size, 1ULL << 30);
	assert_int_equal(cf->rotate_interval_ms, 0);
	assert_int_equal(cf->keep, 3);
	assert_int_equal(cf->compress, COMPRESS_NONE);
	assert_int_equal(cf->sync_ms, 250);
	assert_string_equal(cf->alerts_path, "/abs/alerts.log");
	assert_int_equal(cf->alerts_format, ALERT_JSON);
	assert_int_equal(cf->max_delay_ms, 120000);
	assert_string_equal(cf->http_listen, "127.0.0.1:9514");
	config_free(cf);
}

static void
test_relative_paths(void **state)
{
	struct config	*cf;
	char		 want[PATH_MAX + 64], rel[256], cwd[PATH_MAX];

	cf = load_ok("[storage]\npath = events.log\n[alerts]\n"
	    "path = sub/dir/alerts.log\n");
	snprintf(want, sizeof(want), "%s/events.log", realdir);
	assert_string_equal(cf->store_path, want);
	snprintf(want, sizeof(want), "%s/sub/dir/alerts.log", realdir);
	assert_string_equal(cf->alerts_path, want);
	config_free(cf);

	/* the config named by a relative path: still its own directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/tmp"), 0);
	snprintf(rel, sizeof(rel), "%s/t.conf", tmpdir + strlen("/tmp/"));
	cf = config_load(rel);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(cf->nerrors, 0);
	assert_string_equal(cf->dir, realdir);
	config_free(cf);

	/* empty path is an error */
	one_err("[storage]\npath = \"\"\n", 2, "empty path");
}

static void
test_missing_file(void **state)
{
	struct config	*cf = config_load("/nonexistent/dir/x.conf");
	const char	*pre = "/nonexistent/dir/x.conf: ";

	assert_non_null(cf);
	assert_int_equal(cf->nerrors, 1);
	assert_memory_equal(cf->errors[0], pre, strlen(pre));
	config_free(cf);
}

static void
test_sizes(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 v;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "64k", 65536 }, { "64K", 65536 },
		{ "16M", 16ULL << 20 }, { "16m", 16ULL << 20 },
		{ "1G", 1ULL << 30 }, { "3g", 3ULL << 30 },
		{ "64kB", 65536 }, { "64KiB", 65536 }, { "100b", 100 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 },
	};
	static const char *const bad[] = {
		"", "k", "-1", "+1", " 64k", "64 k", "64k ", "64x", "1.5k",
		"64kk", "0x10", "18446744073709551616", "17179869184G",
		"99999999999999999999k", "64T", "64iB",
	};
	uint64_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (conf_parse_size(good[i].s, &v) != 0)
			fail_msg("size '%s' refused", good[i].s);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (conf_parse_size(bad[i], &v) != -1)
			fail_msg("size '%s' accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} good[] = {
		{ "0", 0 }, { "10", 10000 }, { "500ms", 500 }, { "0ms", 0 },
		{ "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 },
		{ "1d", 86400000 }, { "14d", 14 * 86400000LL },
		{ "9223372036854775807ms", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "s", "ms", "-1", "-5s", "1.5s", "5 m", " 5m", "5m ", "5x",
		"5M", "5S", "5sec", "5mss", "1w", "9223372036854775808ms",
		"9223372036854776s", "99999999999999999999",
	};
	int64_t		 v;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (conf_parse_duration(good[i].s, &v) != 0)
			fail_msg("duration '%s' refused", good[i].s);
		assert_int_equal(v, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (conf_parse_duration(bad[i], &v) != -1)
			fail_msg("duration '%s' accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
}

static void
test_uint_bool(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1k", "1.0",
		"18446744073709551616",
	};
	uint64_t	 v;
	int		 b;
	size_t		 i;

	assert_int_equal(conf_parse_uint("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_uint("007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(conf_parse_uint("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_parse_uint(bad[i], &v) != -1)
			fail_msg("uint '%s' accepted", bad[i]);

	for (i = 0; i < 4; i++) {
		static const char *const t[] = { "yes", "true", "on", "1" };
		static const char *const f[] = { "no", "false", "off", "0" };

		b = 7;
		assert_int_equal(conf_parse_bool(t[i], &b), 0);
		assert_int_equal(b, 1);
		assert_int_equal(conf_parse_bool(f[i], &b), 0);
		assert_int_equal(b, 0);
	}
	b = 7;
	assert_int_equal(conf_parse_bool("", &b), -1);
	assert_int_equal(conf_parse_bool("maybe", &b), -1);
	assert_int_equal(conf_parse_bool("2", &b), -1);
	assert_int_equal(conf_parse_bool("yes ", &b), -1);
	assert_int_equal(b, 7);
}

static void
test_format_duration(void **state)
{
	static const struct {
		int64_t		 ms;
		const char	*s;
	} t[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 500, "500ms" }, { 1000, "1s" },
		{ 1500, "1500ms" }, { 59000, "59s" }, { 60000, "1m" },
		{ 90000, "90s" }, { 600000, "10m" }, { 3600000, "1h" },
		{ 5400000, "90m" }, { 86400000, "1d" }, { 90000000, "25h" },
		{ 14 * 86400000LL, "14d" }, { 86400001, "86400001ms" },
	};
	char		 buf[32];
	int64_t		 back;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		conf_format_duration(t[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, t[i].s);
		/* and it reads back */
		assert_int_equal(conf_parse_duration(buf, &back), 0);
		assert_int_equal(back, t[i].ms);
	}
	memset(buf, 'x', sizeof(buf));
	conf_format_duration(86400001, buf, 4);	/* cut, terminated */
	assert_string_equal(buf, "864");
}

static void
test_split_addr(void **state)
{
	static const struct {
		const char	*in, *host, *port;
	} good[] = {
		{ "127.0.0.1:5514", "127.0.0.1", "5514" },
		{ "[::1]:5514", "::1", "5514" },
		{ "[::]:1", "::", "1" },
		{ "[fe80::1%eth0]:65535", "fe80::1%eth0", "65535" },
		{ "*:5514", "0.0.0.0", "5514" },
		{ "localhost:80", "localhost", "80" },
	};
	static const char *const bad[] = {
		"", "5514", ":5514", "127.0.0.1", "127.0.0.1:", "::1:5514",
		"[::1]", "[::1]5514", "[::1]:", "[]:5514", "host:0",
		"host:65536", "host:-1", "host:+80", "host:80x", "host: 80",
		"host:99999", "[::1]:5514x",
	};
	char		 host[64], port[16];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (conf_split_addr(good[i].in, host, sizeof(host), port,
		    sizeof(port)) != 0)
			fail_msg("address '%s' refused", good[i].in);
		assert_string_equal(host, good[i].host);
		assert_string_equal(port, good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_split_addr(bad[i], host, sizeof(host), port,
		    sizeof(port)) != -1)
			fail_msg("address '%s' accepted", bad[i]);
	/* too long for the buffers */
	assert_int_equal(conf_split_addr("abcdefgh:80", host, 8, port,
	    sizeof(port)), -1);
	assert_int_equal(conf_split_addr("abcdefg:80", host, 8, port,
	    sizeof(port)), 0);
	assert_int_equal(conf_split_addr("h:12345", host, sizeof(host), port,
	    5), -1);
}

static void
test_range_errors(void **state)
{
	struct config	*cf;

	one_err("[listen]\nmax_message = 15\n", 2, "out of range");
	one_err("[listen]\n\nmax_message = 17M\n", 3, "max_message");
	one_err("[listen]\nmax_connections = 0\n", 2, "out of range");
	one_err("[listen]\nmax_connections = 1000001\n", 2, "out of range");
	one_err("[listen]\nmax_per_source = 1000001\n", 2, "out of range");
	one_err("[listen]\nidle_timeout = 366d\n", 2, "out of range");
	one_err("[queue]\ncapacity = 15\n", 2, "out of range");
	one_err("[queue]\ncapacity = 16777217\n", 2, "out of range");
	one_err("[storage]\nkeep = 100001\n", 2, "out of range");
	one_err("[storage]\nsync = 2d\n", 2, "out of range");
	one_err("[storage]\nrotate_interval = 3651d\n", 2, "out of range");
	one_err("[streams]\nmax_delay = 3651d\n", 2, "out of range");

	/* the bounds themselves are fine */
	cf = load_ok("[listen]\nmax_message = 16\nmax_connections = 1\n"
	    "idle_timeout = 365d\n[queue]\ncapacity = 16\n"
	    "[storage]\nsync = 1d\nkeep = 0\nrotate_interval = 3650d\n");
	assert_int_equal(cf->max_message, 16);
	assert_int_equal(cf->queue_capacity, 16);
	assert_int_equal(cf->sync_ms, 86400000);
	config_free(cf);
	cf = load_ok("[listen]\nmax_message = 16M\n[queue]\n"
	    "capacity = 16777216\n");
	assert_int_equal(cf->max_message, 16 << 20);
	config_free(cf);
}

static void
test_malformed_values(void **state)
{
	struct config	*cf;

	one_err("[listen]\nmax_message = lots\n", 2, "expected a size");
	one_err("[listen]\nmax_message =\n", 2, "max_message");
	one_err("[listen]\nidle_timeout = 5x\n", 2, "expected a duration");
	one_err("[storage]\nkeep = -1\n", 2, "expected a whole number");
	one_err("[storage]\nformat = xml\n", 2, "json, raw");
	one_err("[storage]\ncompress = zstd\n", 2, "none, gzip");
	one_err("[alerts]\nformat = yaml\n", 2, "text, json");
	one_err("[listen]\ntcp = 5514\n", 2, "bad address");
	one_err("[listen]\nudp = [::1]\n", 2, "bad address");

	/* a bad value leaves the default in force, and errors keep going */
	cf = load("[listen]\nmax_message = 1\nmax_connections = x\n"
	    "idle_timeout = 1\n[storage]\nkeep = y\n");
	assert_int_equal(cf->nerrors, 3);
	expect_err(cf, 2, "max_message");
	expect_err(cf, 3, "max_connections");
	expect_err(cf, 6, "keep");
	assert_int_equal(cf->max_message, 65536);
	assert_int_equal(cf->idle_timeout_ms, 1000);
	config_free(cf);
}

static void
test_structure_errors(void **state)
{
	struct config	*cf;

	one_err("[listen]\nbogus = 1\n", 2, "unknown key 'bogus' in [listen]");
	one_err("# c\n[bogus]\nx = 1\ny = 2\n", 2, "unknown section [bogus]");
	one_err("[class]\nmessage = x\n", 1, "needs a name");
	one_err("[alert]\n", 1, "needs a name");
	one_err("[storage x]\n", 1, "unknown section");
	one_err("[class a b]\n", 1, "a name may hold");
	one_err("[class x]\nmessage = a\n\n[class x]\nmessage = b\n", 4,
	    "already defined at line 1");
	one_err("[listen]\nmax_message = 1k\nmax_connections = 5\n"
	    "max_message = 2k\n", 4, "already set at line 2");
	one_err("[listen]\nmax_connections\n", 2, "expected 'key = value'");
	one_err("[class x]\njust words\n", 2, "expected 'key = value'");
	one_err("[class x]\nmessage = \"unterminated\n", 2, "unterminated");
	one_err("[class x]\nmessage = \"a\" b\n", 2, "malformed");
	one_err("[listen\n", 1, "without ']'");
	one_err("[output]\ntype = kafka\n", 1, "needs a name");
	one_err("[listen]\n= 5\n", 2, "bad key");
	one_err("[listen]\nmax message = 5\n", 2, "bad key");
	one_err("[listen]\nidle_timeout = 5m\nidle_timeout = 6m\n", 3,
	    "already set at line 2");

	/* the same key in another fixed section is not a repeat */
	cf = load_ok("[storage]\npath = /a\n[alerts]\npath = /b\n");
	config_free(cf);

	/* several errors, each on its own line */
	cf = load("[listen]\n"		/* 1 */
	    "tcp = 1.2.3.4:5\n"		/* 2 */
	    "nope = 1\n"		/* 3 */
	    "[what]\n"			/* 4 */
	    "a = b\n"			/* 5 */
	    "[class]\n"			/* 6 */
	    "[class c]\n"		/* 7 */
	    "[class c]\n"		/* 8 */
	    "no equals sign\n");	/* 9 */
	assert_int_equal(cf->nerrors, 5);
	expect_err(cf, 3, "unknown key");
	expect_err(cf, 4, "unknown section");
	expect_err(cf, 6, "needs a name");
	expect_err(cf, 8, "already defined at line 7");
	expect_err(cf, 9, "expected 'key = value'");
	assert_int_equal(cf->ntcp, 1);
	config_free(cf);
}

static void
test_comments(void **state)
{
	struct config	*cf;
	int		 line;

	cf = load_ok(
	    "# full line\n"				/* 1 */
	    "; full line\n"				/* 2 */
	    "   # indented comment\n"			/* 3 */
	    "[class c]   # after a section\n"		/* 4 */
	    "a = one # comment\n"			/* 5 */
	    "b = two ; comment\n"			/* 6 */
	    "c = a#b\n"					/* 7 */
	    "d = a;b\n"					/* 8 */
	    "e = \"x # y ; z\"\n"			/* 9 */
	    "f = \"say \\\"hi\\\" \\\\ back\"  # c\n"	/* 10 */
	    "g = three\t# tab\n"			/* 11 */
	    "h = \"\"\n"				/* 12 */
	    "i = a=b = c\n"				/* 13 */
	    "j =    spaced   out    \n"			/* 14 */
	    "k = \"q\";c\n");				/* 15 */
	assert_int_equal(cf->nsects, 1);
	assert_string_equal(cf->sects[0].name, "c");
	assert_string_equal(kv(&cf->sects[0], "a", &line), "one");
	assert_int_equal(line, 5);
	assert_string_equal(kv(&cf->sects[0], "b", NULL), "two");
	assert_string_equal(kv(&cf->sects[0], "c", NULL), "a#b");
	assert_string_equal(kv(&cf->sects[0], "d", NULL), "a;b");
	assert_string_equal(kv(&cf->sects[0], "e", NULL), "x # y ; z");
	assert_string_equal(kv(&cf->sects[0], "f", &line),
	    "say \"hi\" \\ back");
	assert_int_equal(line, 10);
	assert_string_equal(kv(&cf->sects[0], "g", NULL), "three");
	assert_string_equal(kv(&cf->sects[0], "h", NULL), "");
	assert_string_equal(kv(&cf->sects[0], "i", NULL), "a=b = c");
	assert_string_equal(kv(&cf->sects[0], "j", NULL), "spaced   out");
	assert_string_equal(kv(&cf->sects[0], "k", NULL), "q");
	config_free(cf);

	/* comments after values of fixed keys */
	cf = load_ok("[listen]\nmax_message = 1k # one\n"
	    "tcp = 1.2.3.4:5 ; two\n[http]\nlisten = \"a # b\"\n");
	assert_int_equal(cf->max_message, 1024);
	assert_string_equal(cf->tcp[0].text, "1.2.3.4:5");
	assert_string_equal(cf->http_listen, "a # b");
	config_free(cf);
}

static void
test_long_values(void **state)
{
	struct config	*cf;
	char		*text, *re;
	size_t		 n;
	int		 line, i;

	re = malloc(1001);
	assert_non_null(re);
	for (i = 0; i < 1000; i++)
		re[i] = "abc|de(f)?[g-h]"[i % 15];
	re[1000] = '\0';
	text = malloc(4096);
	assert_non_null(text);
	n = (size_t)sprintf(text, "[class long]\nmessage = %s\n"
	    "app = after\n[class q]\nmessage = \"%s\"   # c\n[listen]\n"
	    "max_message = 2k\n", re, re);
	assert_true(n < 4096);
	cf = load_ok(text);
	assert_int_equal(cf->nsects, 2);
	assert_string_equal(kv(&cf->sects[0], "message", &line), re);
	assert_int_equal(line, 2);
	assert_string_equal(kv(&cf->sects[0], "app", &line), "after");
	assert_int_equal(line, 3);
	assert_string_equal(kv(&cf->sects[1], "message", &line), re);
	assert_int_equal(line, 5);
	assert_int_equal(cf->max_message, 2048);
	config_free(cf);

	/* a long line with an error still gets the right line number */
	n = (size_t)sprintf(text, "[listen]\n#%s\nmax_message = %s\n"
	    "bogus = 1\n", re, re);
	cf = load(text);
	assert_int_equal(cf->nerrors, 2);
	expect_err(cf, 3, "max_message");
	expect_err(cf, 4, "unknown key");
	config_free(cf);
	free(text);
	free(re);
}

static void
test_indented(void **state)
{
	struct config	*cf;
	int		 line;

	/* indentation is not a continuation line */
	cf = load_ok("[class c]\nmessage = x\n    app = sshd\n"
	    "\thost = h\n  [class d]\n  message = y\n[listen]\n"
	    "   max_message = 4k\n");
	assert_int_equal(cf->nsects, 2);
	assert_string_equal(kv(&cf->sects[0], "message", NULL), "x");
	assert_string_equal(kv(&cf->sects[0], "app", &line), "sshd");
	assert_int_equal(line, 3);
	assert_string_equal(kv(&cf->sects[0], "host", &line), "h");
	assert_int_equal(line, 4);
	assert_int_equal(cf->sects[1].line, 5);
	assert_string_equal(kv(&cf->sects[1], "message", NULL), "y");
	assert_int_equal(cf->max_message, 4096);
	config_free(cf);
}

static void
test_crlf_bom(void **state)
{
	struct config	*cf;

	cf = load_ok("\xef\xbb\xbf[listen]\r\nmax_message = 2k\r\n"
	    "tcp = 1.2.3.4:5  # x\r\n[class c]\r\nmessage = \"q\"\r\n");
	assert_int_equal(cf->max_message, 2048);
	assert_string_equal(cf->tcp[0].text, "1.2.3.4:5");
	assert_string_equal(kv(&cf->sects[0], "message", NULL), "q");
	config_free(cf);
}

static void
test_named_sections(void **state)
{
	struct config		*cf;
	const struct conf_sect	*s;
	int			 line;

	cf = load_ok(
	    "[class b_first]\n"		/* 1 */
	    "message = one\n"		/* 2 */
	    "app = sshd\n"		/* 3 */
	    "[listen]\n"		/* 4 */
	    "max_message = 1k\n"	/* 5 */
	    "[alert a1]\n"		/* 6 */
	    "class = b_first\n"		/* 7 */
	    "threshold = 5\n"		/* 8 */
	    "[class a_second]\n"	/* 9 */
	    "\n"			/* 10 */
	    "message = two\n"		/* 11 */
	    "[ class  x.y-z_9 ]\n"	/* 12 */
	    "[alert b_first]\n");	/* 13: same name, other kind */
	assert_int_equal(cf->nsects, 5);
	s = &cf->sects[0];
	assert_string_equal(s->kind, "class");
	assert_string_equal(s->name, "b_first");
	assert_int_equal(s->line, 1);
	assert_int_equal(s->nkv, 2);
	assert_string_equal(s->kv[0].key, "message");
	assert_string_equal(s->kv[1].key, "app");
	assert_int_equal(s->kv[1].line, 3);
	s = &cf->sects[1];
	assert_string_equal(s->kind, "alert");
	assert_string_equal(s->name, "a1");
	assert_int_equal(s->line, 6);
	assert_string_equal(kv(s, "threshold", &line), "5");
	assert_int_equal(line, 8);
	s = &cf->sects[2];
	assert_string_equal(s->name, "a_second");
	assert_int_equal(s->line, 9);
	assert_string_equal(kv(s, "message", &line), "two");
	assert_int_equal(line, 11);
	assert_string_equal(cf->sects[3].kind, "class");
	assert_string_equal(cf->sects[3].name, "x.y-z_9");
	assert_int_equal(cf->sects[3].nkv, 0);
	assert_string_equal(cf->sects[4].kind, "alert");
	assert_int_equal(cf->max_message, 1024);
	config_free(cf);

	/* keys of a named section are kept as written, for its module */
	cf = load_ok("[class c]\nfield.user = root\nseverity = <= warning\n"
	    "message = a\nmessage = b\n");
	assert_int_equal(cf->sects[0].nkv, 4);
	assert_string_equal(cf->sects[0].kv[0].key, "field.user");
	assert_string_equal(cf->sects[0].kv[1].val, "<= warning");
	assert_string_equal(cf->sects[0].kv[3].val, "b");
	config_free(cf);
}

static void
test_repeatable(void **state)
{
	struct config	*cf;

	cf = load_ok("[listen]\ntcp = 127.0.0.1:1\ntcp = [::1]:2\n"
	    "udp = *:3\ntcp = 0.0.0.0:4\nudp = 127.0.0.1:5\ntcp =\n");
	assert_int_equal(cf->ntcp, 3);
	assert_int_equal(cf->nudp, 2);
	assert_string_equal(cf->tcp[2].text, "0.0.0.0:4");
	assert_int_equal(cf->tcp[2].line, 5);
	assert_string_equal(cf->udp[0].text, "*:3");
	assert_int_equal(cf->udp[1].line, 6);
	config_free(cf);
}

static void
test_allow(void **state)
{
	struct config	*cf;
	uint8_t		 a6[16];

	cf = load_ok("[listen]\nallow = 127.0.0.0/8, ::1,10.1.2.3\n"
	    "allow = 2001:db8::/32\tfe80::/10 0.0.0.0/0\n");
	assert_int_equal(cf->nallow, 6);
	assert_int_equal(cf->allow[0].family, AF_INET);
	assert_int_equal(cf->allow[0].prefix, 8);
	assert_memory_equal(cf->allow[0].addr, "\x7f\0\0\0", 4);
	assert_int_equal(cf->allow[1].family, AF_INET6);
	assert_int_equal(cf->allow[1].prefix, 128);
	inet_pton(AF_INET6, "::1", a6);
	assert_memory_equal(cf->allow[1].addr, a6, 16);
	assert_int_equal(cf->allow[2].family, AF_INET);
	assert_int_equal(cf->allow[2].prefix, 32);
	assert_memory_equal(cf->allow[2].addr, "\x0a\x01\x02\x03", 4);
	assert_int_equal(cf->allow[3].prefix, 32);
	inet_pton(AF_INET6, "2001:db8::", a6);
	assert_memory_equal(cf->allow[3].addr, a6, 16);
	assert_int_equal(cf->allow[4].prefix, 10);
	assert_int_equal(cf->allow[5].family, AF_INET);
	assert_int_equal(cf->allow[5].prefix, 0);
	config_free(cf);

	one_err("[listen]\nallow = 10.0.0.0/33\n", 2, "bad prefix");
	one_err("[listen]\nallow = ::1/129\n", 2, "bad prefix");
	one_err("[listen]\nallow = 10.0.0.0/\n", 2, "bad prefix");
	one_err("[listen]\nallow = 10.0.0.0/-1\n", 2, "bad prefix");
	one_err("[listen]\nallow = 10.0.0.0/8x\n", 2, "bad prefix");
	one_err("[listen]\nallow = 10.0.0.256/8\n", 2, "bad address");
	one_err("[listen]\nallow = example.com\n", 2, "bad address");
	one_err("[listen]\n\nallow = 10.0.0.0/8, nope, ::1\n", 3,
	    "bad address 'nope'");
	cf = load("[listen]\nallow = 10.0.0.0/8, nope, ::1\n");
	assert_int_equal(cf->nallow, 2);	/* the good ones are kept */
	config_free(cf);
}

static void
test_errors_api(void **state)
{
	struct config	*cf = load_ok("");
	char		 want[256];

	config_error(cf, 7, "x %d", 5);
	config_error(cf, 0, "whole file");
	assert_int_equal(cf->nerrors, 2);
	snprintf(want, sizeof(want), "%s:7: x 5", cpath);
	assert_string_equal(cf->errors[0], want);
	snprintf(want, sizeof(want), "%s: whole file", cpath);
	assert_string_equal(cf->errors[1], want);
	config_free(cf);
}

/* The four below were bugs found in review. */
static void
test_key_before_section(void **state)
{
	pid_t	 pid;
	int	 st;

	/* must report "PATH:1: ..." -- run in a child in case it crashes */
	if ((pid = fork()) == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		struct config *cf = load("tcp = 127.0.0.1:5514\n[listen]\n");
		_exit(cf->nerrors == 1 &&
		    strncmp(cf->errors[0], cpath, strlen(cpath)) == 0 &&
		    strncmp(cf->errors[0] + strlen(cpath), ":1: ", 4) == 0 ?
		    0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("config_load died of signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_comment_right_after_equals(void **state)
{
	struct config	*cf;

	/* SPEC: "the rest of a line after whitespace and # or ;" */
	cf = load_ok("[http]\nlisten = # off for now\n[class c]\n"
	    "app = ; nothing\n");
	assert_string_equal(cf->http_listen, "");
	assert_string_equal(kv(&cf->sects[0], "app", NULL), "");
	config_free(cf);
}

static void
test_port_overflow(void **state)
{
	char	 host[64], port[16];

	assert_int_equal(conf_split_addr("127.0.0.1:4294967376", host,
	    sizeof(host), port, sizeof(port)), -1);
	assert_int_equal(conf_split_addr("127.0.0.1:000000000005514", host,
	    sizeof(host), port, sizeof(port)), 0);
}

static void
test_junk_after_section(void **state)
{
	one_err("[listen] max_message = 1k\n", 1, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_before_section),
		cmocka_unit_test(test_comment_right_after_equals),
		cmocka_unit_test(test_port_overflow),
		cmocka_unit_test(test_junk_after_section),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_uint_bool),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_split_addr),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_indented),
		cmocka_unit_test(test_crlf_bom),
		cmocka_unit_test(test_named_sections),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_errors_api),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
