#!/bin/sh
# Determinism: seeds 1..500 of each protocol, and the scenario library, give the same trace hash
# twice in one process, on a thread pool and in a second process (durasim check-determinism).
# Under `make asan` this runs in the ASan/UBSan build too.
set -u
. "$(dirname "$0")/lib.sh"
for p in quorum raft; do
    if ! "$DURASIM" check-determinism --protocol $p --seeds 1..500 --jobs 2; then
        echo "FAIL check-determinism --protocol $p --seeds 1..500"
        failed=1
    fi
done
if ! "$DURASIM" check-determinism scenarios/ --jobs 2; then
    echo "FAIL check-determinism scenarios/"
    failed=1
fi
# The check can fail: a planted difference (item 3 run the second time with another seed) is
# reported with the seed and the first differing trace record, and exits 1.
out=$("$DURASIM" check-determinism --protocol raft --seeds 1..20 --plant-difference 3)
status=$?
if [ $status -ne 1 ] || ! echo "$out" | grep -q '^DIFF  seed=4 ' ||
    ! echo "$out" | grep -q 'first difference at trace record'; then
    echo "FAIL a planted difference was not reported (exit $status):"
    echo "$out"
    failed=1
fi
# Bad input: exit 2 with one line.
for args in "--protocol raft --seeds 5..1" "--protocol paxos --seeds 1..2" "--seeds 1..2" \
    "--protocol raft --seeds 1..2 --jobs 0x" "no-such-file.ini"; do
    # shellcheck disable=SC2086
    "$DURASIM" check-determinism $args >/dev/null 2>"$tmp/err"
    status=$?
    if [ $status -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        echo "FAIL check-determinism $args: exit $status, stderr:"
        cat "$tmp/err"
        failed=1
    fi
done
[ $failed -eq 0 ] && echo "t_determinism: ok"
exit $failed
