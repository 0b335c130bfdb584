/*
 * input_journal.c: [input NAME] type = journal, the systemd journal read
 * through sd_journal on the event loop (its inotify descriptor; a 1 s timer
 * besides).  Each entry becomes one event that the input fills itself
 * (LR_PARSED): transport journal, format journal, host, app, pid, severity,
 * facility, time and message from the entry's fields, and _UID, _GID and
 * _SYSTEMD_UNIT under "trusted".
 *
 * The cursor of the last entry of each batch is noted with the batch's
 * number; it is saved (statefile.h) only once that batch is durable
 * (ops->durable), so a restart resumes after what was stored: a clean stop
 * repeats nothing, a SIGKILL at most the `sync` window, and nothing is
 * skipped.  Entries journald vacuumed before they were read show as a gap
 * on the first entry read after the saved cursor, with how many the
 * journal's seqnum says are missing.
 */
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-journal.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "input.h"
#include "jsonenc.h"
#include "logrec.h"
#include "statefile.h"

#define READ_MAX	2048		/* entries per callback */
#define CURSOR_MAX	512
#define MATCH_MAX	64
#define UNIT_MAX	256		/* _SYSTEMD_UNIT bytes kept */

/* A position noted: after batch no, the journal is read up to cursor. */
struct jpos {
	uint64_t	 no;
	char		*cursor;
};

struct journal {
	struct input		*in;
	/* keys */
	char			*match[MATCH_MAX];
	size_t			 nmatch;
	int			 mline[MATCH_MAX];	/* their lines */
	char			*state;
	int			 start_all;	/* start = all */
	uint64_t		 max_message;
	/* running */
	sd_journal		*j;
	struct listener		*l;
	struct event		*ev;		/* the journal's fd */
	struct event		*timer;		/* 1 s, and "read on" */
	int			 paused;
	int			 stopped;
	int			 taken;		/* an entry is current */
	int			 have_current;	/* positioned on one not taken */
	uint64_t		 cur_no;	/* batch of the current entry */
	struct jpos		*pos;		/* noted, not yet saved */
	size_t			 npos;
	size_t			 cappos;
	char			*saved;		/* cursor in the state file */
	/* Gaps (seq_check): the seqnum of an entry read (or saved), and the
	 * entries taken since; a gap found marks the next entry taken. */
	int			 check_gap;	/* the first after a restart */
	int			 have_prev;
	char			 prev_id[33];
	uint64_t		 prev_seq;
	uint64_t		 since;
	uint64_t		 pending_gap;
	struct diag_rate	 rate;
	/* figures */
	uint64_t		 read;
	uint64_t		 gaps;
	uint64_t		 missing;
	uint64_t		 saves;
	uint64_t		 save_errors;
};

static const char *const starts[] = { "new", "all", NULL };

static void	*journal_impl(struct input *);
static void	 seq_batch(struct journal *, const char *);

/* match = FIELD=VALUE (FIELD: A-Z, 0-9, _), or + between groups (OR). */
static int
set_match(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct journal	*jn = obj;
	const char	*eq = strchr(kv->val, '='), *p;

	if (strcmp(kv->val, "+") != 0) {
		if (eq == NULL || eq == kv->val)
			return -1;
		for (p = kv->val; p < eq; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' &&
			    *p <= '9') || *p == '_'))
				return -1;
	}
	if (jn->nmatch == MATCH_MAX) {
		config_error(cf, kv->line, "[input %s]: at most %d match keys",
		    s->name, MATCH_MAX);
		return CM_REPORTED;
	}
	if ((jn->match[jn->nmatch] = strdup(kv->val)) == NULL)
		return -2;
	jn->mline[jn->nmatch++] = kv->line;
	return 0;
}

#define J(f)	offsetof(struct journal, f)

/* The keys of type = journal (docs-inputs.md): one row each. */
static const struct conf_map journal_map[] = {
	{ "match", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "FIELD=VALUE (FIELD of A-Z, 0-9, _), or + for OR", CM_REPEAT,
	    set_match },
	{ "state", CM_PATH, J(state), NULL, 1, 0, NULL,
	    "the cursor file (none: not saved)", 0, NULL },
	{ "start", CM_ENUM, J(start_all), "new", 0, 0, starts,
	    "new or all: where a start without a cursor begins", 0, NULL },
};

static void *
journal_impl(struct input *in)
{
	struct journal	*jn = in->impl;

	if (jn == NULL && (jn = calloc(1, sizeof(*jn))) != NULL) {
		jn->in = in;
		in->impl = jn;
	}
	return jn;
}

static int
journal_finish(struct input *in, struct config *cf, int line)
{
	struct journal	*jn = in->impl;
	size_t		 i;

	for (i = 0; i < jn->nmatch; i++)
		if (strcmp(jn->match[i], "+") == 0 && (i == 0 ||
		    i == jn->nmatch - 1 || strcmp(jn->match[i + 1], "+") ==
		    0)) {
			config_error(cf, jn->mline[i], "[input %s]: match = + "
			    "stands between two groups of matches", in->name);
			return -1;
		}
	jn->max_message = cf->max_message;
	return 0;
}

/* ---- positions ---- */

/* After batch no, the journal is read up to the current entry. */
static void
note(struct journal *jn, uint64_t no)
{
	struct jpos	*v;
	char		*c;

	if (sd_journal_get_cursor(jn->j, &c) < 0)
		return;			/* the next note covers it */
	seq_batch(jn, c);
	if (jn->npos > 0 && jn->pos[jn->npos - 1].no == no) {
		free(jn->pos[jn->npos - 1].cursor);
		jn->pos[jn->npos - 1].cursor = c;
		return;
	}
	if (jn->npos == jn->cappos) {
		if ((v = reallocarray(jn->pos, jn->cappos * 2 + 16,
		    sizeof(*v))) == NULL) {
			free(c);
			return;
		}
		jn->pos = v;
		jn->cappos = jn->cappos * 2 + 16;
	}
	jn->pos[jn->npos++] = (struct jpos){ no, c };
}

static int
save(struct journal *jn, const char *cursor)
{
	char	 buf[CURSOR_MAX + 32];
	int	 n;

	if (jn->state == NULL || (jn->saved != NULL &&
	    strcmp(jn->saved, cursor) == 0))
		return 0;
	n = snprintf(buf, sizeof(buf), "journal-cursor %s\n", cursor);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    statefile_save(jn->state, buf, (size_t)n) == -1) {
		jn->save_errors++;
		diag_rate(&jn->rate, "input %s: cannot save the cursor to %s: "
		    "%s", jn->in->name, jn->state, n < 0 ||
		    (size_t)n >= sizeof(buf) ? "cursor too long" :
		    strerror(errno));
		return -1;
	}
	free(jn->saved);
	jn->saved = strdup(cursor);
	jn->saves++;
	return 0;
}

static void
journal_durable(struct input *in, uint64_t no)
{
	struct journal	*jn = in->impl;
	size_t		 k, i;

	for (k = 0; k < jn->npos && jn->pos[k].no <= no; k++)
		;
	if (k == 0)
		return;
	if (save(jn, jn->pos[k - 1].cursor) == -1)
		return;			/* kept: tried again next time */
	for (i = 0; i < k; i++)
		free(jn->pos[i].cursor);
	memmove(jn->pos, jn->pos + k, (jn->npos - k) * sizeof(*jn->pos));
	jn->npos -= k;
}

/* ---- reading ---- */

/* The field name=value at d (len bytes): the value if the name is key. */
static int
field(const void *d, size_t len, const char *key, size_t klen,
    const char **v, size_t *vlen)
{
	if (len <= klen || memcmp(d, key, klen) != 0)
		return 0;
	*v = (const char *)d + klen;
	*vlen = len - klen;
	return 1;
}

#define FIELD(name, v, vl)	field(d, len, name "=", sizeof(name), &(v), &(vl))

/* A small decimal number of at most 10 digits: value, or -1. */
static int64_t
small_num(const char *p, size_t len)
{
	int64_t	 v = 0;
	size_t	 i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Copy a slice into the batch for the record just added. */
static void
put(struct journal *jn, const char *p, size_t len, struct lsslice *out)
{
	if (p != NULL && len > 0 && intake_slice(jn->l, p, len, out) == -1)
		out->len = 0;
}

/*
 * Entries journald removed (vacuumed, or rotated away while we were behind)
 * before they were read.  The journal numbers every entry it writes
 * (seqnum, one counter per seqnum id), so a seqnum past the one expected
 * says how many are gone.  The seqnum is read from the cursor text
 * (sd_journal_get_seqnum is libsystemd 254+), so not per entry (a cursor
 * per entry halved the read rate): the first entry after a restart is
 * checked (and marked) exactly, with match as an upper bound (matched
 * entries are not consecutive); without match the cursor noted once a
 * batch (note) is checked against the entries taken since, and the next
 * entry taken is marked with what is missing (so the mark may come up to a
 * batch, 512 events, after the place of the gap; the count is exact).
 */
static int
seq_of(struct journal *jn, const char *c, char id[33], uint64_t *seq)
{
	if (jcursor_seqnum(c, id, seq) == 0)
		return 0;
	jn->have_prev = 0;
	return -1;
}

static void
gap_found(struct journal *jn, uint64_t lost, int restart)
{
	jn->gaps++;
	jn->missing += lost;
	if (restart)
		diag_warn("input %s: the journal no longer holds the entry of "
		    "the saved cursor: %" PRIu64 " entries were removed "
		    "(vacuumed or rotated) before they were read%s",
		    jn->in->name, lost, jn->nmatch > 0 ? " (at most: the "
		    "journal counts every entry, matched or not)" : "");
	else
		diag_rate(&jn->rate, "input %s: %" PRIu64 " entries were "
		    "removed from the journal (vacuumed or rotated) before "
		    "they were read", jn->in->name, lost);
}

/* The first entry after a restart (r, just taken): exact. */
static void
seq_check(struct journal *jn, struct logrec *r)
{
	char		*c, id[33];
	uint64_t	 seq, lost;

	jn->check_gap = 0;
	if (sd_journal_get_cursor(jn->j, &c) < 0)
		return;
	if (seq_of(jn, c, id, &seq) == 0) {
		if (jn->have_prev && strcmp(id, jn->prev_id) == 0 &&
		    seq > jn->prev_seq + 1) {
			lost = seq - jn->prev_seq - 1;
			r->stream = LRS_GAP;
			r->missing = lost > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)lost;
			gap_found(jn, lost, 1);
		}
		memcpy(jn->prev_id, id, sizeof(id));
		jn->prev_seq = seq;
		jn->since = 0;
		jn->have_prev = jn->nmatch == 0;
	}
	free(c);
}

/* Without match: the cursor c of the entry taken last, once a batch. */
static void
seq_batch(struct journal *jn, const char *c)
{
	char		 id[33];
	uint64_t	 seq;

	if (jn->nmatch > 0 || seq_of(jn, c, id, &seq) == -1)
		return;
	if (jn->have_prev && strcmp(id, jn->prev_id) == 0 &&
	    seq > jn->prev_seq + jn->since) {
		jn->pending_gap += seq - jn->prev_seq - jn->since;
		gap_found(jn, seq - jn->prev_seq - jn->since, 0);
	}
	memcpy(jn->prev_id, id, sizeof(id));
	jn->prev_seq = seq;
	jn->since = 0;
	jn->have_prev = 1;
}

/* The current entry into the intake (room was made); 0, or -1 (ENOMEM:
 * not taken). */
static int
take(struct journal *jn)
{
	const void	*d;
	size_t		 len;
	const char	*msg = NULL, *host = NULL, *ident = NULL, *comm = NULL,
			*spid = NULL, *pid = NULL, *pri = NULL, *fac = NULL,
			*uid = NULL, *gid = NULL, *unit = NULL;
	size_t		 lmsg = 0, lhost = 0, lident = 0, lcomm = 0, lspid = 0,
			 lpid = 0, lpri = 0, lfac = 0, luid = 0, lgid = 0,
			 lunit = 0;
	char		 tr[64 + JSONENC_STR_MAX(UNIT_MAX)], *w;
	struct logrec	*r;
	uint64_t	 rt;
	int64_t		 v;
	int		 trunc = 0;

	SD_JOURNAL_FOREACH_DATA(jn->j, d, len) {
		switch (*(const char *)d) {
		case 'M':
			FIELD("MESSAGE", msg, lmsg);
			break;
		case 'S':
			if (!FIELD("SYSLOG_IDENTIFIER", ident, lident) &&
			    !FIELD("SYSLOG_PID", spid, lspid))
				FIELD("SYSLOG_FACILITY", fac, lfac);
			break;
		case 'P':
			FIELD("PRIORITY", pri, lpri);
			break;
		case '_':
			if (!FIELD("_HOSTNAME", host, lhost) &&
			    !FIELD("_COMM", comm, lcomm) &&
			    !FIELD("_PID", pid, lpid) &&
			    !FIELD("_UID", uid, luid) &&
			    !FIELD("_GID", gid, lgid))
				FIELD("_SYSTEMD_UNIT", unit, lunit);
			break;
		}
	}
	if (msg == NULL)
		msg = "";
	if (jn->max_message > 0 && lmsg > jn->max_message) {
		lmsg = jn->max_message;
		trunc = 1;
	}
	/* raw is MESSAGE; the message is the same bytes (one copy). */
	if ((r = intake_add(jn->l, msg, lmsg, trunc, LRT_JOURNAL, "journal",
	    7)) == NULL) {
		diag_rate(&jn->rate, "input %s: out of memory: reading again "
		    "in a second", jn->in->name);
		return -1;
	}
	jn->read++;
	r->message = r->raw;
	r->format = LRF_JOURNAL;
	r->flags |= LR_PARSED;
	if (sd_journal_get_realtime_usec(jn->j, &rt) >= 0 &&
	    rt <= INT64_MAX) {
		r->time_us = (int64_t)rt;
		r->time_prec = 6;
	}
	put(jn, host, lhost, &r->host);
	if (ident != NULL)
		put(jn, ident, lident, &r->app);
	else
		put(jn, comm, lcomm, &r->app);
	if (spid != NULL && small_num(spid, lspid) >= 0)
		put(jn, spid, lspid, &r->pid);
	else if (pid != NULL && small_num(pid, lpid) >= 0)
		put(jn, pid, lpid, &r->pid);
	if (pri != NULL && (v = small_num(pri, lpri)) >= 0 && v <= 7)
		r->severity = (int8_t)v;
	if (fac != NULL && (v = small_num(fac, lfac)) >= 0 && v <= 23)
		r->facility = (int8_t)v;
	/* What journald vouches for (the _ fields): compact JSON. */
	w = tr;
	*w++ = '{';
	if (uid != NULL && small_num(uid, luid) >= 0) {
		w += sprintf(w, "\"uid\":%.*s", (int)luid, uid);
	}
	if (gid != NULL && small_num(gid, lgid) >= 0)
		w += sprintf(w, "%s\"gid\":%.*s", w > tr + 1 ? "," : "",
		    (int)lgid, gid);
	if (unit != NULL && lunit > 0) {
		w += sprintf(w, "%s\"systemd_unit\":", w > tr + 1 ? "," : "");
		w = jsonenc_put_str(w, unit, lunit > UNIT_MAX ? UNIT_MAX :
		    lunit);
	}
	*w++ = '}';
	if (w - tr > 2)
		put(jn, tr, (size_t)(w - tr), &r->trusted);
	if (jn->pending_gap > 0) {
		r->stream = LRS_GAP;
		r->missing = jn->pending_gap > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)jn->pending_gap;
		jn->pending_gap = 0;
	}
	jn->since++;
	if (jn->check_gap)
		seq_check(jn, r);
	return 0;
}

/* Read what is there, up to READ_MAX entries, into the intake. */
static void
journal_read(struct journal *jn)
{
	int	 n, r;

	if (jn->paused || jn->stopped || jn->j == NULL)
		return;
	for (n = 0; n < READ_MAX; n++) {
		if (!intake_room(jn->l))
			break;		/* paused (ops->pause) */
		/* The batch of the current entry went to the queue: its
		 * position is noted before the journal moves on. */
		if (jn->taken && intake_batchno(jn->l) != jn->cur_no)
			note(jn, jn->cur_no);
		if (jn->have_current)
			jn->have_current = 0;	/* resume put us on it */
		else if ((r = sd_journal_next(jn->j)) == 0)
			break;
		else if (r < 0) {
			diag_rate(&jn->rate, "input %s: reading the journal: "
			    "%s", jn->in->name, strerror(-r));
			break;
		}
		if (take(jn) == -1) {
			/* Back to the last entry taken: the timer tries
			 * this one again. */
			if (jn->taken)
				sd_journal_previous(jn->j);
			else
				jn->have_current = 1;
			break;
		}
		jn->taken = 1;
		jn->cur_no = intake_batchno(jn->l);
	}
	if (jn->taken)
		note(jn, jn->cur_no);
	intake_handoff(jn->l);
	if (n == READ_MAX && !jn->paused)
		event_active(jn->timer, EV_TIMEOUT, 0);	/* more: read on */
}

static void
journal_cb(evutil_socket_t fd, short what, void *arg)
{
	struct journal	*jn = arg;

	if (jn->j == NULL)
		return;
	if (what & EV_READ)
		sd_journal_process(jn->j);
	journal_read(jn);
}

/* ---- start, where to begin ---- */

static void
seek_start(struct journal *jn)
{
	if (jn->start_all)
		sd_journal_seek_head(jn->j);
	else {
		/* The last entry is taken as read: new ones follow it. */
		sd_journal_seek_tail(jn->j);
		sd_journal_previous(jn->j);
	}
}

/* The state file's cursor, if any and good; else start as `start` says. */
static void
resume(struct journal *jn)
{
	char		 buf[CURSOR_MAX + 32], cur[CURSOR_MAX];
	const char	*why = NULL;
	ssize_t		 n;
	int		 r;

	if (jn->state == NULL) {
		seek_start(jn);
		return;
	}
	if ((n = statefile_load(jn->state, buf, sizeof(buf))) == -1) {
		if (errno != ENOENT)
			diag_err("input %s: state %s: %s; starting over "
			    "(start = %s)", jn->in->name, jn->state,
			    errno == EFBIG ? "too large for a cursor" :
			    strerror(errno), starts[jn->start_all]);
		seek_start(jn);
		return;
	}
	if (jstate_parse(buf, (size_t)n, cur, sizeof(cur), jn->prev_id,
	    &jn->prev_seq, &why) == -1) {
		diag_err("input %s: state %s: corrupt (%s); starting over "
		    "(start = %s)", jn->in->name, jn->state, why,
		    starts[jn->start_all]);
		seek_start(jn);
		return;
	}
	if ((r = sd_journal_seek_cursor(jn->j, cur)) < 0) {
		diag_err("input %s: state %s: the journal refuses the cursor "
		    "(%s); starting over (start = %s)", jn->in->name,
		    jn->state, strerror(-r), starts[jn->start_all]);
		seek_start(jn);
		return;
	}
	jn->saved = strdup(cur);
	jn->have_prev = 1;		/* the saved entry's seqnum */
	/* The entry of the cursor was read and stored: skip it.  If the
	 * journal no longer has it, what follows is checked for a gap. */
	if ((r = sd_journal_next(jn->j)) > 0 &&
	    sd_journal_test_cursor(jn->j, cur) > 0) {
		jn->have_prev = jn->nmatch == 0;
		return;
	}
	if (r > 0)
		jn->have_current = 1;	/* not it: this one is read first */
	jn->check_gap = 1;
}

static int
journal_start(struct input *in, struct event_base *base, struct listener *l)
{
	struct journal	*jn = in->impl;
	size_t		 i;
	int		 r, fd;

	jn->l = l;
	if ((r = sd_journal_open(&jn->j, SD_JOURNAL_LOCAL_ONLY)) < 0) {
		diag_err("input %s: cannot open the journal: %s", in->name,
		    strerror(-r));
		return -1;
	}
	for (i = 0; i < jn->nmatch; i++) {
		r = strcmp(jn->match[i], "+") == 0 ?
		    sd_journal_add_disjunction(jn->j) :
		    sd_journal_add_match(jn->j, jn->match[i], 0);
		if (r < 0) {
			diag_err("input %s: match = %s: %s", in->name,
			    jn->match[i], strerror(-r));
			return -1;
		}
	}
	sd_journal_set_data_threshold(jn->j, 0);	/* whole fields */
	if ((fd = sd_journal_get_fd(jn->j)) < 0) {
		diag_err("input %s: journal: no descriptor to wait on: %s",
		    in->name, strerror(-fd));
		return -1;
	}
	resume(jn);
	if ((jn->ev = event_new(base, fd, EV_READ | EV_PERSIST, journal_cb,
	    jn)) == NULL || (jn->timer = event_new(base, -1, EV_PERSIST,
	    journal_cb, jn)) == NULL || event_add(jn->ev, NULL) == -1 ||
	    event_add(jn->timer, &(struct timeval){ 1, 0 }) == -1) {
		diag_err("input %s: %s", in->name, strerror(errno));
		return -1;
	}
	event_active(jn->timer, EV_TIMEOUT, 0);		/* what is there */
	return 0;
}

static void
journal_pause(struct input *in)
{
	struct journal	*jn = in->impl;

	jn->paused = 1;
}

static void
journal_resume(struct input *in)
{
	struct journal	*jn = in->impl;

	jn->paused = 0;
	if (jn->timer != NULL && !jn->stopped)
		event_active(jn->timer, EV_TIMEOUT, 0);
}

static void
journal_stop(struct input *in)
{
	struct journal	*jn = in->impl;

	jn->stopped = 1;
	if (jn->ev != NULL)
		event_del(jn->ev);
	if (jn->timer != NULL)
		event_del(jn->timer);
}

static void
journal_free(struct input *in)
{
	struct journal	*jn = in->impl;
	size_t		 i;

	if (jn == NULL)
		return;
	if (jn->ev != NULL)
		event_free(jn->ev);
	if (jn->timer != NULL)
		event_free(jn->timer);
	if (jn->j != NULL)
		sd_journal_close(jn->j);
	for (i = 0; i < jn->nmatch; i++)
		free(jn->match[i]);
	for (i = 0; i < jn->npos; i++)
		free(jn->pos[i].cursor);
	free(jn->pos);
	free(jn->saved);
	free(jn->state);
	free(jn);
	in->impl = NULL;
}

static size_t
journal_stats(struct input *in, char *buf, size_t len)
{
	struct journal	*jn = in->impl;
	int		 n;

	n = snprintf(buf, len, "\"read\":%" PRIu64 ",\"gaps\":%" PRIu64
	    ",\"missing\":%" PRIu64 ",\"saves\":%" PRIu64 ",\"save_errors\":%"
	    PRIu64 ",\"paused\":%s", jn->read, jn->gaps, jn->missing,
	    jn->saves, jn->save_errors, jn->paused ? "true" : "false");
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n;
}

const struct input_ops input_journal_ops = {
	.type = "journal",
	.map = journal_map,
	.nmap = CM_N(journal_map),
	.impl = journal_impl,
	.finish = journal_finish,
	.start = journal_start,
	.pause = journal_pause,
	.resume = journal_resume,
	.durable = journal_durable,
	.stop = journal_stop,
	.free = journal_free,
	.stats = journal_stats,
};
