/* scenarios/scenario.h — a scenario: a world configuration, a fault plan and the expected
 * outcome, as read from (and written to) a GLib key file. The format is documented for users in
 * scenarios/README.md. */
#pragma once

#include "faults/fault.h"
#include "model/protocol.h"
#include "model/violation.h"

typedef struct {
    char *op;
    gboolean has_outcome;
    Outcome outcome;
    gboolean has_latency;
    SimRange latency;
    gboolean has_siblings; /* a get: how many values (siblings) it returned */
    guint siblings;
} ExpectOp;

typedef struct {
    char *key;
    gboolean present;
    Value value;
} ExpectFinal;

typedef struct {
    gboolean present; /* the file has an [expect] group */
    gboolean has_violations;
    ViolationSet violations; /* exactly these kinds */
    gboolean has_include;
    ViolationSet include;                                     /* at least these kinds */
    GPtrArray *ops;                                           /* of ExpectOp*, in file order */
    GPtrArray *finals;                                        /* of ExpectFinal*, in file order */
    gint64 acked, failed, indeterminate, orphans, duplicates; /* -1: not asserted */
    gint64 lost_updates;                                      /* -1: not asserted */
} Expect;

typedef struct {
    char *name;
    char *summary;
    char *path; /* where it was loaded from, or NULL */
    WorldConfig config;
    FaultPlan faults;
    Expect expect;
} Scenario;

#define SCENARIO_ERROR (scenario_error_quark())
GQuark scenario_error_quark(void);
/* The codes of SCENARIO_ERROR: anything wrong with the input is 0; a file of a protocol this
 * build left out (model/protocol.h, protocol_missing) is SCENARIO_ERROR_NOT_BUILT. */
enum { SCENARIO_ERROR_NOT_BUILT = 1 };

#define SCENARIO_MAX_BYTES (1024 * 1024)

/* Caller owns the result. */
Scenario *scenario_new(const Protocol *protocol);
void scenario_free(Scenario *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scenario, scenario_free)

/* Loads a file. Errors name the file, the group, the key and the line. */
Scenario *scenario_load_file(const char *path, GError **error);
/* Loads from memory; `origin` names it in errors. */
Scenario *scenario_load_data(const char *data, gsize len, const char *origin, GError **error);
/* Whether the scenario can exercise anything: it has an operation (a workload with ops > 0 or
 * an [op NAME]) or a fault that acts on its own (not heal or restart alone, not a probability,
 * latency or clock offset of 0). The loader refuses a scenario that cannot (no vacuous pass);
 * this is the one place the rule is stated. */
gboolean scenario_exercises(const Scenario *s);
/* Writes the scenario in canonical form; loading it back gives the same scenario. Caller frees. */
char *scenario_to_data(const Scenario *s);
gboolean scenario_save(const Scenario *s, const char *path, GError **error);

/* Whether two scenarios are the same scenario: every setting a run reads is equal (settings of
 * the other protocol, parameters a fault's kind does not take and the file's path are not read,
 * so not compared). NULL if equal; else the first difference, "what: a vs b". Caller frees. */
char *scenario_difference(const Scenario *a, const Scenario *b);
/* The round-trip property: `s`, written, loads again as an equal scenario, and writing that gives
 * the same text. A GError says which part fails, with the written text. */
gboolean scenario_check_round_trip(const Scenario *s, GError **error);

/* The scenario files (*.ini) of a directory, sorted by name; caller frees (g_strfreev). */
char **scenario_list_dir(const char *dir, GError **error);
