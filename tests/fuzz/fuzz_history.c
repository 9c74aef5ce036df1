/* tests/fuzz/fuzz_history.c — fuzz target for the history readers and checker
 * (reports/history/).
 *
 * For any bytes, in each format (detected, jepsen-edn, jepsen-log, json) and with the model
 * inferred: the checker either refuses them with one line (non-empty, no newline, naming the
 * input) or gives a verdict within a small budget. Anything else aborts, as do crashes, hangs,
 * leaks and sanitizer reports. The budget keeps an input's search to milliseconds; the verdicts
 * themselves are tested against known ones by test_history and t_history. */
#include "tests/fuzz/fuzz.h"

#include "reports/history/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "fuzz-input"

const char *const fuzz_corpus[] = {"tests/histories/etcd/*.log", "tests/histories/kv/c01-*",
                                   "tests/histories/kv/c10-*", "tests/fuzz/regress/history/*",
                                   NULL};

static void broken(const char *what, const char *detail, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_history: %s\n%s\n--- input (%zu bytes) ---\n%.*s\n", what, detail, size,
            (int)size, (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const HcFormat formats[] = {HC_FORMAT_AUTO, HC_FORMAT_JEPSEN_EDN, HC_FORMAT_JEPSEN_LOG,
                                       HC_FORMAT_JSON};
    const HcCheckOptions opt = {.budget = {20000, (gsize)16 << 20}, .keep_orders = TRUE};
    for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
        HcFile f;
        GError *error = NULL;
        gboolean ok =
            hc_file_check(&f, (const char *)data, size, ORIGIN, formats[i], NULL, &opt, &error);
        if (!ok) {
            if (!error || !error->message[0])
                broken("refused without a message", "", data, size);
            if (strchr(error->message, '\n'))
                broken("refused with more than one line", error->message, data, size);
            if (!g_str_has_prefix(error->message, ORIGIN))
                broken("refused without naming the input", error->message, data, size);
            g_error_free(error);
        } else if (f.check.verdict > HC_UNKNOWN) {
            broken("no verdict", "", data, size);
        } else {
            g_autofree char *line = hc_file_summary(&f, 0);
            if (strchr(line, '\n'))
                broken("a verdict line of more than one line", line, data, size);
        }
        hc_file_clear(&f);
    }
    return 0;
}
