/*
 * tap.c: the live tap's hand-over between the pipeline thread and the
 * event loop (tap.h).  One mutex guards the client table and every
 * client's buffer; the pipeline holds it while it matches a batch, the
 * loop only while it swaps a buffer out.  With no client attached the
 * pipeline pays one atomic load per batch.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "diag.h"
#include "expr.h"
#include "jsonenc.h"
#include "logrec.h"
#include "tap.h"
#include "writer.h"

struct tap_client {
	struct expr	*e;
	struct obuf	 buf;		/* lines waiting for the loop */
	uint64_t	 dropped;	/* not yet reported */
};

static pthread_mutex_t		 tap_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tap_client	*tap_tab[TAP_MAX_CLIENTS];
static _Atomic size_t		 tap_n;
static struct obuf		 tap_line;	/* pipeline thread */

int
tap_active(void)
{
	return atomic_load_explicit(&tap_n, memory_order_relaxed) > 0;
}

/* Append the pending drop report, then the line, if they fit. */
static void
tap_put(struct tap_client *c, const char *p, size_t len)
{
	char	 rep[64];
	int	 n = 0;

	if (c->dropped > 0)
		n = snprintf(rep, sizeof(rep), "{\"tap_dropped\":%llu}\n",
		    (unsigned long long)c->dropped);
	if (c->buf.len + n + len > TAP_BUF_MAX ||
	    obuf_reserve(&c->buf, n + len) == -1) {
		c->dropped++;
		COUNT_ADD(counters.tap_dropped, 1);
		return;
	}
	if (n > 0) {
		obuf_add(&c->buf, rep, n);
		c->dropped = 0;
	}
	obuf_add(&c->buf, p, len);
	COUNT_ADD(counters.tap_sent, 1);
}

void
tap_batch(const struct lsbatch *b)
{
	struct expr_logrec	 x;
	uint32_t		 i;
	size_t			 k, n;
	int			 enc;

	pthread_mutex_lock(&tap_mtx);
	n = atomic_load_explicit(&tap_n, memory_order_relaxed);
	x.b = b;
	for (i = 0; i < b->n && n > 0; i++) {
		x.r = &b->recs[i];
		if (x.r->flags & LR_DROP)
			continue;
		enc = 0;
		for (k = 0; k < n; k++) {
			if (!expr_match(tap_tab[k]->e, expr_logrec_get, &x))
				continue;
			if (!enc) {
				tap_line.len = 0;
				writer_encode_json(&tap_line, b, x.r);
				enc = 1;
			}
			tap_put(tap_tab[k], tap_line.p, tap_line.len);
		}
	}
	pthread_mutex_unlock(&tap_mtx);
}

struct tap_client *
tap_attach(struct expr *e)
{
	struct tap_client	*c;
	size_t			 n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		expr_free(e);
		return NULL;
	}
	c->e = e;
	pthread_mutex_lock(&tap_mtx);
	n = atomic_load_explicit(&tap_n, memory_order_relaxed);
	if (n < TAP_MAX_CLIENTS) {
		tap_tab[n] = c;
		atomic_store_explicit(&tap_n, n + 1, memory_order_relaxed);
		COUNT_ADD(counters.tap_clients, 1);
	}
	pthread_mutex_unlock(&tap_mtx);
	if (n >= TAP_MAX_CLIENTS) {
		expr_free(e);
		free(c);
		return NULL;
	}
	return c;
}

size_t
tap_take(struct tap_client *c, struct evbuffer *out)
{
	struct obuf	 o;
	uint64_t	 dropped;
	size_t		 len;

	pthread_mutex_lock(&tap_mtx);
	o = c->buf;
	c->buf = (struct obuf){ 0 };
	dropped = c->dropped;
	c->dropped = 0;
	pthread_mutex_unlock(&tap_mtx);
	len = o.len;
	if (o.len > 0)
		evbuffer_add(out, o.p, o.len);
	obuf_free(&o);
	if (dropped > 0) {
		evbuffer_add_printf(out, "{\"tap_dropped\":%llu}\n",
		    (unsigned long long)dropped);
		len++;
	}
	return len;
}

void
tap_detach(struct tap_client *c)
{
	size_t	 k, n;

	if (c == NULL)
		return;
	pthread_mutex_lock(&tap_mtx);
	n = atomic_load_explicit(&tap_n, memory_order_relaxed);
	for (k = 0; k < n; k++)
		if (tap_tab[k] == c) {
			tap_tab[k] = tap_tab[n - 1];
			tap_tab[n - 1] = NULL;
			atomic_store_explicit(&tap_n, n - 1,
			    memory_order_relaxed);
			COUNT_SUB(counters.tap_clients, 1);
			break;
		}
	pthread_mutex_unlock(&tap_mtx);
	expr_free(c->e);
	obuf_free(&c->buf);
	free(c);
}
