/*
 * confmap.c: applies a key table (include/confmap.h) to a named section.
 * Values are parsed by the same parsers as the fixed sections (config.c);
 * each mistake is one "file:line: [kind name] ..." error and reading goes
 * on, so -t and a reload name them all at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confmap.h"

const struct conf_map *
conf_map_find(const struct conf_map *m, size_t n, const char *key)
{
	size_t	 i, len;

	for (i = 0; m != NULL && i < n; i++) {
		if (!(m[i].flags & CM_PREFIX)) {
			if (strcmp(m[i].key, key) == 0)
				return &m[i];
			continue;
		}
		len = strlen(m[i].key);
		if (strncmp(m[i].key, key, len) == 0 && key[len] != '\0')
			return &m[i];
	}
	return NULL;
}

int
conf_sect_line(const struct conf_sect *s, const char *key)
{
	size_t	 i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return s->kv[i].line;
	return 0;
}

const char *
conf_sect_get(const struct conf_sect *s, const char *key)
{
	size_t	 i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return s->kv[i].val;
	return NULL;
}

/* The typed value of v into obj; 0, -1 bad, -2 ENOMEM. */
static int
map_value(struct config *cf, const struct conf_map *m, void *obj,
    const char *v)
{
	/* no pointer past obj is formed for CM_NOVALUE */
	void		*dst = m->off != CM_NOVALUE ? (char *)obj + m->off :
			    NULL;
	uint64_t	 u;
	int64_t		 ms;
	size_t		 i;
	int		 b;
	char		*s;

	switch (m->type) {
	case CM_UINT:
	case CM_SIZE:
		if ((m->type == CM_SIZE ? conf_parse_size(v, &u) :
		    conf_parse_uint(v, &u)) == -1 || u < m->min || u > m->max)
			return -1;
		if (m->off != CM_NOVALUE)
			*(uint64_t *)dst = u;
		return 0;
	case CM_MS:
	case CM_US:
		if (conf_parse_duration(v, &ms) == -1 ||
		    (uint64_t)ms < m->min || (uint64_t)ms > m->max)
			return -1;
		if (m->off != CM_NOVALUE)
			*(int64_t *)dst = m->type == CM_US ? ms * 1000 : ms;
		return 0;
	case CM_BOOL:
		if (conf_parse_bool(v, &b) == -1)
			return -1;
		if (m->off != CM_NOVALUE)
			*(int *)dst = b;
		return 0;
	case CM_ENUM:
		for (i = 0; m->names[i] != NULL; i++)
			if (strcmp(m->names[i], v) == 0)
				break;
		if (m->names[i] == NULL)
			return -1;
		if (m->off != CM_NOVALUE)
			*(int *)dst = (int)i;
		return 0;
	case CM_STRING:
	case CM_PATH:
		if (m->min > 0 && *v == '\0')
			return -1;
		if (m->off == CM_NOVALUE)
			return 0;
		s = m->type == CM_PATH ? config_path(cf, v) : strdup(v);
		if (s == NULL)
			return -2;
		free(*(char **)dst);
		*(char **)dst = s;
		return 0;
	case CM_CUSTOM:
		break;
	}
	return 0;
}

int
conf_map_defaults(struct config *cf, const struct conf_map *m, size_t n,
    void *obj)
{
	struct conf_kv	 kv;
	size_t		 i;
	int		 rc;

	for (i = 0; i < n; i++) {
		if (m[i].def == NULL)
			continue;
		kv.key = (char *)m[i].key;
		kv.val = (char *)m[i].def;
		kv.line = 0;
		rc = map_value(cf, &m[i], obj, m[i].def);
		if (rc == 0 && m[i].set != NULL)
			rc = m[i].set(cf, obj, NULL, &kv);
		if (rc == -2)
			return -2;
	}
	return 0;
}

const struct conf_sect *
conf_sect_find(const struct config *cf, const char *kind, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->nsects; i++)
		if (strcmp(cf->sects[i].kind, kind) == 0 &&
		    strcmp(cf->sects[i].name, name) == 0)
			return &cf->sects[i];
	return NULL;
}

/* One key=value through its row; 0, -1 reported, -2 ENOMEM. */
static int
map_key(struct config *cf, const struct conf_sect *s,
    const struct conf_map *m, void *obj, const struct conf_kv *kv)
{
	int	 rc;

	if ((rc = map_value(cf, m, obj, kv->val)) == 0 && m->set != NULL)
		rc = m->set(cf, obj, s, kv);
	if (rc == -1)
		config_error(cf, kv->line, "[%s %s] bad %s '%s' (%s)",
		    s->kind, s->name, kv->key, kv->val,
		    m->help != NULL ? m->help : "see the manual");
	return rc == CM_REPORTED ? -1 : rc;
}

int
conf_map_apply(struct config *cf, const struct conf_sect *s,
    const struct conf_map *m1, size_t n1, void *obj1,
    const struct conf_map *m2, size_t n2, void *obj2)
{
	const struct conf_map	*m;
	void			*obj;
	size_t			 i, j;
	int			 bad = 0, rc;

	for (i = 0; i < s->nkv; i++) {
		obj = obj1;
		if ((m = conf_map_find(m1, n1, s->kv[i].key)) == NULL) {
			m = conf_map_find(m2, n2, s->kv[i].key);
			obj = obj2;
		}
		if (m == NULL) {
			config_error(cf, s->kv[i].line, "unknown key '%s' in "
			    "[%s %s]", s->kv[i].key, s->kind, s->name);
			bad = 1;
			continue;
		}
		for (j = 0; j < i && !(m->flags & CM_REPEAT); j++)
			if (strcmp(s->kv[j].key, s->kv[i].key) == 0)
				break;
		if (j < i && !(m->flags & CM_REPEAT)) {
			config_error(cf, s->kv[i].line, "[%s %s] '%s' already "
			    "set at line %d", s->kind, s->name, s->kv[i].key,
			    s->kv[j].line);
			bad = 1;
			continue;
		}
		if ((rc = map_key(cf, s, m, obj, &s->kv[i])) == -2)
			return -2;
		if (rc != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}
