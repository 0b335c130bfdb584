#!/bin/bash
# t_tls: the RFC 5425 listener (syslog over TLS, OpenSSL).  With a CA, a
# server certificate, a client certificate and one from another CA made here:
# (1) openssl s_client and a python client send LF and octet-counted lines
# over IPv4 and IPv6: stored with "transport":"tls";
# (2) tls_client_auth = require: a client without a certificate and one
# whose certificate another CA signed are refused and counted, nothing of
# theirs stored; TLS 1.1 is refused (minimum 1.2);
# (3) SIGHUP after replacing cert and key: a new connection gets the new
# certificate, one opened before the reload keeps sending; a key that does
# not match keeps the running certificate and says why at file:line;
# tls_min_version = 1.3 by reload refuses TLS 1.2;
# (4) a real rsyslogd forwards 20,000 events over TLS (omfwd, StreamDriver
# ossl, its client certificate, the server's name checked): every seq
# exactly once;
# (5) storage stalled: a TLS sender is held back (backpressure), and every
# event arrives once storage moves;
# (6) the TCP limits on TLS peers: a peer that never completes a handshake
# is closed at idle_timeout, max_connections refuses the next peer;
# (7) -t names file:line for a missing key, a key that does not match its
# certificate and require without tls_ca.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "SKIP $NAME: no openssl"; exit 77; }
if ! command -v rsyslogd >/dev/null ||
    ! ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1; then
	echo "SKIP $NAME: no rsyslogd with its ossl driver (rsyslog-openssl)"
	exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TC="python3 $HERE/tlsclient.py"
PKI=$T/pki
mkdir -p "$PKI"

# --- a throwaway PKI (EC P-256 keys, 2 days) ---
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
mkca() {
	openssl req -x509 $ec -keyout "$PKI/$1.key" -out "$PKI/$1.crt" \
	    -days 2 -subj "/CN=$1" -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>>"$T/pki.err" ||
		fail "openssl: CA $1"
}
mkcert() {	# NAME CA CN EXTENSIONS
	openssl req $ec -keyout "$PKI/$1.key" -out "$PKI/$1.csr" \
	    -subj "/CN=$3" 2>>"$T/pki.err" &&
	printf '%s\n' "$4" > "$PKI/$1.ext" &&
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.crt" \
	    -CAkey "$PKI/$2.key" -CAcreateserial -out "$PKI/$1.crt" -days 2 \
	    -extfile "$PKI/$1.ext" 2>>"$T/pki.err" || fail "openssl: cert $1"
}
SRV_EXT="subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
extendedKeyUsage=serverAuth"
mkca ca
mkca otherca
mkcert server ca localhost "$SRV_EXT"
mkcert client ca client "extendedKeyUsage=clientAuth"
mkcert rogue otherca client "extendedKeyUsage=clientAuth"
fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# tls_conf KEYS: write_conf, with KEYS added to [listen].
tls_conf() {
	write_conf "[http]
listen = 127.0.0.1:$HPORT"
	printf '%s\n' "$1" > "$T/listen.keys"
	sed -i "/^max_message = /r $T/listen.keys" "$T/test.conf"
}
# wait_log PATTERN N: until daemon.err has N lines matching PATTERN.
wait_log() {
	local i
	for i in $(seq 600); do
		[ "$(grep -c -- "$1" "$T/daemon.err")" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "daemon.err: no '$1' (#$2)"
}
# stored TEXT: the events whose message contains TEXT.
stored() { grep -c -F -- "$1" "$T/events.log"; }

TPORT=$(free_port)
HPORT=$(free_port)
GOOD="--ca $PKI/ca.crt --cert $PKI/client.crt --key $PKI/client.key"
tls_conf "tls = 127.0.0.1:$TPORT
tls = [::1]:$TPORT
tls_cert = pki/server.crt
tls_key = pki/server.key
tls_ca = pki/ca.crt
tls_client_auth = require"
start_daemon

# --- (1) s_client and python, LF and octet-counted, IPv4 and IPv6 ---
SC="openssl s_client -connect 127.0.0.1:$TPORT -CAfile $PKI/ca.crt -verify_return_error -brief"
printf 's_client lf one\ns_client lf two\n' |
    timeout 10 $SC -cert "$PKI/client.crt" -key "$PKI/client.key" \
    >"$T/sc.out" 2>&1 || fail "s_client LF: $(cat "$T/sc.out")"
# octet counting is detected by "LEN <PRI>" (RFC 5425 4.3 frames syslog)
m1="<13>1 2026-11-23T20:14:14Z h app - - - s_client octet one"
m2="<13>1 2026-11-23T20:14:15Z h app - - - s_client octet two"
printf '%d %s%d %s' ${#m1} "$m1" ${#m2} "$m2" |
    timeout 10 $SC -cert "$PKI/client.crt" -key "$PKI/client.key" \
    >"$T/sc.out" 2>&1 || fail "s_client octet-counted: $(cat "$T/sc.out")"
printf '<14>Nov 23 20:14:14 h app: python v6 octet one\n<14>Nov 23 20:14:15 h app: python v6 octet two\n' |
    $TC ::1 "$TPORT" $GOOD --send - --octet || fail "python client over [::1]"
wait_lines "$T/events.log" 6
jq -se 'length == 6 and all(.transport == "tls")' "$T/events.log" >/dev/null ||
	fail "not 6 events with transport tls: $(jq -c '[.transport, .message]' "$T/events.log")"
for m in "s_client lf one" "s_client lf two" "s_client octet one" "s_client octet two" \
    "python v6 octet one" "python v6 octet two"; do
	[ "$(jq -r --arg m "$m" 'select(.message == $m) | .message' "$T/events.log" | wc -l)" = 1 ] ||
		fail "'$m' not stored once as its own event"
done
jq -se 'map(select(.message | startswith("python v6"))) | all(.source | startswith("[::1]:"))' \
    "$T/events.log" >/dev/null || fail "IPv6 source"
echo "     (1) s_client LF + octet-counted, python octet-counted over [::1]: 6 events, transport tls"

# --- (2) refused: no certificate, another CA, TLS 1.1 ---
echo "no certificate here" | $TC 127.0.0.1 "$TPORT" --ca "$PKI/ca.crt" \
    --send - --refused >/dev/null || fail "a client without a certificate was accepted"
echo "rogue certificate here" | $TC 127.0.0.1 "$TPORT" --ca "$PKI/ca.crt" \
    --cert "$PKI/rogue.crt" --key "$PKI/rogue.key" --send - --refused \
    >/dev/null || fail "a client with another CA's certificate was accepted"
# Debian's OpenSSL speaks TLS 1.1 only at security level 0
printf 'tls 1.1 here\n' | timeout 10 $SC -cert "$PKI/client.crt" \
    -key "$PKI/client.key" -tls1_1 -cipher DEFAULT@SECLEVEL=0 \
    >"$T/sc11.out" 2>&1 && fail "TLS 1.1 accepted"
curl -s "127.0.0.1:$HPORT/metrics" > "$T/metrics"
for r in no_certificate bad_certificate version; do
	grep -q "^logstreamd_tls_handshake_failures_total{reason=\"$r\"} 1$" "$T/metrics" ||
		fail "metrics: $r not counted once: $(grep tls_handshake "$T/metrics")"
done
grep -q "handshake failed (no_certificate)" "$T/daemon.err" ||
	fail "no diagnostic naming the refused peer"
sleep 0.3
[ "$(stored "here")" = 0 ] || fail "a refused client's event was stored"
echo "     (2) no certificate, another CA's certificate, TLS 1.1: refused, counted by reason, nothing stored"

# --- (2b) tls_client_auth = optional; a class on transport = tls ---
# optional: a client without a certificate gets in, one with a certificate
# the CA did not sign is still refused. The class matches TLS events only.
sed -i 's/^tls_client_auth = require/tls_client_auth = optional/' "$T/test.conf"
printf '[class over_tls]\ntransport = tls\n' >> "$T/test.conf"
kill -HUP $DPID
wait_log "reloaded" 1
echo "optional anonymous in" | $TC 127.0.0.1 "$TPORT" --ca "$PKI/ca.crt" \
    --send - || fail "optional: a client without a certificate was refused"
echo "optional good cert in" | $TC 127.0.0.1 "$TPORT" $GOOD --send - ||
	fail "optional: a client with a good certificate was refused"
echo "optional rogue out" | $TC 127.0.0.1 "$TPORT" --ca "$PKI/ca.crt" \
    --cert "$PKI/rogue.crt" --key "$PKI/rogue.key" --send - --refused \
    >/dev/null || fail "optional: a client with another CA's certificate was accepted"
echo "<13>Nov 23 20:14:14 h app: plain tcp beside" | nc -N 127.0.0.1 $PORT
for i in $(seq 600); do
	[ "$(stored "plain tcp beside")" = 1 ] && [ "$(stored "optional anonymous in")" = 1 ] &&
	    [ "$(stored "optional good cert in")" = 1 ] && break
	sleep 0.05
done
for m in "optional anonymous in" "optional good cert in"; do
	[ "$(jq -r --arg m "$m" 'select(.message == $m) | "\(.transport) \(.class)"' \
	    "$T/events.log")" = "tls over_tls" ] ||
		fail "'$m': not stored once with transport tls, class over_tls"
done
[ "$(stored "optional rogue out")" = 0 ] || fail "optional: a rogue client's event was stored"
[ "$(jq -r 'select(.message == "plain tcp beside") | .class // "none"' "$T/events.log")" != over_tls ] ||
	fail "a TCP event matched transport = tls"
sed -i 's/^tls_client_auth = optional/tls_client_auth = require/; /^\[class over_tls\]/,$d' "$T/test.conf"
kill -HUP $DPID
wait_log "reloaded" 2
echo "     (2b) optional: no certificate in, good in, another CA's out; class on transport = tls matches TLS only"

# --- (3) reload: new certificate for new peers, old peer keeps going ---
old_fp=$($TC 127.0.0.1 "$TPORT" $GOOD --fingerprint) || fail "fingerprint"
[ "$old_fp" = "$(fp "$PKI/server.crt")" ] || fail "served certificate is not server.crt"
echo "held across reload: before" | $TC 127.0.0.1 "$TPORT" $GOOD --send - \
    --hold "$T/go" --then "held across reload: after" & OLD=$!
track $OLD
for i in $(seq 600); do [ "$(stored "reload: before")" = 1 ] && break; sleep 0.05; done
mkcert server2 ca localhost "$SRV_EXT"
cp "$PKI/server2.crt" "$PKI/server.crt"
cp "$PKI/server2.key" "$PKI/server.key"
kill -HUP $DPID
wait_log "reloaded" 3
new_fp=$($TC 127.0.0.1 "$TPORT" $GOOD --fingerprint) || fail "fingerprint after reload"
[ "$new_fp" = "$(fp "$PKI/server2.crt")" ] && [ "$new_fp" != "$old_fp" ] ||
	fail "after reload the server still sends the old certificate"
touch "$T/go"
wait $OLD || fail "the connection opened before the reload broke"
for i in $(seq 600); do [ "$(stored "reload: after")" = 1 ] && break; sleep 0.05; done
[ "$(stored "held across reload")" = 2 ] || fail "old connection: not both lines stored"
keyline=$(grep -n '^tls_key' "$T/test.conf" | cut -d: -f1)
cp "$PKI/rogue.key" "$PKI/server.key"
kill -HUP $DPID
wait_log "keeping the running config" 1
grep -q "test.conf:$keyline: tls_key .*server.key does not match tls_cert .*: key values mismatch" \
    "$T/daemon.err" || fail "broken key: no file:line reason"
[ "$($TC 127.0.0.1 "$TPORT" $GOOD --fingerprint)" = "$new_fp" ] ||
	fail "a broken key changed the served certificate"
cp "$PKI/server2.key" "$PKI/server.key"
sed -i "/^tls_client_auth/a tls_min_version = 1.3" "$T/test.conf"
kill -HUP $DPID
wait_log "reloaded" 4
echo "tls 1.2 after min 1.3" | $TC 127.0.0.1 "$TPORT" $GOOD --tls 1.2 \
    --send - --refused >/dev/null || fail "TLS 1.2 accepted with tls_min_version = 1.3"
echo "tls 1.3 after min 1.3" | $TC 127.0.0.1 "$TPORT" $GOOD --tls 1.3 \
    --send - || fail "TLS 1.3 refused"
for i in $(seq 600); do [ "$(stored "tls 1.3 after")" = 1 ] && break; sleep 0.05; done
[ "$(stored "tls 1.3 after")" = 1 ] || fail "TLS 1.3 event not stored"
[ "$(stored "tls 1.2 after")" = 0 ] || fail "TLS 1.2 event stored"
stop_daemon
[ "$(summary_value tls_version)" = 2 ] || fail "version refusals: $(summary_value tls_version), want 2"
[ "$(summary_value tls)" = "$(jq -s 'map(select(.transport == "tls")) | length' "$T/events.log")" ] ||
	fail "tls received != tls stored"
echo "     (3) reload: new certificate served (sha256 ${old_fp:0:12}.. -> ${new_fp:0:12}..), old connection kept, a mismatched key kept it (line $keyline), min 1.3 refuses 1.2"

# --- (4) rsyslog forwards 20,000 events over TLS (ossl, client cert) ---
sed -i "/^tls_min_version/d" "$T/test.conf"
rm -f "$T/events.log"
start_daemon
mkdir -p "$T/rs"
RPORT=$(free_port)
N=20000
python3 "$GEN" $N > "$T/sent"
cat > "$T/rs/rsyslog.conf" <<RC
global(workDirectory="$T/rs"
    DefaultNetstreamDriverCAFile="$PKI/ca.crt"
    DefaultNetstreamDriverCertFile="$PKI/client.crt"
    DefaultNetstreamDriverKeyFile="$PKI/client.key")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$RPORT" ruleset="fwd")
ruleset(name="fwd") {
	action(type="omfwd" target="127.0.0.1" port="$TPORT" protocol="tcp"
	    StreamDriver="ossl" StreamDriverMode="1"
	    StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"
	    TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
	    queue.type="LinkedList" queue.size="100000"
	    action.resumeRetryCount="-1")
}
RC
rsyslogd -N1 -f "$T/rs/rsyslog.conf" >"$T/rs/check" 2>&1 ||
	fail "rsyslog config: $(cat "$T/rs/check")"
rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" >"$T/rs/out" 2>&1 &
RPID=$!
track $RPID
wait_port $RPORT $RPID || fail "rsyslogd did not listen: $(tail -3 "$T/rs/out")"
nc -N 127.0.0.1 $RPORT < "$T/sent" || fail "nc to rsyslog"
wait_lines "$T/events.log" $N 120
sleep 0.5
kill -TERM $RPID
wait $RPID 2>/dev/null
stop_daemon
res=$(python3 "$HERE/seqcheck.py" --all "$T/events.log" "$T/sent") ||
	fail "rsyslog over TLS: $res"
jq -se 'all(.transport == "tls")' "$T/events.log" >/dev/null || fail "not all tls"
[ "$(summary_value tls_handshakes)" -ge 1 ] || fail "no handshake counted"
echo "     (4) rsyslog omfwd ossl, client certificate, x509/name: $res"

# --- (5) backpressure: storage stalled, a TLS sender is held back ---
rm -f "$T/events.log"
sed -i "s/^capacity = .*/capacity = 1024/" "$T/test.conf"
touch "$T/stall"
export LOGSTREAMD_TEST_STALL_FILE=$T/stall
start_daemon
unset LOGSTREAMD_TEST_STALL_FILE
python3 "$GEN" 200000 7 > "$T/mix"
$TC 127.0.0.1 "$TPORT" $GOOD --send "$T/mix" & SND=$!
track $SND
sleep 3
kill -0 $SND 2>/dev/null || fail "TLS sender finished while storage was stalled: no backpressure"
[ "$(wc -l < "$T/events.log")" = 0 ] || fail "events stored while stalled"
rm "$T/stall"
wait $SND || fail "TLS sender failed"
wait_lines "$T/events.log" 200000 120
stop_daemon
res=$(python3 "$HERE/seqcheck.py" --all "$T/events.log" "$T/mix") ||
	fail "TLS backpressure: $res"
peak=$(summary_value queue_peak)
[ "$peak" -gt 512 ] || fail "queue peak $peak: the queue never filled"
echo "     (5) stalled storage held a TLS sender back (queue peak $peak/1024), then: $res"

# --- (6) TCP limits on TLS peers: handshake deadline, max_connections ---
sed -i "s/^max_message = .*/&\nidle_timeout = 1s\nmax_connections = 2/" "$T/test.conf"
start_daemon
python3 - "$TPORT" <<'PY' || fail "handshake deadline / max_connections on TLS"
import socket, sys, time
port = int(sys.argv[1])
t0 = time.time()
a = socket.create_connection(("127.0.0.1", port))     # never says hello
b = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", port))     # over max_connections
c.settimeout(30)
assert c.recv(1) == b"", "third connection was not closed"
# closed at the deadline (1 s after its connect): not before it, and
# within a generous 15 s (a busy machine runs timers late)
a.settimeout(30)
assert a.recv(1) == b"", "silent peer not closed"
d = time.time() - t0
assert 0.8 < d < 15, "handshake deadline after %.1f s (idle_timeout 1s)" % d
PY
stop_daemon
[ "$(summary_value refused)" -ge 1 ] || fail "max_connections refusal not counted"
[ "$(summary_value tls_timeout)" -ge 1 ] || fail "handshake timeout not counted"
echo "     (6) a silent TLS peer closed at idle_timeout (counted as timeout), max_connections refuses"

# --- (7) -t: file:line for key problems ---
check() {	# SED-EXPR EXPECTED-LINE-KEY EXPECTED-TEXT
	sed "$1" "$T/test.conf" > "$T/bad.conf"
	local line
	line=$(grep -n "^$2" "$T/bad.conf" | head -1 | cut -d: -f1)
	"$BIN" -t -c "$T/bad.conf" > "$T/t.out" 2>&1 && fail "-t accepted: $1"
	grep -q "bad.conf:$line: .*$3" "$T/t.out" ||
		fail "-t for '$1': want bad.conf:$line: ...$3, got: $(cat "$T/t.out")"
}
check "s|^tls_key = .*|tls_key = pki/missing.key|" tls_key "missing.key: No such file or directory"
check "s|^tls_key = .*|tls_key = pki/client.key|" tls_key "does not match tls_cert .*key values mismatch"
check "/^tls_ca/d" tls_client_auth "tls_client_auth = require needs tls_ca"
"$BIN" -t -c "$T/test.conf" >/dev/null 2>&1 || fail "-t rejects the good config"
# --- (8) socket activation: a socket named "tls" is a TLS listener ---
# systemd-socket-activate (systemd's own tool) binds the sockets and hands
# them over as a .socket unit with FileDescriptorName= would: the one named
# tls serves TLS, the other plain TCP; the config's addresses are not used.
APORT=$(free_port)
ATPORT=$(free_port)
sed -i "s/^idle_timeout = 1s$//; s/^max_connections = 2$//" "$T/test.conf"
systemd-socket-activate -l 127.0.0.1:$APORT -l 127.0.0.1:$ATPORT \
    --fdname=syslog:tls "$BIN" -c "$T/test.conf" >"$T/daemon.out" 2>"$T/daemon.err" &
DPID=$!
track $DPID
wait_port $APORT $DPID || fail "socket activation: nothing listens on $APORT"
echo "<13>Nov 23 20:14:14 h app: activated plain" | nc -N 127.0.0.1 $APORT
echo "activated tls" | $TC 127.0.0.1 "$ATPORT" $GOOD --send - ||
	fail "socket activation: TLS on the socket named tls refused"
for i in $(seq 600); do [ "$(stored "activated")" = 2 ] && break; sleep 0.05; done
[ "$(jq -r 'select(.message | startswith("activated")) | "\(.transport) \(.message)"' \
    "$T/events.log" | sort | tr '\n' ,)" = "tcp activated plain,tls activated tls," ] ||
	fail "socket activation: $(jq -c 'select(.message | startswith("activated")) | [.transport, .message]' "$T/events.log")"
wait_log "listening on socket from systemd: tls systemd:tls" 1 ||
	fail "no word of the systemd socket named tls"
nc -z 127.0.0.1 $TPORT 2>/dev/null && fail "the config's tls address was opened beside systemd's"
stop_daemon
# Without tls_cert the socket named tls cannot be served: exit 2, says why.
sed -i "/^tls/d" "$T/test.conf"
systemd-socket-activate -l 127.0.0.1:$APORT -l 127.0.0.1:$ATPORT \
    --fdname=syslog:tls "$BIN" -c "$T/test.conf" >"$T/daemon.out" 2>"$T/daemon.err" &
DPID=$!
wait_port $APORT $DPID
echo "<13>Nov 23 20:14:14 h app: wake" | nc -N 127.0.0.1 $APORT 2>/dev/null
wait $DPID; rc=$?
[ $rc = 2 ] || fail "socket named tls without tls_cert: exit $rc, want 2"
grep -q "socket from systemd named tls: a TLS listener needs tls_cert" "$T/daemon.err" ||
	fail "socket named tls without tls_cert: $(cat "$T/daemon.err")"
echo "     (8) socket activation: the socket named tls serves TLS, the other TCP; without tls_cert: exit 2, says why"

pass "s_client + python (LF, octet, IPv6), refusals counted, client_auth optional, class on transport = tls, SIGHUP cert swap, socket activation, rsyslog ossl $N/$N, backpressure 200000/200000, limits, -t"
