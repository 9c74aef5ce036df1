/* sim/protocols.c — the registry of protocols (see protocols.h), one line per protocol. */
#include "sim/protocols.h"

#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "reports/quorum/quorum_oracle.h"
#include "reports/raft/raft_oracle.h"

static const struct {
    const Protocol *protocol;
    const OracleModule *oracle;
} entries[] = {
    {&quorum_protocol, &quorum_oracle},
    {&raft_protocol, &raft_oracle},
};

void protocols_install(void)
{
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
