#!/bin/sh
# durasim run and durasim list on malformed scenario files: each is refused with exit status
# exactly 2 (not a crash, not a hang) and one line on stderr that names the file and the line
# at fault and the problem. A valid file beside them still runs, so the harness can tell.
set -u
DURASIM=${DURASIM:-build/release/durasim}
case $DURASIM in /*) ;; *) DURASIM="$PWD/$DURASIM" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

header='[scenario]
name = t
summary = s
protocol = quorum'
op='[op a]
at = 0ms
kind = put
key = k
value = 1'

# expect_bad NAME NEEDLE...: `durasim run` of $tmp/NAME exits 2 with one stderr line holding
# every NEEDLE (fixed strings).
expect_bad() {
    file="$tmp/$1"
    shift
    timeout 30 "$DURASIM" run "$file" >"$tmp/out" 2>"$tmp/err"
    status=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$status" -ne 2 ]; then
        echo "FAIL $file: exit status $status, expected 2"
        cat "$tmp/err"
        failed=1
        return
    fi
    if [ "$lines" -ne 1 ]; then
        echo "FAIL $file: $lines lines on stderr, expected 1"
        cat "$tmp/err"
        failed=1
        return
    fi
    for needle in "$@"; do
        if ! grep -qF -- "$needle" "$tmp/err"; then
            echo "FAIL $file: stderr lacks '$needle': $(cat "$tmp/err")"
            failed=1
        fi
    done
    if [ -s "$tmp/out" ]; then
        echo "FAIL $file: printed a result although the file was refused: $(cat "$tmp/out")"
        failed=1
    fi
}

printf '%s\nduration = 5 ms\n%s\n' "$header" "$op" >"$tmp/duration.ini"
expect_bad duration.ini "$tmp/duration.ini:5:" "[scenario] duration" "'5 ms'"

printf '%s\n[cluster]\nnodes = 3\nnode = 4\n%s\n' "$header" "$op" >"$tmp/cluster-key.ini"
expect_bad cluster-key.ini "$tmp/cluster-key.ini:7:" "[cluster] node: unknown key"

printf '%s\n%s\nthis line has no equals sign\n' "$header" "$op" >"$tmp/not-key-value.ini"
expect_bad not-key-value.ini "$tmp/not-key-value.ini:10:" "not KEY = VALUE"

printf '%s\n%s\n[fault f]\nat = 1ms\nkind = crash\nnode = r9\n' "$header" "$op" >"$tmp/node.ini"
expect_bad node.ini "$tmp/node.ini:13:" "[fault f] node" "'r9'"

printf '%s\n%s\n[fault f]\nat = 1ms\nkind = fsync-error\nnode = c1\n' "$header" "$op" \
    >"$tmp/client-disk.ini"
expect_bad client-disk.ini "$tmp/client-disk.ini:13:" "'c1' is a client"

printf '%s\n%s\n[expect]\nviolations = none, lost-ack\n' "$header" "$op" >"$tmp/violations.ini"
expect_bad violations.ini "$tmp/violations.ini:11:" "[expect] violations"

printf '%s\n%s\n%s\n' "$header" "$op" "$op" >"$tmp/twice.ini"
expect_bad twice.ini "$tmp/twice.ini:10:" "group [op a] appears twice"

printf '%s\n[cluster]\nreplicas = 3\nwrite_quorum = 4\n%s\n' "$header" "$op" >"$tmp/w.ini"
expect_bad w.ini "$tmp/w.ini:7:" "write_quorum"

# No vacuous pass: a scenario that exercises nothing is bad input, with or without [expect],
# and as the writer spells it (ops=0 under [workload]).
printf '%s\n[expect]\n' "$header" >"$tmp/empty-expect.ini"
expect_bad empty-expect.ini "$tmp/empty-expect.ini:1:" "exercises nothing"
printf '%s\n[workload]\nclients=1\nops=0\n' "$header" >"$tmp/ops-zero.ini"
expect_bad ops-zero.ini "$tmp/ops-zero.ini:7:" "[workload] ops: the scenario exercises nothing"

# Not text: NUL bytes and invalid UTF-8.
printf '\177ELF\002\001\001\000\000\000\377\376[scenario]\n' >"$tmp/binary.ini"
expect_bad binary.ini "$tmp/binary.ini:" "not a text file"

: >"$tmp/empty.ini"
expect_bad empty.ini "$tmp/empty.ini:" "no [scenario] group"

# Two megabytes: refused by size before it is read.
{
    printf '%s\n%s\n' "$header" "$op"
    i=0
    while [ $i -lt 32 ]; do
        head -c 65536 /dev/zero | tr '\0' '#'
        printf '\n'
        i=$((i + 1))
    done
} >"$tmp/huge.ini"
expect_bad huge.ini "$tmp/huge.ini:" "at most 1048576 bytes (1 MiB)"

# A device is not a scenario file, and must not be read forever.
timeout 30 "$DURASIM" run /dev/zero >/dev/null 2>"$tmp/err"
status=$?
if [ $status -ne 2 ] || ! grep -qF "/dev/zero: not a regular file" "$tmp/err"; then
    echo "FAIL run /dev/zero: exit status $status: $(cat "$tmp/err")"
    failed=1
fi

# A folder with one bad file among good ones: nothing runs, the bad file is named.
mkdir "$tmp/lib"
printf '%s\n%s\n' "$header" "$op" >"$tmp/lib/a-good.ini"
printf '%s\n%s\n[fault f]\nat = 0ms\nkind = explode\n' "$header" "$op" >"$tmp/lib/b-bad.ini"
timeout 30 "$DURASIM" run "$tmp/lib" >"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
    ! grep -qF "$tmp/lib/b-bad.ini:12: [fault f] kind: unknown fault kind 'explode'" "$tmp/err"; then
    echo "FAIL run of a folder with a bad file: exit status $status: $(cat "$tmp/err")"
    failed=1
fi
timeout 30 "$DURASIM" list "$tmp/lib" >"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -ne 2 ] || ! grep -qF "$tmp/lib/b-bad.ini:12:" "$tmp/err"; then
    echo "FAIL list of a folder with a bad file: exit status $status: $(cat "$tmp/err")"
    failed=1
fi

# The good file alone runs and passes: the refusals above are the files' fault, not the harness's.
timeout 60 "$DURASIM" run "$tmp/lib/a-good.ini" >"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -ne 0 ]; then
    echo "FAIL run of a valid file: exit status $status: $(cat "$tmp/err" "$tmp/out")"
    failed=1
fi

[ $failed -eq 0 ] && echo "t_scenario_cli: ok"
exit $failed
