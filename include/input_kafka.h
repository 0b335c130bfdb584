/*
 * input_kafka.h: [input NAME] type = kafka (input_kafka.c), a consumer
 * group member; what input.c and the health check need beyond the ops.
 */
#ifndef INPUT_KAFKA_H
#define INPUT_KAFKA_H

#include <stddef.h>

struct input;

extern const struct input_ops input_kafka_ops;

/* 0 when every partition it owns is within max_lag (or there is no
 * bound); else -1 with the first one over in why.  Event loop only. */
int	input_kafka_health(struct input *, char *why, size_t len);

#endif
