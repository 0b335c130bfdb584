/*
 * output.h: further outputs beside storage, from [output NAME] sections:
 * type = forward (RFC 5424 over TCP, RFC 6587 octet counting; out_forward.c)
 * or type = kafka (librdkafka producer; out_kafka.c).  Each output has a
 * class filter, a disk buffer (its bounded queue; diskbuf.c) that the
 * pipeline thread appends the encoded records to, and its own thread that
 * sends them and acknowledges what the peer confirmed.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdint.h>

/* outputs_free lets each output send on for at most about this long. */
#define OUTPUT_STOP_MS	2000

struct config;
struct lsbatch;
struct outputs;

/* Check cf's [output X] sections (errors through config_error) and build
 * the outputs, started by outputs_start.  NULL when there are none or on
 * errors (see cf->nerrors).  Keeps no pointer into cf.  Caller frees. */
struct outputs	*outputs_new(struct config *cf);
/* Open the disk buffers and start a thread per output; 0 or -1 (logged). */
int		 outputs_start(struct outputs *);
/* Hand every output the records of b it wants (encoded once, into its
 * disk buffer).  0, or -1 when an output with overflow = block is full:
 * call again later with the same b and again = 1; then only the outputs
 * that did not take all of b yet go on with it (what is in already is not
 * added twice).  again = 0 starts a new batch. */
int		 outputs_process(struct outputs *, struct lsbatch *, int again);
/* At a stop that cannot wait any longer: the outputs still holding b (the
 * last outputs_process returned -1) let go of what of it they have not
 * taken; counted per output as dropped and logged.  Returns how many
 * records that was. */
uint64_t	 outputs_give_up(struct outputs *);
/* Stop the threads (each sends what it can for a moment, the rest stays
 * in its disk buffer for the next start) and free; NULL is a no-op. */
void		 outputs_free(struct outputs *);
/* (Once started, a set's figures are its STATS_OUTPUT provider, until
 * outputs_free: stats.h.) */

#endif
