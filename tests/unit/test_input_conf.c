/*
 * test_input_conf.c: [input NAME] sections (input.c, input_journal.c) read
 * through the key table: a good journal section builds; every mistake of
 * every section is reported with its file:line in one pass (-t shows them
 * all): no type, an unknown type, a match that sd_journal would refuse, a
 * + at an end, a bad start, an unknown key, a key given twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "input.h"
#include "unitconf.h"

static struct config *
conf(const char *text)
{
	struct config	*cf = unitconf(text);

	cf->dir = strdup("/etc/logstreamd");
	cf->max_message = 65536;
	return cf;
}

/* Some error of cf says "test.conf:LINE: " and has what in it. */
static void
has_error(const struct config *cf, int line, const char *what)
{
	char	 at[32];
	size_t	 i;

	snprintf(at, sizeof(at), "test.conf:%d: ", line);
	for (i = 0; i < cf->nerrors; i++)
		if (strncmp(cf->errors[i], at, strlen(at)) == 0 &&
		    strstr(cf->errors[i], what) != NULL)
			return;
	for (i = 0; i < cf->nerrors; i++)
		print_message("  %s\n", cf->errors[i]);
	fail_msg("no error at line %d with '%s'", line, what);
}

static void
test_good(void **state)
{
	struct config	*cf = conf(
	    "[input sys]\n"
	    "type = journal\n"
	    "match = _SYSTEMD_UNIT=sshd.service\n"
	    "match = +\n"
	    "match = SYSLOG_IDENTIFIER=sudo\n"
	    "state = ../var/journal.cursor\n"
	    "start = all\n"
	    "[input all]\n"
	    "type = journal\n");
	struct inputs	*ins;
	char		 buf[128];

	assert_non_null(ins = inputs_new(cf));
	assert_int_equal(cf->nerrors, 0);
	inputs_describe(ins, buf, sizeof(buf));
	assert_string_equal(buf, "sys (journal), all (journal)");
	inputs_free(ins);
	config_free(cf);
}

static void
test_none(void **state)
{
	struct config	*cf = conf("[class x]\nmessage = y\n");

	assert_null(inputs_new(cf));
	assert_int_equal(cf->nerrors, 0);
	config_free(cf);
}

static void
test_errors_all_at_once(void **state)
{
	struct config	*cf = conf(
	    "[input a]\n"			/* 1: no type */
	    "state = x\n"
	    "[input b]\n"			/* 3 */
	    "type = syslog\n"			/* 4: unknown */
	    "[input c]\n"			/* 5 */
	    "type = journal\n"
	    "match = lower=case\n"		/* 7 */
	    "match = =nofield\n"		/* 8 */
	    "match = NOEQUALS\n"		/* 9 */
	    "start = middle\n"			/* 10 */
	    "colour = blue\n"			/* 11 */
	    "state = a\n"
	    "state = b\n"			/* 13: twice */
	    "[input d]\n"			/* 14 */
	    "type = journal\n"
	    "match = +\n"			/* 16: + first */
	    "match = A=b\n"
	    "[input e]\n"
	    "type = journal\n"
	    "match = A=b\n"
	    "match = +\n"			/* 21: + + */
	    "match = +\n"
	    "match = B=c\n");

	assert_null(inputs_new(cf));
	has_error(cf, 1, "type = journal | tail | kafka is required");
	has_error(cf, 4, "type = syslog: unknown");
	has_error(cf, 7, "match");
	has_error(cf, 8, "match");
	has_error(cf, 9, "match");
	has_error(cf, 10, "start");
	has_error(cf, 11, "colour");
	has_error(cf, 13, "state");
	has_error(cf, 16, "+ stands between two groups");
	has_error(cf, 21, "+ stands between two groups");
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_errors_all_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
