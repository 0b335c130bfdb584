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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "jsonenc.h"
#include "livefile.h"
#include "logrec.h"
#include "rotate.h"
#include "syncer.h"
#include "writer.h"

struct writer {
	char			*path;
	int			 format;
	int64_t			 sync_ms;
	struct rotate_policy	 pol;
	struct livefile		*lf;
	int			 opened;	/* once: later opens mkdir nothing */
	uint64_t		 oldest_mono;	/* receipt of the oldest unsynced */
	struct obuf		 out;
	/* The batch in out, while it is not all written (see resuming). */
	const struct lsbatch	*pend;
	uint32_t		 pend_nrec;
	int64_t			 pend_first;
	uint32_t		 pend_events;
	uint64_t		 pend_oldest;
	size_t			 done;		/* bytes of out in the file */
	struct diag_rate	 rate;
	const char		*stall;		/* test knob, see writer_process */
	struct syncer		*sy;		/* the periodic fsync, off-thread */
};

struct writer *
writer_new(const struct config *cf)
{
	struct writer	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (writer_configure(w, cf) == -1) {
		writer_free(w);
		return NULL;
	}
	/*
	 * Test-only: while the file this names exists, storage acts stalled,
	 * so the tests can prove backpressure without a frozen filesystem.
	 */
	w->stall = getenv("LOGSTREAMD_TEST_STALL_FILE");
	if ((w->sy = syncer_new(w->path)) == NULL) {
		writer_free(w);
		return NULL;
	}
	return w;
}

int
writer_configure(struct writer *w, const struct config *cf)
{
	int		 moved = w->path == NULL || strcmp(w->path, cf->store_path);
	int		 was_open = w->lf != NULL && livefile_fd(w->lf) != -1;
	struct livefile	*lf;
	char		*p;

	rotate_policy_storage(cf, &w->pol);
	w->format = cf->store_format;
	w->sync_ms = cf->sync_ms;
	if (!moved) {
		livefile_configure(w->lf, &w->pol);
		return 0;
	}
	if ((p = strdup(cf->store_path)) == NULL ||
	    (lf = livefile_new(p, "storage", &w->pol, LF_REPAIR)) == NULL) {
		free(p);
		return -1;
	}
	writer_sync(w);
	livefile_free(w->lf);
	free(w->path);
	w->path = p;
	w->lf = lf;
	w->opened = 0;
	if (was_open)
		return writer_open(w);
	return 0;
}

/*
 * The store's directory, made when missing only if its parent exists: a
 * mistyped path fails at start instead of growing a tree of directories,
 * and one that is made is said so.  -1 (errno ENOENT) if it cannot be.
 */
static int
store_dir(struct writer *w)
{
	struct stat	 st;
	char		*d, *s;
	int		 rc = 0;

	if ((d = strdup(w->path)) == NULL)
		return -1;
	if ((s = strrchr(d, '/')) == NULL || s == d ||
	    (*s = '\0', stat(d, &st) == 0) || errno != ENOENT)
		goto done;
	if (mkdir(d, 0750) == 0)
		diag_warn("storage: made the directory %s (it did not exist; "
		    "its parent does)", d);
	else if (errno == ENOENT) {
		diag_rate(&w->rate, "storage %s: the directory %s does not "
		    "exist, nor its parent: not made (check [storage] path)",
		    w->path, d);
		rc = -1;
	}
done:
	free(d);
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

static int64_t
mono_us(void)
{
	return (int64_t)(diag_mono_ns() / 1000);
}

int
writer_open(struct writer *w)
{
	/* Only the first open makes the directory: one removed later (or an
	 * unmounted filesystem) holds events until it is back. */
	if ((!w->opened && store_dir(w) == -1) || livefile_open(w->lf) == -1) {
		COUNT_ADD(counters.write_errors, 1);
		return -1;
	}
	w->opened = 1;
	return 0;
}

int
writer_sync(struct writer *w)
{
	if (w->sy != NULL)
		syncer_wait(w->sy);	/* keep the order: no sync overtakes */
	return w->lf != NULL ? livefile_sync(w->lf) : 0;
}

int
writer_reopen(struct writer *w)
{
	writer_sync(w);
	return writer_open(w);	/* the old file is kept if this fails */
}

/*
 * Rotate the live file and open a new one.  -1 with the file still open:
 * the rename failed (logged), write on to the live file; -1 with it
 * closed: the new file cannot be opened, hold the events.
 */
static int
writer_rotate(struct writer *w)
{
	if (w->sy != NULL)
		syncer_wait(w->sy);
	return livefile_rotate(w->lf);
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
	    r->app.len + r->pid.len + r->msgid.len + r->message.len);
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
	uint32_t		 i, nsd = 0, nf = 0;

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
		} else if (f[i].key.len > 0)
			w = PUT_LIT(w, ",");
		if (f[i].key.len > 0) {
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
 * How much of the rest of out goes into the live file now: all of it, or
 * the whole lines that keep the file within rotate_size; 0 means rotate
 * first.  A line longer than rotate_size goes alone into an empty file.
 */
static size_t
chunk_len(const struct writer *w)
{
	const char	*p = w->out.p + w->done, *nl;
	size_t		 rest = w->out.len - w->done, room;
	uint64_t	 lim = w->pol.size, size;

	size = (uint64_t)livefile_size(w->lf);
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
write_chunk(struct writer *w, size_t len)
{
	int	 was = livefile_dirty(w->lf);

	if (livefile_write(w->lf, w->out.p + w->done, len) == -1) {
		COUNT_ADD(counters.write_errors, 1);
		return -1;
	}
	w->done += len;
	if (!was || w->pend_oldest < w->oldest_mono)
		w->oldest_mono = w->pend_oldest;
	return 0;
}

/*
 * The pipeline retries the same batch after -1; what of it is already in
 * a file (a part before a rotation) is not written twice.
 */
static int
resuming(const struct writer *w, const struct lsbatch *b)
{
	return w->pend == b && w->pend_nrec == b->n &&
	    w->pend_first == (b->n > 0 ? b->recs[0].received_us : 0);
}

static void
encode(struct writer *w, const struct lsbatch *b)
{
	uint32_t	 i;

	w->out.len = 0;
	w->done = 0;
	w->pend_events = 0;
	w->pend_oldest = UINT64_MAX;
	for (i = 0; i < b->n; i++) {
		const struct logrec *r = &b->recs[i];

		if (r->flags & LR_DROP)
			continue;
		if (w->format == STORE_RAW)
			encode_raw(&w->out, b, r);
		else
			writer_encode_json(&w->out, b, r);
		if (r->recv_mono_ns < w->pend_oldest)
			w->pend_oldest = r->recv_mono_ns;
		w->pend_events++;
	}
	w->pend = b;
	w->pend_nrec = b->n;
	w->pend_first = b->n > 0 ? b->recs[0].received_us : 0;
}

int
writer_process(struct writer *w, struct lsbatch *b)
{
	size_t		 len;

	if (w->stall != NULL && access(w->stall, F_OK) == 0) {
		usleep(10000);
		return -1;
	}
	if (!resuming(w, b))
		encode(w, b);
	if (w->pend_events == 0)
		goto done;
	livefile_check(w->lf);
	if (livefile_fd(w->lf) == -1 && writer_open(w) == -1)
		return -1;
	if (livefile_due(w->lf, 0, mono_us()) && writer_rotate(w) == -1 &&
	    livefile_fd(w->lf) == -1)
		return -1;
	while (w->done < w->out.len) {
		if ((len = chunk_len(w)) == 0) {
			if (writer_rotate(w) == 0)
				continue;
			if (livefile_fd(w->lf) == -1)
				return -1;
			len = w->out.len - w->done;	/* cannot rotate */
		}
		if (write_chunk(w, len) == -1)
			return -1;
	}
	COUNT_ADD(counters.stored, w->pend_events);
	if (w->sync_ms == 0)
		writer_sync(w);
done:
	w->pend = NULL;
	return 0;
}

int
writer_tick(struct writer *w, uint64_t now)
{
	uint64_t	 due;
	int		 fd;

	/* A quiet file still rotates on time. */
	if (w->pol.interval_ms > 0 && w->pend == NULL &&
	    livefile_due(w->lf, 0, mono_us()))
		writer_rotate(w);
	if (!livefile_dirty(w->lf))
		return -1;
	due = w->oldest_mono + (uint64_t)w->sync_ms * 1000000;
	if (now < due)
		return (int)((due - now) / 1000000) + 1;
	/* Hand a dup to the syncer thread; the stage thread goes on. */
	if ((fd = livefile_sync_fd(w->lf)) == -1) {
		writer_sync(w);
		return livefile_dirty(w->lf) ? 100 : -1;
	}
	if (syncer_request(w->sy, fd) == -1) {
		close(fd);
		return 1;	/* the last sync still runs */
	}
	livefile_synced(w->lf);
	return -1;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_sync(w);
	syncer_free(w->sy);
	livefile_free(w->lf);
	obuf_free(&w->out);
	free(w->path);
	free(w);
}
