/*
 * http.c: the HTTP endpoint (evhttp on the listener's event loop, so it
 * reads the listener's figures without locks).  Four fixed routes, GET and
 * HEAD only; header and body sizes, an idle timeout and the number of
 * connections are bounded, and past max_clients it stops accepting.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "config.h"
#include "diag.h"
#include "expr.h"
#include "http.h"
#include "metrics.h"
#include "privport.h"
#include "tap.h"

#define MAX_HEADERS	8192
#define MAX_BODY	1024
#define HTTP_MAX_HELD	1100		/* max_clients (<= 1000) and slack */
#define TAP_MAX_S	"16"		/* TAP_MAX_CLIENTS, as text */
#define TAP_FLUSH_US	20000		/* tap buffers sent this often */
#define TAP_SOCK_MAX	(256 * 1024)	/* unsent in a tap's socket buffer:
					 * past it, its tap buffer waits */
#define ALL_METHODS	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | \
			    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | \
			    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | \
			    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

struct http;

/* A GET /tap client: its streamed reply and its tap.c buffer. */
struct http_tap {
	struct http		*h;
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	struct tap_client	*c;
};

struct http {
	struct event_base		*base;
	struct metrics			*m;
	struct evhttp			*eh;
	struct evhttp_bound_socket	*bound;
	char				*addr;
	uint64_t			 max_clients;
	struct bufferevent		*held[HTTP_MAX_HELD];
	size_t				 nheld;		/* connections */
	int				 paused;	/* at max_clients */
	struct event			*sweep_ev;	/* every 100 ms */
	struct event			*retry_ev;	/* accept back-off */
	struct diag_rate		 rate;
	struct http_tap			*taps[TAP_MAX_CLIENTS];
	size_t				 ntaps;
	struct event			*tap_ev;	/* while ntaps > 0 */
	struct evbuffer			*tap_out;
};

/* The page at /: no external assets; it polls /stats every second. */
static const char page[] =
	"<!doctype html>\n"
	"<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>logstreamd</title>\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<style>\n"
	"body{font:14px system-ui,sans-serif;margin:1em 2em;background:#fafafa;color:#222}\n"
	"h1{font-size:1.3em;margin:0 .6em .3em 0;display:inline-block}\n"
	"#health{padding:.3em .6em;border-radius:4px;display:inline-block;font-weight:bold}\n"
	".ok{background:#d4f4d4}.bad{background:#f8d0d0;color:#900}.warn{background:#fbeec0}\n"
	"#age{color:#666;margin-left:.6em}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1em;margin-top:1em}\n"
	".card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em}\n"
	".card h2{font-size:1em;margin:0 0 .3em}\n"
	"canvas{width:100%;height:150px;display:block}\n"
	".legend{font-size:12px;margin:0 0 .2em}\n"
	".legend span.key{margin-right:1.2em;white-space:nowrap}\n"
	".sw{display:inline-block;width:28px;height:0;vertical-align:middle;margin-right:.4em;border-top-width:3px}\n"
	".xaxis{display:flex;justify-content:space-between;font-size:11px;color:#666}\n"
	"table{border-collapse:collapse;width:100%}td,th{padding:.1em .8em .1em 0;text-align:left}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"th{font-weight:normal;color:#666;border-bottom:1px solid #eee}\n"
	".bar{background:#1f77b4;height:8px;display:block;opacity:.5}\n"
	".note{color:#666;font-size:12px;margin:.3em 0 0}\n"
	"</style></head><body>\n"
	"<h1>logstreamd</h1><div id=\"health\" data-state=\"loading\" data-seen=\"\">loading /stats ...</div><span id=\"age\"></span>\n"
	"<div id=\"totals\"></div>\n"
	"<div class=\"grid\">\n"
	"<div class=\"card\"><h2>events per second</h2>\n"
	"<div class=\"legend\" id=\"l_rate\"></div><canvas id=\"c_rate\" width=\"800\" height=\"300\"></canvas>\n"
	"<div class=\"xaxis\"></div></div>\n"
	"<div class=\"card\"><h2>alerts per second</h2>\n"
	"<div class=\"legend\" id=\"l_alert\"></div><canvas id=\"c_alert\" width=\"800\" height=\"300\"></canvas>\n"
	"<div class=\"xaxis\"></div></div>\n"
	"<div class=\"card\"><h2>queue fill (% of capacity)</h2>\n"
	"<div class=\"legend\" id=\"l_queue\"></div><canvas id=\"c_queue\" width=\"800\" height=\"300\"></canvas>\n"
	"<div class=\"xaxis\"></div></div>\n"
	"<div class=\"card\"><h2>latency p99 per second (ms)</h2>\n"
	"<div class=\"legend\" id=\"l_lat\"></div><canvas id=\"c_lat\" width=\"800\" height=\"300\"></canvas>\n"
	"<div class=\"xaxis\"></div></div>\n"
	"<div class=\"card\"><h2>events per class</h2><table id=\"classes\"></table>\n"
	"<p class=\"note\">events matched by each [class] since start</p></div>\n"
	"<div class=\"card\"><h2>recent alerts</h2><table id=\"recent\"></table>\n"
	"<p class=\"note\">rules seen firing (checked every 0.1 s; the alert lines themselves are in the alerts file)</p>\n"
	"<h2>alerts per rule</h2><table id=\"alerts\"></table></div>\n"
	"<div class=\"card\"><h2>top hosts</h2><table id=\"hosts\"></table>\n"
	"<p class=\"note\" id=\"hostsnote\"></p></div>\n"
	"<div class=\"card\"><h2>top source addresses</h2><table id=\"sources\"></table></div>\n"
	"</div>\n"
	"<script>\n"
	"\"use strict\";\n"
	"var N = 120, TIMEOUT_MS = 2500;\n"
	"var BLUE = \"#1f77b4\", RED = \"#d62728\";\n"
	"/* Each chart: its series (history key, label, colour, dash). */\n"
	"var charts = {\n"
	"  c_rate: {l: \"l_rate\", s: [[\"received_per_s\", \"received\", BLUE, []],\n"
	"    [\"stored_per_s\", \"stored\", RED, [12, 8]]]},\n"
	"  c_alert: {l: \"l_alert\", s: [[\"alerts_per_s\", \"alerts fired\", RED, []]]},\n"
	"  c_queue: {l: \"l_queue\", s: [[\"queue_fill_pct\", \"queue fill %\", BLUE, []]], max: 100},\n"
	"  c_lat: {l: \"l_lat\", s: [[\"store_p99_ms\", \"received \\u2192 stored\", BLUE, []],\n"
	"    [\"alert_p99_ms\", \"received \\u2192 alert written\", RED, [12, 8]]]}\n"
	"};\n"
	"function el(id) { return document.getElementById(id); }\n"
	"function text(id, s) { el(id).textContent = s; }\n"
	"function fmt(v) {\n"
	"  if (v >= 1e6) return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + \"M\";\n"
	"  if (v >= 1e4) return (v / 1e3).toFixed(0) + \"k\";\n"
	"  return v >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(2);\n"
	"}\n"
	"function clock(d) { return d.toTimeString().slice(0, 8); }\n"
	"function legends() {\n"
	"  Object.keys(charts).forEach(function (id) {\n"
	"    var l = el(charts[id].l);\n"
	"    charts[id].s.forEach(function (s) {\n"
	"      var k = document.createElement(\"span\"), sw = document.createElement(\"span\");\n"
	"      k.className = \"key\"; sw.className = \"sw\";\n"
	"      sw.style.borderTopStyle = s[3].length ? \"dashed\" : \"solid\";\n"
	"      sw.style.borderTopColor = s[2];\n"
	"      k.appendChild(sw); k.appendChild(document.createTextNode(s[1]));\n"
	"      l.appendChild(k);\n"
	"    });\n"
	"  });\n"
	"}\n"
	"/* Tick labels under every chart: seconds ago, and the clock at \"now\". */\n"
	"function axes(now) {\n"
	"  var ticks = [-120, -90, -60, -30, 0];\n"
	"  Array.prototype.forEach.call(document.querySelectorAll(\".xaxis\"), function (ax) {\n"
	"    while (ax.firstChild) ax.removeChild(ax.firstChild);\n"
	"    ticks.forEach(function (t) {\n"
	"      var s = document.createElement(\"span\");\n"
	"      s.textContent = t ? t + \" s\" : \"now \" + clock(now);\n"
	"      ax.appendChild(s);\n"
	"    });\n"
	"  });\n"
	"}\n"
	"function draw(id, hist) {\n"
	"  var ch = charts[id], c = el(id), g = c.getContext(\"2d\");\n"
	"  var w = c.width, h = c.height, top = 20, bot = h - 6, max = ch.max || 0, i;\n"
	"  ch.s.forEach(function (s) { (hist[s[0]] || []).forEach(function (v) { if (v > max) max = v; }); });\n"
	"  if (max <= 0) max = 1;\n"
	"  g.clearRect(0, 0, w, h);\n"
	"  g.lineWidth = 1; g.setLineDash([]); g.strokeStyle = \"#e4e4e4\";\n"
	"  g.fillStyle = \"#777\"; g.font = \"20px sans-serif\";\n"
	"  for (i = 0; i <= 4; i++) {\t/* value grid */\n"
	"    var y = bot - (bot - top) * i / 4;\n"
	"    g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke();\n"
	"    g.fillText(fmt(max * i / 4), 4, y - 4);\n"
	"  }\n"
	"  for (i = 0; i <= 4; i++) {\t/* time grid: every 30 s */\n"
	"    var x = (w - 1) * i / 4;\n"
	"    g.beginPath(); g.moveTo(x, top); g.lineTo(x, bot); g.stroke();\n"
	"  }\n"
	"  ch.s.forEach(function (s) {\n"
	"    var a = (hist[s[0]] || []).slice(-N), k, pts = [];\n"
	"    for (k = 0; k < a.length; k++)\n"
	"      pts.push([(w - 1) * (k + N - a.length) / (N - 1), bot - (bot - top) * a[k] / max]);\n"
	"    g.strokeStyle = s[2]; g.fillStyle = s[2]; g.lineWidth = 3;\n"
	"    g.setLineDash(s[3]); g.beginPath();\n"
	"    pts.forEach(function (p, j) { if (j === 0) g.moveTo(p[0], p[1]); else g.lineTo(p[0], p[1]); });\n"
	"    g.stroke(); g.setLineDash([]);\n"
	"    if (s[3].length)\t/* markers every 10 s on the dashed line */\n"
	"      pts.forEach(function (p, j) {\n"
	"        if ((a.length - 1 - j) % 10 === 0) g.fillRect(p[0] - 5, p[1] - 5, 10, 10);\n"
	"      });\n"
	"  });\n"
	"}\n"
	"function rows(id, head, list) {\n"
	"  var t = el(id), r;\n"
	"  while (t.firstChild) t.removeChild(t.firstChild);\n"
	"  r = t.insertRow();\n"
	"  head.forEach(function (hd) { var c = document.createElement(\"th\"); c.textContent = hd; r.appendChild(c); });\n"
	"  list.forEach(function (row) {\n"
	"    r = t.insertRow();\n"
	"    row.forEach(function (v, j) {\n"
	"      var c = r.insertCell();\n"
	"      if (v instanceof Node) c.appendChild(v);\n"
	"      else c.textContent = v;\n"
	"      if (typeof v === \"number\") { c.className = \"n\"; c.textContent = v.toLocaleString(\"en\"); }\n"
	"    });\n"
	"  });\n"
	"  if (list.length === 0) {\n"
	"    r = t.insertRow(); r.insertCell().textContent = \"(none yet)\";\n"
	"  }\n"
	"}\n"
	"function bar(v, max) {\n"
	"  var b = document.createElement(\"span\");\n"
	"  b.className = \"bar\"; b.style.width = (max ? 100 * v / max : 0) + \"%\";\n"
	"  return b;\n"
	"}\n"
	"var lastOk = 0, seen = [];\n"
	"function badge(state, s) {\n"
	"  var hd = el(\"health\");\n"
	"  hd.className = state === \"ok\" ? \"ok\" : state === \"degraded\" ? \"warn\" : \"bad\";\n"
	"  hd.textContent = s;\n"
	"  if (hd.dataset.state !== state) {\n"
	"    seen.push(state); hd.dataset.seen = seen.join(\",\");\n"
	"  }\n"
	"  hd.dataset.state = state;\n"
	"}\n"
	"function update(d) {\n"
	"  var now = new Date();\n"
	"  lastOk = now.getTime();\n"
	"  axes(now);\n"
	"  Object.keys(charts).forEach(function (id) { draw(id, d.history); });\n"
	"  if (!d.health.ok) badge(\"unhealthy\", \"unhealthy: \" + d.health.reason);\n"
	"  else if (d.health.degraded) badge(\"degraded\", \"degraded: \" + d.health.reason);\n"
	"  else badge(\"ok\", \"healthy\");\n"
	"  var e = d.events;\n"
	"  text(\"totals\", \"received \" + e.received_total.toLocaleString(\"en\") +\n"
	"    \", stored \" + e.stored.toLocaleString(\"en\") + \", dropped \" +\n"
	"    e.dropped_total.toLocaleString(\"en\") + \", in flight \" +\n"
	"    (e.inflight.listener + e.inflight.queue + e.inflight.pipeline) +\n"
	"    (e.balanced ? \" (balanced)\" : \"\") + \"; up \" + d.uptime_s + \" s\");\n"
	"  var st = d.stages || {}, cls = st.classes || {}, al = st.alerts || {};\n"
	"  var cl = Object.keys(cls).map(function (k) { return [k, cls[k]]; })\n"
	"    .sort(function (a, b) { return b[1] - a[1]; });\n"
	"  var cmax = cl.length ? cl[0][1] : 0;\n"
	"  rows(\"classes\", [\"class\", \"events\", \"\"], cl.map(function (c) {\n"
	"    return [c[0], c[1], bar(c[1], cmax)];\n"
	"  }));\n"
	"  rows(\"alerts\", [\"rule\", \"fired\", \"suppressed\"], Object.keys(al).map(function (k) {\n"
	"    return [k, al[k].fired, al[k].suppressed];\n"
	"  }));\n"
	"  rows(\"recent\", [\"time\", \"rule\", \"fired\"], (st.recent_alerts || []).map(function (a) {\n"
	"    return [clock(new Date(a.time_us / 1000)), a.alert, a.fired];\n"
	"  }));\n"
	"  var hs = (d.hosts && d.hosts.top) || [];\n"
	"  var hmax = hs.length ? hs[0].events : 0;\n"
	"  rows(\"hosts\", [\"host\", \"events\", \"\"], hs.map(function (x) {\n"
	"    return [x.host || \"(none)\", x.events, bar(x.events, hmax)];\n"
	"  }));\n"
	"  if (d.hosts)\n"
	"    text(\"hostsnote\", \"by the events' host field since start; \" + d.hosts.tracked +\n"
	"      \" hosts tracked\" + (d.hosts.tracked >= d.hosts.capacity ?\n"
	"      \" (the table is full: a new host takes the least busy one's place)\" : \"\"));\n"
	"  rows(\"sources\", [\"address\", \"events\", \"bytes\"], d.sources.map(function (s) {\n"
	"    return [s.source, s.events, s.bytes];\n"
	"  }));\n"
	"}\n"
	"function failed(why) {\n"
	"  badge(\"down\", (/^HTTP /.test(why) ? \"/stats answered \" : \"no answer from /stats: \") + why +\n"
	"    (lastOk ? \" (last answer \" + clock(new Date(lastOk)) + \")\" : \"\"));\n"
	"}\n"
	"function tick() {\n"
	"  if (lastOk) text(\"age\", \"updated \" + Math.round((Date.now() - lastOk) / 1000) + \" s ago\");\n"
	"}\n"
	"function poll() {\n"
	"  var ac = new AbortController(), done = false;\n"
	"  var timer = setTimeout(function () { ac.abort(); }, TIMEOUT_MS);\n"
	"  fetch(\"/stats\", {cache: \"no-store\", signal: ac.signal})\n"
	"    .then(function (r) {\n"
	"      if (!r.ok) throw new Error(\"HTTP \" + r.status + \" \" + r.statusText);\n"
	"      return r.json();\n"
	"    })\n"
	"    .then(update)\n"
	"    .catch(function (err) {\n"
	"      failed(err.name === \"AbortError\" ? \"no reply in \" + TIMEOUT_MS / 1000 + \" s\" : String(err.message || err));\n"
	"    })\n"
	"    .then(function () { clearTimeout(timer); tick(); setTimeout(poll, 1000); });\n"
	"}\n"
	"legends();\n"
	"axes(new Date());\n"
	"setInterval(tick, 1000);\n"
	"poll();\n"
	"</script>\n"
	"</body></html>\n"
	;

static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, reason, body);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_printf(b, "%s\n", text);
	reply(req, code, reason, "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

static void
route_metrics(struct http *h, struct evhttp_request *req)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	metrics_prometheus(h->m, b);
	reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static void
route_health(struct http *h, struct evhttp_request *req)
{
	char	 why[512], note[600];

	/* Degraded is 200: the daemon works, on the config it runs; a 503
	 * would have a supervisor restart it onto the broken file. */
	if (metrics_health(h->m, why, sizeof(why)) == 0) {
		if (metrics_degraded(h->m, why, sizeof(why))) {
			snprintf(note, sizeof(note), "degraded: %s", why);
			reply_text(req, 200, "OK", note);
		} else
			reply_text(req, 200, "OK", "ok");
	} else
		reply_text(req, 503, "Service Unavailable", why);
}

static void
route_stats(struct http *h, struct evhttp_request *req)
{
	struct evbuffer	*b = NULL;
	json_t		*o;
	char		*s = NULL;

	if ((o = metrics_stats(h->m)) == NULL ||
	    (s = json_dumps(o, JSON_COMPACT)) == NULL ||
	    (b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		goto done;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	reply(req, 200, "OK", "application/json", b);
done:
	evbuffer_free(b);
	free(s);
	json_decref(o);
}

static void
route_page(struct http *h, struct evhttp_request *req)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(b, page, sizeof(page) - 1);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Security-Policy", "default-src 'none'; script-src "
	    "'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
	reply(req, 200, "OK", "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

/* The loop's half of the tap: each client's waiting lines as one chunk,
 * unless its socket still holds TAP_SOCK_MAX unsent (then tap.c's bounded
 * buffer fills and drops, counted and reported once it catches up). */
static void
http_tap_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http		*h = arg;
	struct bufferevent	*bev;
	size_t			 i;

	for (i = 0; i < h->ntaps; i++) {
		bev = evhttp_connection_get_bufferevent(h->taps[i]->conn);
		if (evbuffer_get_length(bufferevent_get_output(bev)) >=
		    TAP_SOCK_MAX)
			continue;
		if (tap_take(h->taps[i]->c, h->tap_out) > 0)
			evhttp_send_reply_chunk(h->taps[i]->req, h->tap_out);
	}
}

static void
http_tap_drop(struct http *h, struct http_tap *t)
{
	size_t	 i;

	for (i = 0; i < h->ntaps; i++)
		if (h->taps[i] == t) {
			h->taps[i] = h->taps[--h->ntaps];
			break;
		}
	if (h->ntaps == 0 && h->tap_ev != NULL)
		event_del(h->tap_ev);
	tap_detach(t->c);
	free(t);
}

/* The client went (or the server is freed): its request is gone. */
static void
http_tap_closed_cb(struct evhttp_connection *conn, void *arg)
{
	struct http_tap	*t = arg;

	/* A peer that went mid-stream: evhttp detached the request from the
	 * connection and leaves it to us (libevent 2.1). */
	if (evhttp_request_get_connection(t->req) == NULL)
		evhttp_request_free(t->req);
	http_tap_drop(t->h, t);
}

static void
route_tap(struct http *h, struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq	 args;
	struct evkeyval		*kv;
	struct expr		*e;
	struct http_tap		*t = NULL;
	char			 err[256], msg[400];
	struct timeval		 tv = { 0, TAP_FLUSH_US };

	TAILQ_INIT(&args);
	if ((e = expr_new()) == NULL ||
	    (q != NULL && evhttp_parse_query_str(q, &args) == -1)) {
		expr_free(e);
		reply_text(req, 400, "Bad Request", "tap: bad query string");
		goto done;
	}
	TAILQ_FOREACH(kv, &args, next) {
		if (strcmp(kv->key, "where") != 0) {
			snprintf(msg, sizeof(msg), "tap: unknown parameter "
			    "\"%.64s\": try where=EXPR", kv->key);
			goto bad;
		}
		if (expr_add(e, kv->value, err, sizeof(err)) == -1) {
			snprintf(msg, sizeof(msg), "tap: where=%.64s: %s",
			    kv->value, err);
			goto bad;
		}
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		expr_free(e);
		reply_text(req, 200, "OK", "");
		goto done;
	}
	if (h->tap_out == NULL && (h->tap_out = evbuffer_new()) == NULL)
		goto busy;
	if (h->tap_ev == NULL && (h->tap_ev = event_new(h->base, -1,
	    EV_PERSIST, http_tap_flush_cb, h)) == NULL)
		goto busy;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto busy;
	if ((t->c = tap_attach(e)) == NULL) {
		e = NULL;		/* tap_attach freed it */
		goto busy;
	}
	t->h = h;
	t->req = req;
	t->conn = evhttp_request_get_connection(req);
	h->taps[h->ntaps++] = t;
	if (h->ntaps == 1)
		event_add(h->tap_ev, &tv);
	evhttp_connection_set_closecb(t->conn, http_tap_closed_cb, t);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/x-ndjson");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, 200, "OK");
	/* A stream has no idle end: [http] timeout is for requests. */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(t->conn),
	    NULL, NULL);
	goto done;
busy:
	expr_free(e);
	free(t);
	reply_text(req, 503, "Service Unavailable", "tap: too many clients "
	    "(at most " TAP_MAX_S ")");
	goto done;
bad:
	expr_free(e);
	reply_text(req, 400, "Bad Request", msg);
done:
	evhttp_clear_headers(&args);
}

static const struct route {
	const char	*path;
	void		 (*serve)(struct http *, struct evhttp_request *);
} routes[] = {
	{ .path = "/metrics",	.serve = route_metrics },
	{ .path = "/health",	.serve = route_health },
	{ .path = "/stats",	.serve = route_stats },
	{ .path = "/tap",	.serve = route_tap },
	{ .path = "/",		.serve = route_page },
};

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	size_t			 i;

	if (path == NULL || *path == '\0')
		path = "/";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, path) == 0)
			break;
	if (i == sizeof(routes) / sizeof(routes[0])) {
		reply_text(req, 404, "Not Found", "not found: try /metrics, "
		    "/health, /stats, /tap or /");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "method not "
		    "allowed: GET or HEAD");
		return;
	}
	routes[i].serve(h, req);
}

static void
http_listener_set(struct http *h, int on)
{
	struct evconnlistener	*lev;

	if (h->bound == NULL ||
	    (lev = evhttp_bound_socket_get_listener(h->bound)) == NULL)
		return;
	if (on)
		evconnlistener_enable(lev);
	else
		evconnlistener_disable(lev);
}

/*
 * libevent 2.1 has no connection limit and no "connection freed" hook, so
 * evhttp gets each connection's bufferevent from us (bevcb) and we keep a
 * reference to it: bufferevent_free() clears a bufferevent's callbacks, so
 * one held only by us has no read callback and is released here.  The
 * socket stays open until then: at most max_clients of them, for <= 100 ms.
 */
static void
http_sweep(struct http *h)
{
	bufferevent_data_cb	 rd;
	size_t			 i;

	for (i = 0; i < h->nheld; ) {
		bufferevent_getcb(h->held[i], &rd, NULL, NULL, NULL);
		if (rd != NULL) {
			i++;
			continue;
		}
		bufferevent_decref(h->held[i]);
		h->held[i] = h->held[--h->nheld];
	}
	if (h->paused && h->nheld < h->max_clients) {
		h->paused = 0;
		http_listener_set(h, 1);
	}
}

static void
http_release_all(struct http *h)
{
	while (h->nheld > 0)
		bufferevent_decref(h->held[--h->nheld]);
}

static struct bufferevent *
http_conn_new_cb(struct event_base *base, void *arg)
{
	struct http		*h = arg;
	struct bufferevent	*bev;

	http_sweep(h);
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	if (h->nheld < HTTP_MAX_HELD) {
		bufferevent_incref(bev);
		h->held[h->nheld++] = bev;
	}
	if (h->nheld >= h->max_clients && !h->paused) {
		h->paused = 1;
		http_listener_set(h, 0);
		diag_rate(&h->rate, "http: %zu connections (max_clients); "
		    "not accepting more until one closes", h->nheld);
	}
	return bev;
}

static void
http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	http_sweep(arg);
}

static void
http_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;

	if (!h->paused)
		http_listener_set(h, 1);
}

/* accept() failed (EMFILE...): back off 100 ms rather than spin. */
static void
http_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv = { 0, 100000 };

	diag_rate(&h->rate, "http accept: %s; backing off",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(lev);
	if (h->retry_ev == NULL)
		h->retry_ev = evtimer_new(h->base, http_retry_cb, h);
	if (h->retry_ev != NULL)
		evtimer_add(h->retry_ev, &tv);
}

struct http *
http_new(struct event_base *base, struct metrics *m)
{
	struct http	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->base = base;
	h->m = m;
	h->max_clients = 64;
	if ((h->sweep_ev = event_new(base, -1, EV_PERSIST, http_sweep_cb,
	    h)) == NULL ||
	    event_add(h->sweep_ev, &(struct timeval){ 0, 100000 }) == -1) {
		http_free(h);
		return NULL;
	}
	return h;
}

static void
http_limits(struct http *h, const struct config *cf)
{
	struct timeval	 tv;

	tv.tv_sec = cf->http_timeout_ms / 1000;
	tv.tv_usec = (cf->http_timeout_ms % 1000) * 1000;
	evhttp_set_timeout_tv(h->eh, &tv);
	h->max_clients = cf->http_max_clients;
	http_sweep(h);
}

/* A new server bound to addr; NULL with the cause logged. */
static struct evhttp *
http_bind(struct http *h, const char *addr, struct evhttp_bound_socket **bs)
{
	struct evhttp	*eh;
	char		 host[256], port[16];
	char		*end;
	unsigned long	 pn;

	if (conf_split_addr(addr, host, sizeof(host), port, sizeof(port)) ==
	    -1 || (pn = strtoul(port, &end, 10)) == 0 || pn > 65535 ||
	    *end != '\0') {
		diag_err("http listen %s: bad address", addr);
		return NULL;
	}
	if ((eh = evhttp_new(h->base)) == NULL) {
		diag_err("http listen %s: out of memory", addr);
		return NULL;
	}
	evhttp_set_max_headers_size(eh, MAX_HEADERS);
	evhttp_set_max_body_size(eh, MAX_BODY);
	evhttp_set_allowed_methods(eh, ALL_METHODS);
	evhttp_set_gencb(eh, http_request_cb, h);
	evhttp_set_bevcb(eh, http_conn_new_cb, h);
	if ((*bs = evhttp_bind_socket_with_handle(eh, host,
	    (uint16_t)pn)) == NULL) {
		diag_err("http listen %s: %s%s", addr, strerror(errno),
		    errno == EACCES ? privport_hint((int)pn) : "");
		evhttp_free(eh);
		return NULL;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(*bs),
	    http_accept_error_cb);
	return eh;
}

static void
http_close(struct http *h)
{
	if (h->eh != NULL)
		evhttp_free(h->eh);	/* frees its connections */
	while (h->ntaps > 0)	/* if a close callback did not run */
		http_tap_drop(h, h->taps[0]);
	http_release_all(h);
	h->eh = NULL;
	h->bound = NULL;
	h->paused = 0;
	free(h->addr);
	h->addr = NULL;
}

int
http_configure(struct http *h, const struct config *cf)
{
	struct evhttp_bound_socket	*bs;
	struct evhttp			*eh;
	const char			*addr = cf->http_listen;
	char				*copy;

	if (addr == NULL || *addr == '\0') {
		if (h->eh != NULL)
			diag_info("http: no longer listening on %s", h->addr);
		http_close(h);
		return 0;
	}
	if (h->addr == NULL || strcmp(h->addr, addr) != 0) {
		if ((copy = strdup(addr)) == NULL ||
		    (eh = http_bind(h, addr, &bs)) == NULL) {
			free(copy);
			return -1;
		}
		http_close(h);
		h->eh = eh;
		h->bound = bs;
		h->addr = copy;
		diag_info("http: listening on %s", addr);
	}
	http_limits(h, cf);
	return 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_close(h);
	if (h->retry_ev != NULL)
		event_free(h->retry_ev);
	if (h->sweep_ev != NULL)
		event_free(h->sweep_ev);
	if (h->tap_ev != NULL)
		event_free(h->tap_ev);
	if (h->tap_out != NULL)
		evbuffer_free(h->tap_out);
	free(h);
}
