/*
 * test_lookup.c: the CSV reader of [lookup NAME] tables: a BOM, CRLF line
 * ends, quoted commas, "" inside quotes, a line end inside quotes, blank
 * lines, a later row of a key seen before; and what it refuses, with the
 * line: a row with too many or too few values, an unclosed quote, text
 * after a closing quote, one column, more than max_rows rows.
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

#include "lookup.h"

static char	 path[64];

static struct lktable *
read_text(const char *text, size_t len, uint64_t max_rows, char *err,
    int *line)
{
	FILE	*fp;

	snprintf(path, sizeof(path), "/tmp/test_lookup.%d.csv", (int)getpid());
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	return lktable_read(path, max_rows, err, 256, line);
}

static void
expect(const struct lktable *t, const char *key, size_t c, const char *want)
{
	const char	*v;
	size_t		 len;

	v = lktable_get(t, key, strlen(key), c, &len);
	if (want == NULL) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
}

static void
test_read(void **state)
{
	static const char text[] = "\xef\xbb\xbfhost,site,owner\r\n"
	    "web01,\"Paris, FR\",alice\r\n"
	    "\r\n"
	    "\"db\"\"1\",Berlin,\"bob\r\nsmith\"\r\n"
	    "web02,,carol\n"
	    "web01,Lyon,dave\n"
	    "last,x,y";
	struct lktable	*t;
	char		 err[256];
	int		 line;

	(void)state;
	t = read_text(text, sizeof(text) - 1, 100, err, &line);
	if (t == NULL)
		fail_msg("%d: %s", line, err);
	assert_int_equal(lktable_cols(t), 3);
	assert_int_equal(lktable_rows(t), 5);
	assert_string_equal(lktable_col(t, 0), "host");	/* no BOM */
	assert_string_equal(lktable_col(t, 1), "site");
	assert_string_equal(lktable_col(t, 2), "owner");	/* no \r */
	assert_null(lktable_col(t, 3));
	expect(t, "web01", 1, "Lyon");		/* the later row wins */
	expect(t, "db\"1", 1, "Berlin");
	expect(t, "db\"1", 2, "bob\r\nsmith");
	expect(t, "web02", 1, "");
	expect(t, "web02", 2, "carol");
	expect(t, "last", 2, "y");
	expect(t, "web0", 1, NULL);
	expect(t, "host", 1, NULL);	/* the header is no row */
	lktable_free(t);
	unlink(path);
}

static void
refused(const char *text, uint64_t max_rows, int want_line,
    const char *want)
{
	char	 err[256];
	int	 line;

	assert_null(read_text(text, strlen(text), max_rows, err, &line));
	if (line != want_line || strstr(err, want) == NULL)
		fail_msg("'%s': got %d: %s, want %d: %s", text, line, err,
		    want_line, want);
	unlink(path);
}

static void
test_refused(void **state)
{
	char	 err[256];
	int	 line;

	(void)state;
	refused("k,v\na,1\nb,2,3\n", 10, 3, "3 values, the header has 2");
	refused("k,v\r\na,1\r\nb\r\n", 10, 3, "1 values");
	refused("k,v\na,\"1\n", 10, 2, "not closed");
	refused("k,v\na,\"1\"x\n", 10, 2, "after a closing quote");
	refused("k\na\n", 10, 1, "one column");
	refused("", 10, 1, "no header");
	refused("k,v\na,1\nb,2\nc,3\n", 2, 4, "more than max_rows = 2");
	refused("\xef\xbbk,v\n", 10, 1, "not UTF-8");
	assert_null(lktable_read("/nonexistent/x.csv", 10, err, sizeof(err),
	    &line));
	assert_int_equal(line, 0);
	assert_non_null(strstr(err, "cannot read"));
}

/* Blank lines are skipped in a loop: many of them are no deep recursion. */
static void
test_blank_lines(void **state)
{
	struct lktable	*t;
	char		*text, err[256];
	size_t		 n = 500000, len;
	int		 line;

	(void)state;
	assert_non_null(text = malloc(n + 16));
	memcpy(text, "k,v\n", 4);
	memset(text + 4, '\n', n);
	memcpy(text + 4 + n, "a,1\n", 4);
	len = n + 8;
	t = read_text(text, len, 10, err, &line);
	if (t == NULL)
		fail_msg("%d: %s", line, err);
	assert_int_equal(lktable_rows(t), 1);
	expect(t, "a", 1, "1");
	lktable_free(t);
	free(text);
	unlink(path);
	/* and the line of a bad row after them is right */
	text = strdup("k,v\n\n\n\r\nx\n");
	assert_null(read_text(text, strlen(text), 10, err, &line));
	assert_int_equal(line, 5);
	free(text);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_blank_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
