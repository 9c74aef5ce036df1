#!/bin/sh
# Fuzzing campaigns, as issue-level promises:
#   - within the model, seeds 1..2000 of each protocol find no violation, and seeds 1..10000
#     reach every reachability mark the protocol owes;
#   - with each bug variant on, seeds 1..1000 find a seed whose violations include the kind that
#     `durasim bugs` says catches it (seeds 1..10000 for config-change-before-term-commit, whose
#     schedule needs two leaders, a crash and two cut-offs in a row; 1..2000 for boot-trusts-fsync,
#     which needs a failed fsync, the replica's process crashing as it reports it, and a retry
#     reaching it once it is back), and `durasim shrink` reduces
#     that seed to a scenario with at most 5 faults whose `durasim run` shows the same kind;
#   - the library runs clean: `durasim run scenarios/` passes.
set -u
. "$(dirname "$0")/lib.sh"

if ! "$DURASIM" run scenarios/ >"$tmp/library" 2>&1; then
    echo "FAIL durasim run scenarios/:"
    grep -v '^PASS' "$tmp/library"
    failed=1
fi

for p in quorum raft; do
    "$DURASIM" fuzz --protocol $p --seeds 1..10000 --coverage >"$tmp/$p" 2>&1
    if grep '^FAIL  seed=' "$tmp/$p" | awk -F'[= ]+' '$3 <= 2000' | grep -q .; then
        echo "FAIL fuzz --protocol $p: seeds of 1..2000 found violations:"
        grep -A2 '^FAIL' "$tmp/$p" | head -20
        failed=1
    fi
    # --coverage counts every mark of the protocol and the world, and says how many were reached:
    # a default campaign of 10,000 seeds reaches every mark it owes.
    summary=$(grep "^coverage: marks reached: [0-9]* of [0-9]* owed" "$tmp/$p")
    if [ -z "$summary" ]; then
        echo "FAIL fuzz --coverage ($p) prints no marks summary"
        failed=1
    elif [ "$(echo "$summary" | awk '{print $4}')" != "$(echo "$summary" | awk '{print $6}')" ]; then
        echo "FAIL fuzz --protocol $p --seeds 1..10000: $summary"
        grep '^coverage: never reached' "$tmp/$p"
        failed=1
    fi
    grep -q "^  $p:" "$tmp/$p" && grep -q "^  world:net.duplicate " "$tmp/$p" ||
        { echo "FAIL fuzz --coverage ($p) does not list its marks and the world's"; failed=1; }
done

"$DURASIM" bugs >"$tmp/bugs" || { echo "FAIL durasim bugs"; exit 1; }
while read -r bug proto kind _rest; do
    seeds=1..1000
    [ "$bug" = config-change-before-term-commit ] && seeds=1..10000
    [ "$bug" = boot-trusts-fsync ] && seeds=1..2000
    "$DURASIM" fuzz --protocol "$proto" --seeds $seeds --bug "$bug" >"$tmp/c-$bug" 2>&1
    seed=$(grep '^FAIL' "$tmp/c-$bug" | grep -- "$kind" | head -1 | sed 's/.*seed=\([0-9]*\).*/\1/')
    if [ -z "$seed" ]; then
        echo "FAIL --bug $bug: no seed in $seeds shows $kind"
        tail -2 "$tmp/c-$bug"
        failed=1
        continue
    fi
    out="$tmp/$bug-min.ini"
    if ! "$DURASIM" shrink --protocol "$proto" --seed "$seed" --bug "$bug" --kind "$kind" \
        -o "$out" >"$tmp/s-$bug" 2>&1; then
        echo "FAIL shrink --bug $bug --seed $seed:"
        tail -5 "$tmp/s-$bug"
        failed=1
        continue
    fi
    faults=$(grep -c '^\[fault' "$out")
    if [ "$faults" -gt 5 ]; then
        echo "FAIL --bug $bug seed $seed shrinks to $faults faults (more than 5)"
        failed=1
    fi
    "$DURASIM" run -v "$out" >"$tmp/r-$bug" 2>&1
    if ! grep -q "^ *$kind:" "$tmp/r-$bug"; then
        echo "FAIL durasim run of the shrunk --bug $bug scenario does not show $kind:"
        cat "$tmp/r-$bug"
        failed=1
    fi
    echo "ok   --bug $bug: seed $seed shows $kind; shrunk to $faults faults"
done <"$tmp/bugs"

[ $failed -eq 0 ] && echo "t_campaigns: ok"
exit $failed
