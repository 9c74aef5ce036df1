#!/bin/sh
# Runs every test: the cmocka binaries, then the shell-level tests (tests/t_*.sh), which get the
# build folder and the durasim binary to use. Prints a summary; exits 1 if anything failed.
set -u
build=${1:-build/release}
bin="$build/durasim"
failed=""
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
    if ! DURASIM="$bin" BUILD="$build" sh "$t" >"$build/tests/$name.log" 2>&1; then
        echo "FAIL $name (log: $build/tests/$name.log)"
        tail -n 30 "$build/tests/$name.log"
        failed="$failed $name"
    else
        echo "ok   $name"
    fi
done
if [ -n "$failed" ]; then
    echo "tests: $count run, failed:$failed"
    exit 1
fi
echo "tests: $count run, all passed"
