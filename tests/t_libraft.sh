#!/bin/sh
# The hosted canonical raft (model/libraft/) as a protocol like the others, as issue-level
# promises; skipped when the build left it out (no libraft-dev):
#   - a default campaign, seeds 1..2000, finds only violations that the libraft oracle module
#     attributes to a behaviour of libraft 0.15 itself (each violation's text names it); an
#     unexplained violation is an adapter bug until shown otherwise;
#   - the library's scenarios of the behaviours show them, named;
#   - check-determinism over seeds 1..300.
set -u
. "$(dirname "$0")/lib.sh"

if ! "$DURASIM" protocols | grep -q '^libraft: canonical'; then
    echo "libraft is not in this build (libraft-dev missing)"
    exit 77
fi

"$DURASIM" fuzz --protocol libraft --seeds 1..2000 >"$tmp/fuzz" 2>&1
status=$?
if [ $status -gt 1 ]; then
    fail "fuzz --protocol libraft --seeds 1..2000 exited $status"
    tail -5 "$tmp/fuzz"
fi
seeds=$(sed -n 's/^FAIL  seed=\([0-9]*\) .*/\1/p' "$tmp/fuzz")
for s in $seeds; do
    "$DURASIM" replay --protocol libraft --seed "$s" -v >"$tmp/r-$s" 2>&1
    # Every violation line shown in full names the library behaviour it follows.
    bad=$(grep -E '^      [a-z-]+: ' "$tmp/r-$s" | grep -v -E '^      [a-z-]+: [0-9]+ more$' |
        grep -v -E '^      (expected|writes|work):' | grep -v -E 'libraft 0.15 [a-z-]+ (at|earlier in this run) ')
    if [ -n "$bad" ]; then
        fail "seed $s: a violation no behaviour of libraft 0.15 explains:"
        echo "$bad"
    fi
done
echo "fuzz 1..2000: $(echo "$seeds" | grep -c .) seeds with violations, each explained"

for sc in libraft-ack-beyond-match libraft-install-ack-unstored libraft-commit-earlier-term \
    libraft-self-elect-same-term libraft-vote-twice-for-transferee libraft-stale-leader-kept \
    libraft-vote-refused-by-non-member libraft-config-change-before-term-commit \
    libraft-configuration-differs-from-log libraft-configuration-not-taken; do
    "$DURASIM" run -v "scenarios/$sc.ini" >"$tmp/$sc" 2>&1 || fail "scenario $sc does not pass"
    grep -q -E 'libraft 0.15 [a-z-]+ (at|earlier in this run) ' "$tmp/$sc" ||
        fail "scenario $sc: its violations do not name the library behaviour"
done

"$DURASIM" check-determinism --protocol libraft --seeds 1..300 >"$tmp/det" 2>&1 ||
    { fail "check-determinism --protocol libraft --seeds 1..300"; tail -5 "$tmp/det"; }

[ $failed -eq 0 ] && echo "t_libraft: ok"
exit $failed
