/* tests/fuzz/fuzz_scenario.c — fuzz target for the scenario loader.
 *
 * For any bytes: the loader either refuses them with one line (non-empty, no newline, naming
 * the input) or accepts a scenario for which the round-trip property holds (written, it loads
 * again as an equal scenario and writes the same text; scenario_check_round_trip). Anything
 * else aborts, as do crashes, hangs, leaks and sanitizer reports. Running the scenario is left
 * out (it costs milliseconds an input); the round-trip test runs the library and generated
 * scenarios to the same trace hash. */
#include "tests/fuzz/fuzz.h"

#include "scenarios/scenario.h"
#include "sim/protocols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "fuzz-input"

const char *const fuzz_corpus[] = {"scenarios/*.ini", "tests/fuzz/regress/scenario/*", NULL};

static void broken(const char *what, const char *detail, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_scenario: %s\n%s\n--- input (%zu bytes) ---\n%.*s\n", what, detail, size,
            (int)size, (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    protocols_install();
    GError *error = NULL;
    Scenario *s = scenario_load_data((const char *)data, size, ORIGIN, &error);
    if (!s) {
        if (!error || !error->message[0])
            broken("refused without a message", "", data, size);
        if (strchr(error->message, '\n'))
            broken("refused with more than one line", error->message, data, size);
        if (!g_str_has_prefix(error->message, ORIGIN))
            broken("refused without naming the input", error->message, data, size);
        g_error_free(error);
        return 0;
    }
    if (!scenario_check_round_trip(s, &error))
        broken("the round trip fails", error->message, data, size);
    scenario_free(s);
    return 0;
}
