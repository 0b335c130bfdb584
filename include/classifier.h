/*
 * classifier.h: the second stage.  Gives every event a class by the
 * [class NAME] rules of the config, tried in file order (first match wins;
 * no match: "other", id 0).  Rules are checked cheap-first: bit masks for
 * severity/facility/format/transport/stream, hashed exact strings, then
 * PCRE2 (JIT) regexes.  The named groups (?<name>...) of the regexes of
 * the class an event gets become string fields of the event (a field the
 * parser found keeps its value).
 */
#ifndef CLASSIFIER_H
#define CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "logrec.h"

#define CLASSIFIER_MAX	65535		/* classes besides "other" */
#define CLASSIFIER_MAX_CAPS 32		/* named groups of one class */

struct classifier;

/* Build from cf's [class NAME] sections; NULL if any is invalid (each
 * problem recorded with config_error) or on ENOMEM.  Caller frees. */
struct classifier	*classifier_new(struct config *cf);
/* Free a classifier and its names; NULL is a no-op. */
void			 classifier_free(struct classifier *);
/* Set cls and cls_id of every record of b not flagged LR_DROP, and add
 * its class's captures as fields (in b); r->cls points into the
 * classifier and lives as long as it does. */
void			 classifier_process(struct classifier *,
			    struct lsbatch *b);
/* Number of classes, "other" (id 0) included. */
size_t			 classifier_count(const struct classifier *);
/* Name of class id (static for the classifier's life), NULL if out of
 * range. */
const char		*classifier_name(const struct classifier *, size_t id);
/* Class id of a name ("other" is 0), or -1; used by the alerter. */
int			 classifier_lookup(const struct classifier *,
			    const char *name);
/* Whether a regex of class id has the named group (?<name>...): 1 yes,
 * 0 no (but it has others), -1 the class extracts no fields. */
int			 classifier_capture(const struct classifier *,
			    size_t id, const char *name);
/* 0 if class id has store = no (its events are dropped after the
 * alerter, reason "rule"), else 1. */
int			 classifier_stores(const struct classifier *,
			    size_t id);
/* Events given class id so far (safe to read from another thread). */
uint64_t		 classifier_hits(const struct classifier *, size_t id);

/*
 * Shared with the alerter: find field NAME of record r (a JSON/logfmt key,
 * or an SD param as "SDID.param" or plain "param").  Returns the field or
 * NULL; the value is f->val in b's arena.
 */
const struct lsfield	*classifier_field(const struct lsbatch *b,
			    const struct logrec *r, const char *name,
			    size_t namelen);

#endif
