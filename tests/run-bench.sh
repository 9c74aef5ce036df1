#!/bin/sh
# Runs every benchmark binary; each prints lines "bench: NAME VALUE UNIT".
set -u
build=${1:-build/release}
status=0
for b in "$build"/tests/bench_*; do
    [ -x "$b" ] || continue
    "$b" || status=1
done
# The reports of a 2,000-seed campaign in which hundreds of seeds fail (quorum, --bug no-dedup).
out=$(mktemp -d)
line=$("$build"/durasim fuzz --protocol quorum --seeds 1..2000 --bug no-dedup --report "$out/r" 2>&1 |
    sed -n 's/^report: .* written in \([0-9.]*\)s$/\1/p')
rm -rf "$out"
if [ -n "$line" ]; then echo "bench: report-write-2000 $line s"; else status=1; fi
exit $status
