/*
 * test_rotate.c: the rotation module's decisions (size, interval), names
 * (sortable, same-second suffixes, parsing back), retention choice (keep,
 * max_age, max_total), and one pass over a temporary directory: rename,
 * gzip in the background, stale temporary files removed.  Names after a
 * clock that was ahead (or steps back) still sort after every older file.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "config.h"
#include "rotate.h"

#define T0	((time_t)1795464854)	/* 2026-11-23T20:14:14Z */
#define US(s)	((int64_t)(s) * 1000000)

static void
test_due(void **state)
{
	struct rotate_policy	 p = { .size = 1000, .interval_ms = 60000 };

	/* An empty file never rotates, whatever comes. */
	assert_false(rotate_due(&p, 0, 5000, 0, US(T0)));
	assert_false(rotate_due(&p, 500, 500, US(T0), US(T0)));
	assert_true(rotate_due(&p, 500, 501, US(T0), US(T0)));
	assert_true(rotate_due(&p, 1001, 0, US(T0), US(T0)));
	/* Interval: due once the file is that old. */
	assert_false(rotate_due(&p, 10, 10, US(T0), US(T0 + 59)));
	assert_true(rotate_due(&p, 10, 10, US(T0), US(T0 + 60)));
	/* 0 turns each limit off. */
	p.size = 0;
	assert_false(rotate_due(&p, 1ULL << 40, 1, US(T0), US(T0 + 1)));
	p.interval_ms = 0;
	assert_false(rotate_due(&p, 10, 10, 0, US(T0 + 86400 * 365)));
}

static void
test_names(void **state)
{
	char			 a[256], b[256];
	struct rotate_entry	 e;

	assert_int_equal(rotate_name(a, sizeof(a), "/var/log/events.log", T0,
	    0), 0);
	assert_string_equal(a, "/var/log/events-20261123T201414Z_000.log");
	assert_int_equal(rotate_name(b, sizeof(b), "/var/log/events.log", T0,
	    1), 0);
	assert_string_equal(b, "/var/log/events-20261123T201414Z_001.log");
	/* Same second: the next suffix sorts after, also once gzipped; one
	 * width, so no collation can put them out of order. */
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(strlen(a), strlen(b));
	strcat(a, ".gz");
	strcat(b, ".gz");
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(rotate_name(a, sizeof(a), "/v/events.log", T0, 999),
	    0);
	assert_int_equal(rotate_name(b, sizeof(b), "/v/events.log", T0 + 1,
	    0), 0);
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(rotate_name(a, sizeof(a), "/v/events.log", T0, 1000),
	    -1);
	/* No extension, a dot in a directory, no directory. */
	assert_int_equal(rotate_name(a, sizeof(a), "/v.d/events", T0, 0), 0);
	assert_string_equal(a, "/v.d/events-20261123T201414Z_000");
	assert_int_equal(rotate_name(a, sizeof(a), "alerts.log", T0, 2), 0);
	assert_string_equal(a, "alerts-20261123T201414Z_002.log");
	assert_int_equal(rotate_name(a, 20, "/var/log/events.log", T0, 0), -1);

	/* Parsing back. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z_007.log.gz", &e), 0);
	assert_int_equal(e.sec, T0);
	assert_int_equal(e.idx, 7);
	assert_int_equal(e.gz, 1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z.log", &e), 0);
	assert_int_equal(e.idx, 0);
	assert_int_equal(e.gz, 0);
	assert_int_equal(rotate_parse("/v/events",
	    "events-20261123T201414Z.gz", &e), 0);
	assert_int_equal(e.gz, 1);
	/* Not ours: other files, other stems, temporaries, junk. */
	assert_int_equal(rotate_parse("/v/events.log", "events.log", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "alerts-20261123T201414Z.log", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    ".events-20261123T201414Z.log.gz.tmp", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z.log.gz.tmp", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123X201414Z.log", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261323T201414Z.log", &e), -1);
	/* Both forms of suffix 0: "_000" (written now) and none (before). */
	e.idx = 5;
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z_000.log", &e), 0);
	assert_int_equal(e.idx, 0);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z_1.log", &e), -1);
	assert_int_equal(rotate_parse("/v/events.log",
	    "events-20261123T201414Z.txt", &e), -1);
}

static void
fill(struct rotate_entry *e, size_t n)
{
	size_t	 i;

	memset(e, 0, n * sizeof(*e));
	for (i = 0; i < n; i++) {
		e[i].sec = T0 + (time_t)(i / 2) * 3600;
		e[i].idx = (unsigned)(i % 2);
		e[i].size = 100;
	}
}

static void
test_retain(void **state)
{
	struct rotate_entry	 e[10], s[3];
	struct rotate_policy	 p = { .keep = 4 };
	size_t			 i;

	fill(e, 10);
	assert_int_equal(rotate_retain(e, 10, &p, US(T0)), 6);
	for (i = 0; i < 10; i++)
		assert_int_equal(e[i].del, i < 6);
	/* keep 0: nothing rotated is kept. */
	fill(e, 10);
	p.keep = 0;
	assert_int_equal(rotate_retain(e, 10, &p, US(T0)), 10);
	/* max_age by the time in the name: files 0..9 are 0..4.5 h old
	 * at T0 + 4.5 h; max_age 2 h keeps those rotated at T0+3h, +4h. */
	fill(e, 10);
	p.keep = 100;
	p.max_age_ms = 2 * 3600 * 1000;
	assert_int_equal(rotate_retain(e, 10, &p, US(T0 + 16200)), 6);
	assert_int_equal(e[5].del, ROTATE_DEL_AGE);
	assert_int_equal(e[6].del, 0);
	/* max_total: the newest files that fit. */
	fill(e, 10);
	p.max_age_ms = 0;
	p.max_total = 350;
	assert_int_equal(rotate_retain(e, 10, &p, US(T0)), 7);
	assert_int_equal(e[6].del, ROTATE_DEL_TOTAL);
	assert_int_equal(e[7].del, 0);
	/* All three at once; the strictest wins. */
	fill(e, 10);
	p.keep = 2;
	p.max_total = 1000;
	assert_int_equal(rotate_retain(e, 10, &p, US(T0)), 8);
	/* Sorting: by time, then suffix, then the gzipped one after. */
	memset(s, 0, sizeof(s));
	s[0].sec = T0 + 1;
	s[1].sec = T0;
	s[1].idx = 2;
	s[1].gz = 1;
	s[2].sec = T0;
	s[2].idx = 2;
	rotate_sort(s, 3);
	assert_int_equal(s[0].gz, 0);
	assert_int_equal(s[1].gz, 1);
	assert_int_equal(s[2].sec, T0 + 1);
}

static int
count_dir(const char *dir, const char *suffix)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;
	size_t		 l = strlen(suffix);

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) >= l &&
		    strcmp(de->d_name + strlen(de->d_name) - l, suffix) == 0)
			n++;
	closedir(d);
	return n;
}

static void
put(const char *path, const char *text)
{
	int	 fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Real files: rename, same-second rotations, background gzip, cleanup. */
static void
test_files(void **state)
{
	char			 dir[] = "/tmp/test_rotate.XXXXXX", live[128];
	char			 name[256], tmp[300], buf[64];
	struct rotate_policy	 p = { .keep = 3, .compress = COMPRESS_GZIP };
	struct rotate		*r, *r2;
	gzFile			 gz;
	int			 i, n;

	assert_non_null(mkdtemp(dir));
	snprintf(live, sizeof(live), "%s/events.log", dir);
	/* A half-compressed file from a crash: removed at start. */
	rotate_name(name, sizeof(name), live, T0 - 10, 0);
	snprintf(tmp, sizeof(tmp), "%s/.%s.gz.tmp", dir, strrchr(name, '/') +
	    1);
	put(tmp, "half");
	assert_non_null(r = rotate_new(live, &p));
	/* The same path shares one instance (one worker). */
	assert_ptr_equal(r2 = rotate_new(live, &p), r);
	rotate_free(r2);
	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "{\"n\":%d}\n", i);
		put(live, buf);
		assert_int_equal(rotate_file(r, US(T0)), 0);
		assert_int_equal(access(live, F_OK), -1);
	}
	/* A symlink planted at the next name is skipped, not replaced. */
	rotate_name(name, sizeof(name), live, T0, 5);
	assert_int_equal(symlink("/etc/passwd", name), 0);
	put(live, "{\"n\":5}\n");
	assert_int_equal(rotate_file(r, US(T0)), 0);
	assert_int_equal(rotate_start(r), 0);
	/* Wait for the worker; the symlink is the only .log left. */
	for (n = 0; n < 500 && (count_dir(dir, ".log.gz") != 3 ||
	    count_dir(dir, ".log") != 1 || access(tmp, F_OK) == 0); n++)
		usleep(10000);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(count_dir(dir, ".log.gz"), 3);
	assert_int_equal(count_dir(dir, ".log"), 1);
	assert_int_equal(readlink(name, tmp, sizeof(tmp)), 11);
	/* The newest three survive: 3, 4 and 5 (at _006). */
	rotate_name(name, sizeof(name), live, T0, 6);
	strcat(name, ".gz");
	assert_non_null(gz = gzopen(name, "rb"));
	memset(buf, 0, sizeof(buf));
	assert_true(gzread(gz, buf, sizeof(buf) - 1) > 0);
	gzclose(gz);
	assert_string_equal(buf, "{\"n\":5}\n");
	rotate_name(name, sizeof(name), live, T0, 2);
	strcat(name, ".gz");
	assert_int_equal(access(name, F_OK), -1);
	rotate_free(r);
	rotate_free(NULL);
	snprintf(tmp, sizeof(tmp), "rm -rf %s", dir);
	assert_int_equal(system(tmp), 0);
}

/* The next name never sorts before the newest one. */
static void
test_next(void **state)
{
	time_t		 sec;
	unsigned	 idx;

	rotate_next(T0, T0 - 1, 7, &sec, &idx);		/* the usual case */
	assert_true(sec == T0 && idx == 0);
	rotate_next(T0, T0, 0, &sec, &idx);		/* same second */
	assert_true(sec == T0 && idx == 1);
	rotate_next(T0, T0 + 3600, 4, &sec, &idx);	/* clock stepped back */
	assert_true(sec == T0 + 3600 && idx == 5);
	rotate_next(T0, T0 + 3600, ROTATE_IDX_MAX, &sec, &idx);
	assert_true(sec == T0 + 3601 && idx == 0);	/* suffixes used up */
}

/* max_age goes by the mtime when a name was pushed past a wrong clock. */
static void
test_retain_mtime(void **state)
{
	struct rotate_policy	 p = { .keep = 100,
				    .max_age_ms = 3600 * 1000 };
	struct rotate_entry	 e[2];

	memset(e, 0, sizeof(e));
	e[0].sec = T0 + 86400;		/* named in the future ... */
	e[0].mtime = T0 - 7200;		/* ... written two hours ago */
	e[1].sec = T0 + 86400;
	e[1].idx = 1;
	e[1].mtime = T0 - 60;
	assert_int_equal(rotate_retain(e, 2, &p, US(T0)), 1);
	assert_true(e[0].del && !e[1].del);
}

/* Real files named in the future (once, with the last suffix): the new
 * rotations are named after them, in order. */
static void
test_future_names(void **state)
{
	char			 dir[] = "/tmp/test_rotate.XXXXXX", live[128];
	char			 name[256], cmd[300];
	struct rotate_policy	 p = { .keep = 100, .compress = COMPRESS_NONE };
	struct rotate		*r;
	int			 i;

	assert_non_null(mkdtemp(dir));
	snprintf(live, sizeof(live), "%s/events.log", dir);
	rotate_name(name, sizeof(name), live, T0 + 3600, 0);
	put(name, "{\"old\":1}\n");
	rotate_name(name, sizeof(name), live, T0 + 86400, ROTATE_IDX_MAX);
	strcat(name, ".gz");
	put(name, "");
	assert_non_null(r = rotate_new(live, &p));
	for (i = 0; i < 3; i++) {
		put(live, "{\"n\":1}\n");
		assert_int_equal(rotate_file(r, US(T0)), 0);
		rotate_name(name, sizeof(name), live, T0 + 86401, (unsigned)i);
		assert_int_equal(access(name, F_OK), 0);
	}
	rotate_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_retain),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_retain_mtime),
		cmocka_unit_test(test_future_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
