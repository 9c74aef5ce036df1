#!/bin/sh
# The command line of campaigns: bad usage and bad input exit 2 with one line on stderr naming
# the problem; --jobs N prints what --jobs 1 prints; the shards of a campaign together run every
# seed once; replay reproduces a fuzz seed's trace hash; help reads like help.
set -u
. "$(dirname "$0")/lib.sh"

bad() {
    # shellcheck disable=SC2086
    "$DURASIM" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    lines=$(wc -l <"$tmp/err")
    if [ $status -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ]; then
        fail "durasim $*: exit $status, $lines stderr lines (want 2 and one line):"
        cat "$tmp/err" "$tmp/out"
    fi
}
bad fuzz --protocol paxos --seeds 1..2
bad fuzz --seeds 1..2
bad fuzz --protocol raft --seeds 5..1
bad fuzz --protocol raft --seeds 1..x
bad fuzz --protocol raft --shard 3/2
bad fuzz --protocol raft --shard 0/4
bad fuzz --protocol raft --shard 1/0
bad fuzz --protocol raft --time 0s
bad fuzz --protocol raft --jobs 999
bad fuzz --protocol raft --bug no-such-bug
bad fuzz --protocol quorum --bug stale-read
bad replay --protocol quorum --seed 3 --bug stale-read
bad run --bug stale-read scenarios/fsyncgate.ini
bad run --bug no-such-bug scenarios/fsyncgate.ini
bad shrink --bug stale-read scenarios/fsyncgate.ini
bad fuzz --protocol raft --corpus "$tmp/c"
bad fuzz --protocol raft --guided --shard 1/2
bad fuzz --protocol raft --faults sometimes
bad fuzz --protocol raft --no-such-flag
bad replay --protocol raft
bad replay --protocol raft --seed -3
bad replay --seed 3
bad shrink --protocol raft
bad shrink no-such-file.ini
bad shrink --protocol raft --seed 1 --kind no-such-kind
bad check-determinism --protocol raft --seeds 2..1
bad merge
bad merge "$tmp" --report "$tmp/out-report"
bad run no-such-file.ini
bad no-such-command

# A seed without violations has nothing to shrink: bad input, exit 2.
bad shrink --protocol raft --seed 1

# --jobs N prints what --jobs 1 prints (seed order, same verdicts and hashes).
"$DURASIM" fuzz --protocol quorum --seeds 1..300 --bug no-dedup --jobs 1 >"$tmp/j1" 2>/dev/null
"$DURASIM" fuzz --protocol quorum --seeds 1..300 --bug no-dedup --jobs 3 >"$tmp/j3" 2>/dev/null
grep -v '^fuzz: protocol' "$tmp/j1" >"$tmp/j1.cmp"
grep -v '^fuzz: protocol' "$tmp/j3" >"$tmp/j3.cmp"
if ! cmp -s "$tmp/j1.cmp" "$tmp/j3.cmp" || ! grep -q '^FAIL' "$tmp/j1.cmp"; then
    fail "fuzz --jobs 3 does not print what --jobs 1 prints (or found nothing to compare)"
    diff "$tmp/j1.cmp" "$tmp/j3.cmp" | head
fi

# A guided campaign prints what it prints whatever --jobs is; each failing run names a scenario
# file that `durasim run` replays with the run's trace hash; its corpus directory is kept.
for j in 1 3; do
    (cd "$tmp" && "$DURASIM" fuzz --protocol quorum --seeds 1..200 --bug no-dedup --guided \
        --corpus "g$j" --jobs $j 2>/dev/null | grep -v '^fuzz: protocol' | sed "s/g$j/gN/") >"$tmp/guided$j"
done
cmp -s "$tmp/guided1" "$tmp/guided3" && grep -q '^FAIL  run=' "$tmp/guided1" ||
    fail "fuzz --guided --jobs 3 does not print what --jobs 1 prints (or found nothing)"
grep -q '^guided: corpus [1-9]' "$tmp/guided1" || fail "fuzz --guided prints no corpus summary"
ls "$tmp"/g1/id-*.ini >/dev/null 2>&1 || fail "fuzz --guided --corpus kept no scenario file"
line=$(grep -A3 '^FAIL  run=' "$tmp/guided1" | head -4)
file=$(echo "$line" | sed -n 's/.*replay: durasim run //p' | sed "s/gN/g1/")
hash=$(echo "$line" | sed -n 's/.*trace=\([0-9a-f]*\).*/\1/p')
(cd "$tmp" && "$DURASIM" run "$file") | grep -q "trace=$hash" ||
    fail "guided failing run $file does not replay with trace $hash"

# Shards 1/3, 2/3 and 3/3 together fail exactly the seeds the whole campaign fails.
grep '^FAIL' "$tmp/j1" | sort >"$tmp/all"
for k in 1 2 3; do
    "$DURASIM" fuzz --protocol quorum --seeds 1..300 --bug no-dedup --shard $k/3 2>/dev/null |
        grep '^FAIL'
done | sort >"$tmp/shards"
cmp -s "$tmp/all" "$tmp/shards" || fail "the shards of a campaign do not add up to the campaign"

# replay gives the campaign's trace hash for a seed.
line=$(grep '^FAIL' "$tmp/j1" | head -1)
seed=$(echo "$line" | sed 's/.*seed=\([0-9]*\).*/\1/')
hash=$(echo "$line" | sed 's/.*trace=\([0-9a-f]*\).*/\1/')
"$DURASIM" replay --protocol quorum --seed "$seed" --bug no-dedup >"$tmp/replay" 2>&1
grep -q "trace=$hash" "$tmp/replay" || fail "replay of seed $seed does not give trace $hash"
# Exported, the seed runs to the same trace hash.
"$DURASIM" replay --protocol quorum --seed "$seed" --bug no-dedup --export "$tmp/s.ini" >/dev/null
"$DURASIM" run "$tmp/s.ini" >"$tmp/run" 2>&1
grep -q "trace=$hash" "$tmp/run" || fail "the exported seed $seed does not run to trace $hash"

# Help reads like help: every command documents itself.
for c in run list fuzz replay shrink check-determinism merge bugs protocols; do
    "$DURASIM" $c --help >"$tmp/help" 2>&1 || fail "durasim $c --help exits non-zero"
    grep -q "Usage:" "$tmp/help" || fail "durasim $c --help has no usage line"
done
"$DURASIM" --help | grep -q "Exit status" || fail "durasim --help does not explain exit status"

# The protocols of the build, as their descriptors say; an unknown one is bad usage.
"$DURASIM" protocols >"$tmp/protocols" || fail "durasim protocols exits non-zero"
for p in quorum raft; do
    grep -q "^$p: " "$tmp/protocols" || fail "durasim protocols does not list $p"
done
grep -q "delay_spread" "$tmp/protocols" || fail "durasim protocols does not list raft's keys"
"$DURASIM" fuzz --protocol paxos --seeds 1..2 >"$tmp/bad" 2>&1
[ $? -eq 2 ] || fail "fuzz --protocol paxos should exit 2"
grep -q "must be quorum or raft\|must be .*raft" "$tmp/bad" || fail "the error does not name the protocols"

[ $failed -eq 0 ] && echo "t_cli: ok"
exit $failed
