#!/bin/sh
# make deps as a user who is not root (.ci/deps.sh, with `id` answering a user id and a PATH that
# holds only what each case has installed): the apt-get line it prints names every missing
# package, Chromium for the browser test included, and says how to skip that test; with
# DURASIM_SKIP_BROWSER=1 a missing Chromium is not asked for; with everything installed it is
# silent about packages. And the browser test, skipped on purpose, says so (exit 77, SKIP).
. "$(dirname "$0")/lib.sh"
pkgs="pkg-config libglib2.0-dev libcmocka-dev libjson-glib-dev libxml2-utils"

# A bin folder with a fake `id` (a user, not root) and links to the tools given.
make_bin() {
    bin=$1
    shift
    mkdir -p "$bin"
    printf '#!/bin/sh\necho 1000\n' >"$bin/id"
    chmod +x "$bin/id"
    for t in "$@"; do
        p=$(command -v "$t") && ln -sf "$p" "$bin/$t"
    done
}
deps() { # BIN [VAR=VALUE]: runs deps.sh with only BIN on PATH; output in $tmp/out, status in $st
    bin=$1
    shift
    env PATH="$bin" "$@" /bin/sh .ci/deps.sh $pkgs >"$tmp/out" 2>&1
    st=$?
}

# Build dependencies present, Chromium missing: exit 0, and a line that installs Chromium.
make_bin "$tmp/a" pkg-config xmllint tail
deps "$tmp/a"
[ $st -eq 0 ] || fail "without chromium only: exit $st: $(cat "$tmp/out")"
grep -q '^deps: run as root:  apt-get install -y chromium$' "$tmp/out" ||
    fail "no apt-get line naming chromium: $(cat "$tmp/out")"
grep -q 'DURASIM_SKIP_BROWSER=1' "$tmp/out" || fail "does not say how to skip the browser test"

# Nothing installed: exit 1, and one line with every build package and Chromium.
make_bin "$tmp/b" tail
deps "$tmp/b"
[ $st -eq 1 ] || fail "without pkg-config: exit $st, expected 1"
grep -q "^deps: run as root:  apt-get install -y $pkgs chromium\$" "$tmp/out" ||
    fail "the apt-get line does not name every package: $(cat "$tmp/out")"

# Skipping the browser test on purpose: Chromium is not asked for.
deps "$tmp/a" DURASIM_SKIP_BROWSER=1
[ $st -eq 0 ] || fail "DURASIM_SKIP_BROWSER=1: exit $st"
if grep -q chromium "$tmp/out"; then fail "DURASIM_SKIP_BROWSER=1 still asks for chromium"; fi

# Everything installed: no apt-get line.
if command -v chromium >/dev/null 2>&1; then
    make_bin "$tmp/c" pkg-config xmllint tail chromium
    deps "$tmp/c"
    [ $st -eq 0 ] || fail "with everything installed: exit $st"
    if grep -q 'apt-get install' "$tmp/out"; then fail "asks to install: $(cat "$tmp/out")"; fi
fi
# The browser test skipped on purpose exits 77, which tests/run-all.sh reports as SKIP.
DURASIM_SKIP_BROWSER=1 sh tests/browser/check-viewer.sh "$DURASIM" "$tmp/browser" >"$tmp/out" 2>&1
st=$?
[ $st -eq 77 ] || fail "DURASIM_SKIP_BROWSER=1: the browser test exits $st, not 77 (skipped)"
grep -q '^SKIP' "$tmp/out" || fail "the skipped browser test does not say SKIP: $(cat "$tmp/out")"
[ $failed -eq 0 ] && echo "t_deps: ok"
exit $failed
