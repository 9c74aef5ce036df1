/* tests/fuzz/corpus.c — the files of a fuzz target's seed corpus (fuzz_corpus), shared by the
 * make-check driver and the libFuzzer initializer. Hidden files and README.md never count. */
#include "tests/fuzz/fuzz.h"

#include <glib.h>
#include <string.h>

static int by_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **fuzz_corpus_files(void)
{
    GPtrArray *out = g_ptr_array_new();
    for (const char *const *c = fuzz_corpus; *c; c++) {
        g_autofree char *folder = g_path_get_dirname(*c);
        g_autofree char *pattern = g_path_get_basename(*c);
        GDir *dir = g_dir_open(folder, 0, NULL);
        if (!dir)
            continue;
        GPtrArray *names = g_ptr_array_new();
        for (const char *n; (n = g_dir_read_name(dir));)
            if (n[0] != '.' && strcmp(n, "README.md") != 0 && g_pattern_match_simple(pattern, n))
                g_ptr_array_add(names, g_build_filename(folder, n, NULL));
        g_dir_close(dir);
        g_ptr_array_sort(names, by_path);
        for (guint i = 0; i < names->len; i++)
            if (g_file_test(g_ptr_array_index(names, i), G_FILE_TEST_IS_REGULAR))
                g_ptr_array_add(out, g_ptr_array_index(names, i));
            else
                g_free(g_ptr_array_index(names, i));
        g_ptr_array_free(names, TRUE);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
