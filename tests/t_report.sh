#!/bin/sh
# --report at the command line: a 2,000-seed campaign's reports stay small (passing seeds one
# line each, at most 50 failing seeds in full), junit.xml validates, merging the shards of a
# campaign gives the unsharded campaign's runs and latency histogram, merge refuses repeated,
# missing, disagreeing, overlapping and mixed shards (--partial merges them and says so), replay
# writes a report, and bad input exits 2 with a one-line error.
set -u
durasim=${DURASIM:-./durasim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "t_report: FAIL: $*"; exit 1; }

# A 2,000-seed campaign with a bug, so that hundreds of seeds fail.
"$durasim" fuzz --protocol quorum --seeds 1..2000 --bug no-dedup --report "$work/big" \
    >"$work/big.log" 2>&1
[ $? -eq 1 ] || fail "fuzz with --bug no-dedup should fail some seeds"
grep -q '^report: .* written in [0-9.]*s$' "$work/big.log" || fail "no write time printed"
# How fast the reports are written is a benchmark figure (make bench: report-write-2000), not a
# test: a loaded machine must not fail the test suite.
json="$work/big/report.json"
runs=$(grep -c '^        {"name":"seed-' "$json")
[ "$runs" -eq 2000 ] || fail "report.json has $runs run lines, not 2000"
passing_full=$(grep '"verdict":"pass"' "$json" | grep -c '"detail"')
[ "$passing_full" -eq 0 ] || fail "$passing_full passing seeds carry detail"
detailed=$(grep -c '"verdict":"fail".*"detail"' "$json")
[ "$detailed" -eq 50 ] || fail "$detailed failing seeds in full, expected 50"
size=$(du -k "$work/big" | cut -f1)
[ "$size" -lt 8192 ] || fail "reports take ${size} KB"
xmllint --noout --schema reports/schema/junit.xsd "$work/big/junit.xml" ||
    fail "junit.xml of the campaign does not validate"
md=$(wc -c <"$work/big/summary.md")
[ "$md" -lt 1000000 ] || fail "summary.md is $md bytes (CI step summaries take 1 MiB)"

# Shards merge into the unsharded campaign.
"$durasim" fuzz --protocol raft --seeds 1..60 --bug follower-ack-before-fsync --report "$work/all" \
    >/dev/null 2>&1
for k in 1 2 3; do
    "$durasim" fuzz --protocol raft --seeds 1..60 --bug follower-ack-before-fsync --shard "$k/3" \
        --report "$work/shard$k" >/dev/null 2>&1
done
"$durasim" merge "$work/shard1" "$work/shard2" "$work/shard3" --report "$work/merged" \
    >"$work/merge.log" 2>&1
[ $? -eq 1 ] || fail "merge of failing shards should exit 1: $(cat "$work/merge.log")"
runs_of() { grep '^        {"name":"seed-' "$1" | sed 's/"wall_us":[0-9]*,//'; }
runs_of "$work/all/report.json" >"$work/a.txt"
runs_of "$work/merged/report.json" >"$work/m.txt"
cmp -s "$work/a.txt" "$work/m.txt" || fail "merged shards differ from the unsharded campaign"
lat_all=$(grep '^      "latency": ' "$work/all/report.json")
lat_merged=$(grep '^      "latency": ' "$work/merged/report.json")
[ -n "$lat_all" ] && [ "$lat_all" = "$lat_merged" ] ||
    fail "the merged shards' latency histogram differs from the unsharded campaign's"
grep -q '"shards": \["1/3", "2/3", "3/3"\]' "$work/merged/report.json" ||
    fail "merged suite does not list its shards"
xmllint --noout --schema reports/schema/junit.xsd "$work/merged/junit.xml" ||
    fail "merged junit.xml does not validate"

# Merge checks the campaign: a repeated shard, a missing shard, shards of two campaigns,
# shards that disagree on the shard count and overlapping campaigns each exit 2 with one line.
"$durasim" fuzz --protocol raft --seeds 1..60 --bug follower-ack-before-fsync --shard 2/4 \
    --report "$work/other-n" >/dev/null 2>&1
"$durasim" fuzz --protocol quorum --seeds 1..60 --shard 2/3 --report "$work/quorum2" \
    >/dev/null 2>&1
"$durasim" fuzz --protocol raft --seeds 50..70 --bug follower-ack-before-fsync \
    --report "$work/overlap" >/dev/null 2>&1
expect_merge_refused() {
    what=$1
    shift
    "$durasim" merge --report "$work/refused" "$@" >"$work/out" 2>"$work/err"
    status=$?
    [ $status -eq 2 ] || fail "merge $what: exit $status, expected 2: $(cat "$work/out" "$work/err")"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "merge $what: not one line: $(cat "$work/err")"
    grep -q "$what" "$work/err" || fail "merge $what: error does not say it: $(cat "$work/err")"
    [ ! -e "$work/refused/report.json" ] || fail "merge $what: wrote a report"
}
expect_merge_refused "shard 1/3 .* is given twice" "$work/shard1" "$work/shard1" "$work/shard2" \
    "$work/shard3"
expect_merge_refused "lacks shard 2/3 of 3" "$work/shard1" "$work/shard3"
expect_merge_refused "shards of different campaigns" "$work/shard1" "$work/shard3" "$work/quorum2"
expect_merge_refused "disagree on the shard count (3 vs 4)" "$work/shard1" "$work/shard2" \
    "$work/shard3" "$work/other-n"
expect_merge_refused "both ran seed 50 .*overlap" "$work/merged" "$work/overlap"
expect_merge_refused "is given twice" "$work/all" "$work/all"
# --partial merges what is there and says, in every format, what is missing.
"$durasim" merge --partial --report "$work/partial" "$work/shard1" "$work/shard3" \
    >"$work/partial.log" 2>&1
[ $? -eq 1 ] || fail "merge --partial of failing shards should exit 1: $(cat "$work/partial.log")"
grep -q "PARTIAL campaign .*: missing shard 2/3" "$work/partial.log" ||
    fail "merge --partial does not name the missing shard: $(cat "$work/partial.log")"
grep -q '"missing_shards": \["2/3"\]' "$work/partial/report.json" ||
    fail "report.json of a partial merge does not name the missing shard"
grep -q '^  "partial": true,' "$work/partial/report.json" ||
    fail "report.json of a partial merge is not marked partial"
grep -q '<property name="missing_shard" value="2/3"/>' "$work/partial/junit.xml" ||
    fail "junit.xml of a partial merge does not name the missing shard"
grep -q '<testcase name="shard 2/3" .*<skipped ' "$work/partial/junit.xml" ||
    fail "junit.xml of a partial merge does not skip the missing shard"
xmllint --noout --schema reports/schema/junit.xsd "$work/partial/junit.xml" ||
    fail "junit.xml of a partial merge does not validate"
grep -q 'PARTIAL.*missing shard 2/3' "$work/partial/summary.md" ||
    fail "summary.md of a partial merge does not say so"
grep -q '"missing_shards":\["2/3"\]' "$work/partial/index.html" ||
    fail "index.html of a partial merge does not name the missing shard"
# The missing shard, merged in later, makes the campaign whole again.
"$durasim" merge --report "$work/whole" "$work/partial" "$work/shard2" >/dev/null 2>&1
[ $? -eq 1 ] || fail "merging the missing shard into a partial merge should succeed (exit 1)"
runs_of "$work/whole/report.json" >"$work/w.txt"
cmp -s "$work/a.txt" "$work/w.txt" || fail "partial merge + missing shard differ from the campaign"
grep -q '"partial": false' "$work/whole/report.json" || fail "whole campaign still marked partial"

# replay writes a report of its one run.
"$durasim" replay --protocol quorum --seed 5 --report "$work/replay" >/dev/null 2>&1
[ -s "$work/replay/index.html" ] || fail "replay --report wrote no index.html"

# Bad input: exit 2 and one line naming what was wrong.
expect_usage() {
    what=$1
    shift
    "$durasim" "$@" >"$work/out" 2>"$work/err"
    status=$?
    [ $status -eq 2 ] || fail "$what: exit $status, expected 2"
    [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$what: not one line: $(cat "$work/err")"
    grep -q "$what" "$work/err" || fail "$what: error does not name it: $(cat "$work/err")"
}
touch "$work/file"
expect_usage "$work/file/x" run --report "$work/file/x" scenarios/fsync-eio-failover.ini
expect_usage "report DIR is required" merge "$work/all"
expect_usage "$work/nothing" merge "$work/nothing" --report "$work/m2"
echo '{"schema": "other"}' >"$work/bad.json"
expect_usage "not a durasim report" merge "$work/bad.json" --report "$work/m3"
echo "t_report: ok"
