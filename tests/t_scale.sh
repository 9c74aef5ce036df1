#!/bin/sh
# Scale, in small (make bench runs the big ones: tests/bench_scale.c):
#   - a 128-node quorum ring with 512 clients and vnodes runs to a passing verdict;
#   - every limit is a setting checked with one line naming its key and exit status 2: nodes past
#     what the protocol allows, clients, operations.
set -u
. "$(dirname "$0")/lib.sh"

ring() {
    printf '[scenario]\nname = ring\nsummary = a ring of %s nodes\nprotocol = quorum\nseed = %s\n' "$1" "$4"
    printf '[cluster]\nnodes = %s\ncoordinators = 4\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n' "$1"
    printf '[workload]\nclients = %s\nkeys = 512\nmix = put:60 get:30 add:10\nops = %s\n' "$2" "$3"
}
ring 128 512 5000 7 >"$tmp/ring.ini"
"$DURASIM" run "$tmp/ring.ini" >"$tmp/ring.out" 2>&1 || fail "a 128-node ring: $(cat "$tmp/ring.out")"
grep -q '^PASS  ring' "$tmp/ring.out" || fail "a 128-node ring does not pass"

# limit FILE-TEXT EXPECTED-MESSAGE
limit() {
    printf '%s' "$1" >"$tmp/limit.ini"
    "$DURASIM" run "$tmp/limit.ini" >"$tmp/limit.out" 2>&1
    status=$?
    [ $status -eq 2 ] || fail "exit $status, not 2, for: $2"
    [ "$(wc -l <"$tmp/limit.out")" -eq 1 ] || fail "not one line for: $2: $(cat "$tmp/limit.out")"
    grep -qF -- "$2" "$tmp/limit.out" || fail "expected '$2', got: $(cat "$tmp/limit.out")"
}
head='[scenario]\nname = l\nsummary = s\nprotocol = '
limit "$(printf "${head}raft\n[cluster]\nnodes = 33\n[workload]\nops = 5\n")" \
    "[cluster] nodes: must be 1..32 for raft, not 33"
limit "$(printf "${head}quorum\n[cluster]\nnodes = 1025\n[workload]\nops = 5\n")" \
    "[cluster] nodes: 1025"
limit "$(printf "${head}quorum\n[workload]\nclients = 16385\nops = 5\n")" \
    "[workload] clients: 16385"
limit "$(printf "${head}quorum\n[workload]\nops = 1000000001\n")" "[workload] ops: 1000000001"
limit "$(printf "${head}quorum\n[cluster]\nnodes = 80\nreplicas = 65\n[workload]\nops = 5\n")" \
    "[cluster] replicas: 65"
exit $failed
