/*
 * confkeys.c: `logstreamd --keys`, every row of every key table
 * (include/confmap.h), one a line: SECTION KEY TYPE DEFAULT BOUNDS HELP.
 * The first five fields hold no blank; the help is the rest of the line.
 * tests/integration/t_keys_doc.sh checks each key against the manuals.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "confmap.h"

static const char *
type_name(const struct conf_map *m)
{
	switch (m->type) {
	case CM_UINT:
		return "number";
	case CM_SIZE:
		return "size";
	case CM_MS:
	case CM_US:
		return "duration";
	case CM_BOOL:
		return "bool";
	case CM_STRING:
		return "string";
	case CM_PATH:
		return "path";
	case CM_ENUM:
		return "enum";
	case CM_CUSTOM:
		break;
	}
	return (m->flags & CM_REPEAT) ? "list" : "value";
}

static void
bounds(const struct conf_map *m, char *buf, size_t len)
{
	char	 lo[32], hi[32];
	size_t	 i;

	buf[0] = '\0';
	switch (m->type) {
	case CM_UINT:
	case CM_SIZE:
		if (m->min == 0 && m->max == UINT64_MAX)
			break;
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64, m->min, m->max);
		return;
	case CM_MS:
	case CM_US:
		conf_format_duration((int64_t)m->min, lo, sizeof(lo));
		conf_format_duration((int64_t)m->max, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s", lo, hi);
		return;
	case CM_ENUM:
		for (i = 0; m->names[i] != NULL; i++)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    i ? "|" : "", m->names[i]);
		return;
	case CM_PATH:
	case CM_STRING:
		if (m->min > 0)
			snprintf(buf, len, "non-empty");
		return;
	default:
		break;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static void
print_table(FILE *fp, const struct conf_table *t)
{
	char	 b[256];
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		bounds(&t->map[i], b, sizeof(b));
		fprintf(fp, "%s %s%s %s %s %s %s\n", t->section, t->map[i].key,
		    (t->map[i].flags & CM_PREFIX) ? "NAME" : "",
		    type_name(&t->map[i]), t->map[i].def == NULL ? "-" :
		    t->map[i].def[0] == '\0' ? "\"\"" : t->map[i].def,
		    b[0] != '\0' ? b : "-", t->map[i].help != NULL ?
		    t->map[i].help : "");
	}
}

void
conf_keys_print(FILE *fp)
{
	static const struct conf_table *const named[] = {
		&conf_class_keys, &conf_lookup_keys, &conf_limit_keys,
		&conf_alert_keys, &conf_output_keys, &conf_output_kafka_keys,
		&conf_output_forward_keys, &conf_input_keys
	};
	struct conf_table	 in[8];
	size_t			 i, n;

	for (i = 0; i < conf_nfixed; i++)
		print_table(fp, &conf_fixed[i]);
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		print_table(fp, named[i]);
	n = input_key_tables(in, sizeof(in) / sizeof(in[0]));
	for (i = 0; i < n; i++)
		print_table(fp, &in[i]);
}
