#!/bin/sh
# Lint: the layers of README.md's "Layout", read off the includes. Each folder includes only
# what is below it: sim/engine/ nothing else; model/ the engine; a protocol folder (model/NAME/)
# model/ and the engine, never the world nor another protocol; model/world/ model/ and the
# engine; faults/ and reports/ the model and the engine; scenarios/ those and faults/; sim/
# everything. tests/ are not checked. The exceptions below are allowed, one "FILE INCLUDE" a
# line, each with its reason in the comment above it.
set -u
cd "$(dirname "$0")/.."
allowed='
# The hosted raft keeps raft'"'"'s on-disk records, so the raft oracles read its disks unchanged.
model/libraft/libraft.h model/raft/raft.h
# libraft_durable_snapshot, for the oracles, reads a disk with the snapshot reader boot shares.
model/libraft/libraft.h model/world/disk.h
'
files=$(git ls-files 'sim/*.[ch]' 'model/*.[ch]' 'faults/*.[ch]' 'scenarios/*.[ch]' \
    'reports/*.[ch]' 2>/dev/null || find sim model faults scenarios reports -name '*.[ch]')
bad=$(for f in $files; do
    case "$f" in
    sim/engine/*) ok='^sim/engine/' ;;
    sim/*) ok='.' ;;
    model/world/*) ok='^(sim/engine/|model/[^/]+$|model/world/)' ;;
    model/*/*)
        d=$(echo "$f" | cut -d/ -f2)
        ok="^(sim/engine/|model/[^/]+\$|model/$d/)"
        ;;
    model/*) ok='^(sim/engine/|model/[^/]+$)' ;;
    faults/*) ok='^(sim/engine/|model/|faults/)' ;;
    reports/*) ok='^(sim/engine/|model/|reports/)' ;;
    scenarios/*) ok='^(sim/engine/|model/|faults/|scenarios/)' ;;
    *) ok='.' ;;
    esac
    sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | grep -v -E "$ok" | sed "s@^@$f @"
done | while read -r f inc; do
    printf '%s\n' "$allowed" | grep -q -x -F "$f $inc" || echo "$f includes $inc"
done)
if [ -n "$bad" ]; then
    echo "lint: an include against the layers (README.md, Layout; or allow one in" \
        ".ci/layer-lint.sh with the reason):" >&2
    echo "$bad" >&2
    exit 1
fi
exit 0
