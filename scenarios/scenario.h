/* scenarios/scenario.h — a scenario: a world configuration, a fault plan and the expected
 * outcome, as read from (and written to) a GLib key file. The format is documented for users in
 * scenarios/README.md. */
#pragma once

#include "faults/fault.h"
#include "model/config.h"
#include "model/violation.h"

typedef struct {
    char *op;
    gboolean has_outcome;
    Outcome outcome;
    gboolean has_latency;
    SimRange latency;
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

#define SCENARIO_MAX_BYTES (1024 * 1024)

/* Caller owns the result. */
Scenario *scenario_new(ProtocolKind protocol);
void scenario_free(Scenario *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scenario, scenario_free)

/* Loads a file. Errors name the file, the group, the key and the line. */
Scenario *scenario_load_file(const char *path, GError **error);
/* Loads from memory; `origin` names it in errors. */
Scenario *scenario_load_data(const char *data, gsize len, const char *origin, GError **error);
/* Writes the scenario in canonical form; loading it back gives the same scenario. Caller frees. */
char *scenario_to_data(const Scenario *s);
gboolean scenario_save(const Scenario *s, const char *path, GError **error);

/* The scenario files (*.ini) of a directory, sorted by name; caller frees (g_strfreev). */
char **scenario_list_dir(const char *dir, GError **error);
