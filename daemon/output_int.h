/*
 * output_int.h: what output.c shares with the output types (out_forward.c,
 * out_kafka.c): the output itself and the table of a type's functions.
 */
#ifndef OUTPUT_INT_H
#define OUTPUT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "diskbuf.h"
#include "jsonenc.h"
#include "output.h"

struct config;
struct conf_kv;
struct conf_map;
struct logrec;
struct lsbatch;
struct output;

#define OUT_STOP_GRACE_MS	OUTPUT_STOP_MS	/* sending on at stop */

struct out_ops {
	const char	*type;
	/* The keys of the type (those every output has are output.c's),
	 * read into what impl returns: the type's state, made with its
	 * defaults on first call (NULL: ENOMEM). */
	const struct conf_map *map;
	size_t		 nmap;
	void		*(*impl)(struct output *);
	/* All keys read: check what is required; 0 or -1 (reported). */
	int		 (*finish)(struct output *, struct config *, int line);
	/* Append r's payload in the type's wire format to o. */
	void		 (*encode)(struct output *, struct obuf *,
			    const struct lsbatch *, const struct logrec *);
	/* The thread: send from o->db until o->stop. */
	void		*(*run)(void *);
	/* Free what key/finish/run made. */
	void		 (*free)(struct output *);
};

struct output {
	char			 name[64];
	const struct out_ops	*ops;
	char			**classes;	/* NULL: all */
	size_t			 nclasses;
	char			*bufdir;
	struct diskbuf_conf	 dbc;
	struct diskbuf		*db;
	pthread_t		 thr;
	int			 running;
	_Atomic int		 stop;
	/* the batch being appended (pipeline thread) */
	struct obuf		 enc;
	size_t			 done;		/* bytes of enc in the buffer */
	int			 taken;		/* all of enc is in */
	int			 pend_full;	/* counted as blocked once */
	/* figures */
	_Atomic uint64_t	 accepted;
	_Atomic uint64_t	 sent;
	_Atomic uint64_t	 failed;
	_Atomic uint64_t	 retried;
	_Atomic uint64_t	 too_large;
	_Atomic uint64_t	 given_up;	/* held at a stop, not taken */
	_Atomic uint64_t	 blocked;
	_Atomic uint64_t	 connects;
	_Atomic int		 up;
	void			*impl;		/* the type's own state */
};

extern const struct out_ops out_forward_ops;
extern const struct out_ops out_kafka_ops;

/* Sleep up to ms, less when the output is told to stop. */
void	output_nap(struct output *, int ms);

#endif
