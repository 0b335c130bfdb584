/*
 * writer.c: stores events.  The batch is encoded into one buffer and written
 * with one write() to an O_APPEND descriptor; if storage fails part-way the
 * file is cut back to where the write began, so a line is whole or absent.
 * Rotation (rotate.c) is asked per batch; a batch that would pass
 * rotate_size is split at a line boundary, never inside a line.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "jsonenc.h"
#include "livefile.h"
#include "logrec.h"
#include "rotate.h"
#include "stats.h"
#include "store.h"
#include "syncer.h"
#include "writer.h"

#define SYNC_FDS_MAX	1024		/* dups handed to the syncer at once */
#define HOLD_MAX	(4 << 20)	/* a failing templated file's lines: past
					 * this, no new batch is taken */
/*
 * A templated file's lines are gathered over batches until it has this
 * many bytes or its oldest line is this old (at most sync / 2, so `sync`
 * still holds): with 300 hosts a batch holds one or two lines a file, and
 * a write (and an open, past max_open_files) per file per batch cost 15
 * times what the lines did; an open and a write per 16k still cost as
 * much as the lines, per 56k about what one file's writes do.  Past
 * GATHER_TOTAL gathered in all, every file is written.
 */
#define GATHER_BYTES	(56 * 1024)	/* in a 64k buffer */
#define GATHER_NS	100000000ULL	/* 100 ms */
#define GATHER_TOTAL	(16 << 20)
/* Gathering is for a busy stream: once no batch has come for this long,
 * what is gathered is written (the last lines of a burst wait 5 ms, not
 * 100). */
#define GATHER_IDLE_NS	5000000ULL	/* 5 ms */
#define RETRY_NS	1000000000ULL	/* a failing file, again after 1 s */

struct writer {
	char			*path;
	int			 format;
	int64_t			 sync_ms;
	size_t			 max_open;
	struct rotate_policy	 pol;
	struct store		*st;
	int			 dirty;		/* written, not yet synced */
	uint64_t		 gather_ns;	/* lines wait at most */
	uint64_t		 batch_ns;	/* the last batch came */
	/* Of the files left waiting by the last write_all_files(): when
	 * the first is due, and whether a failing one holds HOLD_MAX. */
	uint64_t		 due_ns;
	int			 held_full;
	size_t			 gathered;	/* bytes waiting in files */
	uint64_t		 oldest_mono;	/* receipt of the oldest unsynced */
	/* The batch in the files' buffers, while not all written. */
	const struct lsbatch	*pend;
	uint32_t		 pend_nrec;
	int64_t			 pend_first;
	uint32_t		 pend_events;
	struct diag_rate	 rate;
	struct store_file	**files;	/* of each record of a batch */
	uint32_t		 nfiles;
	const char		*stall;		/* test knob, see writer_process */
	struct syncer		*sy;		/* the periodic fsync, off-thread */
	/* Intake batch numbers (lsbatch.no, pipeline_durable): the last one
	 * taken, the last whose events are all in the files (none held),
	 * the one a running sync stands for, and the one published. */
	uint64_t		 last_no;
	uint64_t		 written_no;
	uint64_t		 sync_no;
	int			 sync_tagged;	/* sync_no's sync is running */
	uint64_t		 pending;	/* events held, not yet written */
	uint64_t		 sync_errs;	/* the syncer's failures seen (one:
						 * nothing more is called durable) */
	_Atomic uint64_t	 durable_no;
	uint64_t		 busy_ns;	/* busiest last published */
	int			 fds[SYNC_FDS_MAX];
};

static int	 write_all_files(struct writer *, int);

/* A template's held lines given up (path changed, stop): counted. */
static void
drop_held(struct writer *w)
{
	struct store_file	*f;
	uint64_t		 lost = 0;

	if (w->pend == NULL)
		for (f = store_batch(w->st); f != NULL; f = f->bnext)
			lost += f->events;
	store_batch_drop(w->st);
	w->gathered = 0;
	atomic_store(&counters.store_pending, 0);
	w->pending = 0;
	if (lost == 0)
		return;
	COUNT_ADD(counters.dropped[DROP_STORAGE], lost);
	diag_err("storage: %llu events held for files that still fail are "
	    "lost (dropped, reason storage)", (unsigned long long)lost);
}

static stats_read_fn writer_stats_read;

struct writer *
writer_new(const struct config *cf)
{
	struct writer	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->sy = syncer_new(cf->store_path)) == NULL ||
	    writer_configure(w, cf) == -1 ||
	    stats_add(STATS_STORAGE, writer_stats_read, w) == -1) {
		writer_free(w);
		return NULL;
	}
	/*
	 * Test-only: while the file this names exists, storage acts stalled,
	 * so the tests can prove backpressure without a frozen filesystem.
	 */
	w->stall = getenv("LOGSTREAMD_TEST_STALL_FILE");
	return w;
}

int
writer_configure(struct writer *w, const struct config *cf)
{
	int		 moved = w->path == NULL || strcmp(w->path, cf->store_path);
	int		 was_open = w->st != NULL;
	struct store	*st;
	char		*p;

	rotate_policy_storage(cf, &w->pol);
	w->format = cf->store_format;
	w->sync_ms = cf->sync_ms;
	w->gather_ns = GATHER_NS;
	if ((uint64_t)w->sync_ms * 1000000 / 2 < w->gather_ns)
		w->gather_ns = (uint64_t)w->sync_ms * 1000000 / 2;
	w->max_open = cf->max_open_files;
	if (!moved) {
		store_configure(w->st, &w->pol, w->max_open);
		return 0;
	}
	if ((p = strdup(cf->store_path)) == NULL ||
	    (st = store_new(p, "storage", &w->pol, w->max_open,
	    w->sy)) == NULL) {
		free(p);
		return -1;
	}
	writer_sync(w);
	if (w->st != NULL)
		drop_held(w);
	w->pend = NULL;
	store_free(w->st);
	free(w->path);
	w->path = p;
	w->st = st;
	if (was_open)
		return writer_open(w);
	return 0;
}

static int64_t
mono_us(void)
{
	return (int64_t)(diag_mono_ns() / 1000);
}

int
writer_open(struct writer *w)
{
	if (store_open_plain(w->st) == -1) {
		COUNT_ADD(counters.write_errors, 1);
		return -1;
	}
	return 0;
}

/*
 * Whether a storage sync has failed.  After EIO from fsync the kernel may
 * have dropped the pages it could not write and a later fsync succeeds
 * all the same, so no batch after the last good sync is called durable
 * again in this process: input positions (tail, journal) and Kafka commits
 * stay there, and a restart reads what came since once more (repeats,
 * none lost).  Said once, counted, and /health is degraded.
 */
static int
sync_broken(struct writer *w)
{
	uint64_t	 e = syncer_errors(w->sy);

	if (e == w->sync_errs)
		return e > 0;
	COUNT_ADD(counters.sync_errors, e - w->sync_errs);
	if (w->sync_errs == 0)
		diag_err("storage %s: fsync failed: what was written since "
		    "the last good sync may not be on disk; input positions "
		    "and Kafka commits are held at batch %llu until "
		    "logstreamd is restarted, which reads the rest again",
		    w->path, (unsigned long long)atomic_load(&w->durable_no));
	w->sync_errs = e;
	return 1;
}

/*
 * What is durable of the intake's batches: every batch up to written_no is
 * in the files (or dropped); once nothing written is unsynced (and no sync
 * that stands for less runs), all of it is durable.
 */
static void
writer_note(struct writer *w)
{
	if (w->pending == 0)
		w->written_no = w->last_no;
	if (sync_broken(w))
		return;
	if (!w->dirty && !w->sync_tagged &&
	    w->written_no > atomic_load(&w->durable_no))
		atomic_store(&w->durable_no, w->written_no);
}

/* The periodic sync (syncer thread) that stood for sync_no is done. */
static void
writer_synced(struct writer *w)
{
	if (!w->sync_tagged || syncer_busy(w->sy))
		return;
	w->sync_tagged = 0;
	if (sync_broken(w))
		return;
	if (w->sync_no > atomic_load(&w->durable_no))
		atomic_store(&w->durable_no, w->sync_no);
}

uint64_t
writer_durable(struct writer *w)
{
	return atomic_load(&w->durable_no);
}

int
writer_sync(struct writer *w)
{
	int	 rc;

	if (w->sy != NULL)
		syncer_wait(w->sy);	/* keep the order: no sync overtakes */
	if (w->st == NULL)
		return 0;
	writer_synced(w);
	/* A template's gathered lines go in first (not a plain path's
	 * failed batch: the pipeline retries that). */
	if (w->pend == NULL && store_templated(w->st)) {
		write_all_files(w, 1);
		store_batch_end(w->st);
	}
	w->dirty = 0;
	if ((rc = store_sync(w->st)) == 0)
		writer_note(w);
	return rc;
}

int
writer_reopen(struct writer *w)
{
	writer_sync(w);
	return store_reopen(w->st);	/* a plain file is kept on -1 */
}

/*
 * Rotate f and open a new one.  -1 with the file still open: the rename
 * failed (logged), write on to the live file; -1 with it closed: the new
 * file cannot be opened, hold the events.
 */
static int
writer_rotate(struct writer *w, struct store_file *f)
{
	if (w->sy != NULL)
		syncer_wait(w->sy);
	if (livefile_rotate(f->lf) == -1)
		return -1;
	store_rotated(w->st);
	return 0;
}

/*
 * The JSON line of one record: its size is bounded first (every string
 * at its worst, 6 bytes a byte), one reservation, then unchecked writes.
 */
#define PUT_LIT(w, s)	(memcpy((w), "" s, sizeof(s) - 1), (w) + sizeof(s) - 1)

static size_t
json_bound(const struct lsbatch *b, const struct logrec *r)
{
	const struct lsfield	*f = b->fields + r->field_first;
	size_t			 n;
	uint32_t		 i;

	n = 640 + JSONENC_STR_MAX((size_t)r->source.len + r->host.len +
	    r->app.len + r->pid.len + r->msgid.len + r->message.len) +
	    r->trusted.len;
	if (r->cls != NULL)
		n += JSONENC_STR_MAX(strlen(r->cls));
	for (i = 0; i < r->field_count; i++)
		n += 16 + JSONENC_STR_MAX((size_t)f[i].key.len + f[i].val.len +
		    f[i].sdid.len);
	return n;
}

static char *
put_slice(char *w, const char *key, size_t klen, const struct lsbatch *b,
    struct lsslice s)
{
	if (s.len == 0)
		return w;
	memcpy(w, key, klen);
	return jsonenc_put_str(w + klen, LS_PTR(b, s), s.len);
}

static char *
put_name(char *w, const char *key, size_t klen, const char *v)
{
	if (v == NULL)
		return w;
	memcpy(w, key, klen);
	return jsonenc_put_str(w + klen, v, strlen(v));
}

#define PUT_SLICE(w, k, b, s)	put_slice((w), k, sizeof(k) - 1, (b), (s))
#define PUT_NAME(w, k, v)	put_name((w), k, sizeof(k) - 1, (v))

/*
 * The members whose value is a name of an enum (transport, format,
 * facility, severity), encoded once: `,"format":"rfc3164"` is a copy.
 */
struct frag {
	uint8_t	 len;
	char	 s[47];
};
static struct frag	 fr_transport[LRT__COUNT], fr_format[LRF__COUNT];
static struct frag	 fr_facility[24], fr_severity[8];
static pthread_once_t	 fr_once = PTHREAD_ONCE_INIT;

static void
frag_set(struct frag *f, const char *key, const char *name)
{
	char	*w;

	if (name == NULL)
		return;			/* len 0: the member is left out */
	w = f->s + strlen(key);
	memcpy(f->s, key, (size_t)(w - f->s));
	w = jsonenc_put_str(w, name, strlen(name));
	f->len = (uint8_t)(w - f->s);
}

static void
frag_init(void)
{
	int	 i;

	for (i = 0; i < LRT__COUNT; i++)
		frag_set(&fr_transport[i], ",\"transport\":",
		    lr_transport_name(i));
	for (i = 0; i < LRF__COUNT; i++)
		frag_set(&fr_format[i], ",\"format\":", lr_format_name(i));
	for (i = 0; i < 24; i++)
		frag_set(&fr_facility[i], ",\"facility\":",
		    lr_facility_name(i));
	for (i = 0; i < 8; i++)
		frag_set(&fr_severity[i], ",\"severity\":",
		    lr_severity_name(i));
}

/* The fragment of v in tab[n]; nothing for a value out of range. */
static char *
put_frag(char *w, const struct frag *tab, int n, int v)
{
	if (v < 0 || v >= n)
		return w;
	memcpy(w, tab[v].s, sizeof(tab[v].s));	/* within the bound */
	return w + tab[v].len;
}

/* One field's value, by its type. */
static char *
put_value(char *w, const struct lsbatch *b, const struct lsfield *f)
{
	if (f->type == LSFT_STRING || f->type == LSFT_SD)
		return jsonenc_put_str(w, LS_PTR(b, f->val), f->val.len);
	memcpy(w, LS_PTR(b, f->val), f->val.len);
	return w + f->val.len;
}

/* "sd":{"id":{"k":"v"}} from runs of SD fields, then "fields":{...}. */
static char *
put_fields(char *w, const struct lsbatch *b, const struct logrec *r)
{
	const struct lsfield	*f = b->fields + r->field_first, *prev = NULL;
	uint32_t		 i, nsd = 0, nf = 0, npar = 0;

	/* An SD field without a name stands for an element without
	 * parameters ([id]): the element is written, no member for it (a
	 * decoded line may have one among named ones: still no member). */
	for (i = 0; i < r->field_count; i++) {
		if (f[i].type != LSFT_SD)
			continue;
		if (prev == NULL || prev->sdid.len != f[i].sdid.len ||
		    memcmp(LS_PTR(b, prev->sdid), LS_PTR(b, f[i].sdid),
		    f[i].sdid.len) != 0) {
			w = nsd++ > 0 ? PUT_LIT(w, "},") : PUT_LIT(w, ",\"sd\":{");
			w = jsonenc_put_str(w, LS_PTR(b, f[i].sdid),
			    f[i].sdid.len);
			w = PUT_LIT(w, ":{");
			npar = 0;
		}
		if (f[i].key.len > 0) {
			if (npar++ > 0)
				w = PUT_LIT(w, ",");
			w = jsonenc_put_str(w, LS_PTR(b, f[i].key),
			    f[i].key.len);
			w = PUT_LIT(w, ":");
			w = put_value(w, b, &f[i]);
		}
		prev = &f[i];
	}
	if (nsd)
		w = PUT_LIT(w, "}}");
	for (i = 0; i < r->field_count; i++) {
		if (f[i].type == LSFT_SD)
			continue;
		w = nf++ > 0 ? PUT_LIT(w, ",") : PUT_LIT(w, ",\"fields\":{");
		w = jsonenc_put_str(w, LS_PTR(b, f[i].key), f[i].key.len);
		w = PUT_LIT(w, ":");
		w = put_value(w, b, &f[i]);
	}
	if (nf)
		w = PUT_LIT(w, "}");
	return w;
}

void
writer_encode_json(struct obuf *o, const struct lsbatch *b,
    const struct logrec *r)
{
	char	*w;

	pthread_once(&fr_once, frag_init);
	if (obuf_reserve(o, json_bound(b, r)) == -1)
		return;
	w = o->p + o->len;
	w = PUT_LIT(w, "{\"received\":");
	w = jsonenc_put_time(w, r->received_us, 6);
	if (r->time_us != LR_NOTIME) {
		w = PUT_LIT(w, ",\"time\":");
		w = jsonenc_put_time(w, r->time_us, r->time_prec);
	}
	w = PUT_SLICE(w, ",\"source\":", b, r->source);
	w = put_frag(w, fr_transport, LRT__COUNT, r->transport);
	w = put_frag(w, fr_format, LRF__COUNT, r->format);
	w = put_frag(w, fr_facility, 24, r->facility);
	w = put_frag(w, fr_severity, 8, r->severity);
	w = PUT_SLICE(w, ",\"host\":", b, r->host);
	w = PUT_SLICE(w, ",\"app\":", b, r->app);
	w = PUT_SLICE(w, ",\"pid\":", b, r->pid);
	w = PUT_SLICE(w, ",\"msgid\":", b, r->msgid);
	w = PUT_NAME(w, ",\"class\":", r->cls);
	if (r->message.len > 0 || r->format == LRF_PLAIN) {
		w = PUT_LIT(w, ",\"message\":");
		w = jsonenc_put_str(w, LS_PTR(b, r->message), r->message.len);
	}
	w = put_fields(w, b, r);
	if (r->trusted.len > 0) {	/* already JSON: its producer made it */
		w = PUT_LIT(w, ",\"trusted\":");
		memcpy(w, LS_PTR(b, r->trusted), r->trusted.len);
		w += r->trusted.len;
	}
	if (r->flags & LR_TRUNCATED)
		w = PUT_LIT(w, ",\"truncated\":true");
	if (r->stream != LRS_OK) {
		w = PUT_NAME(w, ",\"stream\":", lr_stream_name(r->stream));
		if (r->stream == LRS_GAP) {
			w = PUT_LIT(w, ",\"missing\":");
			o->len = w - o->p;
			jsonenc_uint(o, r->missing);	/* within the bound */
			w = o->p + o->len;
		}
	}
	w = PUT_LIT(w, "}\n");
	o->len = w - o->p;
}

/* format = raw: the line as received; control bytes but TAB as #ooo
 * (rsyslog's convention), so one event stays one line. */
static void
encode_raw(struct obuf *o, const struct lsbatch *b, const struct logrec *r)
{
	const unsigned char	*p = (const unsigned char *)LS_PTR(b, r->raw);
	uint32_t		 i;
	char			 esc[4];

	obuf_reserve(o, (size_t)r->raw.len * 4 + 1);
	for (i = 0; i < r->raw.len; i++) {
		if (p[i] < 0x20 && p[i] != '\t') {
			esc[0] = '#';
			esc[1] = (char)('0' + (p[i] >> 6));
			esc[2] = (char)('0' + ((p[i] >> 3) & 7));
			esc[3] = (char)('0' + (p[i] & 7));
			obuf_add(o, esc, 4);
		} else
			obuf_add(o, &p[i], 1);
	}
	obuf_add(o, "\n", 1);
}

/*
 * How much of the rest of f's lines goes into its live file now: all of
 * them, or the whole lines that keep the file within rotate_size; 0 means
 * rotate first.  A line longer than rotate_size goes alone into an empty
 * file.
 */
static size_t
chunk_len(const struct writer *w, const struct store_file *f)
{
	const char	*p = f->out.p + f->done, *nl;
	size_t		 rest = f->out.len - f->done, room;
	uint64_t	 lim = w->pol.size, size;

	size = (uint64_t)livefile_size(f->lf);
	if (lim == 0 || size + rest <= lim)
		return rest;
	room = size < lim ? lim - size : 0;
	if (room > 0 && (nl = memrchr(p, '\n', room)) != NULL)
		return (size_t)(nl - p) + 1;
	if (size > 0)
		return 0;
	nl = memchr(p, '\n', rest);
	return nl != NULL ? (size_t)(nl - p) + 1 : rest;
}

static int
write_chunk(struct writer *w, struct store_file *f, size_t len)
{
	if (livefile_write(f->lf, f->out.p + f->done, len) == -1) {
		COUNT_ADD(counters.write_errors, 1);
		return -1;
	}
	f->done += len;
	f->bytes += len;
	w->gathered -= len < w->gathered ? len : w->gathered;
	COUNT_ADD(counters.store_bytes, len);
	if (!w->dirty || f->oldest < w->oldest_mono)
		w->oldest_mono = f->oldest;
	w->dirty = 1;
	return 0;
}

/* The rest of f's lines into its file, rotating where due.  0 or -1. */
static int
write_file(struct writer *w, struct store_file *f)
{
	size_t	 len;

	if (f->done == f->out.len)
		return 0;
	if (store_use(w->st, f) == -1) {
		COUNT_ADD(counters.write_errors, 1);
		return -1;
	}
	if (livefile_due(f->lf, 0, mono_us()) && writer_rotate(w, f) == -1 &&
	    livefile_fd(f->lf) == -1)
		return -1;
	while (f->done < f->out.len) {
		if ((len = chunk_len(w, f)) == 0) {
			if (writer_rotate(w, f) == 0)
				continue;
			if (livefile_fd(f->lf) == -1)
				return -1;
			len = f->out.len - f->done;	/* cannot rotate */
		}
		if (write_chunk(w, f, len) == -1)
			return -1;
	}
	return 0;
}

/*
 * The pipeline retries the same batch after -1; what of it is already in
 * a file (a file's lines, or a part before a rotation) is not written
 * twice.
 */
static int
resuming(const struct writer *w, const struct lsbatch *b)
{
	return w->pend == b && w->pend_nrec == b->n &&
	    w->pend_first == (b->n > 0 ? b->recs[0].received_us : 0);
}

/*
 * Every file of the batch (and a template's held ones); each file's events
 * count as stored once all its lines are in.  A plain path stops at a
 * failure (the batch is retried); a template's other files go on, and the
 * failed one holds its lines (at most HOLD_MAX bytes) for a later try.
 * 0, or -1 if a file failed.
 */
static int
write_all_files(struct writer *w, int force)
{
	struct store_file	*f;
	uint64_t		 now = diag_mono_ns(), pending = 0, at;
	int			 rc = 0, tmpl = store_templated(w->st);
	int			 over = w->gathered > GATHER_TOTAL ||
	    now - w->batch_ns >= GATHER_IDLE_NS;

	w->due_ns = UINT64_MAX;
	w->held_full = 0;
	for (f = store_batch(w->st); f != NULL; f = f->bnext) {
		/* A template's file waits for more lines (unless too much
		 * waits in all), or to be retried. */
		if (tmpl && !force && f->done < f->out.len &&
		    (now - f->failed_ns < RETRY_NS || (!over &&
		    f->out.len - f->done < GATHER_BYTES &&
		    now - f->gather_ns < w->gather_ns)))
			goto waits;
		if (write_file(w, f) == -1) {
			rc = -1;
			f->failed_ns = now;
			if (!tmpl) {
				pending += f->events;
				break;
			}
			goto waits;
		}
		f->failed_ns = 0;
		COUNT_ADD(counters.stored, f->events);
		f->events = 0;
		continue;
waits:
		/* One pass over the files: what waits, and when it is due. */
		pending += f->events;
		if (f->failed_ns != 0) {
			at = f->failed_ns + RETRY_NS;
			if (f->out.len - f->done >= HOLD_MAX)
				w->held_full = 1;
		} else {
			/* gathered long enough, or batches stopped coming */
			at = f->gather_ns + w->gather_ns;
			if (w->batch_ns + GATHER_IDLE_NS < at)
				at = w->batch_ns + GATHER_IDLE_NS;
		}
		if (at < w->due_ns)
			w->due_ns = at;
	}
	atomic_store(&counters.store_pending, pending);
	w->pending = pending;
	return rc;
}

/* When the next templated file is due to be written (gathered long
 * enough, to be retried, or all once batches stop coming): ms, or -1. */
static int
gather_due(struct writer *w, uint64_t now)
{
	uint64_t	 next = w->due_ns;

	if (store_batch(w->st) == NULL || next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
}

/*
 * A template's files of the whole batch, looked up first and the end of
 * each one's buffer fetched ahead: the lookups of many records overlap,
 * and the lines then go into buffers already in the cache (one write
 * stream per host is more than the hardware prefetcher follows; missing
 * it cost a third of the stage's time per event with 300 hosts).  No
 * array (memory short, a plain path): looked up one by one.
 */
static void
lookahead(struct writer *w, const struct lsbatch *b)
{
	struct store_file	**v, *f;
	const char		*p;
	uint32_t		 i;
	int			 k;

	if (!store_templated(w->st)) {
		free(w->files);
		w->files = NULL;
		w->nfiles = 0;
		return;
	}
	if (b->n > w->nfiles) {
		if ((v = reallocarray(w->files, b->n, sizeof(*v))) == NULL) {
			free(w->files);
			w->files = NULL;
			w->nfiles = 0;
			return;
		}
		w->files = v;
		w->nfiles = b->n;
	}
	for (i = 0; i < b->n; i++) {
		w->files[i] = f = b->recs[i].flags & LR_DROP ? NULL :
		    store_file_for(w->st, b, &b->recs[i]);
		if (f == NULL || f->out.p == NULL)
			continue;
		p = f->out.p + f->out.len;
		for (k = 0; k < 6; k++)
			__builtin_prefetch(p + 64 * k, 1, 3);
	}
}

/* Each line into the buffer of its file: one write per file. */
static void
encode(struct writer *w, const struct lsbatch *b)
{
	struct store_file	*f;
	uint64_t		 now = diag_mono_ns();
	uint32_t		 i;
	size_t			 len;

	/* A plain path's failed batch is retried whole (resuming); a
	 * template's files that failed keep their lines (held) instead. */
	if (!store_templated(w->st)) {
		store_batch_drop(w->st);
		w->gathered = 0;
	}
	w->pend_events = 0;
	lookahead(w, b);
	for (i = 0; i < b->n; i++) {
		const struct logrec *r = &b->recs[i];

		if (r->flags & LR_DROP)
			continue;
		if ((f = w->files != NULL ? w->files[i] :
		    store_file_for(w->st, b, r)) == NULL ||
		    f->out.len - f->done > 2 * HOLD_MAX) {
			COUNT_ADD(counters.dropped[DROP_STORAGE], 1);
			if (f != NULL)
				diag_rate(&w->rate, "storage %s: cannot be "
				    "written and %d bytes wait for it: its new "
				    "events are dropped (counted)",
				    livefile_path(f->lf), 2 * HOLD_MAX);
			continue;
		}
		if (f->done == f->out.len)
			f->gather_ns = now;	/* its gathering begins */
		/* A template's file gathers: its buffer at its full size at
		 * once, not grown (and copied) from 4k. */
		if (f->out.cap == 0 && store_templated(w->st))
			obuf_reserve(&f->out, GATHER_BYTES + GATHER_BYTES / 8);
		len = f->out.len;
		if (w->format == STORE_RAW)
			encode_raw(&f->out, b, r);
		else
			writer_encode_json(&f->out, b, r);
		w->gathered += f->out.len - len;
		/* when a file is next due (write_all_files knows the rest) */
		if (f->out.len - f->done >= GATHER_BYTES)
			w->due_ns = 0;
		else if (f->gather_ns + w->gather_ns < w->due_ns)
			w->due_ns = f->gather_ns + w->gather_ns;
		if (r->recv_mono_ns < f->oldest)
			f->oldest = r->recv_mono_ns;
		f->events++;
		w->pend_events++;
	}
	w->pend = b;
	w->pend_nrec = b->n;
	w->pend_first = b->n > 0 ? b->recs[0].received_us : 0;
}

int
writer_process(struct writer *w, struct lsbatch *b)
{
	uint64_t	 now;

	if (w->stall != NULL && access(w->stall, F_OK) == 0) {
		usleep(10000);
		return -1;
	}
	/* A template's file that fails and holds HOLD_MAX already: no new
	 * batch is taken (the pipeline retries it, TCP senders wait) until
	 * it drains, so a disk full loses nothing; one failing host lets
	 * the others flow until then. */
	if (store_templated(w->st) && w->pend != b && w->held_full) {
		write_all_files(w, 0);
		store_batch_end(w->st);
		if (w->held_full)
			return -1;
	}
	if (!resuming(w, b))
		encode(w, b);
	w->batch_ns = now = diag_mono_ns();
	if (store_templated(w->st) && w->sync_ms != 0 &&
	    w->gathered <= GATHER_TOTAL && w->due_ns > now) {
		/* No file due: the lines wait in their buffers (a pass over
		 * every file of the template would find nothing to do), at
		 * most until batches stop coming. */
		if (now + GATHER_IDLE_NS < w->due_ns)
			w->due_ns = now + GATHER_IDLE_NS;
		w->pending += w->pend_events;
		atomic_store(&counters.store_pending, w->pending);
	} else if (write_all_files(w, 0) == -1 && !store_templated(w->st))
		return -1;
	if (b->no > w->last_no)
		w->last_no = b->no;
	if (w->sync_ms == 0 && w->pend_events > 0)
		writer_sync(w);
	store_batch_end(w->st);
	w->pend = NULL;
	writer_note(w);
	return 0;
}

/* The busiest files, published for /stats (another thread). */
static pthread_mutex_t	 busy_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct stats_storage busy;

static void
publish_busiest(struct writer *w, uint64_t now)
{
	const char	*paths[STATS_BUSIEST];
	uint64_t	 bytes[STATS_BUSIEST];
	size_t		 n, i;

	if (now - w->busy_ns < 1000000000ULL)
		return;
	w->busy_ns = now;
	n = store_busiest(w->st, paths, bytes, STATS_BUSIEST);
	pthread_mutex_lock(&busy_mtx);
	for (i = 0; i < n; i++) {
		snprintf(busy.busy[i].path, sizeof(busy.busy[i].path), "%s",
		    paths[i]);
		busy.busy[i].bytes = bytes[i];
	}
	busy.nbusy = n;
	pthread_mutex_unlock(&busy_mtx);
}

/* The STATS_STORAGE provider: the busiest files as last published. */
static void
writer_stats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct stats_storage	 v;

	pthread_mutex_lock(&busy_mtx);
	v = busy;
	pthread_mutex_unlock(&busy_mtx);
	see(ctx, &v);
}

/* A quiet file still rotates on time. */
static void
rotate_quiet(struct writer *w)
{
	struct store_file	*f, *next;
	int64_t			 now = mono_us();

	for (f = store_next_open(w->st, NULL); f != NULL; f = next) {
		next = store_next_open(w->st, f);
		if (livefile_due(f->lf, 0, now))
			writer_rotate(w, f);
	}
}

int
writer_tick(struct writer *w, uint64_t now)
{
	uint64_t	 due;
	size_t		 n, i;
	int		 whole, gather = -1, ms;

	publish_busiest(w, now);
	writer_synced(w);
	/* A template's gathered lines when due, failing files each second. */
	if (w->pend == NULL && store_batch(w->st) != NULL) {
		if (gather_due(w, now) == 0) {
			write_all_files(w, 0);
			store_batch_end(w->st);
		}
		gather = gather_due(w, now);
	}
	if (w->pend == NULL)
		writer_note(w);
	if (w->pol.interval_ms > 0 && w->pend == NULL)
		rotate_quiet(w);
	if (!w->dirty)
		return gather;
	due = w->oldest_mono + (uint64_t)w->sync_ms * 1000000;
	if (now < due) {
		ms = (int)((due - now) / 1000000) + 1;
		return gather >= 0 && gather < ms ? gather : ms;
	}
	if (syncer_busy(w->sy))
		return 1;	/* the last sync still runs */
	/* Hand dups to the syncer thread; the stage thread goes on. */
	store_sync_fds(w->st, w->fds, SYNC_FDS_MAX, &n, &whole);
	if (n > 0 && syncer_request_many(w->sy, w->fds, n, whole) == -1) {
		for (i = 0; i < n; i++)
			close(w->fds[i]);
		writer_sync(w);
		return -1;
	}
	/* What is written now is durable once this sync is done. */
	w->sync_no = w->written_no;
	w->sync_tagged = 1;
	w->dirty = store_dirty(w->st);
	return w->dirty ? 1 : -1;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	stats_remove(writer_stats_read, w);
	if (w->st != NULL && w->pend == NULL) {
		write_all_files(w, 1);	/* a last try for held lines */
		drop_held(w);
	}
	writer_sync(w);
	store_free(w->st);
	syncer_free(w->sy);
	free(w->files);
	free(w->path);
	free(w);
}
