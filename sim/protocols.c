/* sim/protocols.c — the registry of protocols (see protocols.h), one line per protocol. */
#include "sim/protocols.h"

#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "reports/quorum/quorum_oracle.h"
#include "reports/raft/raft_oracle.h"
#ifdef DURASIM_HAVE_LIBRAFT
#include "model/libraft/libraft.h"
#include "reports/libraft/libraft_oracle.h"
#endif

static const struct {
    const Protocol *protocol;
    const OracleModule *oracle;
} entries[] = {
    {&quorum_protocol, &quorum_oracle},
    {&raft_protocol, &raft_oracle},
#ifdef DURASIM_HAVE_LIBRAFT
    {&libraft_protocol, &libraft_oracle},
#endif
};

/* Protocols a build may leave out, and why. */
static const char *const missing_names[] = {
#ifndef DURASIM_HAVE_LIBRAFT
    "libraft",
#endif
    NULL,
};
static const char *const missing_why[] = {
#ifndef DURASIM_HAVE_LIBRAFT
    "built without libraft-dev (canonical raft 0.15); install it and rebuild",
#endif
    NULL,
};

void protocols_install(void)
{
    protocol_registry_missing(missing_names, missing_why, G_N_ELEMENTS(missing_names) - 1);
    static const Protocol *list[G_N_ELEMENTS(entries)];
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        list[i] = entries[i].protocol;
    protocol_registry_install(list, G_N_ELEMENTS(entries));
}

const OracleModule *protocols_oracle(const Protocol *p)
{
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        if (entries[i].protocol == p)
            return entries[i].oracle;
    g_assert_not_reached();
}
