#!/bin/sh
# Runs each libFuzzer target of BUILD (built by `make fuzz`) for SECONDS, from its seed corpus
# (added by the target, see tests/fuzz/libfuzzer_init.c) and what earlier runs found
# (BUILD/corpus/NAME). A crash leaves its input as BUILD/crash/NAME-crash-*; once the bug is
# fixed, copy the input to tests/fuzz/regress/NAME/, where `make check` replays it.
# Usage: run.sh BUILD SECONDS. Exits 1 if a target found a crash.
set -u
build=$1
seconds=$2
status=0
mkdir -p "$build/crash"
for t in "$build"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t" | sed 's/^fuzz_//')
    mkdir -p "$build/corpus/$name"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    echo "fuzz: $name for ${seconds}s (corpus $build/corpus/$name, crashes $build/crash/)"
    if ! "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/crash/$name-" $dict "$build/corpus/$name" \
        >"$build/fuzz-$name.log" 2>&1; then
        echo "fuzz: $name FAILED: $(grep -m1 -E 'ERROR|fuzz_scenario:|==ERROR' "$build/fuzz-$name.log")"
        echo "fuzz: log $build/fuzz-$name.log; input in $build/crash/"
        status=1
    fi
    grep -E '^stat::number_of_executed_units|^Done ' "$build/fuzz-$name.log" | sed "s/^/fuzz: $name: /"
done
exit $status
