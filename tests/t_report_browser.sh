#!/bin/sh
# The HTML report in a real browser: headless Chromium opens the report of a failing
# raft-figure-8 run, steps to the end, and finds the violating operation highlighted and no script
# error (tests/browser/check-viewer.sh). Fails when Chromium is missing; DURASIM_SKIP_BROWSER=1
# skips it (exit 77, which tests/run-all.sh reports as SKIP).
set -u
# The pages and screenshots are kept under out/browser (a CI artifact).
exec sh tests/browser/check-viewer.sh "${DURASIM:-./durasim}" "out/browser${BUILD:+-$(basename "$BUILD")}"
