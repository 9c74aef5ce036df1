#!/bin/sh
# Runs every test: the cmocka binaries, then the shell-level tests (tests/t_*.sh), which get the
# build folder and the durasim binary to use. A test that exits 77 was skipped (it says why on
# its last line) and reads SKIP, not ok. Prints a summary; exits 1 if anything failed.
set -u
# Every run of the tests checks every invariant (protocol, disk, queue): see --check-invariants.
export DURASIM_CHECK_INVARIANTS=1
build=${1:-build/release}
bin="$build/durasim"
failed=""
skipped=""
count=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    count=$((count + 1))
    name=$(basename "$t")
    if ! "$t" >"$build/tests/$name.log" 2>&1; then
        echo "FAIL $name (log: $build/tests/$name.log)"
        tail -n 30 "$build/tests/$name.log"
        failed="$failed $name"
    else
        echo "ok   $name"
    fi
done
for t in tests/t_*.sh; do
    [ -f "$t" ] || continue
    count=$((count + 1))
    name=$(basename "$t" .sh)
    DURASIM="$bin" BUILD="$build" sh "$t" >"$build/tests/$name.log" 2>&1
    status=$?
    if [ $status -eq 77 ]; then
        echo "SKIP $name: $(tail -n 1 "$build/tests/$name.log")"
        skipped="$skipped $name"
    elif [ $status -ne 0 ]; then
        echo "FAIL $name (log: $build/tests/$name.log)"
        tail -n 30 "$build/tests/$name.log"
        failed="$failed $name"
    else
        echo "ok   $name"
    fi
done
note=""
[ -n "$skipped" ] && note=" (skipped:$skipped)"
if [ -n "$failed" ]; then
    echo "tests: $count run, failed:$failed$note"
    exit 1
fi
if [ -n "$skipped" ]; then
    echo "tests: $count run, all others passed$note"
else
    echo "tests: $count run, all passed"
fi
