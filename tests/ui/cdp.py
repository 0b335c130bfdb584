#!/usr/bin/env python3
"""cdp.py URL DAEMON_PID OUTDIR: drive headless Chromium over its DevTools
pipe (stdlib only) through the live page's checks, printing one line per
step and exiting non-zero at the first that fails:
  1. the badge turns green ("ok") once /stats answers;
  2. two screenshots 3 s apart (OUTDIR/a.png, b.png) for pngstat.py;
  3. the DOM: every chart has a legend naming its lines (the second line
     dashed), tick labels in seconds ago ending in "now HH:MM:SS", and the
     classes, recent alerts, alerts per rule and top hosts tables have rows;
  4. SIGSTOP the daemon: the badge turns red ("down") with a reason, a
     screenshot of that (OUTDIR/down.png); SIGCONT: it turns green again;
  5. one /stats answered 503 (intercepted): red with "HTTP 503", then
     green."""
import base64, json, os, signal, subprocess, sys, time

url, dpid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r_to, w_to = os.pipe()      # we write, chromium reads on fd 3
r_from, w_from = os.pipe()  # chromium writes on fd 4


def child_fds():
    os.dup2(r_to, 3)
    os.dup2(w_from, 4)


chrome = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
     "--disable-dev-shm-usage",
     "--hide-scrollbars", "--remote-debugging-pipe",
     "--user-data-dir=" + os.path.join(out, "chrome"),
     "--window-size=1400,1000", "about:blank"],
    preexec_fn=child_fds, pass_fds=(3, 4, r_to, w_from),
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(r_to)
os.close(w_from)
wr, rd = os.fdopen(w_to, "wb", 0), os.fdopen(r_from, "rb", 0)
buf, ids, events = b"", [0], []


def call(method, session=None, **params):
    global buf
    ids[0] += 1
    msg = {"id": ids[0], "method": method, "params": params}
    if session:
        msg["sessionId"] = session
    wr.write(json.dumps(msg).encode() + b"\0")
    while True:
        while b"\0" not in buf:
            chunk = rd.read(65536)
            if not chunk:
                raise SystemExit("chromium closed its pipe")
            buf += chunk
        line, buf = buf.split(b"\0", 1)
        m = json.loads(line)
        if "method" in m and m["method"] == "Fetch.requestPaused":
            events.append(m)
        if m.get("id") == ids[0]:
            if "error" in m:
                raise SystemExit("%s: %s" % (method, m["error"]))
            return m["result"]


def fail(why):
    print("FAIL", why)
    chrome.kill()
    sys.exit(1)


try:
    tid = call("Target.createTarget", url="about:blank")["targetId"]
    sid = call("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]
    call("Page.enable", sid)
    call("Emulation.setDeviceMetricsOverride", sid, width=1400, height=1000,
         deviceScaleFactor=1, mobile=False)
    call("Page.navigate", sid, url=url)

    def js(expr):
        r = call("Runtime.evaluate", sid, expression=expr, returnByValue=True)
        return r["result"].get("value")

    def wait_state(want, limit):
        end = time.time() + limit
        while time.time() < end:
            st = js("(function(){var h=document.getElementById('health');"
                    "return h ? [h.dataset.state, h.textContent, h.className,"
                    " h.dataset.seen] : null})()")
            if st and st[0] == want:
                return st
            time.sleep(0.2)
        fail("badge not %r after %d s: %r" % (want, limit, st))

    def shot(name):
        png = base64.b64decode(call("Page.captureScreenshot", sid,
                                    format="png")["data"])
        open(os.path.join(out, name), "wb").write(png)
        if len(png) < 1000:
            fail("empty screenshot " + name)
        return len(png)

    st = wait_state("ok", 30)
    print("badge", st[0], repr(st[1]), st[2])
    time.sleep(2)
    shot("a.png")
    time.sleep(3)
    shot("b.png")

    dom = js("""(function(){
      function t(s){return Array.prototype.map.call(document.querySelectorAll(s),
        function(e){return e.textContent.trim();});}
      function dash(s){return Array.prototype.map.call(document.querySelectorAll(s),
        function(e){return e.style.borderTopStyle + ' ' + e.style.borderTopColor;});}
      return {rate: t('#l_rate .key'), rate_sw: dash('#l_rate .sw'),
        lat: t('#l_lat .key'), alert: t('#l_alert .key'), queue: t('#l_queue .key'),
        legends: document.querySelectorAll('.legend').length,
        canvases: document.querySelectorAll('canvas').length,
        axes: Array.prototype.map.call(document.querySelectorAll('.xaxis'),
          function(a){return Array.prototype.map.call(a.children,
            function(s){return s.textContent;});}),
        classes: Array.prototype.map.call(document.querySelectorAll('#classes tr'),
          function(r){return Array.prototype.map.call(r.cells, function(c){return c.textContent;});}),
        recent: Array.prototype.map.call(document.querySelectorAll('#recent tr'),
          function(r){return Array.prototype.map.call(r.cells, function(c){return c.textContent;});}),
        alerts: Array.prototype.map.call(document.querySelectorAll('#alerts tr'),
          function(r){return Array.prototype.map.call(r.cells, function(c){return c.textContent;});}),
        hosts: Array.prototype.map.call(document.querySelectorAll('#hosts tr'),
          function(r){return Array.prototype.map.call(r.cells, function(c){return c.textContent;});}),
        hostsnote: document.getElementById('hostsnote').textContent};
    })()""")
    print("dom", json.dumps(dom))
    if dom["legends"] != dom["canvases"] or dom["canvases"] < 4:
        fail("a chart without a legend")
    if dom["rate"] != ["received", "stored"] or "dashed" not in dom["rate_sw"][1] \
            or "solid" not in dom["rate_sw"][0]:
        fail("events/s legend: %r %r" % (dom["rate"], dom["rate_sw"]))
    if not dom["lat"] or not dom["alert"] or not dom["queue"]:
        fail("a legend is empty")
    if len(dom["axes"]) != dom["canvases"]:
        fail("a chart without a time axis")
    for ax in dom["axes"]:
        if ax[:4] != ["-120 s", "-90 s", "-60 s", "-30 s"] or \
                not ax[4].startswith("now ") or ax[4].count(":") != 2:
            fail("time axis %r" % ax)
    cls = {r[0]: r[1] for r in dom["classes"][1:]}
    if int(cls.get("auth_failure", "0").replace(",", "")) <= 0 or "web_error" not in cls:
        fail("classes table %r" % dom["classes"])
    al = {r[0]: r[1] for r in dom["alerts"][1:]}
    if int(al.get("brute", "0").replace(",", "")) <= 0:
        fail("alerts table %r" % dom["alerts"])
    if len(dom["recent"]) < 2 or dom["recent"][1][1] != "brute" or \
            dom["recent"][1][0].count(":") != 2 or int(dom["recent"][1][2]) <= 0:
        fail("recent alerts %r" % dom["recent"])
    hosts = [r[0] for r in dom["hosts"][1:]]
    if "web07" not in hosts or "db01" not in hosts:
        fail("top hosts %r" % dom["hosts"])

    os.kill(dpid, signal.SIGSTOP)
    try:
        st = wait_state("down", 20)
        print("stopped: badge", st[0], repr(st[1]), st[2])
        if st[2] != "bad" or "/stats" not in st[1]:
            fail("down badge %r" % st)
        shot("down.png")
    finally:
        os.kill(dpid, signal.SIGCONT)
    st = wait_state("ok", 20)
    print("resumed: badge", st[0], repr(st[1]), "seen", st[3])
    if not st[3].endswith("ok,down,ok"):
        fail("badge transitions %r" % st[3])

    # /stats answering an error: the next poll gets a 503 (intercepted).
    call("Fetch.enable", sid, patterns=[{"urlPattern": "*/stats*"}])
    end = time.time() + 10
    while not events and time.time() < end:
        js("1")
        time.sleep(0.1)
    if not events:
        fail("no /stats request to intercept")
    ev = events.pop(0)
    call("Fetch.fulfillRequest", sid, requestId=ev["params"]["requestId"],
         responseCode=503, body=base64.b64encode(b"stalled").decode())
    call("Fetch.disable", sid)
    st = wait_state("down", 10)
    print("503: badge", st[0], repr(st[1]), st[2])
    if st[2] != "bad" or "HTTP 503" not in st[1]:
        fail("503 badge %r" % st)
    st = wait_state("ok", 10)
    if not st[3].endswith("ok,down,ok,down,ok"):
        fail("badge transitions %r" % st[3])
    print("OK")
finally:
    chrome.kill()
    chrome.wait()
