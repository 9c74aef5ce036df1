/* reports/quorum/quorum_oracle.h — the oracle module of the quorum store (see quorum_oracle.c). */
#pragma once

#include "reports/oracle.h"

extern const OracleModule quorum_oracle;
