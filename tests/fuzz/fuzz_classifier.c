/*
 * fuzz_classifier.c: the classifier's input.  A fixed rule set (regexes on
 * message and fields, exact host/app, severity and format comparisons, SD
 * params) is built once; every input is parsed as an event and classified,
 * and field lookups are run on what the parser found.  The class given must
 * be one the classifier has, and the fields (captures added) must lie in
 * the batch.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier.h"
#include "config.h"
#include "fuzz_common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char rules[] =
    "[class auth]\n"
    "message = Failed password|authentication (failure|error)\n"
    "app = sshd\n"
    "severity = <= warning\n"
    "[class rootuser]\n"
    "field.user = root\n"
    "[class sdseq]\n"
    "field.meta.sequenceId = ~^[0-9]{1,3}$\n"
    "[class webhost]\n"
    "host = web01\n"
    "format = json\n"
    "[class kern]\n"
    "facility = kern\n"
    "message = ~(?i)panic|oops\n"
    "[class anyfmt]\n"
    "format = logfmt\n"
    "field.level = ~^(err|crit)\n"
    /* named groups become fields (issue 14) */
    "[class capt]\n"
    "message = (?J)from (?<ip>[0-9a-f.:]+)|user (?<user>\\S*)(?<ip>x)?\n"
    "[class fcapt]\n"
    "field.user = ~^(?<first>.)(?<rest>.*)$\n"
    "host = ~(?<site>[a-z]*)\n";

static struct classifier *cl;

static void
setup(void)
{
	char		 path[64];
	struct config	*cf;
	FILE		*fp;

	snprintf(path, sizeof(path), "/tmp/fuzz_classifier.%d.conf",
	    (int)getpid());
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(rules, fp);
	fclose(fp);
	cf = config_load(path);
	unlink(path);
	if (cf == NULL || cf->nerrors > 0 || (cl = classifier_new(cf)) ==
	    NULL) {
		if (cf != NULL)
			config_print_errors(cf);
		abort();
	}
	config_free(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsbatch		*b;
	const struct logrec	*r;
	const struct lsfield	*f;
	uint32_t		 i;

	if (size > 1 << 20)
		return 0;
	if (cl == NULL)
		setup();
	if ((b = fuzz_parse(data, size, "198.51.100.7:40000")) == NULL)
		return 0;
	classifier_process(cl, b);
	r = &b->recs[0];
	FUZZ_CHECK(r->cls_id < classifier_count(cl));
	FUZZ_CHECK(r->cls != NULL && strcmp(r->cls,
	    classifier_name(cl, r->cls_id)) == 0);
	FUZZ_CHECK(r->field_first + r->field_count <= b->nfields);
	for (i = 0; i < r->field_count; i++) {
		f = &b->fields[r->field_first + i];
		FUZZ_CHECK(f->key.off + (size_t)f->key.len <= b->used &&
		    f->val.off + (size_t)f->val.len <= b->used);
		(void)classifier_field(b, r, LS_PTR(b, f->key), f->key.len);
	}
	lsbatch_free(b);
	return 0;
}
