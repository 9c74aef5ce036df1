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
# The browser test of the HTML report drives Debian's headless Chromium. It is installed when we
# can (root), after the build dependencies and on its own: if it cannot be installed, the build
# and every other test still run, and only that test fails, saying why (DURASIM_SKIP_BROWSER=1
# skips it on purpose).
browser=""
if [ "${DURASIM_SKIP_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1 &&
    ! command -v chromium-browser >/dev/null 2>&1; then
    browser="chromium"
fi
root=0
[ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && root=1

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$@" >>/tmp/durasim-apt.log 2>&1 && return 0
    apt-get update -q >>/tmp/durasim-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "$@" >>/tmp/durasim-apt.log 2>&1
}

# Not root: one line that names every package `make check` needs and is missing here
# (the browser test's included), and how to skip that test instead.
if [ "$root" = "0" ] && { [ -n "$missing" ] || [ -n "$browser" ]; }; then
    pkgs=""
    [ -n "$missing" ] && pkgs="$*"
    [ -n "$browser" ] && pkgs="${pkgs:+$pkgs }$browser"
    [ -n "$missing" ] && echo "deps: missing:$missing${browser:+ $browser}"
    [ -z "$missing" ] && echo "deps: missing: $browser (for the browser test of the HTML report)"
    echo "deps: run as root:  apt-get install -y $pkgs" >&2
    [ -n "$browser" ] &&
        echo "deps: or skip the browser test: DURASIM_SKIP_BROWSER=1 make check" >&2
    [ -n "$missing" ] && exit 1
fi
if [ -n "$missing" ]; then
    echo "deps: missing:$missing"
    echo "deps: installing $*"
    if ! apt_install "$@"; then
        echo "deps: apt-get install failed; see /tmp/durasim-apt.log" >&2
        tail -n 20 /tmp/durasim-apt.log >&2
        exit 1
    fi
fi
# The hosted libraft protocol (model/libraft/) needs canonical raft; it is optional: without it
# the build leaves that protocol out and says so.
if command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists raft 2>/dev/null; then
    if [ "$root" = "1" ]; then
        echo "deps: installing libraft-dev (for the hosted libraft protocol)"
        apt_install libraft-dev ||
            echo "deps: warning: could not install libraft-dev; building without libraft" >&2
    else
        echo "deps: libraft-dev missing: the hosted libraft protocol is not built" \
            "(apt-get install -y libraft-dev)" >&2
    fi
fi
if [ -n "$browser" ] && [ "$root" = "1" ]; then
    echo "deps: installing $browser (for the browser test of the HTML report)"
    apt_install "$browser" ||
        echo "deps: warning: could not install $browser (see /tmp/durasim-apt.log); the browser" \
            "test of the HTML report will fail" >&2
fi
exit 0
