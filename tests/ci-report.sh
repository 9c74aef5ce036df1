#!/bin/sh
# make ci-report: runs the scenario library and a fixed seed range of each protocol with
# --report, then merges everything into out/ci (report.json, junit.xml, summary.md, index.html).
# Exits 0 when every command ran; the exit status of the runs themselves (violations found) is
# what the reports record, and the last line says whether any run failed.
set -u
durasim=${DURASIM:-./durasim}
out=${OUT:-out}
seeds=${SEEDS:-1..500}
mkdir -p "$out"
status=0
step() {
    name=$1
    shift
    "$durasim" "$@" --report "$out/$name" >"$out/$name.log" 2>&1
    s=$?
    tail -n 1 "$out/$name.log"
    case $s in
    0) ;;
    1) failed=1 ;;
    *) echo "ci-report: '$*' exited $s (see $out/$name.log)" >&2; status=$s ;;
    esac
}
failed=0
step scenarios run scenarios/
step fuzz-quorum fuzz --protocol quorum --seeds "$seeds"
step fuzz-raft fuzz --protocol raft --seeds "$seeds"
[ $status -eq 0 ] || exit "$status"
"$durasim" merge "$out/scenarios" "$out/fuzz-quorum" "$out/fuzz-raft" --report "$out/ci" \
    >"$out/merge.log" 2>&1
s=$?
cat "$out/merge.log"
[ $s -le 1 ] || exit "$s"
if [ $failed -eq 1 ]; then
    echo "ci-report: some runs FAILED (findings, see $out/ci/summary.md); reports in $out/ci"
else
    echo "ci-report: every run passed; reports in $out/ci"
fi
exit 0
