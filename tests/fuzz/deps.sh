#!/bin/sh
# What `make fuzz` needs beyond the build: clang and its libFuzzer runtime (Debian: clang and
# libclang-rt-14-dev). Installs them when run as root; otherwise names the command to run.
set -u
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
works() {
    command -v clang >/dev/null 2>&1 &&
        clang -fsanitize=fuzzer,address -o "$probe/p" "$probe/p.c" >/dev/null 2>&1
}
works && exit 0
pkgs="clang libclang-rt-dev"
apt-cache show libclang-rt-14-dev >/dev/null 2>&1 && pkgs="clang libclang-rt-14-dev"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz: installing $pkgs"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs \
        >>/tmp/durasim-apt.log 2>&1 || {
        apt-get update -q >>/tmp/durasim-apt.log 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs \
            >>/tmp/durasim-apt.log 2>&1
    }
fi
works && exit 0
echo "fuzz: clang with libFuzzer is missing (as root: apt-get install -y $pkgs)" >&2
exit 2
