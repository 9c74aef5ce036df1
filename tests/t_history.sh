#!/bin/sh
# `durasim check-history` on recorded histories with known verdicts: every history in
# tests/histories (or the folder $HISTORIES names, laid out the same way: kv/*-ok.txt and
# kv/*-bad.txt, etcd/*.log with etcd/VERDICTS) gets its recorded verdict, with the format and the
# model given and inferred; the verdict line and the exit status are as documented; a budget too
# small gives unknown; bad input of every kind exits 2 with one line naming the file and line.
set -u
. "$(dirname "$0")/lib.sh"

histories=${HISTORIES:-tests/histories}
line_re='^history: [^ ]* \(linearizable\|not-linearizable\|unknown\) [0-9][0-9]* ops [0-9.]* s'

# expect FILE VERDICT ARGS...: the one verdict line says VERDICT, with the exit status it calls for.
expect() {
    file=$1
    want=$2
    shift 2
    "$DURASIM" check-history "$@" "$file" >"$tmp/out" 2>"$tmp/err"
    status=$?
    case $want in linearizable) want_status=0 ;; *) want_status=1 ;; esac
    got=$(sed -n 's/^history: [^ ]* \([a-z-]*\) .*/\1/p' "$tmp/out")
    if [ "$got" != "$want" ] || [ $status -ne $want_status ] || [ "$(wc -l <"$tmp/out")" -ne 1 ] ||
        ! grep -q "$line_re" "$tmp/out"; then
        fail "check-history $* $file: '$got' exit $status (want '$want' exit $want_status):"
        cat "$tmp/out" "$tmp/err"
    fi
}

n=0
for f in "$histories"/kv/*.txt; do
    [ -f "$f" ] || continue
    case $f in *-ok.txt) want=linearizable ;; *-bad.txt) want=not-linearizable ;; *) continue ;; esac
    expect "$f" $want --model kv --format jepsen-edn
    expect "$f" $want
    n=$((n + 1))
done
while read -r name want; do
    [ -n "$name" ] || continue
    expect "$histories/etcd/$name" "$want" --model cas-register --format jepsen-log
    expect "$histories/etcd/$name" "$want"
    n=$((n + 1))
done <"$histories/etcd/VERDICTS"
[ $n -ge 16 ] || fail "only $n histories with verdicts in $histories"

# A not-linearizable verdict names the longest linearizable prefix and the operation that
# breaks it, by line.
"$DURASIM" check-history --model kv "$histories/kv/c01-bad.txt" >"$tmp/out" 2>&1
grep -q 'longest linearizable prefix: lines 1-[0-9]*; first operation that breaks it: line [0-9]*' \
    "$tmp/out" || {
    fail "not-linearizable without the prefix and the breaking operation:"
    cat "$tmp/out"
}

# Several files: one line each, exit 1 when any is not linearizable, 0 when all are.
"$DURASIM" check-history "$histories"/kv/c01-ok.txt "$histories"/kv/c10-ok.txt >"$tmp/out" 2>&1 ||
    fail "two linearizable files: exit $?"
[ "$(grep -c "$line_re" "$tmp/out")" -eq 2 ] || fail "two files, not two verdict lines"
"$DURASIM" check-history "$histories"/kv/c01-ok.txt "$histories"/kv/c01-bad.txt >/dev/null 2>&1
[ $? -eq 1 ] || fail "a not-linearizable file among two: exit not 1"

# A budget too small to decide gives unknown (exit 1), never a wrong verdict or a crash.
expect "$histories/etcd/etcd_002.log" unknown --budget 100
expect "$histories/etcd/etcd_002.log" unknown --budget 64KB
expect "$histories/etcd/etcd_002.log" linearizable --budget 50M --budget 1GiB

# Bad input and bad usage: exit 2, one line on stderr naming what was wrong, nothing on stdout.
bad() {
    want=$1
    shift
    "$DURASIM" check-history "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ $status -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ -s "$tmp/out" ] ||
        ! grep -q -- "$want" "$tmp/err"; then
        fail "check-history $*: exit $status (want 2, one line with '$want'):"
        cat "$tmp/err" "$tmp/out"
    fi
}
printf '{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write\n' \
    >"$tmp/malformed.edn"
printf '{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :done, :f :write}\n' \
    >"$tmp/type.edn"
printf '{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :invoke, :f :read}\n' \
    >"$tmp/twice.edn"
printf '{"process": 0, "type": "invoke", "f": "write", "value": 1}\n{"process": 0, "type": "ok"\n' \
    >"$tmp/malformed.json"
printf 'INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2\n' >"$tmp/malformed.log"
printf 'hello, world\n' >"$tmp/prose.txt"
printf '{:process 0, :type :invoke, :f :frob, :value 1}\n{:process 0, :type :ok, :f :frob}\n' \
    >"$tmp/frob.edn"
: >"$tmp/empty.edn"
printf '\001\002\377\376{{{{\n' >"$tmp/binary.edn"
bad "$tmp/malformed.edn:2:" "$tmp/malformed.edn"
bad "$tmp/type.edn:2:" "$tmp/type.edn"
bad "$tmp/twice.edn:2:" "$tmp/twice.edn"
bad "$tmp/malformed.json:2:" "$tmp/malformed.json"
bad "$tmp/malformed.json:1:" --format jepsen-edn "$tmp/malformed.json"
bad "$tmp/malformed.log:1:" "$tmp/malformed.log"
bad "$tmp/prose.txt:1:" "$tmp/prose.txt"
bad "$tmp/frob.edn" "$tmp/frob.edn"
bad "$tmp/frob.edn:1:" --model register "$tmp/frob.edn"
bad "$tmp/empty.edn" "$tmp/empty.edn"
bad "$tmp/binary.edn:1:" --format jepsen-edn "$tmp/binary.edn"
bad "no-such-file" "$tmp/no-such-file"
bad "unknown format 'yaml'" --format yaml "$histories/kv/c01-ok.txt"
bad "unknown model 'queue'" --model queue "$histories/kv/c01-ok.txt"
bad "c01-ok.txt:1: :append is not an operation of the register model" --model register \
    "$histories/kv/c01-ok.txt"
bad "budget 'lots'" --budget lots "$histories/kv/c01-ok.txt"
bad "budget '0'" --budget 0 "$histories/kv/c01-ok.txt"
bad "budget '5TB'" --budget 5TB "$histories/kv/c01-ok.txt"
bad "budget '99999999999999999999'" --budget 99999999999999999999 "$histories/kv/c01-ok.txt"
bad "/dev/null/x" /dev/null/x
bad "at least one history" --model kv
bad "no-such-flag" --no-such-flag "$histories/kv/c01-ok.txt"

# --report DIR: one self-contained page (no script, nothing fetched) that draws each history,
# with its linearization and the operation that breaks it.
"$DURASIM" check-history --report "$tmp/view" "$histories/etcd/etcd_000.log" \
    "$histories/kv/c01-ok.txt" >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "check-history --report with a not-linearizable file: not exit 1"
page="$tmp/view/index.html"
if ! grep -q '^report: .*index.html' "$tmp/out" || [ "$(grep -c '<svg' "$page")" -lt 2 ] ||
    ! grep -q "class='bad'.*line 85, process 11, :read" "$page" ||
    grep -q -i '<script\|src=.http\|href=.http' "$page"; then
    fail "check-history --report: the page does not show both histories and the failure"
fi

# Both ways: run and replay write their client history (--history-out), and check-history with
# durasim's own model gives the verdict of durasim's linearizability oracle, on every scenario
# of the library and on fuzz seeds with and without a bug that breaks linearizability.
agree() {
    what=$1
    shift
    lin=$("$DURASIM" "$@" -v --history-out "$tmp/own.edn" 2>&1 |
        sed -n 's/.*linearizability: \([a-z]*\).*/\1/p')
    got=$("$DURASIM" check-history --model durasim-kv "$tmp/own.edn" 2>&1 | awk '{print $3}')
    case $lin:$got in
    ok:linearizable | violation:not-linearizable) ;;
    not:*) return ;; # not-applicable: a multi-value store's gets (resolution = vclock)
    *) fail "$what: durasim's oracle says '$lin', check-history says '$got'" ;;
    esac
    echo "$lin" >>"$tmp/verdicts"
}
for f in scenarios/*.ini; do
    agree "$f" run "$f"
done
for seed in 1 2 3 4 5 6 7 8; do
    agree "replay raft $seed" replay --protocol raft --seed $seed
    agree "replay quorum $seed" replay --protocol quorum --seed $seed
done
agree "replay raft stale-read 6" replay --protocol raft --bug stale-read --seed 6
grep -q violation "$tmp/verdicts" || fail "no run with a linearizability violation was compared"
# The same run writes the same file.
"$DURASIM" replay --protocol raft --seed 3 --history-out "$tmp/a.edn" >/dev/null 2>&1
"$DURASIM" replay --protocol raft --seed 3 --history-out "$tmp/b.edn" >/dev/null 2>&1
cmp -s "$tmp/a.edn" "$tmp/b.edn" || fail "replay --history-out differs between two runs"
# --history-out takes one scenario and a file it can write.
"$DURASIM" run --history-out "$tmp/x.edn" scenarios/ >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "run --history-out with a folder: not exit 2"
"$DURASIM" run --history-out /dev/null/x scenarios/fsyncgate.ini >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "history-out" "$tmp/err" || fail "run --history-out /dev/null/x: not exit 2"

exit $failed
