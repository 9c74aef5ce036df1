#!/bin/sh
# make demo: runs the scenario library and a short fuzz campaign of each protocol (one of them
# with a known bug switched on, so there is a failure to look at) with reports in out/, then
# says where the HTML reports are. Failing scenarios or seeds are findings, not errors of this
# script: it exits 0 when everything ran, and says clearly what failed.
set -u
durasim=${DURASIM:-./durasim}
out=${OUT:-out}
mkdir -p "$out"
findings=""
errors=0
step() {
    name=$1
    shift
    echo "== durasim $* --report $out/$name"
    "$durasim" "$@" --report "$out/$name" >"$out/$name.log" 2>&1
    s=$?
    grep -E '^(scenarios:|fuzz:|report:)' "$out/$name.log"
    case $s in
    0) ;;
    1) findings="$findings $name" ;;
    *) echo "demo: that command exited $s (see $out/$name.log)"; errors=1 ;;
    esac
}
step scenarios run scenarios/
step fuzz-quorum fuzz --protocol quorum --seeds 1..200
step fuzz-raft fuzz --protocol raft --seeds 1..200
step fuzz-quorum-bug fuzz --protocol quorum --seeds 1..200 --bug retry-fsync
echo
echo "demo: open these in a browser (self-contained, no network needed):"
for d in scenarios fuzz-quorum fuzz-raft fuzz-quorum-bug; do
    [ -f "$out/$d/index.html" ] && echo "  $(cd "$out/$d" && pwd)/index.html"
done
[ $errors -eq 0 ] || { echo "demo: some commands did not run (see the logs in $out)"; exit 1; }
if [ -n "$findings" ]; then
    echo "demo: failing runs found in:$findings (findings, not script errors: each report says"
    echo "      what failed and how to replay it)"
else
    echo "demo: every run passed"
fi
exit 0
