#!/bin/sh
# Golden traces: the full trace of a few protocol corner cases (tests/golden/NAME.trace, from
# scenarios/NAME.ini), stamped with simulated time. Any change in what the protocols or the world
# do shows up here as a diff to review; after an intended change, `make golden` rewrites them and
# the diff goes into the commit.
set -u
. "$(dirname "$0")/lib.sh"
count=0
for golden in tests/golden/*.trace; do
    name=$(basename "$golden" .trace)
    count=$((count + 1))
    "$DURASIM" run --trace "scenarios/$name.ini" >"$tmp/$name.trace" 2>&1
    if ! cmp -s "$golden" "$tmp/$name.trace"; then
        echo "FAIL $name: the trace differs from $golden (review, then 'make golden'):"
        diff -u "$golden" "$tmp/$name.trace" | head -20
        failed=1
    fi
done
if [ $count -eq 0 ]; then
    echo "FAIL no golden traces in tests/golden"
    failed=1
fi
[ $failed -eq 0 ] && echo "t_golden: ok ($count traces)"
exit $failed
