#!/usr/bin/env python3
"""gen_seeds.py: write the seed corpora of tests/fuzz/corpus/<target>/.

Each seed is named after the bug class it holds (rsyslog CVE-2022-24903
octet-count overflow, CVE-2014-3634 PRI out of range, syslog-ng
CVE-2022-38725 timestamp parsing, Fluent Bit CVE-2024-4323 JSON type
confusion, path traversal in host/app, terminal escapes, format strings,
NUL, lone surrogates, deep nesting).  The corpora are checked in; rerun
this after adding a seed here (`make fuzz-smoke` runs it with --check).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EVENTS = {
    # CVE-2014-3634: PRI out of range
    'pri_999': b'<999>1 2024-01-01T00:00:00Z h a - - - pri out of range',
    'pri_192': b'<192>Jan  1 00:00:00 h a: pri 192',
    'pri_neg': b'<-1>1 2024-01-01T00:00:00Z h a - - - neg',
    'pri_huge': b'<4294967297>Jan  1 00:00:00 h a: wraps to 1',
    'pri_empty': b'<>1 - - - - - -',
    'pri_open': b'<13',
    'pri_lead0': b'<0013>1 - h a - - - leading zeros',
    'pri_999_3164': b'<999>Jan  1 00:00:00 h a: pri 999 in 3164',
    'pri_191': b'<191>1 2024-01-01T00:00:00Z h a - - - local7.debug, the last valid',
    # CVE-2022-38725: truncated and odd timestamps
    'ts_cut_3164': b'<13>Jan  1 00:00:0',
    'ts_cut_month': b'<13>Ja',
    'ts_cut_5424': b'<165>1 2003-10-11T22:14:15.',
    'ts_long_frac': b'<165>1 2003-10-11T22:14:15.00300000000000000000003Z h a - - - x',
    'ts_bad_fields': b'<165>1 9999-99-99T99:99:99+99:99 h a - - - x',
    'ts_leap': b'<165>1 2016-12-31T23:59:60Z h a - - - leap',
    'ts_3339_3164': b'<13>2024-02-29T12:00:00.123456+05:30 host app[1]: rsyslog fwd',
    'ts_year0': b'<165>1 0000-01-01T00:00:00Z h a - - - y0',
    'ts_space': b'<13>Feb 30 25:61:61 host app: bad clock',
    # CVE-2024-4323: JSON type confusion
    'json_types': b'{"host":123,"app":["a",1],"message":{"a":1},"time":"x","level":null,"pid":true,"seq":"1"}',
    'json_numtime': b'{"ts":1e308,"msg":"big time","severity":-5}',
    # found by fuzz_json: 20 epoch digits overflowed int64 (UBSan)
    'json_ts_20digits': b'{"ts":"77777777777777777771"}',
    'json_ts_wraps': b'{"time":"18446744075409551616","msg":"2^64 + 1700000000"}',
    # found by fuzz_json: a third "log" became a new message and its field
    # index ran past the fields (heap overflow in the final memmove)
    'json_log_thrice': b'{"mg":"a","log":"a","gs":"a","log":"","log":"a","log":2}\t',
    'json_log_late': b'{"log":2,"x":1,"log":"late"}',
    'json_negtime': b'{"timestamp":-99999999999999,"message":1.5e-300}',
    'json_dupkeys': b'{"msg":"a","msg":"b","host":"x","host":{"y":[]}}',
    'json_nul': b'{"msg":"a\\u0000b","k\\u0000":"v"}',
    'json_lone_hi': b'{"msg":"\\ud800","host":"\\udfff"}',
    'json_deep': b'{"a":' + b'[' * 10000 + b']' * 10000 + b'}',
    'json_deep_obj': b'{"a":' + b'{"b":' * 5000 + b'1' + b'}' * 5000 + b'}',
    'json_trunc': b'{"msg":"unterminated',
    'json_trailing': b'{"msg":"x"} trailing',
    'json_level_obj': b'{"level":{"x":1},"facility":[],"msgid":99}',
    # path traversal through host and app
    'trav_5424': b'<14>1 2024-01-01T00:00:00Z ../../etc/cron.d ../../../tmp/x 1 - - traversal',
    'trav_3164': b'<14>Jan  1 00:00:00 ../../etc ../../x[1]: traversal',
    'trav_json': b'{"host":"../../../etc/passwd","app":"/dev/null/../x","msg":"t"}',
    'trav_logfmt': b'host=../../etc app=..%2f..%2fx msg="traversal"',
    # Fluent Bit CVE-2025-12972: the tag (our app) as a path, JSON-escaped
    'trav_json_tag': b'{"tag":"..\\/..\\/etc\\/cron.d","app":"..\\/..\\/x","host":"/etc/passwd","msg":"t"}',
    'trav_dots': b'<14>1 2024-01-01T00:00:00Z .. . 1 - - dot names',
    'trav_abs': b'<14>Jan  1 00:00:00 /etc/passwd /tmp/x[1]: absolute host and app',
    # terminal escapes (nginx CVE-2009-4487) and bidi
    'esc_osc': b'<13>Jan  1 00:00:00 h app: \x1b]0;pwned\x07\x1b[2J\x1b[31mred',
    'esc_bidi': '<13>Jan  1 00:00:00 h app: abc\u202egnp.exe\u2066x\u2069'.encode(),
    'esc_c1': b'<13>Jan  1 00:00:00 h app: \xc2\x9b31m c1 csi',
    # format strings
    'fmt_5424': b'<165>1 2024-01-01T00:00:00Z %n%s %x%x %p - - %n%n%n%s%s%s',
    'fmt_logfmt': b'level=%n msg="%s%s%s" host=%x',
    # NUL bytes, invalid UTF-8, surrogates encoded in UTF-8
    'nul_3164': b'<13>Jan  1 00:00:00 h app: a\x00b\x00',
    'nul_5424': b'<165>1 2024-01-01T00:00:00Z h\x00x a\x00 - - - m\x00sg\x00',
    'nul_json_raw': b'{"msg":"a\x00b","host":"h\x00"}',
    'nul_logfmt': b'msg="a\x00b" host=h\x00 level=err\x00',
    'surrogate_logfmt': b'msg="\xed\xa0\x80" app=\xed\xbf\xbf',
    'json_lone_pair': b'{"msg":"\\udc80\\ud800x\\udbff\\udfff ok \\ud83d\\ude00"}',
    'all_bytes': bytes(range(256)),
    'all_bytes_rev': bytes(range(255, -1, -1)),
    'surrogate_utf8': b'<13>Jan  1 00:00:00 h app: \xed\xa0\x80\xed\xbf\xbf',
    'bad_utf8': b'<13>Jan  1 00:00:00 h app: \xff\xfe\xc0\xaf\xe0\x80\x80\xf4\x90\x80\x80',
    # structured data edge cases
    'sd_unclosed': b'<165>1 2024-01-01T00:00:00Z h a - - [id@1 k="v\\"] x',
    'sd_many': b'<165>1 - h a - - ' + b'[a k="v"]' * 500 + b' x',
    'sd_escapes': b'<165>1 - h a - - [meta sequenceId="17" x="\\]\\\\\\"" ] msg',
    'sd_nokey': b'<165>1 - h a - - [x =""][=""] m',
    'long_fields': b'<165>1 - ' + b'h' * 300 + b' ' + b'a' * 300 + b' ' + b'p' * 200 + b' ' + b'm' * 100 + b' - x',
    'bom': b'<165>1 - h a - - - \xef\xbb\xbfBOM message',
    'logfmt_basic': b'ts=2024-01-01T00:00:00Z level=error host=h app=a msg="quoted \\" s" seq=5 user=root',
    'logfmt_bad': b'a= =b "c"=d e="unterminated f==g',
    'plain': b'just some text with no format at all',
    # events the fuzz_classifier rule set matches
    'cls_auth': b'<36>Jan  1 00:00:00 h sshd[1]: Failed password for root',
    'cls_web': b'{"host":"web01","msg":"x","user":"root"}',
    'cls_level': b'level=crit user=root msg="kernel panic"',
    'cls_sd': b'<165>1 - h a - - [meta sequenceId="17"] m',
    'empty_ish': b' ',
}

FRAME = {
    # CVE-2022-24903: octet counts that overflow int/size_t
    'octet_2p32': b'4294967296 <13>x\n5 <13>y',
    'octet_2p31': b'2147483648 <13>abc',
    'octet_11digits': b'99999999999 <13>abc\nline two\n',
    'octet_zero': b'0 <13>x\n',
    'octet_neg': b'-5 <13>x\n',
    'octet_mixed': b'10 <13>123456\n\n7 <13>abc\n<13>plain line after counted\n',
    'octet_big_then_short': b'70000 <13>' + b'A' * 3000,
    'lf_long': b'x' * 5000 + b'\r\n' + b'y' * 30 + b'\n',
    'lf_crlf': b'<13>a\r\n<13>b\r\r\n\n\n<13>c',
    'lf_nul': b'<13>a\x00b\n\x00\n',
    'octet_lead0': b'0000000005 <13>x\n3 <13>',
    'octet_10digits': b'4294967295 <13>max uint32',
    'octet_eof': b'50 <13>the peer leaves mid-frame',
    'octet_nohdr': b'12345',
    'rfc5425': b'35 <165>1 2024-01-01T00:00:00Z h a - - - m35 <165>1 2024-01-01T00:00:00Z h a - - - n',
}

MULTILINE = {
    'java': b'2024-01-01 12:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat a.B.main(B.java:2)\nCaused by: java.io.IOException\n\t... 1 more\n2024-01-01 12:00:01 INFO ok\n',
    'python': b'2024-01-01 12:00:00,1 ERROR\nTraceback (most recent call last):\n  File "a.py", line 1, in <module>\n    x()\nZeroDivisionError: division by zero\n2024-01-01 x\n',
    'long_cont': b'start\n' + b' ' + b'c' * 3000 + b'\n more\n' * 40 + b'next\n',
    'blank_nul': b'\n\n \x00\n\x00start\n\t\xff\xfe\n\n',
    'slow': b'\xffstart\n\xff cont\n\x01 fast\n\xff\xff\n',
}

CONFIGS = {
    'basic': open(os.path.join(HERE, '..', '..', 'conf', 'logstreamd.conf'), 'rb').read()
    if os.path.exists(os.path.join(HERE, '..', '..', 'conf', 'logstreamd.conf')) else b'',
    'classes': b'''[listen]
tcp = 127.0.0.1:5514
max_message = 16
allow = 10.0.0.0/8, ::1, 192.168.0.0/33
[storage]
path = ../../../tmp/x/events.log
[class a]
message = (a+)+$
severity = <= warning
field.user = ~^r(o+)t$
[class b]
host = ../etc
facility = kern
stream = gap
[alert x]
class = a
threshold = 5
window = 60s
group_by = field.user
suppress = 10m
''',
    'bad_values': b'[listen]\nmax_message = 99999999999G\nidle_timeout = -1s\nmax_connections = 0x10\n[queue]\ncapacity = 1e9\n',
    'quotes': b'[class q]\nmessage = "a # b ; c"   # comment\napp = "unterminated\n[alert a]\nclass = q\nthreshold = 1000001\n',
    'fmt': b'[class %n%s]\nmessage = %n%s%x\n[alert %s%s]\nclass = %n\n',
    'nul': b'[listen]\ntcp = 127.0.0.1:1\x00\n[cl\x00ass x]\n',
    'regex_bomb': b'[class r]\nmessage = ' + b'(' * 300 + b'a' + b')*' * 300 + b'\n',
    'sections': b'[]\n[listen\n[class]\n[class a b c]\n= v\nk\n[alert]\n',
    # the ENOMEM regression of classifier add_rule (fm_config): a rule
    # after the one whose name could not be copied compares names
    'dup_classes': b'[class a]\napp = x\n[class b]\napp = y\n[class a]\napp = z\n[class other]\nhost = h\n',
    # issue 14: named groups, group_by on a capture, output key tables
    'captures': b'[class ssh]\napp = sshd\nmessage = "Failed password for (?:invalid user )?(?<user>\\S+) from (?<ip>[0-9A-Fa-f.:]+)"\nhost = ~(?<site>[a-z]+)[0-9]+\n[class dup]\nmessage = (?<a>x)|(?<b>y)(?<a2>z)?\n[alert brute]\nclass = ssh\ngroup_by = field.ip\nthreshold = 5\n[alert typo]\nclass = ssh\ngroup_by = field.addr\n',
    'outputs': b'[output f]\ntype = forward\ntarget = 127.0.0.1:1\nresend = 1k\nreconnect_max = 1ms\nbuffer_size = 1k\n[output k]\ntype = kafka\nbrokers = a:1\ntopic =\nkey = field.\ncompression = lz5\nkafka.x = 1\noverflow = drop\nbuffer_sync = never\nclass = *\n',
    'limits': b'[class dbg]\nseverity = debug\nstore = no\n[class x]\nstore = maybe\n[limit noisy]\nkey = host\nrate = 1000/s\nburst = 2000\nclass = dbg, nope\nmax_keys = 0\n[limit f]\nkey = field.ip\nrate = 5/y\n[limit g]\nrate = 10/m\n[limit]\nrate = 1\n',
    'lookups': b'[class s]\nmessage = from (?<ip>\\S+)\n[lookup hosts]\nfile = /dev/null\nkey = host\n[lookup ips]\nfile = /nonexistent.csv\nkey = field.ip\nmax_rows = 0\n[lookup x]\nkey = user\n',
    # issue 15: multiline keys and a tail input, good and bad values
    'multiline': b'[listen]\nmultiline_start = ^(\\d{4}-|[\nmultiline_timeout = 0\n[input t]\ntype = tail\npath =\npath = /var/log/*.log\nstart = middle\nmax_open_files = 0\nmultiline_start = ^\\S\nmultiline_timeout = 2h\nfollow_symlinks = maybe\n[input u]\ntype = tail\n[input v]\ntype = tail\npath = ../x/*.log\nstate = ../x.state\n',
    'exec': b'[class c]\napp = x\n[alert e]\nclass = c\nexec = /bin/true %n\nexec_timeout = 1ms\ntype = absence\nfor = 1s\ngroup_by = host\n',
}

EXPRS = {
    'eq': b'host=web01',
    'and': b'host=web01 && app=sshd && severity<=warning',
    'regex': b'message~"Failed password for (?<user>\\S+)"',
    'regex_bomb': b'message~' + b'(' * 300 + b'a' + b')*' * 300,
    'regex_bad': b'message~(ab',
    'rank': b'severity>=err&&facility!=kern',
    'num': b'field.seq>41 && field.r<=1.5 && trusted.uid=0',
    'sd': b'sd.m.s=1 && sd.x=1',
    'quoted': b'field.user="r\\"o\\\\ot" && host="',
    'eqtilde': b'host=~x',
    'empty': b'',
    'amp': b'&&&&host=&&',
    'nul': b'host=a\x00b',
    'utf8': b'host~\xff\xfe(?i)\xc3\xa9',
    'long': b'host=' + b'a' * 3000,
}

LINES = {
    'stored': b'{"received":"2026-11-23T20:14:14.906034Z","time":"2026-11-23T20:14:14Z","source":"127.0.0.1:53422","transport":"tcp","format":"rfc3164","facility":"auth","severity":"warning","host":"web01","app":"sshd","pid":"1234","msgid":"ID47","class":"auth_failure","message":"Failed password for root","sd":{"meta":{"sequenceId":"17"}},"fields":{"user":"root","host":"x"},"truncated":true,"stream":"gap","missing":3}',
    'escaped': b'{"received":"2026-11-23T20:14:14.906034Z","host":"a\\"b","class":"c\\\\"}',
    'twice': b'{"received":"2026-11-23T20:14:14Z","host":"a","host":"b"}',
    'spaces': b'{"received": "2026-11-23T20:14:14Z", "host": "web01"}',
    'torn': b'{"received":"2026-11-23T20:14:14.906034Z","host":"web01","cla',
    'nul': b'{"received":"2026-11-23T20:14:14Z","host":"a\x00b"}',
    'notjson': b'not json at all',
    'late_host': b'{"received":"2026-11-23T20:14:14Z","sd":{"x":{"host":"h"}},"host":"late"}',
}

# Stored event lines as the writer makes them (kdec reads them back): every
# member, SD fields, trusted, a gap mark, escapes and UTF-8.
KDEC = {
    'full': b'{"received":"2026-12-01T10:00:00.123456Z","time":"2026-11-23T20:14:15.003Z",'
            b'"source":"192.0.2.7:51514","transport":"tls","format":"rfc5424",'
            b'"facility":"local4","severity":"notice","host":"web01","app":"sshd",'
            b'"pid":"4242","msgid":"ID47","class":"auth_failure","message":"Failed password",'
            b'"sd":{"exampleSDID@32473":{"iut":"3","eventSource":"Application"}},'
            b'"fields":{"user":"root","n":"17"},"stream":"gap","missing":42,"truncated":true,'
            b'"trusted":{"uid":0,"systemd_unit":"a\\"b.service"}}',
    'plain': b'{"received":"2026-12-01T10:00:00.5Z","source":"journal","transport":"journal",'
             b'"format":"plain","host":"h","message":"caf\\u00e9 \\t tab \\"q\\" \xc3\xa9t\xc3\xa9"}',
    'notime': b'{"received":"2026-12-01T10:00:00Z","transport":"udp","format":"json",'
              b'"severity":"err","host":"","message":""}',
}

def seeds():
    """{(target, name): bytes}: every seed file."""
    out = {}
    for t in ('rfc5424', 'rfc3164', 'json', 'logfmt', 'classifier',
              'jsonenc', 'alertesc'):
        for k, v in EVENTS.items():
            out[t, k] = v
    for k, v in FRAME.items():
        # header: 2 bytes of max (16 + n % 2048), 1 byte of cut count
        out['frame', k] = b'\x00\x40\x07' + v
        out['frame', k + '_max16'] = b'\x00\x00\x03' + v
    for k, v in MULTILINE.items():
        # header: regex choice, 2 bytes of max (1 + n % 600), timeout
        for i, h in enumerate((b'\x01\x01\x00\x03', b'\x02\x00\x20\x01',
                               b'\x00\x00\x10\x00', b'\x04\x00\x07\x07')):
            out['multiline', '%s_%d' % (k, i)] = h + v
    for k, v in CONFIGS.items():
        out['config', k] = v
    for k, v in EXPRS.items():
        out['expr', k] = v
    for k, v in LINES.items():
        out['storeidx', k] = v
        out['kdec', k] = v
    for k, v in KDEC.items():
        out['kdec', k] = v
    return out

def main():
    """Write the corpora; with --check, exit 1 if the checked-in ones
    differ from what this file makes (a seed added by hand, or a seed
    changed here and not regenerated)."""
    want = seeds()
    top = os.path.join(HERE, 'corpus')
    if sys.argv[1:] == ['--check']:
        have = {(t, n) for t in os.listdir(top)
                for n in os.listdir(os.path.join(top, t))}
        bad = sorted(have ^ set(want))
        bad += sorted(k for k in set(want) & have
                      if open(os.path.join(top, *k), 'rb').read() != want[k])
        for t, n in bad:
            print('gen_seeds: corpus/%s/%s differs from gen_seeds.py' % (t, n))
        return 1 if bad else 0
    for (t, n), v in want.items():
        os.makedirs(os.path.join(top, t), exist_ok=True)
        with open(os.path.join(top, t, n), 'wb') as f:
            f.write(v)
    return 0

if __name__ == '__main__':
    sys.exit(main())
