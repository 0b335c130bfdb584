#!/bin/sh
# mankeys.sh [--check] BIN PAGE: the KEYS section of logstreamd.conf(5)
# from the key table (`BIN --keys`, daemon/confmap.c), so that the manual
# cannot drift from what -t accepts: every section and key with its type,
# default, bounds and help.  Rewrites the part of PAGE between the
# `.\" BEGIN KEYS` and `.\" END KEYS` lines when it differs (make man);
# --check only says whether it would (exit 1: run make man).  A section is
# written [kind NAME] when BIN's config reader says it needs a name.
set -eu
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
[ $# = 2 ] || { echo "usage: mankeys.sh [--check] BIN PAGE" >&2; exit 2; }
bin=$1 page=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --keys > "$tmp/keys"
grep -q '^\.\\" BEGIN KEYS' "$page" && grep -q '^\.\\" END KEYS' "$page" ||
	{ echo "mankeys.sh: $page lacks the BEGIN KEYS and END KEYS lines" >&2; exit 2; }
# The named kinds, as the reader tells: "[class] needs a name".
for s in $(cut -d' ' -f1 "$tmp/keys" | cut -d/ -f1 | uniq); do
	printf '[%s]\n' "$s" > "$tmp/probe.conf"
	"$bin" -t -c "$tmp/probe.conf" 2>&1 | grep -q "needs a name" && echo "$s"
done > "$tmp/named"
awk -v named="$tmp/named" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
# 1048576 as 1M: a size bound as the config would write it.
function size(n,   u, i) {
	u = "kMGT"
	for (i = 0; i < 4 && n >= 1024 && n % 1024 == 0; i++)
		n /= 1024
	return i ? sprintf("%d%s", n, substr(u, i, 1)) : n
}
BEGIN {
	while ((getline l < named) > 0)
		isnamed[l] = 1
	print ".\\\" BEGIN KEYS: made by tests/tools/mankeys.sh from logstreamd \\-\\-keys"
	print ".\\\" (make man); an edit here is overwritten, edit daemon/conf*.c."
	print ".SH KEYS"
	print "Every key of the key table, as"
	print ".B logstreamd \\-\\-keys"
	print "prints it and"
	print ".B \\-t"
	print "checks it: its type, default and bounds, then what it is for."
}
{
	sect = $1; key = $2; type = $3; def = $4; b = $5
	help = $0
	for (i = 1; i <= 5; i++)
		sub(/^[^ ]+ /, "", help)
	if (NF <= 5)
		help = ""
	if (sect != cur) {
		cur = sect
		kind = sect; sub(/\/.*/, "", kind)
		sub_ = sect; sub(/^[^\/]*\/?/, "", sub_)
		h = isnamed[kind] ? "[" kind " NAME]" : "[" kind "]"
		if (sub_ != "")
			h = h " with type = " sub_
		print ".SS \"" h "\""
	}
	d = def == "-" ? "" : def == "\"\"" ? "empty" : def
	if (split(b, r, /\.\./) == 2) {
		top = r[2] ~ /^(18446744073709551615|9223372036854775807ms)$/
		if (type == "size") {
			r[1] = size(r[1]); r[2] = size(r[2])
		}
		if (top)
			b = "at least " r[1]
		else
			b = r[1] " to " r[2]
	}
	gsub(/\|/, " | ", b)
	line = type (d == "" ? ", no default" : ", default " d)
	if (b != "-")
		line = line ", " b
	print ".TP"
	print ".B " esc(key)
	print esc(line) (help != "" ? ": " esc(help) : "")
}
END { print ".\\\" END KEYS" }' "$tmp/keys" > "$tmp/keys.man"
awk -v gen="$tmp/keys.man" '
/^\.\\" BEGIN KEYS/ { while ((getline l < gen) > 0) print l; skip = 1; next }
/^\.\\" END KEYS/ { skip = 0; next }
!skip' "$page" > "$tmp/page"
if cmp -s "$tmp/page" "$page"; then
	exit 0
fi
if [ $check = 1 ]; then
	echo "mankeys.sh: the KEYS section of $page is not what $bin --keys makes (run make man):" >&2
	diff -u "$page" "$tmp/page" | head -20 >&2
	exit 1
fi
cat "$tmp/page" > "$page"
echo "mankeys.sh: $page: KEYS rewritten from $bin --keys"
