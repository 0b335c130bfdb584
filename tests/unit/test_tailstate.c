/*
 * test_tailstate.c: the tail input's positions file (tailstate.c): what is
 * saved is read back the same (paths with blanks, '%', LF and control
 * bytes too); no file is no positions; and a file cut short, edited
 * (checksum), with a line too many or too few, a bad header, NUL bytes or
 * a bad number is refused as corrupt with its reason, never half read.
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

#include "tailstate.h"

static char	 dir[] = "/tmp/test_tailstate.XXXXXX";
static char	 path[256];

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tail.state", dir);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

static const struct tailpos want[] = {
	{ 2049, 131073, 4096, 0x0123456789abcdefULL, 256,
	    (char *)"/var/log/app/a.log" },
	{ UINT64_MAX, 1, 0, 0, 0, (char *)"/tmp/with blank/100% \n\t\x01.log" },
	{ 1, 2, UINT64_MAX, UINT64_MAX, 17, (char *)"rel.log" },
};

static void
save_want(void)
{
	char	 err[256];

	assert_int_equal(tailstate_save(path, want, 3, err, sizeof(err)), 0);
}

static void
test_roundtrip(void **state)
{
	struct tailpos	*v;
	size_t		 n, i;
	char		 err[256];

	save_want();
	assert_int_equal(tailstate_load(path, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_true(v[i].dev == want[i].dev);
		assert_true(v[i].ino == want[i].ino);
		assert_true(v[i].off == want[i].off);
		assert_true(v[i].fp == want[i].fp);
		assert_int_equal(v[i].fplen, want[i].fplen);
		assert_string_equal(v[i].path, want[i].path);
	}
	tailstate_free(v, n);
	/* none: an empty file that is still valid */
	assert_int_equal(tailstate_save(path, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(tailstate_load(path, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	tailstate_free(v, n);
	/* no file at all */
	unlink(path);
	assert_int_equal(tailstate_load(path, &v, &n, err, sizeof(err)), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	tailstate_free(NULL, 0);
	/* the fingerprint is the bytes' */
	assert_true(tailstate_fingerprint("abc", 3) ==
	    tailstate_fingerprint("abc", 3));
	assert_true(tailstate_fingerprint("abc", 3) !=
	    tailstate_fingerprint("abd", 3));
}

static char *
slurp(size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	char	*buf = calloc(1, 65536);

	assert_non_null(fp);
	*len = fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

static void
spit(const char *buf, size_t len)
{
	FILE	*fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

/* Load must refuse it: -1, nothing returned, err says corrupt. */
static void
refused(const char *what)
{
	struct tailpos	*v = (struct tailpos *)1;
	size_t		 n = 99;
	char		 err[256] = "";

	if (tailstate_load(path, &v, &n, err, sizeof(err)) != -1)
		fail_msg("%s: not refused", what);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "corrupt"));
}

static void
test_corrupt(void **state)
{
	char	*good, *bad, *p;
	size_t	 len, k;

	save_want();
	good = slurp(&len);
	bad = malloc(len + 64);
	/* cut short at every length: never accepted half read */
	for (k = 0; k < len; k++) {
		spit(good, k);
		refused("cut short");
	}
	/* an offset edited: the checksum says so */
	memcpy(bad, good, len);
	p = strstr(bad, " 4096 ");
	p[1] = '5';
	spit(bad, len);
	refused("offset edited");
	/* a line after the end line */
	memcpy(bad, good, len);
	memcpy(bad + len, "1 2 3 0 0 x\n", 12);
	spit(bad, len + 12);
	refused("a line past the end");
	/* a NUL in a line */
	memcpy(bad, good, len);
	p = strstr(bad, "a.log");
	*p = '\0';
	spit(bad, len);
	refused("NUL");
	/* another header */
	memcpy(bad, good, len);
	bad[2] = 'L';
	spit(bad, len);
	refused("header");
	/* a count that does not match */
	p = strstr(good, "end 3 ");
	memcpy(bad, good, len);
	bad[p - good + 4] = '2';
	spit(bad, len);
	refused("count");
	free(good);
	free(bad);
	/* a bad number and a %00 in a path, with a good checksum */
	{
		static const char *const lines[] = {
			"1 2 x 0 0000000000000000 /a\n",
			"1 2 3 999 0000000000000000 /a\n",
			"1 2 3 0 0000000000000000 /a%00b\n",
			"-1 2 3 0 0000000000000000 /a\n",
			"1 2 3 0 0000000000000000 \n",
		};
		uint64_t	 h;
		char		 buf[512];
		size_t		 i;
		int		 n;

		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			h = tailstate_fingerprint(lines[i], strlen(lines[i]));
			n = snprintf(buf, sizeof(buf), "# logstreamd tail "
			    "positions 1\n%send 1 %016llx\n", lines[i],
			    (unsigned long long)h);
			spit(buf, (size_t)n);
			refused(lines[i]);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
