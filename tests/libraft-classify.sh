#!/bin/sh
# tests/libraft-classify.sh SEEDS [FUZZ OPTIONS...] — a campaign of the hosted canonical raft,
# every violation replayed and classified.
#
# Runs `durasim fuzz --protocol libraft --seeds SEEDS`, then replays each failing seed with -v:
# every violation the libraft oracle module explains names the behaviour of libraft 0.15 it
# follows ("libraft 0.15 at ...: <behaviour>"); one that names none is unexplained - an adapter
# bug until shown otherwise. Prints the seeds, the violations by kind, the explained ones by
# behaviour, and every unexplained one with its replay command. Exits 0 when every violation is
# explained, 1 otherwise, 2 on bad usage. DURASIM (default build/release/durasim) is the binary.
#
#   sh tests/libraft-classify.sh 1..100000
set -u
[ $# -ge 1 ] || { echo "usage: $0 SEEDS [FUZZ OPTIONS...]" >&2; exit 2; }
seeds=$1
shift
DURASIM=${DURASIM:-build/release/durasim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$DURASIM" fuzz --protocol libraft --seeds "$seeds" "$@" >"$tmp/fuzz" 2>&1
status=$?
if [ $status -gt 1 ]; then
    echo "classify: durasim fuzz exited $status:" >&2
    tail -5 "$tmp/fuzz" >&2
    exit 2
fi
grep '^fuzz:' "$tmp/fuzz"
for s in $(sed -n 's/^FAIL  seed=\([0-9]*\) .*/\1/p' "$tmp/fuzz"); do
    "$DURASIM" replay --protocol libraft --seed "$s" "$@" -v 2>&1 |
        grep -E '^      [a-z-]+: ' | grep -v -E '^      [a-z-]+: [0-9]+ more$' |
        grep -v -E '^      (expected|writes|work):' | sed "s/^      /$s /"
done >"$tmp/violations"
total=$(grep -c . "$tmp/violations")
echo "classify: $total violations shown in full, by kind:"
awk '{print $2}' "$tmp/violations" | sort | uniq -c | sed 's/^/  /'
echo "classify: explained, by the behaviour of libraft 0.15 named first:"
grep -o -E 'libraft 0.15 (at|earlier in this run)[^:]*\): [a-zA-Z]+ [a-zA-Z]+ [a-zA-Z]+ [a-zA-Z]+' \
    "$tmp/violations" | sed 's/.*): //' | sort | uniq -c | sed 's/^/  /'
grep -v -E 'libraft 0.15 (at|earlier in this run)' "$tmp/violations" >"$tmp/unexplained"
n=$(grep -c . "$tmp/unexplained")
echo "classify: $n unexplained"
awk '{print "  durasim replay --protocol libraft --seed " $1 "   # " substr($0, index($0, $2), 120)}' \
    "$tmp/unexplained"
[ "$n" -eq 0 ]
