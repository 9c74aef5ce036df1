/* tests/support_histgen.h — random histories that are linearizable by construction, for the
 * history checker's tests and benchmarks.
 *
 * Clients take turns by time (the one free earliest invokes next); every operation gets a
 * linearization point inside its interval, the operations are applied in point order to a
 * sequential model, and each read returns what that order gives. An operation that ends :info
 * takes effect with probability 1/2, at a point anywhere after its invocation (also after its
 * :info line); its process then takes a new number, as Jepsen does. `corrupt` >= 0 makes the
 * read with that index (among reads) return a value nothing wrote: a history that cannot be
 * linearizable.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    GEN_KV,  /* jepsen-edn: :get, :put, :append on string keys (Porcupine's kv workload) */
    GEN_CAS, /* jepsen-log: :read, :write, :cas on one register of values 0..4 (Jepsen etcd) */
} GenKind;

typedef struct {
    GenKind kind;
    guint ops;
    guint clients;
    guint keys;     /* GEN_KV */
    guint info_pct; /* operations that end :info, in percent */
    int corrupt;    /* the read to corrupt, or -1 */
    uint64_t seed;
} GenSpec;

/* The history as text (caller frees); *reads is the number of :ok reads in it. */
char *gen_history(const GenSpec *spec, gsize *len, guint *reads);
