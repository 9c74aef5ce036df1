/* tests/fuzz/libfuzzer_init.c — linked into each libFuzzer build of a target (`make fuzz`): when
 * libFuzzer is given corpus folders (it writes what it finds into the first), adds the target's
 * seed corpus (fuzz_corpus_files: the scenario library, the regression inputs) as
 * -seed_inputs, so that every run starts from them. When a file is given instead (replaying a
 * crash), nothing is added: libFuzzer then runs just that file. */
#include "tests/fuzz/fuzz.h"

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int dirs = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = (*argv)[i];
        if (a[0] == '-')
            continue;
        if (!g_file_test(a, G_FILE_TEST_IS_DIR))
            return 0;
        dirs++;
    }
    char **files = fuzz_corpus_files();
    if (dirs == 0 || !files[0]) {
        g_strfreev(files);
        return 0;
    }
    /* Owned until exit: libFuzzer keeps pointing into argv. */
    g_autofree char *list = g_strjoinv(",", files);
    g_strfreev(files);
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, (*argv)[0]);
    g_ptr_array_add(args, g_strconcat("-seed_inputs=", list, NULL));
    for (int i = 1; i < *argc; i++)
        g_ptr_array_add(args, (*argv)[i]);
    *argc = (int)args->len;
    g_ptr_array_add(args, NULL);
    *argv = (char **)g_ptr_array_free(args, FALSE);
    return 0;
}
