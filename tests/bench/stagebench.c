/*
 * stagebench.c: the CPU cost of the parser and the JSON encoder per event,
 * on one thread, without sockets or disk: the file's lines are cut into
 * batches of 512 as the listener does, then each stage runs over all of
 * them; the best of several rounds is printed, in ns per event.  A noisy
 * shared machine slows some rounds, never speeds one up, so the minimum is
 * the figure to compare between two builds.  With a config, the classifier
 * of its [class] rules (captures included) is timed too.
 *
 * usage: stagebench FILE [rounds [CONFIG]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classifier.h"
#include "config.h"
#include "jsonenc.h"
#include "logrec.h"
#include "parser.h"
#include "writer.h"

#define BATCH	512

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	struct lsbatch	**bs = NULL;
	struct logrec	*r;
	struct obuf	 o = { 0 };
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0, nb = 0, n = 0, bytes = 0, i;
	ssize_t		 len;
	uint64_t	 t0, best_parse = UINT64_MAX, best_enc = UINT64_MAX;
	uint64_t	 best_cls = UINT64_MAX;
	struct config	*cf = NULL;
	struct classifier *cl = NULL;
	int		 round, rounds = argc > 2 ? atoi(argv[2]) : 5;
	uint32_t	 j;

	if (argc < 2 || (fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: stagebench FILE [rounds [CONFIG]]\n");
		return 2;
	}
	if (argc > 3 && ((cf = config_load(argv[3])) == NULL ||
	    cf->nerrors > 0 || (cl = classifier_new(cf)) == NULL)) {
		if (cf != NULL)
			config_print_errors(cf);
		return 2;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if (nb == 0 || bs[nb - 1]->n == BATCH) {
			if ((bs = realloc(bs, (nb + 1) * sizeof(*bs))) == NULL ||
			    (bs[nb++] = lsbatch_new(BATCH)) == NULL)
				return 1;
		}
		if ((r = lsbatch_add_rec(bs[nb - 1])) == NULL ||
		    lsbatch_append(bs[nb - 1], line, (size_t)len, &r->raw) == -1)
			return 1;
		r->received_us = 1795464854906034LL;
		n++;
	}
	fclose(fp);
	for (round = 0; round < rounds; round++) {
		/* Parse afresh each round: drop what the last one added. */
		for (i = 0; i < nb; i++) {
			bs[i]->nfields = 0;
			for (j = 0; j < bs[i]->n; j++)
				bs[i]->used = bs[i]->recs[j].raw.off +
				    bs[i]->recs[j].raw.len;
		}
		t0 = now_ns();
		for (i = 0; i < nb; i++)
			parser_process(bs[i]);
		if (now_ns() - t0 < best_parse)
			best_parse = now_ns() - t0;
		t0 = now_ns();
		for (i = 0; cl != NULL && i < nb; i++)
			classifier_process(cl, bs[i]);
		if (cl != NULL && now_ns() - t0 < best_cls)
			best_cls = now_ns() - t0;
		t0 = now_ns();
		for (i = 0; i < nb; i++) {
			o.len = 0;
			for (j = 0; j < bs[i]->n; j++)
				writer_encode_json(&o, bs[i], &bs[i]->recs[j]);
			bytes += o.len;
		}
		if (now_ns() - t0 < best_enc)
			best_enc = now_ns() - t0;
	}
	printf("%zu events: parse %.0f ns/event, encode json %.0f ns/event "
	    "(%.0f bytes out/event); best of %d rounds\n", n,
	    (double)best_parse / n, (double)best_enc / n,
	    (double)bytes / rounds / n, rounds);
	if (cl != NULL)
		printf("classify (%s): %.0f ns/event\n", argv[3],
		    (double)best_cls / n);
	classifier_free(cl);
	config_free(cf);
	return 0;
}
