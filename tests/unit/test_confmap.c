/*
 * test_confmap.c: the key tables (confmap.h), here those of named
 * sections, and every table of the daemon (test_all_tables): defaults
 * through the same parse as a key, every type with its bounds, prefix and
 * repeatable rows, set functions (their own errors, ENOMEM), and every
 * mistake of a section reported with its line in one pass.
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

#include "config.h"
#include "confmap.h"

struct thing {
	uint64_t	 n;
	uint64_t	 size;
	int64_t		 ms;
	int64_t		 us;
	int		 flag;
	int		 pick;
	char		*name;
	int		 nprefixed;
	int		 nrepeat;
};

static int
count_prefixed(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct thing	*t = obj;

	if (strcmp(kv->val, "refuse") == 0) {
		config_error(cf, kv->line, "[%s %s] %s: refused here",
		    s->kind, s->name, kv->key);
		return CM_REPORTED;
	}
	t->nprefixed++;
	return 0;
}

static int
count_repeat(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	((struct thing *)obj)->nrepeat++;
	return 0;
}

static const char *const picks[] = { "red", "green", NULL };

#define T(f)	offsetof(struct thing, f)

static const struct conf_map map[] = {
	{ "n", CM_UINT, T(n), "5", 1, 10, NULL, "1..10", 0, NULL },
	{ "size", CM_SIZE, T(size), "1k", 0, 1 << 20, NULL, "a size", 0,
	    NULL },
	{ "ms", CM_MS, T(ms), "2s", 0, 60000, NULL, "at most 1m", 0, NULL },
	{ "us", CM_US, T(us), "1ms", 1, 1000, NULL, "1ms..1s", 0, NULL },
	{ "flag", CM_BOOL, T(flag), "yes", 0, 0, NULL, "yes or no", 0, NULL },
	{ "pick", CM_ENUM, T(pick), "green", 0, 0, picks, "red or green", 0,
	    NULL },
	{ "name", CM_STRING, T(name), "dflt", 1, 0, NULL, "a name", 0, NULL },
	{ "x.", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, "anything",
	    CM_PREFIX, count_prefixed },
	{ "again", CM_UINT, CM_NOVALUE, NULL, 0, 9, NULL, "0..9", CM_REPEAT,
	    count_repeat },
};

static char	 path[64];

static struct config *
load(const char *text)
{
	struct config	*cf;
	FILE		*fp;

	snprintf(path, sizeof(path), "/tmp/test_confmap.%d.conf",
	    (int)getpid());
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_non_null(cf = config_load(path));
	assert_int_equal(cf->nerrors, 0);	/* named sections: raw */
	assert_int_equal(cf->nsects, 1);
	return cf;
}

static int
has(const struct config *cf, int line, const char *needle)
{
	char	 prefix[96];
	size_t	 i;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	for (i = 0; i < cf->nerrors; i++)
		if (strncmp(cf->errors[i], prefix, strlen(prefix)) == 0 &&
		    strstr(cf->errors[i], needle) != NULL)
			return 1;
	for (i = 0; i < cf->nerrors; i++)
		print_message("  %s\n", cf->errors[i]);
	return 0;
}

static void
test_values(void **state)
{
	struct config	*cf;
	struct thing	 t;

	(void)state;
	memset(&t, 0, sizeof(t));
	cf = load("[class c]\nn = 7\nsize = 2k\nms = 500ms\nflag = no\n"
	    "pick = red\nname = abc\nx.one = 1\nx.two = 2\nagain = 1\n"
	    "again = 2\n");
	assert_int_equal(conf_map_defaults(cf, map, CM_N(map), &t), 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.us, 1000);
	assert_string_equal(t.name, "dflt");
	assert_int_equal(conf_map_apply(cf, &cf->sects[0], map, CM_N(map),
	    &t, NULL, 0, NULL), 0);
	assert_int_equal(cf->nerrors, 0);
	assert_int_equal(t.n, 7);
	assert_int_equal(t.size, 2048);
	assert_int_equal(t.ms, 500);
	assert_int_equal(t.us, 1000);		/* default kept */
	assert_int_equal(t.flag, 0);
	assert_int_equal(t.pick, 0);
	assert_string_equal(t.name, "abc");
	assert_int_equal(t.nprefixed, 2);
	assert_int_equal(t.nrepeat, 2);
	assert_string_equal(conf_sect_get(&cf->sects[0], "name"), "abc");
	assert_int_equal(conf_sect_line(&cf->sects[0], "ms"), 4);
	assert_int_equal(conf_sect_line(&cf->sects[0], "nope"), 0);
	assert_non_null(conf_sect_find(cf, "class", "c"));
	assert_null(conf_sect_find(cf, "alert", "c"));
	free(t.name);
	config_free(cf);
	unlink(path);
}

/* Every mistake, each with its line, in one pass; good keys still set. */
static void
test_errors(void **state)
{
	struct config	*cf;
	struct thing	 t;

	(void)state;
	memset(&t, 0, sizeof(t));
	cf = load("[class c]\n"
	    "n = 11\n"			/* 2: past max */
	    "n = 3\n"			/* 3: set twice */
	    "size = 2M\n"		/* 4: past max */
	    "ms = 5y\n"			/* 5: not a duration */
	    "us = 0\n"			/* 6: under min */
	    "flag = maybe\n"		/* 7 */
	    "pick = blue\n"		/* 8 */
	    "name =\n"			/* 9: empty, min 1 */
	    "x. = 1\n"			/* 10: a prefix alone is no key */
	    "x.a = refuse\n"		/* 11: the set function's own */
	    "bogus = 1\n"		/* 12 */
	    "again = 10\n"		/* 13: past max, repeatable */
	    "again = 3\n");		/* 14: fine */
	assert_int_equal(conf_map_apply(cf, &cf->sects[0], map, CM_N(map),
	    &t, NULL, 0, NULL), -1);
	assert_true(has(cf, 2, "[class c] bad n '11' (1..10)"));
	assert_true(has(cf, 3, "[class c] 'n' already set at line 2"));
	assert_true(has(cf, 4, "bad size '2M' (a size)"));
	assert_true(has(cf, 5, "bad ms '5y'"));
	assert_true(has(cf, 6, "bad us '0' (1ms..1s)"));
	assert_true(has(cf, 7, "bad flag 'maybe' (yes or no)"));
	assert_true(has(cf, 8, "bad pick 'blue' (red or green)"));
	assert_true(has(cf, 9, "bad name ''"));
	assert_true(has(cf, 10, "unknown key 'x.' in [class c]"));
	assert_true(has(cf, 11, "x.a: refused here"));
	assert_true(has(cf, 12, "unknown key 'bogus' in [class c]"));
	assert_true(has(cf, 13, "bad again '10' (0..9)"));
	assert_int_equal(cf->nerrors, 12);
	assert_int_equal(t.nrepeat, 1);
	config_free(cf);
	unlink(path);
}

/* Two tables: the first that has a key takes it, into its own object. */
static void
test_two_tables(void **state)
{
	static const struct conf_map second[] = {
		{ "n", CM_UINT, 0, NULL, 0, 100, NULL, "0..100", 0, NULL },
		{ "only2", CM_UINT, 0, NULL, 0, 100, NULL, "0..100", 0, NULL },
	};
	struct config	*cf;
	struct thing	 t;
	uint64_t	 other = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	cf = load("[output o]\nn = 9\nonly2 = 42\n");
	assert_int_equal(conf_map_apply(cf, &cf->sects[0], map, CM_N(map),
	    &t, second, CM_N(second), &other), 0);
	assert_int_equal(t.n, 9);
	assert_int_equal(other, 42);
	config_free(cf);
	unlink(path);
}

/* A default of a row is a value the row takes. */
static int
default_ok(const struct conf_map *m)
{
	uint64_t	 u;
	int64_t		 ms;
	size_t		 i;
	int		 b;

	switch (m->type) {
	case CM_UINT:
	case CM_SIZE:
		return (m->type == CM_SIZE ? conf_parse_size(m->def, &u) :
		    conf_parse_uint(m->def, &u)) == 0 && u >= m->min &&
		    u <= m->max;
	case CM_MS:
	case CM_US:
		return conf_parse_duration(m->def, &ms) == 0 &&
		    (uint64_t)ms >= m->min && (uint64_t)ms <= m->max;
	case CM_BOOL:
		return conf_parse_bool(m->def, &b) == 0;
	case CM_ENUM:
		for (i = 0; m->names[i] != NULL; i++)
			if (strcmp(m->names[i], m->def) == 0)
				return 1;
		return 0;
	case CM_PATH:
	case CM_STRING:
		return m->min == 0 || m->def[0] != '\0';
	case CM_CUSTOM:
		break;
	}
	return 1;
}

/*
 * Every table --keys lists, fixed sections and named: keys unique in a
 * table, each row with help, each default taken by its own row; --keys
 * prints one line a row, the first five fields without blanks.
 */
static void
test_all_tables(void **state)
{
	const struct conf_table *const named[] = {
		&conf_class_keys, &conf_lookup_keys, &conf_limit_keys,
		&conf_alert_keys, &conf_output_keys, &conf_output_kafka_keys,
		&conf_output_forward_keys, &conf_input_keys
	};
	const struct conf_table	*t;
	struct conf_table	 in[8];
	char			*buf = NULL, *line, *save = NULL, *p;
	size_t			 i, j, k, rows = 0, lines = 0, len = 0, nin;
	FILE			*fp;

	(void)state;
	nin = input_key_tables(in, CM_N(in));
	for (i = 0; i < conf_nfixed + CM_N(named) + nin; i++) {
		t = i < conf_nfixed ? &conf_fixed[i] : i < conf_nfixed +
		    CM_N(named) ? named[i - conf_nfixed] :
		    &in[i - conf_nfixed - CM_N(named)];
		for (j = 0; j < t->n; j++, rows++) {
			if (t->map[j].help == NULL || t->map[j].help[0] == '\0')
				fail_msg("[%s] %s: no help", t->section,
				    t->map[j].key);
			if (t->map[j].def != NULL && !default_ok(&t->map[j]))
				fail_msg("[%s] %s: bad default '%s'",
				    t->section, t->map[j].key, t->map[j].def);
			for (k = 0; k < j; k++)
				if (strcmp(t->map[j].key, t->map[k].key) == 0)
					fail_msg("[%s] %s: two rows",
					    t->section, t->map[j].key);
		}
	}
	assert_non_null(fp = open_memstream(&buf, &len));
	conf_keys_print(fp);
	assert_int_equal(fclose(fp), 0);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), lines++) {
		for (p = line, k = 0; k < 5; k++) {
			if (*p == '\0' || *p == ' ')
				fail_msg("short line: %s", line);
			p += strcspn(p, " ");
			p += *p == ' ';
		}
	}
	assert_int_equal(lines, rows);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_two_tables),
		cmocka_unit_test(test_all_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
