/*
 * evkey.c: the key of a [limit] or [lookup] (see evkey.h): one parser for
 * the config value and one extraction from a record, shared by limiter.c
 * and lookup.c.
 */
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "evkey.h"
#include "logrec.h"

int
evkey_parse(struct evkey *k, const char *text)
{
	static const char *const names[] = { "host", "source", "app" };
	size_t	 i;

	for (i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0) {
			k->kind = (int)i;
			return 0;
		}
	if (strncmp(text, "field.", 6) != 0 || text[6] == '\0')
		return -1;
	k->kind = EVKEY_FIELD;
	free(k->field);
	return (k->field = strdup(text + 6)) == NULL ? -2 : 0;
}

struct lsslice
evkey_of(const struct evkey *k, const struct lsbatch *b,
    const struct logrec *r, int flags)
{
	const struct lsfield	*f;
	struct lsslice		 none = { 0, 0 };

	switch (k->kind) {
	case EVKEY_HOST:
		return r->host;
	case EVKEY_SOURCE:
		return r->source;
	case EVKEY_APP:
		return r->app;
	}
	f = classifier_field(b, r, k->field, strlen(k->field));
	if (f == NULL || ((flags & EVKEY_SCALAR) && f->type == LSFT_JSON))
		return none;
	return f->val;
}

void
evkey_clear(struct evkey *k)
{
	free(k->field);
	k->field = NULL;
	k->kind = EVKEY_HOST;
}
