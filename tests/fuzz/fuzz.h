/* tests/fuzz/fuzz.h — what a fuzz target provides. Each tests/fuzz/fuzz_NAME.c is one target:
 * libFuzzer's entry point, which must abort on any input that breaks a property (a crash or a
 * sanitizer report counts too), and the folders its seed corpus comes from. `make fuzz` links a
 * target with libFuzzer (clang); `make check` links it with tests/fuzz/driver.c, which replays
 * the corpus and a fixed number of mutations of it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed corpus: "FOLDER/PATTERN" entries, relative to the repository root (PATTERN as
 * g_pattern_match_simple reads it: "scenarios/" then "*.ini"); the regression inputs of
 * tests/fuzz/regress/NAME/ among them. Ends with NULL. */
extern const char *const fuzz_corpus[];

/* The files of the seed corpus, sorted within each entry; a missing folder is skipped. Caller
 * frees (g_strfreev). */
char **fuzz_corpus_files(void);
