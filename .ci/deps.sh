#!/bin/sh
# Checks the build dependencies with pkg-config; installs the Debian packages when run as root,
# otherwise prints the exact command to run. Arguments: the Debian packages to install.
set -u
missing=""
if ! command -v pkg-config >/dev/null 2>&1; then
    missing="pkg-config"
else
    for p in glib-2.0 cmocka json-glib-1.0; do
        pkg-config --exists "$p" 2>/dev/null || missing="$missing $p"
    done
fi
command -v xmllint >/dev/null 2>&1 || missing="$missing xmllint"
# The browser test of the HTML report drives Debian's headless Chromium; it is installed when we
# can (root), and otherwise that test says how (or is skipped with DURASIM_SKIP_BROWSER=1).
browser=""
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    [ "$(id -u)" = "0" ] && browser="chromium"
fi
if [ -z "$missing" ] && [ -n "$browser" ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing $browser (for the browser test of the HTML report)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends $browser >/tmp/durasim-apt.log 2>&1; then
        apt-get update -q >>/tmp/durasim-apt.log 2>&1
        apt-get install -y -q --no-install-recommends $browser >>/tmp/durasim-apt.log 2>&1 || {
            echo "deps: apt-get install $browser failed; see /tmp/durasim-apt.log" >&2
            exit 1
        }
    fi
    exit 0
fi
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing $* $browser"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "$@" $browser >/tmp/durasim-apt.log 2>&1; then
        apt-get update -q >>/tmp/durasim-apt.log 2>&1
        apt-get install -y -q --no-install-recommends "$@" $browser >>/tmp/durasim-apt.log 2>&1 || {
            echo "deps: apt-get install failed; see /tmp/durasim-apt.log" >&2
            tail -n 20 /tmp/durasim-apt.log >&2
            exit 1
        }
    fi
    exit 0
fi
echo "deps: run as root:  apt-get install -y $*" >&2
exit 1
