#!/bin/sh
# mkdeb.sh [VERSION]: make deb.  Builds the Debian package with
# dpkg-buildpackage (debian/, debhelper) in build/deb/src, a copy of this
# tree (the files git knows, as they are now: debian/rules clean and the
# package's compiler flags leave the checkout alone), then runs lintian:
# any warning or error fails (build/deb/lintian.txt keeps its output).
# VERSION builds it as that version.  Nothing is rebuilt while the last
# package is newer than every file.
# mkdeb.sh --again VERSION: the last build's tree again (its objects kept:
# nothing is compiled) as version VERSION, in build/deb-again/: a second
# package to upgrade to (tests/integration/t_deb.sh; kept while newer than
# the last build).  Prints the .deb.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mkdir -p "$top/build"
out=$top/build/deb
again=0
[ "${1:-}" = --again ] && { again=1; shift; }
ver=${1:-}
[ $again = 0 ] || [ -n "$ver" ] || { echo "usage: mkdeb.sh --again VERSION" >&2; exit 2; }
arch=$(dpkg --print-architecture)

build() {	# build DIR: dpkg-buildpackage in DIR/src, at $ver if set
	[ -z "$ver" ] || sed -i "1s/([^)]*)/($ver)/" "$1/src/debian/changelog"
	v=$(cd "$1/src" && dpkg-parsechangelog -S Version)
	if ! (cd "$1/src" && dpkg-buildpackage -b --no-sign -j2 $2) \
	    > "$1/build.log" 2>&1; then
		tail -40 "$1/build.log" >&2
		echo "mkdeb.sh: dpkg-buildpackage failed (all of it: $1/build.log)" >&2
		exit 1
	fi
	deb=$1/logstreamd_${v}_$arch.deb
}

if [ $again = 1 ]; then
	[ -d "$out/src/build" ] || { echo "mkdeb.sh: no build in $out/src to reuse (make deb)" >&2; exit 1; }
	deb=$top/build/deb-again/logstreamd_${ver}_$arch.deb
	[ "$deb" -nt "$out/ok" ] && { echo "$deb"; exit 0; }	# made from it
	rm -rf "$top/build/deb-again" && mkdir -p "$top/build/deb-again"
	cp -a "$out/src" "$top/build/deb-again/src"
	# debhelper's records of the last run go, the compiled objects stay
	(cd "$top/build/deb-again/src/debian" && rm -rf .debhelper \
	    debhelper-build-stamp files logstreamd ./*.debhelper.log \
	    ./*.substvars ./*.debhelper)
	build "$top/build/deb-again" -nc
	echo "$deb"
	exit 0
fi

cv=$(dpkg-parsechangelog -S Version)
if [ -z "$ver" ] && [ "$cv" != "$(cat VERSION)" ]; then
	echo "mkdeb.sh: debian/changelog is at $cv, VERSION at $(cat VERSION): add an entry (dch -v $(cat VERSION))" >&2
	exit 1
fi
# The tests stay out (the package does not run them), but for the tools
# the Makefile calls: a test's edit does not make a new package.
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard
else
	find . -path ./build -prune -o -path ./build-asan -prune -o \
	    -path ./build-fuzz -prune -o -path ./.git -prune -o -type f \
	    ! -name logstreamd ! -name logstreamd-asan -print | sed 's|^\./||'
fi | grep -v '^tests/' | while read -r f; do
	[ -e "$f" ] && printf '%s\n' "$f"	# not a file deleted since
done > "$top/build/deb.files"
ls tests/deps.sh tests/tools/*.sh >> "$top/build/deb.files"
newer() {	# the first file of the list newer than $1
	while read -r f; do
		[ "$f" -nt "$1" ] && { echo "$f"; return; }
	done < "$top/build/deb.files"
}
if [ -z "$ver" ] && [ -f "$out/ok" ] && [ -f "$(cat "$out/ok")" ] &&
    [ -z "$(newer "$out/ok")" ]; then
	echo "mkdeb.sh: up to date: $(cat "$out/ok")"
	exit 0
fi
rm -rf "$out" && mkdir -p "$out/src"
tar -cf - -T "$top/build/deb.files" | tar -xf - -C "$out/src"
build "$out" ""
set +e
lintian --fail-on error,warning --display-info "$deb" > "$out/lintian.txt" 2>&1
rc=$?
set -e
cat "$out/lintian.txt"
[ $rc = 0 ] || { echo "mkdeb.sh: lintian found warnings or errors in $deb" >&2; exit 1; }
echo "$deb" > "$out/ok"
echo "mkdeb.sh: $deb (lintian: no warning, no error)"
