#!/bin/sh
# Runs every benchmark binary; each prints lines "bench: NAME VALUE UNIT".
set -u
build=${1:-build/release}
status=0
for b in "$build"/tests/bench_*; do
    [ -x "$b" ] || continue
    "$b" || status=1
done
exit $status
