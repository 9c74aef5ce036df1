/* sim/protocols.h — the registry: which protocols this build has, each with its oracle module.
 * Adding a protocol is adding its folders (model/NAME/ and reports/NAME/) and one line in
 * protocols.c. The program installs the registry before anything else (main, and the tests that
 * load or generate scenarios); the layers below find a protocol through model/protocol.h, and
 * the runner asks here for the protocol's oracle module. */
#pragma once

#include "model/protocol.h"
#include "reports/oracle.h"

/* Installs the registry (idempotent). */
void protocols_install(void);
/* The oracle module that judges runs of the protocol. */
const OracleModule *protocols_oracle(const Protocol *p);
