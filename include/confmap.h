/*
 * confmap.h: the key table of every section, fixed ([listen], [storage],
 * ...: read into struct config by config.c) and named ([class X],
 * [alert X], [output X], [lookup X], [limit X]: read by their modules),
 * one row per key with its type, bounds, default and help, the way Fluent
 * Bit's config_map describes a plugin's keys.  One engine parses a value
 * by its row: unknown keys, keys set twice and bad values are each
 * reported with file:line, and reading goes on so that -t shows every
 * mistake in one run.  `logstreamd --keys` lists every row.
 */
#ifndef CONFMAP_H
#define CONFMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config;
struct conf_kv;
struct conf_sect;

enum conf_mtype {
	CM_UINT,		/* uint64_t, min..max */
	CM_SIZE,		/* uint64_t with k/M/G, min..max */
	CM_MS,			/* int64_t ms, a duration, min..max ms */
	CM_US,			/* int64_t µs, a duration, min..max ms */
	CM_BOOL,		/* int */
	CM_STRING,		/* char *, strdup'ed (the old one freed) */
	CM_PATH,		/* char *, relative to the config file */
	CM_ENUM,		/* int: the index in names */
	CM_CUSTOM		/* the row's set function does it all */
};

#define CM_PREFIX	0x01	/* key is a prefix ("field."): KEY.NAME */
#define CM_REPEAT	0x02	/* may be set more than once */
#define CM_NOVALUE	((size_t)-1)	/* off: parsed and checked only */

/* What a set function returns besides 0 and -2 (ENOMEM): -1 for a bad
 * value (the reader reports it with the row's help), or CM_REPORTED when
 * it reported a more precise error itself. */
#define CM_REPORTED	(-3)

struct conf_map;
typedef int	(*conf_set_fn)(struct config *, void *obj,
		    const struct conf_sect *, const struct conf_kv *);

struct conf_map {
	const char		*key;
	enum conf_mtype		 type;
	size_t			 off;		/* into obj, or CM_NOVALUE */
	const char		*def;		/* set before the keys, or NULL */
	uint64_t		 min;
	uint64_t		 max;
	const char *const	*names;		/* CM_ENUM */
	const char		*help;		/* the values it takes */
	int			 flags;		/* CM_PREFIX, CM_REPEAT */
	conf_set_fn		 set;		/* CM_CUSTOM; else run after the
						 * typed value is stored */
};

/* The defaults of a table into obj, through the same parse and set
 * function as a key (the set function sees a NULL section); 0, -2. */
int		 conf_map_defaults(struct config *, const struct conf_map *,
		    size_t n, void *obj);
/*
 * Apply the section's keys: each through the row of the first table that
 * has it (two tables: common keys and a type's own, obj2 may be NULL).
 * Every mistake is reported; 0 all good, -1 some reported, -2 ENOMEM.
 */
int		 conf_map_apply(struct config *, const struct conf_sect *,
		    const struct conf_map *, size_t n, void *obj,
		    const struct conf_map *, size_t n2, void *obj2);
/* The row of a table that takes key; NULL if none. */
const struct conf_map *conf_map_find(const struct conf_map *, size_t n,
		    const char *key);
/* The section [kind name] of cf; NULL if none. */
const struct conf_sect *conf_sect_find(const struct config *,
		    const char *kind, const char *name);
/* The line of key in s (its first setting); 0 if not set. */
int		 conf_sect_line(const struct conf_sect *, const char *key);
/* The value of key in s; NULL if not set. */
const char	*conf_sect_get(const struct conf_sect *, const char *key);

/*
 * One value of a fixed section through its row into obj (struct config),
 * reported as "KEY = VALUE: out of range (MIN to MAX)", ": expected ...",
 * ": empty path" (CM_PATH with min 1 is required to be non-empty) with
 * file:line; 0, or -1 (reported).  The row's set function sees a NULL
 * section, as for a default.  A new fixed section is a table in config.c
 * and a line of conf_fixed[]; nothing else counts its rows.
 */
int		 conf_map_set(struct config *, const struct conf_map *,
		    void *obj, const char *key, const char *val, int line);

/* A section's table, for the fixed sections' reader and for --keys. */
struct conf_table {
	const char		*section;	/* "listen", "output kafka" */
	const struct conf_map	*map;
	size_t			 n;
};
/* The fixed sections (config.c), and every table (confkeys.c). */
extern const struct conf_table	 conf_fixed[];
extern const size_t		 conf_nfixed;
/* The named kinds' tables, in their modules; output/TYPE: a type's own. */
extern const struct conf_table	 conf_class_keys, conf_alert_keys,
				 conf_output_keys, conf_output_kafka_keys,
				 conf_output_forward_keys, conf_lookup_keys,
				 conf_limit_keys, conf_input_keys;
/* The input types' own tables ("input/journal"...): up to max into v; how
 * many (input.c: only the types built in). */
size_t		 input_key_tables(struct conf_table *v, size_t max);
/* Print every row: "SECTION KEY TYPE DEFAULT BOUNDS HELP", one a line. */
void		 conf_keys_print(FILE *);

#define CM_N(t)		(sizeof(t) / sizeof((t)[0]))

#endif
