/*
 * alert_config.c: the keys of one [alert NAME] section (class, type,
 * threshold, window, for, time, allowed_lateness, group_by, suppress,
 * max_groups, exec, exec_timeout, journal), checked with file:line errors,
 * and the bound on ring memory (threshold x max_groups).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerter.h"
#include "alerter_int.h"
#include "classifier.h"
#include "config.h"

static const char *const alert_keys[] = {
	"class", "threshold", "window", "group_by", "suppress", "max_groups",
	"type", "for", "time", "allowed_lateness", "exec", "exec_timeout",
	"journal", NULL
};

static int
set_groupby(struct rule *ru, const char *v)
{
	static const char *const names[] = { "none", "host", "source", "app" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0) {
			ru->gb = (int)i;
			return (ru->gbkey = strdup(v)) == NULL ? -2 : 0;
		}
	if (strncmp(v, "field.", 6) != 0 || v[6] == '\0')
		return -1;
	ru->gb = GB_FIELD;
	return (ru->gbkey = strdup(v)) == NULL ? -2 : 0;
}

/* The keys of the newer alert kinds and outputs; 0, -1 bad value
 * (reported), -2 ENOMEM, 1 not one of them. */
static int
set_key_more(struct config *cf, struct rule *ru, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	const char	*v = kv->val, *why;
	int64_t		 ms;

	if (strcmp(kv->key, "type") == 0) {
		why = "threshold or absence";
		if (strcmp(v, "threshold") == 0 || strcmp(v, "absence") == 0) {
			ru->type = v[0] == 'a' ? AT_ABSENCE : AT_THRESHOLD;
			return 0;
		}
	} else if (strcmp(kv->key, "time") == 0) {
		why = "receive or event";
		if (strcmp(v, "receive") == 0 || strcmp(v, "event") == 0) {
			ru->evtime = v[0] == 'e';
			return 0;
		}
	} else if (strcmp(kv->key, "journal") == 0) {
		why = "yes or no";
		if (conf_parse_bool(v, &ru->journal) == 0)
			return 0;
	} else if (strcmp(kv->key, "exec") == 0) {
		/* No shell and no PATH search: an absolute program. */
		why = "an absolute path to an executable program";
		if (v[0] == '/' && access(v, X_OK) == 0)
			return (ru->exec = strdup(v)) == NULL ? -2 : 0;
	} else if (strcmp(kv->key, "exec_timeout") == 0) {
		why = "a duration from 1ms to 1h";
		if (conf_parse_duration(v, &ms) == 0 && ms >= 1 &&
		    ms <= 3600000) {
			ru->exec_timeout_us = ms * 1000;
			return 0;
		}
	} else if (strcmp(kv->key, "allowed_lateness") == 0) {
		why = "a duration, at most 1d";
		if (conf_parse_duration(v, &ms) == 0 && ms <= 86400000) {
			ru->lateness_us = ms * 1000;
			return 0;
		}
	} else
		return 1;
	config_error(cf, kv->line, "[alert %s] bad %s '%s' (%s)", s->name,
	    kv->key, v, why);
	return -1;
}

/* One key=value of an alert; 0, -1 bad value (reported here), -2 ENOMEM. */
static int
set_key(struct config *cf, const struct classifier *cl, struct rule *ru,
    const struct conf_sect *s, const struct conf_kv *kv)
{
	const char	*v = kv->val;
	const char	*key;
	uint64_t	 u;
	int64_t		 ms;
	int		 rc = 0;

	if ((rc = set_key_more(cf, ru, s, kv)) != 1)
		return rc;
	rc = 0;
	/* for (absence) is the window a group may stay silent. */
	key = strcmp(kv->key, "for") == 0 ? "window" : kv->key;
	if (strcmp(key, "class") == 0) {
		ru->cls_id = cl != NULL ? classifier_lookup(cl, v) :
		    strcmp(v, "other") == 0 ? 0 : -1;
		if (ru->cls_id == -1) {
			config_error(cf, kv->line, "[alert %s] class '%s' is "
			    "not defined (a [class %s] or other)", s->name, v,
			    v);
			return -1;
		}
		return (ru->cls = strdup(v)) == NULL ? -2 : 0;
	}
	if (strcmp(key, "threshold") == 0) {
		if (conf_parse_uint(v, &u) == -1 || u < 1 ||
		    u > ALERTER_MAX_THRESHOLD)
			rc = -1;
		else
			ru->threshold = (uint32_t)u;
	} else if (strcmp(key, "max_groups") == 0) {
		if (conf_parse_uint(v, &u) == -1 || u < 1 || u > MAX_GROUPS)
			rc = -1;
		else
			ru->max_groups = u;
	} else if (strcmp(key, "group_by") == 0) {
		if ((rc = set_groupby(ru, v)) == -2)
			return -2;
	} else if (conf_parse_duration(v, &ms) == -1 ||
	    ms > 365LL * 86400000 ||
	    (strcmp(key, "window") == 0 && ms == 0))
		rc = -1;
	else if (strcmp(key, "window") == 0) {
		ru->window_us = ms * 1000;
		/* As written: the parser let only digits and a unit by. */
		if (strlen(v) >= sizeof(ru->window))
			conf_format_duration(ms, ru->window,
			    sizeof(ru->window));
		else
			strcpy(ru->window, v);
	}
	else
		ru->suppress_us = ms * 1000;
	if (rc == -1)
		config_error(cf, kv->line, "[alert %s] bad %s '%s' (%s)",
		    s->name, kv->key, v, strcmp(key, "threshold") == 0 ?
		    "1..1000000" : strcmp(key, "max_groups") == 0 ?
		    "1..1000000" : strcmp(key, "group_by") == 0 ?
		    "none, host, source, app or field.NAME" :
		    strcmp(key, "window") == 0 ? "a duration > 0, "
		    "at most 365d" : "a duration, at most 365d");
	return rc;
}

static int
known_key(const char *k)
{
	size_t	 i;

	for (i = 0; alert_keys[i] != NULL; i++)
		if (strcmp(alert_keys[i], k) == 0)
			return 1;
	return 0;
}

/* The keys of one [alert NAME]; 0, -1 config error, -2 ENOMEM. */
static int
rule_keys(struct config *cf, const struct classifier *cl, struct rule *ru,
    const struct conf_sect *s)
{
	size_t	 i, j;
	int	 bad = 0, rc;

	for (i = 0; i < s->nkv; i++) {
		if (!known_key(s->kv[i].key)) {
			config_error(cf, s->kv[i].line, "unknown key '%s' in "
			    "[alert %s]", s->kv[i].key, s->name);
			bad = 1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(s->kv[j].key, s->kv[i].key) == 0)
				break;
		if (j < i) {
			config_error(cf, s->kv[i].line, "[alert %s] '%s' "
			    "already set at line %d", s->name, s->kv[i].key,
			    s->kv[j].line);
			bad = 1;
		} else if ((rc = set_key(cf, cl, ru, s, &s->kv[i])) == -2)
			return -2;
		else if (rc == -1)
			bad = 1;
	}
	return bad ? -1 : 0;
}

static int
has_key(const struct conf_sect *s, const char *k)
{
	size_t	 i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, k) == 0)
			return s->kv[i].line;
	return 0;
}

/* Keys that make no sense for the rule's type; -1 if any (reported). */
static int
kinds_check(struct config *cf, struct rule *ru, const struct conf_sect *s)
{
	static const char *const thr_only[] = { "threshold", "window",
	    "time", "allowed_lateness", "suppress", NULL };
	int	 i, line, bad = 0;

	if (ru->type == AT_THRESHOLD && (line = has_key(s, "for")) != 0) {
		config_error(cf, line, "[alert %s] 'for' is for type = "
		    "absence (a threshold rule has 'window')", s->name);
		bad = 1;
	}
	if (ru->type == AT_ABSENCE)
		for (i = 0; thr_only[i] != NULL; i++)
			if ((line = has_key(s, thr_only[i])) != 0) {
				config_error(cf, line, "[alert %s] '%s' is "
				    "not for type = absence", s->name,
				    thr_only[i]);
				bad = 1;
			}
	if (!ru->evtime && (line = has_key(s, "allowed_lateness")) != 0) {
		config_error(cf, line, "[alert %s] 'allowed_lateness' needs "
		    "time = event", s->name);
		bad = 1;
	}
	if (ru->type == AT_ABSENCE && !has_key(s, "for"))
		ru->window_us = 300000000;	/* for = 5m */
	return bad ? -1 : 0;
}

/* One [alert NAME]: defaults, keys, then the checks across keys. */
int
alerter_conf_rule(struct config *cf, const struct classifier *cl,
    struct rule *rules, size_t n, const struct conf_sect *s)
{
	struct rule	*ru = &rules[n];
	uint64_t	 groups;
	size_t		 i;
	int		 rc;

	ru->threshold = 1;
	ru->window_us = 60000000;
	ru->exec_timeout_us = 10000000;
	ru->lateness_us = 30000000;
	ru->max_groups = 10000;
	ru->cls_id = -1;
	if ((ru->name = strdup(s->name)) == NULL)
		return -2;
	for (i = 0; i < n; i++)
		if (strcmp(rules[i].name, s->name) == 0) {
			config_error(cf, s->line, "[alert %s] defined twice",
			    s->name);
			return -1;
		}
	if ((rc = rule_keys(cf, cl, ru, s)) != 0)
		return rc;
	if (ru->gbkey == NULL && (ru->gbkey = strdup("none")) == NULL)
		return -2;
	if (kinds_check(cf, ru, s) == -1)
		return -1;
	if (ru->cls == NULL) {
		config_error(cf, s->line, "[alert %s] needs 'class'", s->name);
		return -1;
	}
	groups = ru->gb == GB_NONE ? 1 : ru->max_groups;
	if (groups * ru->threshold * (ru->evtime ? EVTIME_SLOTS : 1) >
	    RING_BUDGET) {
		config_error(cf, s->line, "[alert %s] threshold %u x "
		    "max_groups %llu%s is over %llu: lower one of them",
		    s->name, ru->threshold, (unsigned long long)groups,
		    ru->evtime ? " x 4 (time = event)" : "",
		    (unsigned long long)RING_BUDGET);
		return -1;
	}
	if (ru->window[0] == '\0')
		conf_format_duration(ru->window_us / 1000, ru->window,
		    sizeof(ru->window));
	return 0;
}
