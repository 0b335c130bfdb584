#!/bin/bash
# run-all.sh: every integration test (tests/integration/t_*.sh), each in its
# own temp dir with its own ports; prints one line per test, exits 1 if any
# failed.
cd "$(dirname "$0")"
failed=0
for t in t_*.sh; do
	if ! timeout 300 bash "$t"; then
		echo "FAILED: $t"
		failed=$((failed + 1))
	fi
done
[ $failed = 0 ] && echo "integration: all passed" || echo "integration: $failed failed"
exit $((failed > 0))
