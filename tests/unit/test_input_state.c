/*
 * test_input_state.c: the inputs' state files (statefile.h).  A save is
 * atomic (the old contents or the new, never a mix; no temp file left, not
 * even after a failure), a missing file is told apart (ENOENT) from an
 * unreadable or oversized one, and the journal's cursor file is checked
 * before use: empty, foreign, cut short, bad bytes, no seqnum, too long
 * are each refused with a reason (the input then starts over).
 */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "statefile.h"

#define CUR	"s=e8ba7c8e578a48f0aaea51f30398aece;i=425c;" \
		"b=0367f9eb4460479582e6bbb5c25e72a1;m=2c73f1869;" \
		"t=661ba3c3dbe45;x=e0b168ed5dd8bd11"

static char	 dir[64];
static char	 path[128];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_input_state.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/cursor", dir);
	return 0;
}

static int
teardown(void **state)
{
	char	 tmp[160];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void
test_missing(void **state)
{
	char	 buf[64];

	errno = 0;
	assert_int_equal(statefile_load(path, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_save_replaces(void **state)
{
	char		 buf[256], tmp[160];
	struct stat	 st;

	assert_int_equal(statefile_save(path, "one\n", 4), 0);
	assert_int_equal(statefile_load(path, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "one\n");
	/* shorter contents replace longer ones whole (no tail left) */
	assert_int_equal(statefile_save(path, "a longer second\n", 16), 0);
	assert_int_equal(statefile_save(path, "3\n", 2), 0);
	assert_int_equal(statefile_load(path, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "3\n");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(stat(tmp, &st), -1);		/* renamed away */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void
test_save_fails_cleanly(void **state)
{
	char	 bad[160], buf[64], tmp[160];
	struct stat st;

	/* no such directory: -1 with errno, nothing made */
	snprintf(bad, sizeof(bad), "%s/none/cursor", dir);
	errno = 0;
	assert_int_equal(statefile_save(bad, "x\n", 2), -1);
	assert_int_equal(errno, ENOENT);
	/* the target is a directory: the rename fails, the old stays, the
	 * temp file is removed */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(statefile_save(path, "x\n", 2), -1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(statefile_load(path, buf, sizeof(buf)), -1);
	assert_int_equal(rmdir(path), 0);
}

static void
test_too_large(void **state)
{
	char	 buf[8];

	assert_int_equal(statefile_save(path, "0123456789\n", 11), 0);
	errno = 0;
	assert_int_equal(statefile_load(path, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EFBIG);
}

static void
test_journal_good(void **state)
{
	const char	*txt = "journal-cursor " CUR "\n", *why = NULL;
	char		 cur[512], id[33];
	uint64_t	 seq = 0;

	assert_int_equal(jstate_parse(txt, strlen(txt), cur, sizeof(cur), id,
	    &seq, &why), 0);
	assert_string_equal(cur, CUR);
	assert_string_equal(id, "e8ba7c8e578a48f0aaea51f30398aece");
	assert_int_equal(seq, 0x425c);
	/* and through a real file */
	assert_int_equal(statefile_save(path, txt, strlen(txt)), 0);
}

static void
expect_bad(const char *txt, size_t len, size_t cap, const char *reason)
{
	const char	*why = NULL;
	char		 cur[512], id[33];
	uint64_t	 seq;

	assert_true(cap <= sizeof(cur));
	assert_int_equal(jstate_parse(txt, len, cur, cap, id, &seq, &why), -1);
	assert_non_null(why);
	if (strstr(why, reason) == NULL)
		fail_msg("'%.*s': reason '%s', expected '%s'", (int)len, txt,
		    why, reason);
}

static void
test_journal_corrupt(void **state)
{
	static const char nul[] = "journal-cursor s=e8\0ba;i=1\n";
	const char	*c;

	expect_bad("", 0, 512, "empty");
	expect_bad("hello world\n", 12, 512, "not a journal cursor file");
	c = "journal-cursor " CUR;			/* torn write */
	expect_bad(c, strlen(c), 512, "cut short");
	expect_bad("journal-cursor \n", 16, 512, "empty cursor");
	c = "journal-cursor s=1 2\n";
	expect_bad(c, strlen(c), 512, "bad bytes");
	expect_bad(nul, sizeof(nul) - 1, 512, "bad bytes");
	c = "journal-cursor b=0367f9eb;m=2c7\n";
	expect_bad(c, strlen(c), 512, "no s= and i=");
	c = "journal-cursor s=e8ba7c8e;i=425c\n";		/* id too short */
	expect_bad(c, strlen(c), 512, "no s= and i=");
	c = "journal-cursor s=e8ba7c8e578a48f0aaea51f30398aece;i=zz\n";
	expect_bad(c, strlen(c), 512, "no s= and i=");
	c = "journal-cursor " CUR "\n";
	expect_bad(c, strlen(c), 16, "too long");
}

static void
test_seqnum(void **state)
{
	char		 id[33];
	uint64_t	 seq;

	assert_int_equal(jcursor_seqnum(CUR, id, &seq), 0);
	assert_int_equal(seq, 0x425c);
	assert_int_equal(jcursor_seqnum("i=5;s=e8ba7c8e578a48f0aaea51f30398"
	    "aece", id, &seq), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(jcursor_seqnum("s=e8ba7c8e578a48f0aaea51f30398aece",
	    id, &seq), -1);
	assert_int_equal(jcursor_seqnum("", id, &seq), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_replaces, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_save_fails_cleanly, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_good, setup,
		    teardown),
		cmocka_unit_test(test_journal_corrupt),
		cmocka_unit_test(test_seqnum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
