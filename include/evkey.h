/*
 * evkey.h: the key a [limit] or a [lookup] reads from each event: the
 * event's host, source or app, or one of its fields (field.NAME), parsed
 * from the config once and taken from a record per event.
 */
#ifndef EVKEY_H
#define EVKEY_H

#include "logrec.h"

enum evkey_kind { EVKEY_HOST = 0, EVKEY_SOURCE, EVKEY_APP, EVKEY_FIELD };

#define EVKEY_SCALAR	0x1	/* a field holding JSON (object, array) is no
				 * key */

struct evkey {
	int	 kind;		/* enum evkey_kind */
	char	*field;		/* EVKEY_FIELD: the field's name (owned) */
};

/* "host", "source", "app" or "field.NAME" into k (a field name it held
 * freed): 0; -1 when text is none of those; -2 on ENOMEM (as the config
 * table's setters return). */
int		 evkey_parse(struct evkey *k, const char *text);
/* The value of k in r (a slice of b; empty when r has none). */
struct lsslice	 evkey_of(const struct evkey *k, const struct lsbatch *b,
		    const struct logrec *r, int flags);
/* Free what k holds (not k); k is then EVKEY_HOST. */
void		 evkey_clear(struct evkey *k);

#endif
