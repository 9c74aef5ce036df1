#!/bin/sh
# The scenario library's stories, checked by what their runs print:
#   - every bug variant of `durasim bugs` has a library scenario that switches it on and shows
#     the violation kind the catalogue names; the same scenario without the bug does not show it;
#   - raft-batching: 64 writers share fsyncs (fewer fsyncs than acked writes), and with batching
#     off the same story sends more messages;
#   - raft-write-contract: a follower answers NotLeader with a hint to the leader;
#   - nwr-no-overlap reads stale data (W + R <= N), nwr-overlap does not.
set -u
. "$(dirname "$0")/lib.sh"

"$DURASIM" bugs >"$tmp/bugs" || fail "durasim bugs"
while read -r bug _proto kind _rest; do
    file=$(grep -l "^bugs *= *$bug *\$" scenarios/*.ini | head -1)
    if [ -z "$file" ]; then
        fail "no library scenario switches on bug $bug"
        continue
    fi
    "$DURASIM" run -v "$file" >"$tmp/with" 2>&1
    grep -q "^ *$kind:" "$tmp/with" || fail "$file (bug $bug) does not show $kind"
    # The same story with the correct code: no bug, no expectations.
    sed -e '/^bugs *=/d' -e '/^\[expect\]/,$d' "$file" >"$tmp/without.ini"
    "$DURASIM" run -v "$tmp/without.ini" >"$tmp/without" 2>&1
    if grep -q "^ *$kind:" "$tmp/without"; then
        fail "$file without bug $bug still shows $kind:"
        cat "$tmp/without"
    fi
done <"$tmp/bugs"

fsyncs() { sed -n 's/.* \([0-9][0-9]*\) fsyncs.*/\1/p' "$1"; }
acked() { sed -n 's/.*writes: \([0-9][0-9]*\) acked.*/\1/p' "$1"; }
"$DURASIM" run -v scenarios/raft-batching.ini >"$tmp/batch" 2>&1 || fail "raft-batching fails"
f=$(fsyncs "$tmp/batch")
a=$(acked "$tmp/batch")
if [ -z "$f" ] || [ -z "$a" ] || [ "$a" -lt 64 ] || [ "$f" -ge "$a" ]; then
    fail "raft-batching: $f fsyncs for $a acked writes (want fewer fsyncs than writes)"
fi
# With batching off, the fsyncs still coalesce (one fsync covers every append before it), but each
# proposal is broadcast on its own: more messages for the same writes.
msgs() { sed -n 's/.*events; \([0-9][0-9]*\) messages.*/\1/p' "$1"; }
sed -e 's/^batch.entries *=.*/batch.entries = 1/' -e 's/^batch.delay *=.*/batch.delay = 0ms/' \
    scenarios/raft-batching.ini >"$tmp/nobatch.ini"
"$DURASIM" run -v "$tmp/nobatch.ini" >"$tmp/nobatch" 2>&1
m=$(msgs "$tmp/batch")
m1=$(msgs "$tmp/nobatch")
if [ -z "$m" ] || [ -z "$m1" ] || [ "$m1" -le "$m" ]; then
    fail "raft-batching: $m messages with batching, $m1 without (want more without)"
fi

"$DURASIM" run --trace scenarios/raft-write-contract.ini >"$tmp/contract" 2>&1
grep -q 'response fail not-leader .*hint=n' "$tmp/contract" ||
    fail "raft-write-contract: no NotLeader answer with a leader hint in the trace"

"$DURASIM" run -v scenarios/nwr-no-overlap.ini >"$tmp/no" 2>&1
"$DURASIM" run -v scenarios/nwr-overlap.ini >"$tmp/yes" 2>&1
grep -q 'stale: [1-9]' "$tmp/no" || fail "nwr-no-overlap: no stale read"
grep -q 'stale: 0;' "$tmp/yes" || fail "nwr-overlap: a stale read"

[ $failed -eq 0 ] && echo "t_library: ok"
exit $failed
