/* model/world/fault_kind.c — the fault-kind table (see fault_kind.h). */
#include "model/world/fault_kind.h"

#include <string.h>

#define NODE FAULT_NEEDS_NODE
#define DISK FAULT_NEEDS_DISK
#define NET  FAULT_NEEDS_NET
#define P(p)                                                                                       \
    {                                                                                              \
        FAULT_PARAM_##p, NULL                                                                      \
    }
#define REQ(p, why)                                                                                \
    {                                                                                              \
        FAULT_PARAM_##p, why                                                                       \
    }

static const FaultKindInfo kinds[FAULT_KIND_COUNT] = {
    [FAULT_CRASH] =
        {"crash", NODE, FALSE, FALSE, FALSE, FALSE, {P(MODE), P(RESTART_AFTER), P(KEEP)}},
    [FAULT_RESTART] = {"restart", NODE, FALSE, FALSE, FALSE, FALSE, {{0}}},
    [FAULT_PAUSE] = {"pause", NODE, TRUE, TRUE, FALSE, FALSE, {{0}}},
    [FAULT_PARTITION] = {"partition",
                         NET,
                         TRUE,
                         FALSE,
                         FALSE,
                         TRUE,
                         {REQ(GROUPS, "required (e.g. groups = r1 r2 | r3 c1)")}},
    [FAULT_ISOLATE] = {"isolate", NODE, TRUE, FALSE, FALSE, TRUE, {{0}}},
    [FAULT_ONEWAY] =
        {"oneway", NET, TRUE, FALSE, FALSE, TRUE, {REQ(FROM, "required"), REQ(TO, "required")}},
    [FAULT_DROP] = {"drop",
                    NET,
                    TRUE,
                    FALSE,
                    FALSE,
                    TRUE,
                    {REQ(LINK, "required (e.g. link = co1->r2, or *->r2)"),
                     REQ(PROBABILITY, "required (0..1)")}},
    [FAULT_DUPLICATE] = {"duplicate",
                         NET,
                         TRUE,
                         FALSE,
                         FALSE,
                         TRUE,
                         {REQ(LINK, "required (e.g. link = co1->r2, or *->r2)"),
                          REQ(PROBABILITY, "required (0..1)")}},
    [FAULT_DELAY] = {"delay",
                     NET,
                     TRUE,
                     FALSE,
                     FALSE,
                     TRUE,
                     {REQ(LINK, "required (e.g. link = co1->r2, or *->r2)"),
                      REQ(LATENCY, "required (a duration or a range)")}},
    [FAULT_HEAL] = {"heal", NET, FALSE, FALSE, FALSE, FALSE, {{0}}},
    [FAULT_FSYNC_ERROR] =
        {"fsync-error", DISK, FALSE, FALSE, FALSE, FALSE, {P(ERRNO), P(COUNT), P(FILE)}},
    [FAULT_WRITE_ERROR] = {"write-error", DISK, FALSE, FALSE, FALSE, FALSE, {P(ERRNO), P(COUNT)}},
    [FAULT_SECTOR_ERROR] = {"sector-error", DISK, FALSE, FALSE, FALSE, FALSE, {P(COUNT)}},
    [FAULT_CORRUPT] = {"corrupt", DISK, FALSE, FALSE, FALSE, FALSE, {P(COUNT)}},
    [FAULT_SLOW_DISK] = {"slow-disk",
                         DISK,
                         TRUE,
                         TRUE,
                         FALSE,
                         FALSE,
                         {REQ(LATENCY, "required (added to every disk operation)")}},
    [FAULT_DISK_LOSS] = {"disk-loss", DISK, FALSE, FALSE, FALSE, FALSE, {{0}}},
    [FAULT_CLOCK_SKEW] = {"clock-skew",
                          NODE,
                          FALSE,
                          FALSE,
                          TRUE,
                          FALSE,
                          {REQ(OFFSET, "required (a signed duration, e.g. -50ms)")}},
    [FAULT_WRITEBACK_ERROR] =
        {"writeback-error", DISK, FALSE, FALSE, FALSE, FALSE, {P(ERRNO), P(FILE)}},
    [FAULT_DISK_FULL] = {"disk-full", DISK, TRUE, FALSE, FALSE, FALSE, {{0}}},
    [FAULT_METADATA_ERROR] = {"metadata-error", DISK, FALSE, FALSE, FALSE, FALSE, {{0}}},
};

static const char *param_keys[] = {
    [FAULT_PARAM_NONE] = NULL,
    [FAULT_PARAM_MODE] = "mode",
    [FAULT_PARAM_RESTART_AFTER] = "restart_after",
    [FAULT_PARAM_GROUPS] = "groups",
    [FAULT_PARAM_FROM] = "from",
    [FAULT_PARAM_TO] = "to",
    [FAULT_PARAM_LINK] = "link",
    [FAULT_PARAM_PROBABILITY] = "probability",
    [FAULT_PARAM_LATENCY] = "latency",
    [FAULT_PARAM_ERRNO] = "errno",
    [FAULT_PARAM_COUNT] = "count",
    [FAULT_PARAM_OFFSET] = "offset",
    [FAULT_PARAM_FILE] = "file",
    [FAULT_PARAM_KEEP] = "keep",
};

const FaultKindInfo *fault_kind_info(FaultKind kind)
{
    g_assert((unsigned)kind < FAULT_KIND_COUNT);
    return &kinds[kind];
}

const char *fault_param_key(FaultParam p)
{
    g_assert(p > FAULT_PARAM_NONE && (gsize)p < G_N_ELEMENTS(param_keys));
    return param_keys[p];
}

gboolean fault_kind_has_param(FaultKind kind, FaultParam p)
{
    for (const FaultParamUse *u = fault_kind_info(kind)->params; u->param; u++)
        if (u->param == p)
            return TRUE;
    return FALSE;
}

gboolean fault_kind_needs_node(FaultKind kind)
{
    return fault_kind_info(kind)->needs != FAULT_NEEDS_NET;
}

gboolean fault_kind_needs_disk(FaultKind kind)
{
    return fault_kind_info(kind)->needs == FAULT_NEEDS_DISK;
}

const char *fault_kind_name(FaultKind kind)
{
    if (kind == FAULT_END)
        return "end";
    if (kind == FAULT_RESUME)
        return "resume";
    return fault_kind_info(kind)->name;
}

gboolean fault_kind_parse(const char *name, FaultKind *out)
{
    for (int i = 0; i < FAULT_KIND_COUNT; i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *out = (FaultKind)i;
            return TRUE;
        }
    }
    return FALSE;
}
