#!/bin/sh
# Lint: no wall clock or unseeded randomness outside the command-line front end, no protocol
# named outside its own folders (.ci/protocol-lint.sh), no include against the layers
# (.ci/layer-lint.sh), no function longer than 90 lines
# (.ci/function-lint.sh), and no code formatted differently from .clang-format.
set -u
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find sim model faults scenarios reports tests -name '*.[ch]')
lib_files=$(printf '%s\n' $files | grep -v '^tests/' | grep -v -E '(^|/)(main|cli)[^/]*\.c$')
banned='\b(time|clock|clock_gettime|gettimeofday|rand|random|srand|srandom|rand_r|drand48|g_random_[a-z_]+|g_get_real_time|g_get_monotonic_time|g_date_time_new_now[a-z_]*|g_timer_new)[[:space:]]*\('
# Comments may name these calls: strip one-line comments, and skip the lines of block comments.
hits=$(for f in $lib_files; do
    sed -e 's@/\*.*\*/@@g' -e 's@//.*$@@' "$f" | grep -n -E "$banned" | sed "s@^@$f:@"
done | grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(/?\*)')
if [ -n "$hits" ]; then
    echo "lint: wall clock or unseeded randomness outside the command line:" >&2
    echo "$hits" >&2
    status=1
fi
hits=$(printf '%s\n' $lib_files | xargs -r grep -n -E '\bg_rand_new[[:space:]]*\(' )
if [ -n "$hits" ]; then
    echo "lint: unseeded g_rand_new() (use sim/engine/rng.h):" >&2
    echo "$hits" >&2
    status=1
fi
sh .ci/protocol-lint.sh || status=1
sh .ci/layer-lint.sh || status=1
sh .ci/function-lint.sh || status=1
if command -v clang-format >/dev/null 2>&1; then
    bad=""
    for f in $files; do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            bad="$bad $f"
        fi
    done
    if [ -n "$bad" ]; then
        echo "lint: not formatted as .clang-format says (run 'make format'):$bad" >&2
        status=1
    fi
else
    echo "lint: clang-format not found; install it (apt-get install clang-format)" >&2
    status=1
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status
