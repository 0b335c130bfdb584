/*
 * kafkaconf.c: librdkafka settings of a [output]/[input] section with
 * type = kafka, shared by both (kafkaconf.h).
 */
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "kafkaconf.h"

int
kafka_opts_add(struct kafka_opts *o, struct config *cf, const char *kind,
    const char *sect, const struct conf_kv *kv)
{
	if (o->n == KAFKA_MAX_OPTS) {
		config_error(cf, kv->line, "[%s %s]: at most %d kafka.* keys",
		    kind, sect, KAFKA_MAX_OPTS);
		return CM_REPORTED;
	}
	o->v[o->n].name = strdup(kv->key + strlen("kafka."));
	o->v[o->n].val = strdup(kv->val);
	o->v[o->n].line = kv->line;
	o->n++;			/* freed by kafka_opts_free, even half made */
	if (o->v[o->n - 1].name == NULL || o->v[o->n - 1].val == NULL)
		return -2;
	return 0;
}

void
kafka_opts_free(struct kafka_opts *o)
{
	size_t	 i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].name);
		free(o->v[i].val);
	}
	o->n = 0;
}

int
kafka_conf_apply(rd_kafka_conf_t *c, const char *const kv[][2], size_t nkv,
    const struct kafka_opts *o, struct config *cf, int line, const char *kind,
    const char *name)
{
	char		 err[256];
	const char	*n, *v;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < nkv + o->n; i++) {
		n = i < nkv ? kv[i][0] : o->v[i - nkv].name;
		v = i < nkv ? kv[i][1] : o->v[i - nkv].val;
		if (n == NULL || v == NULL)
			continue;
		if (rd_kafka_conf_set(c, n, v, err, sizeof(err)) ==
		    RD_KAFKA_CONF_OK)
			continue;
		bad = 1;
		if (cf != NULL)
			config_error(cf, i < nkv ? line : o->v[i - nkv].line,
			    "[%s %s]: %s", kind, name, err);
		else
			diag_err("%s %s: %s", kind, name, err);
	}
	return bad ? -1 : 0;
}
