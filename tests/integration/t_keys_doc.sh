#!/bin/bash
# t_keys_doc.sh: every row of the key table (`logstreamd --keys`) is
# documented: in man/logstreamd.conf.5 inside its section's entry, with its
# default (when the table has one), and in README.md's configuration table
# under its section or in the docs-*.md that covers the section; `--keys`
# prints six fields a line and the usage names it.  Issue 20: the manuals
# cannot drift from the table.
. "$(dirname "$0")/lib.sh"

MAN=$TOP/man/logstreamd.conf.5
"$BIN" --keys > "$T/keys" 2> "$T/keys.err" || fail "--keys exited $?: $(cat "$T/keys.err")"
[ -s "$T/keys.err" ] && fail "--keys wrote to stderr: $(cat "$T/keys.err")"
n=$(wc -l < "$T/keys")
[ "$n" -ge 80 ] || fail "--keys listed only $n keys"
awk 'NF < 5 { print; bad = 1 } END { exit bad }' "$T/keys" > "$T/short" ||
	fail "--keys lines without SECTION KEY TYPE DEFAULT BOUNDS: $(cat "$T/short")"
for s in listen queue storage alerts streams http slo class lookup limit alert output; do
	grep -q "^$s[ /]" "$T/keys" || fail "--keys lists no [$s] key"
done
"$BIN" --help | grep -q -- '--keys' || fail "--help does not name --keys"
grep -qF -- '\-\-keys' "$TOP/man/logstreamd.8" || fail "logstreamd(8) does not name --keys"

# The text of a section's entry in the man page: from ".B [SECTION" (named
# sections are written [kind NAME]) to the next .TP or .SH.
man_sect() {
	awk -v s="$1" '
	    /^\.(TP|SH)/ { on = 0 }
	    index($0, ".B [" s "]") == 1 || index($0, ".B [" s " ") == 1 { on = 1 }
	    on' "$MAN"
}
# README's table rows of a section: from its "| `[SECTION" row to the next
# row that names a section.
readme_sect() {
	awk -v s="$1" '
	    /^\| `\[/ { on = (index($0, "| `[" s "]") == 1 || index($0, "| `[" s " ") == 1) }
	    on && /^\|/' "$TOP/README.md"
}
# The docs-*.md that README points to for a section.
docs_for() {
	case $1 in
	storage) echo docs-storage.md ;;
	alerts) echo docs-storage.md docs-streams.md ;;
	streams|alert|class) echo docs-streams.md ;;
	http|slo) echo docs-metrics.md ;;
	output) echo docs-outputs.md ;;
	input) echo docs-inputs.md ;;
	esac
}

missing=""
while read -r sect key type def bounds help; do
	base=${sect%%/*}
	man_sect "$base" > "$T/man.txt"
	[ -s "$T/man.txt" ] || { missing="$missing
man: no [$base] entry"; continue; }
	grep -qwF -- "$key" "$T/man.txt" || missing="$missing
man: [$sect] $key"
	if [ "$def" != - ] && [ "$def" != '""' ] && ! grep -qwF -- "$def" "$T/man.txt"; then
		missing="$missing
man: [$sect] $key default $def"
	fi
	if readme_sect "$base" | grep -qF -- "\`$key\`"; then
		continue
	fi
	d=$(docs_for "$base") found=""
	for f in $d; do
		grep -qE -- "(\`$key\`|^#?$key *=|\`\\[$base\\] $key)" "$TOP/$f" && found=1
	done
	[ -n "$found" ] && continue
	missing="$missing
docs: [$sect] $key in neither README's table nor ${d:-a docs file}"
done < "$T/keys"
[ -z "$missing" ] || fail "keys not documented:$missing"
pass "$n keys, each in logstreamd.conf(5) with its default and in README or its docs-*.md"
