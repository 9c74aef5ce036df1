#!/bin/sh
# Lint: a protocol lives in one place. Outside each protocol's own folders (model/NAME/ and
# reports/NAME/, the world's folder model/world/ excepted) and the registry (sim/protocols.c), no
# file names a protocol: the rest of durasim asks the descriptor (model/protocol.h). Tests may
# name the protocols they drive, but none reaches into the world's internals.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find sim model faults scenarios reports tests -name '*.[ch]')
status=0
outside=$(printf '%s\n' $files | grep -v -E '^(model/[^/]+/|reports/[^/]+/|tests/)' |
    grep -v -x 'sim/protocols.c'; printf '%s\n' $files | grep '^model/world/')
names='\b(PROTO_RAFT|PROTO_QUORUM|PROTO_LIBRAFT|ProtocolKind|(raft|quorum|libraft)_(protocol|oracle))\b'
hits=$(printf '%s\n' $outside | sort -u | xargs -r grep -n -E "$names" |
    grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(/?\*)')
if [ -n "$hits" ]; then
    echo "lint: a protocol named outside its folders and the registry (ask model/protocol.h):" >&2
    echo "$hits" >&2
    status=1
fi
hits=$(printf '%s\n' $files | grep '^tests/' | xargs -r grep -n 'world_internal\.h')
if [ -n "$hits" ]; then
    echo "lint: a test includes the world's internals (drive the public interfaces):" >&2
    echo "$hits" >&2
    status=1
fi
exit $status
