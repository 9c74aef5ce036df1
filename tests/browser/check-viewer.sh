#!/bin/sh
# tests/browser/check-viewer.sh — opens the index.html of a failing run in headless Chromium at
# 1400 pixels, lets the page step to the last event by itself (#step=end), and checks from the
# DOM that the page drew without any script error, reached the last step, highlights the
# violating operation (its row in the operations table, and hot events in the diagram), draws
# the run's latency and throughput plots with its fault windows, and fits the five-node diagram
# without sideways scrolling or labels past its edge; then follows a #run=..&step=7 link, and
# loads a passing campaign's page and finds its dashboard drawn (heat map, CDF,
# distributions). Keeps the pages and screenshots in OUTDIR.
#
# Usage: check-viewer.sh DURASIM OUTDIR   (exit 0 = pass, 1 = fail, 77 = skipped because
# DURASIM_SKIP_BROWSER=1)
set -u
durasim=$1
out=$2
fail() { echo "browser: FAIL: $*"; exit 1; }

if [ "${DURASIM_SKIP_BROWSER:-0}" = "1" ]; then
    echo "SKIP browser test (DURASIM_SKIP_BROWSER=1)"
    exit 77
fi
browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    fail "chromium is not installed (apt-get install chromium, or make deps as root;" \
         "DURASIM_SKIP_BROWSER=1 skips this test)"
fi

# The violating run: the Figure 8 scenario with its bug when the library has it.
if [ -f scenarios/raft-figure-8-bug.ini ]; then
    set -- scenarios/raft-figure-8-bug.ini
    run=raft-figure-8-bug
else
    set -- --bug retry-fsync scenarios/fsync-eio-failover.ini
    run=fsync-eio-failover
fi
rm -rf "$out"
mkdir -p "$out"
"$durasim" run "$@" --report "$out/report" >"$out/run.log" 2>&1
status=$?
[ $status -le 1 ] || fail "durasim run exited $status (see $out/run.log)"
[ -f "$out/report/index.html" ] || fail "no index.html written"

# The violating operation's label, from report.json.
label=$(grep -o '{"id":[0-9]*,"label":"[^"]*","client":"[^}]*"violating":true}' \
            "$out/report/report.json" | head -n 1 | sed 's/^{"id":[0-9]*,"label":"\([^"]*\)".*/\1/')
[ -n "$label" ] || fail "report.json names no violating operation for $run"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
url="file://$(cd "$out/report" && pwd)/index.html#run=$run&step=end"
flags="--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --disable-extensions
       --disable-dev-shm-usage --enable-logging=stderr --v=0 --virtual-time-budget=5000"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --user-data-dir="$profile/a" --window-size=1400,1000 \
    --dump-dom "$url" \
    >"$out/dom.html" 2>"$out/chromium-dom.log" || fail "chromium --dump-dom failed" \
    "(see $out/chromium-dom.log)"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --user-data-dir="$profile/b" --window-size=1400,1000 \
    --screenshot="$out/viewer.png" "$url" >/dev/null 2>"$out/chromium-shot.log" ||
    fail "chromium --screenshot failed (see $out/chromium-shot.log)"

body=$(grep -o '<body[^>]*>' "$out/dom.html" | head -n 1)
echo "browser: $body"
echo "$body" | grep -q 'data-ready="1"' || fail "the page's script did not finish"
echo "$body" | grep -q 'data-errors="0"' || fail "the page recorded script errors:" \
    "$(grep -o '<pre id="errors"[^<]*' "$out/dom.html")"
if grep -q 'Uncaught' "$out/chromium-dom.log" "$out/chromium-shot.log"; then
    fail "chromium logged an uncaught error: $(grep -h 'Uncaught' "$out"/chromium-*.log | head -n 1)"
fi
step=$(echo "$body" | sed -n 's/.*data-step="\([0-9]*\)".*/\1/p')
steps=$(echo "$body" | sed -n 's/.*data-steps="\([0-9]*\)".*/\1/p')
[ -n "$step" ] && [ "$step" = "$steps" ] || fail "the page is at step '$step' of '$steps', not the end"
echo "$body" | grep -q "data-run=\"$run\"" || fail "the page shows another run than $run"
grep -q "<tr class=\"op violating\" data-op=\"$label\">" "$out/dom.html" ||
    fail "operation $label is not highlighted as violating"
hot=$(grep -o '<g class="ev [^"]* hot[^"]*"' "$out/dom.html" | grep -cv future)
[ "$hot" -gt 0 ] || fail "no event of the violating operation is highlighted at the last step"
# The run's plots over simulated time: latency points tied to their steps, throughput, and the
# fault windows shaded.
grep -q '<svg class="plot latency"' "$out/dom.html" || fail "no latency plot for $run"
grep -q '<svg class="plot rate"' "$out/dom.html" || fail "no throughput plot for $run"
grep -q '<g class="fault">' "$out/dom.html" || fail "no fault window on the plots of $run"
grep -q '<circle class="pt o-[a-z]*" [^>]*data-step="[0-9]' "$out/dom.html" ||
    fail "no plotted operation leads to its step"

# The five-node diagram fits a 1400-pixel window: no sideways scroll, no label past its edge.
echo "$body" | grep -q 'data-hscroll="0"' || fail "the diagram scrolls sideways at 1400 px"
echo "$body" | grep -q 'data-cut-labels="0"' || fail "labels run past the diagram's edge:" \
    "$(echo "$body" | grep -o 'data-cut-labels="[0-9]*"')"
[ -s "$out/viewer.png" ] || fail "no screenshot"

# A link to a run and a step opens there, and the page keeps the URL in step.
url7="file://$(cd "$out/report" && pwd)/index.html#run=$run&step=7"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --user-data-dir="$profile/c" --window-size=1400,1000 \
    --dump-dom "$url7" >"$out/dom7.html" 2>"$out/chromium-dom7.log" ||
    fail "chromium --dump-dom of $url7 failed (see $out/chromium-dom7.log)"
body7=$(grep -o '<body[^>]*>' "$out/dom7.html" | head -n 1)
echo "$body7" | grep -q 'data-step="7"' || fail "#run=$run&step=7 did not open step 7: $body7"
echo "$body7" | grep -q "data-url=\"#run=$run&amp;step=7\"" ||
    fail "the URL does not carry the run and step: $body7"
# A passing campaign's page: the dashboard's heat maps, bars and latency CDF are drawn, and the
# page's script runs without error.
"$durasim" fuzz --protocol quorum --seeds 1..100 --report "$out/campaign" >"$out/campaign.log" 2>&1 ||
    fail "the clean campaign failed (see $out/campaign.log)"
curl="file://$(cd "$out/campaign" && pwd)/index.html"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --user-data-dir="$profile/d" --window-size=1400,1000 \
    --dump-dom "$curl" >"$out/dom-campaign.html" 2>"$out/chromium-campaign.log" ||
    fail "chromium --dump-dom of the campaign failed (see $out/chromium-campaign.log)"
cbody=$(grep -o '<body[^>]*>' "$out/dom-campaign.html" | head -n 1)
echo "$cbody" | grep -q 'data-ready="1"' || fail "the campaign page's script did not finish"
echo "$cbody" | grep -q 'data-errors="0"' || fail "the campaign page recorded script errors"
cells=$(grep -o '<g class="cell' "$out/dom-campaign.html" | wc -l)
[ "$cells" -gt 10 ] || fail "the campaign page draws $cells heat-map cells"
grep -q '<svg class="plot cdf"' "$out/dom-campaign.html" || fail "no latency CDF on the campaign page"
grep -q '<svg class="bars fs"' "$out/dom-campaign.html" ||
    fail "no file-system profile distribution on the campaign page"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --user-data-dir="$profile/e" --window-size=1400,2400 \
    --screenshot="$out/campaign.png" "$curl" >/dev/null 2>"$out/chromium-campaign-shot.log" ||
    fail "chromium --screenshot of the campaign failed"
echo "browser: ok: campaign dashboard ($cells heat-map cells, CDF, distributions)"
echo "browser: ok: $run at step $step/$steps, operation $label highlighted ($hot hot events);" \
     "screenshot $out/viewer.png"
