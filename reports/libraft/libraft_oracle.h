/* reports/libraft/libraft_oracle.h — the oracle module of the hosted canonical raft (see
 * libraft_oracle.c). */
#pragma once

#include "reports/oracle.h"

extern const OracleModule libraft_oracle;
