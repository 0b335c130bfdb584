/*
 * conftest.h: the [test NAME] sections of a config: sample input lines
 * (as a sender sends them) with the class, fields and alerts they must
 * get.  Checked with the rest of the config (every load); run by -t
 * through the config's own parser, classifier, lookups and alerter, with
 * no file written and no alert program run.
 */
#ifndef CONFTEST_H
#define CONFTEST_H

struct stageset;

/* Check ss's [test] sections (keys, names of classes and alerts);
 * 0, or -1 with the errors recorded in ss->cf (file:line). */
int		 conftest_check(struct stageset *ss);
/* Run them; each failure printed on stderr with its file:line and what
 * differed.  The number of failed tests, or -1 (ENOMEM). */
int		 conftest_run(struct stageset *ss);
/* How many [test] sections ss's config holds. */
int		 conftest_count(const struct stageset *ss);

#endif
