#!/bin/bash
# run-all.sh: every integration test (tests/integration/t_*.sh), each in its
# own temp dir with its own ports; prints one line per test, exits 1 if any
# failed.  Exit 77 is a skip that the test explains on its own line; skips
# are counted and listed at the end.
cd "$(dirname "$0")"
failed=0
skipped=""
times=""
for t in t_*.sh; do
	start=$(date +%s)
	timeout 300 bash "$t"
	rc=$?
	times="$times ${t%.sh}=$(( $(date +%s) - start ))s"
	if [ $rc = 77 ]; then
		skipped="$skipped $t"
	elif [ $rc != 0 ]; then
		echo "FAILED: $t"
		failed=$((failed + 1))
	fi
done
echo "integration: times:$times"
[ -n "$skipped" ] && echo "integration: SKIPPED:$skipped"
[ $failed = 0 ] && echo "integration: all passed" || echo "integration: $failed failed"
exit $((failed > 0))
