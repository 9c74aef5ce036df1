#!/bin/sh
# The scenario library's conventions, through the command line: `durasim list scenarios` lists
# every *.ini of the folder, once, under the name its file has, and exits 0 (every file loads).
set -u
. "$(dirname "$0")/lib.sh"

timeout 120 "$DURASIM" list scenarios >"$tmp/list" 2>"$tmp/err"
status=$?
if [ $status -ne 0 ] || [ -s "$tmp/err" ]; then
    echo "FAIL durasim list scenarios: exit status $status: $(cat "$tmp/err")"
    failed=1
fi

files=$(ls scenarios/*.ini 2>/dev/null | sed 's|^scenarios/||; s|\.ini$||' | sort)
if [ -z "$files" ]; then
    echo "FAIL the library scenarios/ has no *.ini files"
    failed=1
fi
listed=$(awk '{print $1}' "$tmp/list" | sort)
if [ "$files" != "$listed" ]; then
    echo "FAIL durasim list does not list exactly the library's files (by name)"
    echo "files:"
    echo "$files"
    echo "listed:"
    echo "$listed"
    failed=1
fi
dups=$(awk '{print $1}' "$tmp/list" | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "FAIL names listed twice: $dups"
    failed=1
fi
# Each line: name, protocol (one `durasim protocols` names, built or not), summary.
protocols=$("$DURASIM" protocols | sed -n 's/^\([a-z0-9-]*\): .*/\1/p' | tr '\n' ' ')
if awk -v known=" $protocols " 'index(known, " " $2 " ") == 0 || NF < 3 { bad = 1 }
    END { exit !bad }' "$tmp/list"; then
    echo "FAIL a line of durasim list lacks a protocol or a summary:"
    cat "$tmp/list"
    failed=1
fi

[ $failed -eq 0 ] && echo "t_scenario_library: ok ($(wc -l <"$tmp/list") scenarios)"
exit $failed
