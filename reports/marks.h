/* reports/marks.h — a run's or a campaign's reachability marks (model/marks.h) as one list: the
 * protocol's own, then the world's, each named "PROTOCOL:NAME" or "world:NAME", with how often it
 * was reached and whether a campaign within the model owes it. The command line prints it
 * (--coverage) and the reports carry it (coverage.marks, coverage.marks_not_owed).
 */
#pragma once

#include "model/protocol.h"
#include "model/world/world.h"

typedef struct {
    char *name; /* "quorum:coord.write.quorum-met", "world:net.duplicate" */
    const char *summary;
    uint64_t count;
    const char *unowed; /* NULL: owed within the model; else why not */
} MarkTally;

/* Every mark of protocol p and of the world, counted in s. Caller frees (mark_tally_free). */
GArray *mark_tally_new(const WorldStats *s, const Protocol *p);
void mark_tally_free(GArray *tally);
/* Why a world mark cannot be reached by runs of protocol p within its model, or NULL. */
const char *world_mark_unowed(WorldMark m, const Protocol *p);
