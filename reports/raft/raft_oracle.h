/* reports/raft/raft_oracle.h — the oracle module of Raft (see raft_oracle.c, raft_safety.c). */
#pragma once

#include "reports/oracle.h"

extern const OracleModule raft_oracle;
