#!/bin/sh
# tests/libraft-classify.sh SEEDS [FUZZ OPTIONS...] — a campaign of the hosted canonical raft,
# every violation replayed and classified.
#
# Runs `durasim fuzz --protocol libraft --seeds SEEDS`, then replays each failing seed with -v:
# every violation the libraft oracle module explains names the behaviour of libraft 0.15 it
# follows ("libraft 0.15 BEHAVIOUR at ...: what it did"); one that names none is unexplained -
# an adapter bug until shown otherwise. Prints the seeds, the violations by kind, the explained ones by
# behaviour, and every unexplained one with its replay command. Exits 0 when every violation is
# explained, 1 otherwise, 2 on bad usage. DURASIM (default build/release/durasim) is the binary;
# KEEP=FILE keeps every violation line there, each after its seed.
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
[ -n "${KEEP:-}" ] && cp "$tmp/violations" "$KEEP"
total=$(grep -c . "$tmp/violations")
echo "classify: $total violations shown in full, by kind:"
awk '{print $2}' "$tmp/violations" | sort | uniq -c | sed 's/^/  /'
echo "classify: explained, by the behaviour of libraft 0.15 each names (direct: at the positions"
echo "          it counted wrongly; earlier: what those led to):"
sed -n -E 's/.*libraft 0\.15 ([a-z-]+) (at|earlier in this run) .*/\1 \2/p' "$tmp/violations" |
    sed 's/ at$/ (direct)/; s/ earlier in this run$/ (earlier)/' | sort | uniq -c | sed 's/^/  /'
grep -v -E 'libraft 0\.15 [a-z-]+ (at|earlier in this run) ' "$tmp/violations" >"$tmp/unexplained"
n=$(grep -c . "$tmp/unexplained")
echo "classify: $n unexplained"
awk '{print "  durasim replay --protocol libraft --seed " $1 "   # " substr($0, index($0, $2), 120)}' \
    "$tmp/unexplained"
[ "$n" -eq 0 ]
