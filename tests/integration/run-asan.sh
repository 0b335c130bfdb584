#!/bin/bash
# run-asan.sh TEST...: integration tests against ./logstreamd-asan (make
# asan: ASan + UBSan, leaks checked at exit).  Each sanitizer report goes to
# a log file (log_path); a test fails if it fails or if any report appears
# while it runs.  `make integration-asan` (in `make check`) runs every test
# but ASAN_SKIP through it.
cd "$(dirname "$0")" || exit 1
top=$(cd ../.. && pwd)
[ -x "$top/logstreamd-asan" ] || { echo "run-asan: build logstreamd-asan first (make asan)"; exit 1; }
logs=$(mktemp -d /tmp/logstreamd-asan.XXXXXX)
export LOGSTREAMD=$top/logstreamd-asan
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
failed=0
for t in "$@"; do
	start=$(date +%s)
	timeout 300 bash "$t.sh"
	rc=$?
	secs=$(( $(date +%s) - start ))
	if ls "$logs"/* >/dev/null 2>&1; then
		echo "FAILED (sanitizer report): $t"
		head -60 "$logs"/*
		rm -f "$logs"/*
		failed=$((failed + 1))
	elif [ $rc = 77 ]; then
		echo "asan: skipped $t"
	elif [ $rc != 0 ]; then
		echo "FAILED (asan build): $t"
		failed=$((failed + 1))
	fi
	echo "asan: $t ${secs}s"
done
rmdir "$logs" 2>/dev/null
[ $failed = 0 ] && echo "integration-asan: all passed" || echo "integration-asan: $failed failed"
exit $((failed > 0))
