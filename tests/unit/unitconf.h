/*
 * unitconf.h: what the unit tests of config-driven modules share (included
 * after <cmocka.h> and "config.h"): a config built from INI text.
 */
#ifndef UNITCONF_H
#define UNITCONF_H

/*
 * A config from INI text: "[kind NAME]" and "key = value" lines only, '#'
 * lines skipped; line numbers as in the text, the file named test.conf.
 * Enough for the sections a module reads itself (classes, alerts); the
 * real reader (config.c) has its own tests.
 */
static inline struct config *
unitconf(const char *text)
{
	struct config		*cf = calloc(1, sizeof(*cf));
	struct conf_sect	*s = NULL;
	char			*copy = strdup(text), *line, *save, *eq, *v;
	int			 n = 0;

	cf->file = strdup("test.conf");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (*line == '#')
			continue;
		if (*line == '[') {
			cf->sects = realloc(cf->sects, (cf->nsects + 1) *
			    sizeof(*cf->sects));
			s = &cf->sects[cf->nsects++];
			memset(s, 0, sizeof(*s));
			line[strcspn(line, "]")] = '\0';
			v = strchr(line, ' ');
			*v = '\0';
			s->kind = strdup(line + 1);
			s->name = strdup(v + 1);
			s->line = n;
			continue;
		}
		assert_non_null(s);
		assert_non_null(eq = strchr(line, '='));
		v = eq + 1 + strspn(eq + 1, " ");
		*eq = '\0';
		while (eq > line && eq[-1] == ' ')
			*--eq = '\0';
		s->kv = realloc(s->kv, (s->nkv + 1) * sizeof(*s->kv));
		s->kv[s->nkv].key = strdup(line);
		s->kv[s->nkv].val = strdup(v);
		s->kv[s->nkv].line = n;
		s->nkv++;
	}
	free(copy);
	return cf;
}

#endif
