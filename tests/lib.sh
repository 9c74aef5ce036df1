# tests/lib.sh — sourced by the shell tests (tests/t_*.sh): the durasim binary under test as an
# absolute path ($DURASIM, given by tests/run-all.sh, or build/release/durasim), the repository
# as the working folder, a scratch folder $tmp removed on exit, and fail(), which records a
# failure and lets the test go on.
# shellcheck shell=sh
DURASIM=${DURASIM:-build/release/durasim}
case $DURASIM in /*) ;; *) DURASIM="$PWD/$DURASIM" ;; esac
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "FAIL $*"
    failed=1
}
