/*
 * alert_config.c: the keys of one [alert NAME] section, read through one
 * key table (confmap.h): class, type, threshold, window, for, time,
 * allowed_lateness, group_by, suppress, max_groups, exec, exec_timeout,
 * journal; then the checks across keys and the bound on ring memory
 * (threshold x max_groups).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerter.h"
#include "alerter_int.h"
#include "classifier.h"
#include "config.h"
#include "confmap.h"

#define R(f)		offsetof(struct rule, f)
#define DAY_MS		86400000ULL

/* What the setters of one rule need besides the rule. */
struct rule_ctx {
	struct rule			 ru;	/* first: obj is the rule */
	const struct classifier		*cl;
};

static int
set_class(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct rule_ctx	*c = obj;
	struct rule	*ru = &c->ru;
	const char	*v = kv->val;

	if (c->cl != NULL)
		ru->cls_id = classifier_lookup(c->cl, v);
	else	/* the classes had errors: still check the name */
		ru->cls_id = strcmp(v, "other") == 0 ? 0 :
		    conf_sect_find(cf, "class", v) != NULL ? 1 : -1;
	if (ru->cls_id == -1) {
		config_error(cf, kv->line, "[alert %s] class '%s' is not "
		    "defined (a [class %s] or other)", s->name, v, v);
		return CM_REPORTED;
	}
	free(ru->cls);
	return (ru->cls = strdup(v)) == NULL ? -2 : 0;
}

static int
set_threshold(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	uint64_t	 u;

	if (conf_parse_uint(kv->val, &u) == -1)
		return -1;
	((struct rule *)obj)->threshold = (uint32_t)u;
	return 0;
}

static int
set_max_groups(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	uint64_t	 u;

	if (conf_parse_uint(kv->val, &u) == -1)
		return -1;
	((struct rule *)obj)->max_groups = u;
	return 0;
}

/* window (and for): kept as written for the alert line. */
static int
set_window(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct rule	*ru = obj;

	/* As written: the parser let only digits and a unit by. */
	if (strlen(kv->val) >= sizeof(ru->window))
		conf_format_duration(ru->window_us / 1000, ru->window,
		    sizeof(ru->window));
	else
		strcpy(ru->window, kv->val);
	return 0;
}

static int
set_groupby(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	static const char *const names[] = { "none", "host", "source", "app" };
	struct rule	*ru = obj;
	const char	*v = kv->val;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0)
			break;
	if (i < sizeof(names) / sizeof(names[0]))
		ru->gb = (int)i;
	else if (strncmp(v, "field.", 6) == 0 && v[6] != '\0')
		ru->gb = GB_FIELD;
	else
		return -1;
	free(ru->gbkey);
	return (ru->gbkey = strdup(v)) == NULL ? -2 : 0;
}

/* No shell and no PATH search: an absolute program. */
static int
set_exec(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct rule	*ru = obj;

	if (kv->val[0] != '/' || access(kv->val, X_OK) != 0)
		return -1;
	free(ru->exec);
	return (ru->exec = strdup(kv->val)) == NULL ? -2 : 0;
}

static const char *const alert_types[] = { "threshold", "absence", NULL };
static const char *const alert_times[] = { "receive", "event", NULL };

/* Every key of [alert NAME]: one row each. */
static const struct conf_map alert_map[] = {
	{ "class", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a [class NAME] of this config, or other", 0, set_class },
	{ "type", CM_ENUM, R(type), "threshold", 0, 0, alert_types,
	    "threshold or absence", 0, NULL },
	{ "threshold", CM_UINT, CM_NOVALUE, "1", 1, ALERTER_MAX_THRESHOLD,
	    NULL, "1..1000000", 0, set_threshold },
	{ "window", CM_US, R(window_us), "1m", 1, 365 * DAY_MS, NULL,
	    "a duration > 0, at most 365d", 0, set_window },
	{ "for", CM_US, R(window_us), NULL, 1, 365 * DAY_MS, NULL,
	    "a duration > 0, at most 365d", 0, set_window },
	{ "time", CM_ENUM, R(evtime), "receive", 0, 0, alert_times,
	    "receive or event", 0, NULL },
	{ "allowed_lateness", CM_US, R(lateness_us), "30s", 0, DAY_MS, NULL,
	    "a duration, at most 1d", 0, NULL },
	{ "group_by", CM_CUSTOM, CM_NOVALUE, "none", 0, 0, NULL,
	    "none, host, source, app or field.NAME", 0, set_groupby },
	{ "suppress", CM_US, R(suppress_us), "0", 0, 365 * DAY_MS, NULL,
	    "a duration, at most 365d", 0, NULL },
	{ "max_groups", CM_UINT, CM_NOVALUE, "10000", 1, MAX_GROUPS, NULL,
	    "1..1000000", 0, set_max_groups },
	{ "exec", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "an absolute path to an executable program", 0, set_exec },
	{ "exec_timeout", CM_US, R(exec_timeout_us), "10s", 1, 3600000, NULL,
	    "a duration from 1ms to 1h", 0, NULL },
	{ "journal", CM_BOOL, R(journal), "no", 0, 0, NULL, "yes or no", 0,
	    NULL },
};

/* Keys that make no sense for the rule's type; -1 if any (reported). */
static int
kinds_check(struct config *cf, struct rule *ru, const struct conf_sect *s)
{
	static const char *const thr_only[] = { "threshold", "window",
	    "time", "allowed_lateness", "suppress", NULL };
	int	 i, line, bad = 0;

	if (ru->type == AT_THRESHOLD && (line = conf_sect_line(s, "for")) != 0) {
		config_error(cf, line, "[alert %s] 'for' is for type = "
		    "absence (a threshold rule has 'window')", s->name);
		bad = 1;
	}
	if (ru->type == AT_ABSENCE)
		for (i = 0; thr_only[i] != NULL; i++)
			if ((line = conf_sect_line(s, thr_only[i])) != 0) {
				config_error(cf, line, "[alert %s] '%s' is "
				    "not for type = absence", s->name,
				    thr_only[i]);
				bad = 1;
			}
	if (!ru->evtime && (line = conf_sect_line(s, "allowed_lateness")) !=
	    0) {
		config_error(cf, line, "[alert %s] 'allowed_lateness' needs "
		    "time = event", s->name);
		bad = 1;
	}
	if (ru->type == AT_ABSENCE && !conf_sect_line(s, "for")) {
		ru->window_us = 300000000;	/* for = 5m */
		ru->window[0] = '\0';
	}
	return bad ? -1 : 0;
}

/* The classifier could not be built (a bad class): the same question as
 * classifier_capture, asked of the regexes as written. */
static int
capture_in_text(const struct config *cf, const char *cls, const char *name)
{
	const struct conf_sect	*c = conf_sect_find(cf, "class", cls);
	static const char *const forms[][2] = { { "(?<", ">" },
	    { "(?P<", ">" }, { "(?'", "'" } };
	char			 want[160];
	size_t			 i, k;
	int			 any = 0;

	for (i = 0; c != NULL && i < c->nkv; i++) {
		for (k = 0; k < 3 && strlen(name) < 100; k++) {
			strcpy(want, forms[k][0]);
			strcat(want, name);
			strcat(want, forms[k][1]);
			if (strstr(c->kv[i].val, want) != NULL)
				return 1;
		}
		any |= strstr(c->kv[i].val, "(?<") != NULL ||
		    strstr(c->kv[i].val, "(?P<") != NULL ||
		    strstr(c->kv[i].val, "(?'") != NULL;
	}
	return any ? 0 : -1;
}

/* group_by = field.NAME on a class that extracts fields: NAME must be one
 * of its captures (a typo would count every event in one group). */
static int
capture_check(struct config *cf, const struct classifier *cl,
    const struct rule *ru, const struct conf_sect *s)
{
	if (ru->gb != GB_FIELD || ru->cls_id <= 0)
		return 0;
	if (cl != NULL && classifier_capture(cl, (size_t)ru->cls_id,
	    ru->gbkey + 6) != 0)
		return 0;
	if (cl == NULL && capture_in_text(cf, ru->cls, ru->gbkey + 6) != 0)
		return 0;
	config_error(cf, conf_sect_line(s, "group_by"), "[alert %s] group_by "
	    "= %s: no regex of [class %s] has a capture (?<%s>...)", s->name,
	    ru->gbkey, ru->cls, ru->gbkey + 6);
	return -1;
}

/* One [alert NAME]: defaults, keys, then the checks across keys. */
int
alerter_conf_rule(struct config *cf, const struct classifier *cl,
    struct rule *rules, size_t n, const struct conf_sect *s)
{
	struct rule_ctx	 c;
	struct rule	*ru = &rules[n];
	uint64_t	 groups;
	size_t		 i;
	int		 rc, bad = 0;

	memset(&c, 0, sizeof(c));
	c.cl = cl;
	c.ru.cls_id = -1;
	rc = conf_map_defaults(cf, alert_map, CM_N(alert_map), &c);
	if (rc == 0)
		rc = conf_map_apply(cf, s, alert_map, CM_N(alert_map), &c,
		    NULL, 0, NULL);
	/* The lists of the rule were set up empty: keep them as they are. */
	c.ru.lru = ru->lru;
	memcpy(ru, &c.ru, sizeof(*ru));
	TAILQ_INIT(&ru->lru);
	if ((ru->name = strdup(s->name)) == NULL || rc == -2)
		return -2;
	bad = rc == -1;
	for (i = 0; i < n; i++)
		if (strcmp(rules[i].name, s->name) == 0) {
			config_error(cf, s->line, "[alert %s] defined twice",
			    s->name);
			bad = 1;
		}
	if (kinds_check(cf, ru, s) == -1 || capture_check(cf, cl, ru, s) == -1)
		bad = 1;
	if (ru->cls == NULL && !conf_sect_line(s, "class")) {
		config_error(cf, s->line, "[alert %s] needs 'class'", s->name);
		bad = 1;
	}
	groups = ru->gb == GB_NONE ? 1 : ru->max_groups;
	if (groups * ru->threshold * (ru->evtime ? EVTIME_SLOTS : 1) >
	    RING_BUDGET) {
		config_error(cf, s->line, "[alert %s] threshold %u x "
		    "max_groups %llu%s is over %llu: lower one of them",
		    s->name, ru->threshold, (unsigned long long)groups,
		    ru->evtime ? " x 4 (time = event)" : "",
		    (unsigned long long)RING_BUDGET);
		bad = 1;
	}
	if (ru->window[0] == '\0')
		conf_format_duration(ru->window_us / 1000, ru->window,
		    sizeof(ru->window));
	return bad ? -1 : 0;
}
