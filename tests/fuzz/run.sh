#!/bin/bash
# run.sh fuzz|smoke SECONDS TARGET...: run the libFuzzer harnesses of
# build-fuzz/.  Each target first replays its seeds (tests/fuzz/corpus/T),
# then fuzzes for SECONDS on a work corpus (build-fuzz/corpus/T, seeded
# from the repo's; new finds stay there), then (smoke) replays the seeds in
# the malloc-failure mode (smoke first checks that the seeds are what
# gen_seeds.py makes).  Prints execs and coverage per target; exit 1 on
# the first crash, leak or sanitizer report (the reproducer is kept in
# build-fuzz/crashes/).
mode=$1 secs=$2
shift 2
cd "$(dirname "$0")/../.." || exit 1
mkdir -p build-fuzz/crashes
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# FUZZ_BIN: where the binaries are (a copy lets a long run go on while
# build-fuzz/ is rebuilt).
bin=${FUZZ_BIN:-build-fuzz}
fail=0
if [ "$mode" = smoke ] && ! python3 tests/fuzz/gen_seeds.py --check; then
	echo "FUZZ: the seed corpora are not what tests/fuzz/gen_seeds.py makes"
	exit 1
fi
for t in "$@"; do
	seeds=tests/fuzz/corpus/$t work=build-fuzz/corpus/$t log=$bin/$t.log
	mkdir -p "$work"
	cp -n "$seeds"/* "$work"/ 2>/dev/null
	if ! ./$bin/fuzz_$t -runs=0 "$seeds" >"$log" 2>&1; then
		echo "FUZZ $t: seed replay FAILED (see $log)"; tail -30 "$log"; fail=1; break
	fi
	dict=""
	[ -f tests/fuzz/$t.dict ] && dict=-dict=tests/fuzz/$t.dict
	if ! ./$bin/fuzz_$t -max_total_time="$secs" -max_len=65536 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
	    -artifact_prefix=build-fuzz/crashes/$t- "$work" >>"$log" 2>&1; then
		echo "FUZZ $t: FAILED (see $log)"; tail -40 "$log"; fail=1; break
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
	n=$(ls "$work" | wc -l)
	line="FUZZ $t: ${secs}s, $execs execs, $cov, $ft, corpus $n"
	if [ "$mode" = smoke ] || [ -n "$FUZZ_FAILMALLOC" ]; then
		if ! ./$bin/fm_$t -runs=0 "$seeds" >>"$log" 2>&1; then
			echo "FUZZ $t: malloc-failure mode FAILED (see $log)"; tail -30 "$log"; fail=1; break
		fi
		line="$line, malloc-failure mode over $(ls "$seeds" | wc -l) seeds ok"
	fi
	echo "$line"
done
exit $fail
