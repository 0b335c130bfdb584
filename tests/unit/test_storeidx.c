/*
 * test_storeidx.c: the index beside a rotated store file.  Its name
 * (hidden, without .gz); what it counts from lines as the writer puts
 * them (read without decoding) and from any other JSON line (decoded):
 * an escape in a value, a host only in sd (not the event's host), keys
 * in another order, blanks, a non-JSON line and a torn last line (bad);
 * a gzip file the same; and which queries it lets skip the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include "storeidx.h"

#define R1	"2026-11-23T20:14:14.000001Z"
#define R1_US	INT64_C(1795464854000001)
#define R3	"2026-11-23T20:14:16.500000Z"
#define R3_US	INT64_C(1795464856500000)

static const char *LINES =
    "{\"received\":\"" R1 "\",\"source\":\"1.2.3.4:5\",\"host\":\"web01\","
    "\"app\":\"sshd\",\"class\":\"auth\",\"message\":\"a \\\"host\\\":\\\"x\\\"\","
    "\"fields\":{\"host\":\"no\",\"class\":\"no\"}}\n"
    "{\"received\":\"2026-11-23T20:14:15Z\",\"host\":\"we\\\"b\",\"class\":\"auth\"}\n"
    "{\"received\":\"2026-11-23T20:14:15Z\",\"message\":\"m\","
    "\"sd\":{\"x\":{\"host\":\"sdhost\"}},\"stream\":\"gap\"}\n"
    "{\"class\":\"late\",\"host\":\"web02\",\"received\":\"" R3 "\"}\n"
    "{\"received\": \"2026-11-23T20:14:15Z\", \"host\": \"web02\"}\n"
    "not json\n"
    "{\"received\":\"2026-11-23T20:14:15Z\",\"host\":\"web01\",\"cla";

static char	 dir[64];

static void
check(const char *name)
{
	struct storeidx	 ix;
	char		 p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(storeidx_build(AT_FDCWD, p), 0);
	assert_int_equal(storeidx_read(p, &ix), 0);
	assert_int_equal(ix.lines, 5);
	assert_int_equal(ix.bad, 2);		/* not json, the torn line */
	assert_true(ix.first_us == R1_US);
	assert_true(ix.last_us == R3_US);
	assert_int_equal(json_integer_value(json_object_get(ix.hosts,
	    "web01")), 1);
	assert_int_equal(json_integer_value(json_object_get(ix.hosts,
	    "we\"b")), 1);
	assert_int_equal(json_integer_value(json_object_get(ix.hosts,
	    "web02")), 2);
	assert_int_equal(json_integer_value(json_object_get(ix.hosts, "")), 1);
	assert_null(json_object_get(ix.hosts, "sdhost"));
	assert_null(json_object_get(ix.hosts, "no"));
	assert_int_equal(json_integer_value(json_object_get(ix.classes,
	    "auth")), 2);
	assert_int_equal(json_integer_value(json_object_get(ix.classes,
	    "late")), 1);
	assert_int_equal(json_integer_value(json_object_get(ix.classes, "")),
	    2);
	/* bad lines: the file is read whatever the query */
	assert_true(storeidx_may_match(&ix, INT64_MIN, 0, NULL, NULL));
	ix.bad = 0;
	assert_true(storeidx_may_match(&ix, INT64_MIN, INT64_MAX, NULL, NULL));
	assert_false(storeidx_may_match(&ix, R3_US + 1, INT64_MAX, NULL,
	    NULL));
	assert_false(storeidx_may_match(&ix, INT64_MIN, R1_US - 1, NULL,
	    NULL));
	assert_true(storeidx_may_match(&ix, R3_US, R3_US, NULL, NULL));
	assert_true(storeidx_may_match(&ix, INT64_MIN, INT64_MAX, "web02",
	    "late"));
	assert_false(storeidx_may_match(&ix, INT64_MIN, INT64_MAX, "web03",
	    NULL));
	assert_false(storeidx_may_match(&ix, INT64_MIN, INT64_MAX, NULL,
	    "nope"));
	storeidx_clear(&ix);
	storeidx_unlink(AT_FDCWD, p);
	assert_int_equal(storeidx_read(p, &ix), -1);
}

static void
test_build(void **state)
{
	char	 p[128];
	FILE	*fp;
	gzFile	 gz;

	snprintf(dir, sizeof(dir), "/tmp/test_storeidx.%d", (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/e-20261123T201414Z_000.log", dir);
	assert_non_null(fp = fopen(p, "w"));
	fputs(LINES, fp);
	fclose(fp);
	check("e-20261123T201414Z_000.log");
	snprintf(p, sizeof(p), "%s/e-20261123T201415Z_000.log.gz", dir);
	assert_non_null(gz = gzopen(p, "wb"));
	gzputs(gz, LINES);
	gzclose(gz);
	check("e-20261123T201415Z_000.log.gz");
	unlink(p);
	snprintf(p, sizeof(p), "%s/e-20261123T201414Z_000.log", dir);
	unlink(p);
	assert_int_equal(rmdir(dir), 0);	/* nothing left behind */
}

static void
test_name(void **state)
{
	char	 b[64];
	int64_t	 us;

	assert_int_equal(storeidx_name(b, sizeof(b),
	    "/s/web01/d-20261123T201414Z_000.log.gz"), 0);
	assert_string_equal(b, "/s/web01/.d-20261123T201414Z_000.log.idx");
	assert_int_equal(storeidx_name(b, sizeof(b), "e_000.log"), 0);
	assert_string_equal(b, ".e_000.log.idx");
	assert_int_equal(storeidx_name(b, 8, "e_000.log"), -1);
	assert_int_equal(storeidx_received("{\"received\":\"" R1 "\",", 41,
	    &us), 0);
	assert_true(us == R1_US);
	assert_int_equal(storeidx_received("{\"received\":\"" R1, 40, &us),
	    -1);
	assert_int_equal(storeidx_received("{\"time\":\"" R1 "\"", 37, &us),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
