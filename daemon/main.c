/*
 * main.c: wires the modules together.  Reads the config, binds the
 * listeners, opens storage, starts the stage thread and runs the event loop
 * until SIGTERM; then stops reading, drains the queue to storage and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "alerter.h"
#include "config.h"
#include "confmap.h"
#include "conftest.h"
#include "control.h"
#include "diag.h"
#include "http.h"
#include "input.h"
#include "listen.h"
#include "metrics.h"
#include "pipeline.h"
#include "privport.h"
#include "query.h"
#include "replay.h"
#include "queue.h"
#include "rotate.h"
#include "tls.h"
#include "writer.h"

#ifndef LOGSTREAMD_VERSION
#define LOGSTREAMD_VERSION "0.0.0"
#endif
#define DEFAULT_CONFIG	"/etc/logstreamd/logstreamd.conf"
#define RELOAD_WAIT_S	30	/* logstreamd reload: how long to wait */

struct daemon {
	const char		*config_path;
	struct event_base	*base;
	struct queue		*q;
	struct listener		*l;
	struct inputs		*ins;		/* [input X]; NULL: none */
	struct pipeline		*p;
	uint64_t		 queue_capacity;
	uint64_t		 queue_max_bytes;
	struct event		*watchdog;
	struct metrics		*m;
	struct http		*http;
	struct control		*ctl;		/* pid and state files */
	struct event		*tick;		/* 1 s: metrics, STATUS= */
	struct event		*saver;		/* inputs' positions, 4 a second */
	const char		*reload_failed;	/* kept in STATUS= till ok */
	const char		*hang_file;	/* test knob, see watchdog_cb */
};

/*
 * The watchdog ping comes from the event loop itself, so a loop that is
 * stuck stops the pings and systemd restarts the service.
 */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	/* Test-only: while this file exists the loop hangs, as if stuck. */
	while (d->hang_file != NULL && access(d->hang_file, F_OK) == 0)
		sleep(1);
	sd_notify(0, "WATCHDOG=1");
}

static void
watchdog_start(struct daemon *d)
{
	uint64_t	 usec;
	struct timeval	 tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 3;			/* ping well before the deadline */
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	d->hang_file = getenv("LOGSTREAMD_TEST_HANG_FILE");
	d->watchdog = event_new(d->base, -1, EV_PERSIST, watchdog_cb, d);
	if (d->watchdog != NULL)
		event_add(d->watchdog, &tv);
	diag_debug("watchdog: ping every %" PRIu64 " ms", usec / 1000);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: logstreamd [-c FILE] [-t] [-v] [-V] [-h] [--keys]\n"
	    "       logstreamd reload [-c FILE] [-w SECONDS]\n"
	    "       logstreamd query [-c FILE] [--where EXPR]... (query -h)\n"
	    "       logstreamd replay -c CANDIDATE.conf [--diff OLD.conf] "
	    "[FILE...] (replay -h)\n"
	    "  -c, --config FILE   config file (default: %s)\n"
	    "  -t, --test          check the config, print what is wrong "
	    "with file:line, exit 0 or 1\n"
	    "  -v, --verbose       more of the daemon's own diagnostics on "
	    "stderr\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          this help\n"
	    "  --keys              list every config key, one a line:\n"
	    "                      SECTION KEY TYPE DEFAULT BOUNDS HELP\n"
	    "  reload              reload the daemon running FILE (and no "
	    "other); wait for\n"
	    "                      its answer: exit 0 it took, 1 refused "
	    "(why on stderr),\n"
	    "                      2 no such daemon or no answer\n"
	    "  -w, --wait SECONDS  how long reload waits (default: %d)\n",
	    DEFAULT_CONFIG, RELOAD_WAIT_S);
}

/* Read and check a config and build its stages and its inputs (*ins, not
 * started; NULL: none); NULL after printing why. */
static struct stageset *
load(const char *path, struct inputs **ins)
{
	struct config	*cf;
	struct stageset	*ss;
	size_t		 i;

	*ins = NULL;
	if ((cf = config_load(path)) == NULL) {
		diag_err("%s: out of memory", path);
		return NULL;
	}
	tls_check(cf);			/* loads the certificates: -t too */
	rotate_warn_retention(cf);
	*ins = inputs_new(cf);		/* its errors are reported with all */
	if ((ss = stageset_new(cf)) != NULL && conftest_check(ss) == -1) {
		ss->cf = NULL;		/* its errors are printed below */
		stageset_free(ss);
		ss = NULL;
	}
	if (ss == NULL) {
		config_print_errors(cf);
		for (i = 0; i < cf->nerrors; i++)
			diag_captured(cf->errors[i]);	/* for reload's state */
		config_free(cf);
		inputs_free(*ins);
		*ins = NULL;
		return NULL;
	}
	return ss;
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	diag_info("signal %d: stopping; draining the queue to storage",
	    (int)sig);
	sd_notify(0, "STOPPING=1");
	listener_shutdown(d->l);
	event_base_loopbreak(d->base);
}

/*
 * The listener state cf asks for, built aside; refused when it would listen
 * on nothing and cf has no [input] either (at start and on reload alike: an
 * empty file caught mid-write must not close every port).  NULL after
 * saying why.
 */
static struct lsprep *
listen_prepare(struct daemon *d, const struct config *cf, int inputs)
{
	struct lsprep	*lp;

	if ((lp = listener_prepare(d->l, cf)) == NULL)
		return NULL;
	if (listener_prep_count(lp) == 0 && !inputs) {
		diag_err("%s: nothing to listen on (no tcp, udp, tls, unix "
		    "or unix_stream in [listen], no sockets from systemd, no "
		    "[input])", d->config_path);
		listener_abort(lp);
		return NULL;
	}
	return lp;
}

/*
 * SIGHUP: all or nothing.  Everything that can fail is done aside first
 * (the config read and checked as -t does, the new listeners bound but not
 * serving, the alert file opened, the http endpoint bound); only then is
 * the new state put in force, the listeners last.  A failure changes
 * nothing that runs.
 */
static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	struct stageset	*ss = NULL;
	struct lsprep	*lp = NULL;
	struct inputs	*ins = NULL;
	const char	*why = NULL;
	uint64_t	 started = diag_mono_ns() / 1000, hash = 0;
	static char	 errs[4096];

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, started);
	diag_capture(errs, sizeof(errs));
	if ((ss = load(d->config_path, &ins)) == NULL) {
		why = "config has errors (see the journal)";
		goto fail;
	}
	if (ss->cf->queue_capacity != d->queue_capacity ||
	    ss->cf->queue_max_bytes != d->queue_max_bytes)
		diag_warn("reload: [queue] capacity and max_bytes change only "
		    "on restart");
	if ((lp = listen_prepare(d, ss->cf, ins != NULL)) == NULL) {
		why = "listeners could not be set up (see the journal)";
		goto fail;
	}
	if (alerter_open(ss->al) == -1) {
		diag_err("reload: alerts %s: %s", ss->cf->alerts_path,
		    strerror(errno));
		why = "cannot open the alert file";
		goto fail;
	}
	/* The inputs: unchanged ones run on, new ones start (a failure
	 * undoes it), the rest stop once what they read is stored. */
	if (inputs_reload(&d->ins, ins, d->base, d->l) == -1) {
		ins = NULL;		/* freed */
		why = "an [input] could not be started (see the journal)";
		goto fail;
	}
	ins = NULL;
	if (http_configure(d->http, ss->cf) == -1) {
		why = "[http] listen could not be set up";
		goto fail;
	}
	metrics_configure(d->m, ss->cf);
	hash = ss->cf->hash;
	pipeline_reload(d->p, ss);
	listener_commit(d->l, lp);
	diag_info("reloaded %s", d->config_path);
	goto done;
fail:
	diag_capture(NULL, 0);		/* the reason is said apart */
	diag_err("reload: %s: %s; keeping the running config, unchanged",
	    d->config_path, why);
	listener_abort(lp);
	stageset_free(ss);
	inputs_free(ins);
done:
	diag_capture(NULL, 0);
	d->reload_failed = why;
	control_reloaded(d->ctl, started, why, why ? errs : NULL, hash);
	metrics_reloaded(d->m, why, diag_now_us());
	if (why != NULL)
		sd_notifyf(0, "READY=1\nSTATUS=reload failed: %s; running on "
		    "the previous config", why);
	else
		sd_notify(0, "READY=1\nSTATUS=reloaded");
}

/*
 * Four times a second: the inputs save their positions up to what storage
 * synced (each saves only what moved), so a SIGKILL repeats about the sync
 * window, not that plus a second.
 */
static void
saver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	inputs_durable(d->ins, pipeline_durable(d->p));
}

/* Every second: the figures' rates and windows, and systemd's STATUS=. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	char		 line[256];

	metrics_config_changed(d->m, control_config(d->ctl),
	    control_file_changed(d->ctl));
	metrics_tick(d->m, diag_mono_ns());
	metrics_status_line(d->m, line, sizeof(line));
	if (d->reload_failed != NULL)
		sd_notifyf(0, "STATUS=reload failed: %s; running on the "
		    "previous config; %s", d->reload_failed, line);
	else
		sd_notifyf(0, "STATUS=%s", line);
}

static void
reopen_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	pipeline_reopen(d->p);
}

/* One line of figures at exit, key=value, for people and tests. */
static void
summary(struct daemon *d)
{
	uint64_t	 dropped = 0, received = 0, hs, hsf[TLSF__COUNT];
	char		 drops[256], tlsf[320], recv[160];
	size_t		 n = 0;
	int		 i;

	drops[0] = '\0';
	for (i = 0; i < DROP__COUNT; i++) {
		dropped += COUNT_GET(counters.dropped[i]);
		n += snprintf(drops + n, sizeof(drops) - n, " %s=%llu",
		    diag_drop_name(i),
		    (unsigned long long)COUNT_GET(counters.dropped[i]));
	}
	/* tcp, udp and tls always; the other transports where they took any */
	recv[0] = '\0';
	for (i = 0, n = 0; i < LRT__COUNT; i++) {
		uint64_t v = COUNT_GET(counters.received[i]);

		received += v;
		if (v > 0 || i <= LRT_TLS)
			n += snprintf(recv + n, sizeof(recv) - n, " %s=%llu",
			    lr_transport_name(i), (unsigned long long)v);
	}
	/* TLS handshake figures, where there were any */
	tls_stats(&hs, hsf);
	n = snprintf(tlsf, sizeof(tlsf), " tls_handshakes=%llu",
	    (unsigned long long)hs);
	for (i = 0; i < TLSF__COUNT; i++) {
		n += snprintf(tlsf + n, sizeof(tlsf) - n, " tls_%s=%llu",
		    tls_fail_name(i), (unsigned long long)hsf[i]);
		hs += hsf[i];
	}
	if (hs == 0)
		tlsf[0] = '\0';
	diag_info("stopped: received=%llu%s "
	    "stored=%llu dropped=%llu%s refused=%llu per_source=%llu "
	    "evicted=%llu slow_closed=%llu%s truncated=%llu "
	    "queue_peak=%zu capacity=%zu",
	    (unsigned long long)received, recv,
	    (unsigned long long)COUNT_GET(counters.stored),
	    (unsigned long long)dropped, drops,
	    (unsigned long long)(COUNT_GET(counters.refused_limit) +
	    COUNT_GET(counters.refused_acl) +
	    COUNT_GET(counters.refused_source)),
	    (unsigned long long)COUNT_GET(counters.refused_source),
	    (unsigned long long)COUNT_GET(counters.evicted),
	    (unsigned long long)COUNT_GET(counters.slow_closed), tlsf,
	    (unsigned long long)COUNT_GET(counters.truncated),
	    queue_peak(d->q), queue_capacity(d->q));
}

/*
 * Start everything, run the loop, stop.  2 on a start failure (port in use,
 * unwritable store), after freeing what was built: LeakSanitizer runs the
 * integration tests and a start failure is one of them.
 */
static int
run(struct daemon *d, struct stageset *ss)
{
	struct writer	*w = NULL;
	struct lsprep	*lp;
	struct event	*sev[4] = { NULL };
	static const int sigs[4] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	void		(*cbs[4])(evutil_socket_t, short, void *) = {
		stop_cb, stop_cb, reload_cb, reopen_cb };
	int		 i, rc = 2;

	signal(SIGPIPE, SIG_IGN);
	d->queue_capacity = ss->cf->queue_capacity;
	d->queue_max_bytes = ss->cf->queue_max_bytes;
	if ((d->base = event_base_new()) == NULL ||
	    (d->q = queue_new(ss->cf->queue_capacity,
	    ss->cf->queue_max_bytes, NULL, NULL)) == NULL ||
	    (d->l = listener_new(d->base, d->q)) == NULL)
		goto out;
	queue_set_wake(d->q, listener_wake, d->l);
	/*
	 * Catch the signals before the port accepts: libevent holds a signal
	 * until the loop runs, so a SIGTERM during start-up becomes a clean
	 * stop (exit 0) instead of the default kill.
	 */
	for (i = 0; i < 4; i++) {
		sev[i] = evsignal_new(d->base, sigs[i], cbs[i], d);
		evsignal_add(sev[i], NULL);
	}
	/* reload may signal us from here on: the handlers are in place */
	if ((d->ctl = control_new(d->config_path, ss->cf->hash)) == NULL)
		goto out;
	if (listener_inherit(d->l) == -1 ||
	    (lp = listen_prepare(d, ss->cf, d->ins != NULL)) == NULL)
		goto out;
	listener_commit(d->l, lp);
	if ((w = writer_new(ss->cf)) == NULL || writer_open(w) == -1)
		goto out;
	if (alerter_open(ss->al) == -1) {
		diag_err("alerts %s: %s", ss->cf->alerts_path, strerror(errno));
		goto out;
	}
	diag_info("storage %s (%s)", ss->cf->store_path,
	    ss->cf->store_format == STORE_RAW ? "raw" : "json");
	diag_info("alerts %s", ss->cf->alerts_path != NULL &&
	    *ss->cf->alerts_path != '\0' ? ss->cf->alerts_path : "off");
	if ((d->m = metrics_new()) == NULL ||
	    (d->http = http_new(d->base, d->m)) == NULL)
		goto out;
	metrics_configure(d->m, ss->cf);
	if (http_configure(d->http, ss->cf) == -1)
		goto out;
	/* The inputs read into the listener's intake (paused with it). */
	listener_inputs(d->l, d->ins);
	if (inputs_start(d->ins, d->base, d->l) == -1)
		goto out;
	if ((d->p = pipeline_start(d->q, ss, w)) == NULL)
		goto out;
	ss = NULL;	/* the pipeline owns both now */
	w = NULL;
	if ((d->tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d)) != NULL)
		event_add(d->tick, &(struct timeval){ 1, 0 });
	if ((d->saver = event_new(d->base, -1, EV_PERSIST, saver_cb, d)) !=
	    NULL)
		event_add(d->saver, &(struct timeval){ 0, 250000 });
	metrics_tick(d->m, diag_mono_ns());
	diag_info("logstreamd %s ready", LOGSTREAMD_VERSION);
	watchdog_start(d);
	sd_notify(0, "READY=1");
	event_base_dispatch(d->base);
	http_free(d->http);
	d->http = NULL;
	queue_close(d->q);
	/* Everything is stored and synced now: the inputs' last positions. */
	inputs_durable(d->ins, pipeline_join(d->p));
	summary(d);
	rc = 0;
out:
	http_free(d->http);
	for (i = 0; i < 4; i++)
		if (sev[i] != NULL)
			event_free(sev[i]);
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	if (d->tick != NULL)
		event_free(d->tick);
	if (d->saver != NULL)
		event_free(d->saver);
	metrics_free(d->m);
	control_free(d->ctl);
	writer_free(w);
	stageset_free(ss);
	listener_inputs(d->l, NULL);
	inputs_free(d->ins);
	listener_free(d->l);
	queue_free(d->q);
	if (d->base != NULL)
		event_base_free(d->base);
	return rc;
}

/* -t: the config loaded; its [test] sections run.  The exit code. */
static int
test_config(struct daemon *d, struct stageset *ss)
{
	int	 n = conftest_count(ss), failed = conftest_run(ss);

	stageset_free(ss);
	if (failed != 0) {
		fprintf(stderr, "%s: %d of %d tests failed\n", d->config_path,
		    failed < 0 ? n : failed, n);
		return 1;
	}
	printf("%s: ok", d->config_path);
	printf(n > 0 ? " (%d tests passed)\n" : "\n", n);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "wait", required_argument, NULL, 'w' },
		{ "keys", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon	 d;
	struct stageset	*ss;
	struct inputs	*ins;
	uint64_t	 n;
	int		 ch, test = 0, verbose = 0, wait_s = RELOAD_WAIT_S;

	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return query_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "replay") == 0)
		return replay_main(argc - 1, argv + 1);
	memset(&d, 0, sizeof(d));
	d.config_path = DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:tvVhw:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("logstreamd %s\n", LOGSTREAMD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'K':
			conf_keys_print(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'w':
			if (conf_parse_uint(optarg, &n) == -1 || n < 1 ||
			    n > 3600) {
				fprintf(stderr, "logstreamd: -w %s: not 1 to "
				    "3600 seconds\n", optarg);
				return 1;
			}
			wait_s = (int)n;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind == argc - 1 && strcmp(argv[optind], "reload") == 0 &&
	    !test)
		return control_reload(d.config_path, wait_s);
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	diag_init(verbose);
	if ((ss = load(d.config_path, &ins)) == NULL)
		return 1;
	if (test) {
		privport_warn(ss->cf);
		inputs_free(ins);
		return test_config(&d, ss);
	}
	d.ins = ins;
	return run(&d, ss);
}
