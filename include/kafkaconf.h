/*
 * kafkaconf.h: what the Kafka output (out_kafka.c) and the Kafka input
 * (input_kafka.c) share of librdkafka's configuration: the user's
 * `kafka.NAME = VALUE` keys, and handing those and the section's own
 * settings to librdkafka, each refusal reported with its file:line.
 */
#ifndef KAFKACONF_H
#define KAFKACONF_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define KAFKA_MAX_OPTS	32

struct config;
struct conf_kv;

/* The kafka.NAME = VALUE keys of one section, in file order. */
struct kafka_opts {
	struct {
		char	*name;		/* NAME, without "kafka." */
		char	*val;
		int	 line;
	}		 v[KAFKA_MAX_OPTS];
	size_t		 n;
};

/* Note kv (a kafka.NAME key) of section "[kind sect]": 0; CM_REPORTED
 * past KAFKA_MAX_OPTS (said through cf); -2 on ENOMEM. */
int		 kafka_opts_add(struct kafka_opts *, struct config *cf,
		    const char *kind, const char *sect, const struct conf_kv *kv);
void		 kafka_opts_free(struct kafka_opts *);
/*
 * Set the section's own settings kv[0..nkv) (a NULL value is skipped), then
 * the user's keys (which may override them), on c.  Every setting
 * librdkafka refuses is reported through cf (at line, or the key's own
 * line) or, with cf NULL, logged as "kind name: why".  0, or -1 if any was
 * refused.
 */
int		 kafka_conf_apply(rd_kafka_conf_t *c, const char *const kv[][2],
		    size_t nkv, const struct kafka_opts *, struct config *cf,
		    int line, const char *kind, const char *name);

#endif
