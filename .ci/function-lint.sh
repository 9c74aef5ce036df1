#!/bin/sh
# Lint: functions fit on a screen. No function of the C sources (sim model faults scenarios
# reports tests, .c and .h) is longer than MAX lines, from the line that names it to its closing
# brace, unless the list below allows it with the reason. The sources are formatted as
# .clang-format says (make lint checks that too), so a function body opens with "{" and closes
# with "}" at the start of a line, and nothing else does.
set -u
cd "$(dirname "$0")/.."
MAX=90
# Allowed, one "FILE FUNCTION" a line, each with its reason in the comment above it.
allowed='
# The linearizability search (Wing & Gong / Lowe): one loop that walks the call and return
# entries, linearizing an operation at a call and backtracking at a return, over state its steps
# share (the linearized set, the model state, the memo, the budget); cut into functions, the
# backtracking would be harder to follow and to trust.
reports/lin.c lin_check_key
'
files=$(git ls-files 'sim/*.[ch]' 'model/*.[ch]' 'faults/*.[ch]' 'scenarios/*.[ch]' \
    'reports/*.[ch]' 'tests/*.[ch]' 2>/dev/null ||
    find sim model faults scenarios reports tests -name '*.[ch]')
long=$(printf '%s\n' "$allowed" | awk -v max="$MAX" '
    FILENAME == "-" { if ($0 !~ /^#/ && NF == 2) ok[$1 " " $2] = 1; next }
    FNR == 1 { sig = ""; sigline = 0; body = 0 }
    !body && /^[A-Za-z_]/ && !/^(typedef|struct|enum|union)[ \t{]/ { sig = $0; sigline = FNR }
    !body && /^\{/ {
        body = 1
        name = substr(sig, 1, index(sig, "(") - 1)
        sub(/.*[^A-Za-z0-9_]/, "", name)
        next
    }
    body && /^\}/ {
        body = 0
        len = FNR - sigline + 1
        if (len > max && !((FILENAME " " name) in ok))
            printf "%s:%d: %s is %d lines (at most %d)\n", FILENAME, sigline, name, len, max
    }' - $files)
if [ -n "$long" ]; then
    echo "lint: functions longer than $MAX lines (split them; keep decisions in the parent, the" \
        "leaves pure; or allow one in .ci/function-lint.sh with the reason):" >&2
    echo "$long" >&2
    exit 1
fi
exit 0
