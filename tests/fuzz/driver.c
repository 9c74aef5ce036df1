/* tests/fuzz/driver.c — runs a fuzz target without libFuzzer, for `make check`: every file of
 * the target's seed corpus as it is, then a fixed number of mutations of them (bytes flipped,
 * inserted and deleted, lines dropped, repeated and swapped, lines of one file spliced into
 * another, the input cut short). The mutations come from a fixed seed, so the same inputs run
 * every time; a broken property aborts the target, which fails the test.
 *
 * Usage: test_fuzz_NAME [MUTATIONS] (default DRIVER_MUTATIONS), from the repository root.
 * Exits 0 when every input passed, 2 on bad usage or an empty corpus. */
#include "tests/fuzz/fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define DRIVER_MUTATIONS 3000

static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static gsize below(uint64_t *state, gsize n)
{
    return n ? (gsize)(next(state) % n) : 0;
}

/* The contents of the seed corpus files. */
static GPtrArray *load_corpus(void)
{
    GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_auto(GStrv) paths = fuzz_corpus_files();
    for (char **p = paths; *p; p++) {
        char *text;
        gsize len;
        if (g_file_get_contents(*p, &text, &len, NULL))
            g_ptr_array_add(files, g_bytes_new_take(text, len));
    }
    return files;
}

/* The start of the line that holds byte `at`, and the start of the next line. */
static void line_at(const GByteArray *b, gsize at, gsize *start, gsize *end)
{
    gsize s = at, e = at;
    while (s > 0 && b->data[s - 1] != '\n')
        s--;
    while (e < b->len && b->data[e] != '\n')
        e++;
    *start = s;
    *end = e < b->len ? e + 1 : e;
}

/* Inserts `n` bytes at `at` (GByteArray has no insert). */
static void insert_bytes(GByteArray *b, gsize at, const guint8 *bytes, gsize n)
{
    if (n == 0)
        return; /* an empty array has no data to move (memmove of NULL) */
    gsize old = b->len;
    g_byte_array_set_size(b, (guint)(old + n));
    memmove(b->data + at + n, b->data + at, old - at);
    memcpy(b->data + at, bytes, n);
}

static void mutate_once(GByteArray *b, GBytes *other, uint64_t *st)
{
    static const char tokens[] = "[]=.,:|-> \n#0123456789\x00\xff";
    gsize at = below(st, b->len + 1), s, e;
    line_at(b, MIN(at, b->len ? b->len - 1 : 0), &s, &e);
    switch (below(st, 8)) {
    case 0: /* flip a byte */
        if (at < b->len)
            b->data[at] ^= (guint8)(1u << below(st, 8));
        break;
    case 1: /* insert a byte the format gives meaning to */
        insert_bytes(b, at, (const guint8 *)&tokens[below(st, sizeof tokens - 1)], 1);
        break;
    case 2: { /* delete a few bytes */
        gsize n = 1 + below(st, 8);
        if (at < b->len)
            g_byte_array_remove_range(b, (guint)at, (guint)MIN(b->len - at, n));
        break;
    }
    case 3: /* drop a line */
        g_byte_array_remove_range(b, s, e - s);
        break;
    case 4: { /* repeat a line */
        g_autofree guint8 *line = g_memdup2(b->data + s, e - s);
        insert_bytes(b, e, line, e - s);
        break;
    }
    case 5: { /* splice a line of another corpus file in */
        gsize olen;
        const guint8 *o = g_bytes_get_data(other, &olen);
        GByteArray tmp = {(guint8 *)o, (guint)olen};
        gsize os, oe;
        line_at(&tmp, below(st, olen), &os, &oe);
        if (olen)
            insert_bytes(b, s, o + os, oe - os);
        break;
    }
    case 6: /* cut the input short */
        g_byte_array_set_size(b, at);
        break;
    default: { /* swap this line with the next one */
        gsize s2, e2;
        if (e >= b->len)
            break;
        line_at(b, e, &s2, &e2);
        g_autofree guint8 *first = g_memdup2(b->data + s, e - s);
        g_byte_array_remove_range(b, s, e - s);
        insert_bytes(b, s + (e2 - s2), first, e - s);
        break;
    }
    }
}

int main(int argc, char **argv)
{
    guint64 mutations = DRIVER_MUTATIONS;
    if (argc > 2 ||
        (argc == 2 && !g_ascii_string_to_unsigned(argv[1], 10, 0, G_MAXUINT32, &mutations, NULL))) {
        fprintf(stderr, "usage: %s [MUTATIONS]\n", argv[0]);
        return 2;
    }
    g_autoptr(GPtrArray) corpus = load_corpus();
    if (corpus->len == 0) {
        fprintf(stderr, "fuzz driver: the seed corpus is empty (run from the repository root)\n");
        return 2;
    }
    for (guint i = 0; i < corpus->len; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(g_ptr_array_index(corpus, i), &len);
        LLVMFuzzerTestOneInput(d, len);
    }
    uint64_t st = 1;
    for (guint64 m = 0; m < mutations; m++) {
        gsize len;
        GBytes *base = g_ptr_array_index(corpus, below(&st, corpus->len));
        const guint8 *d = g_bytes_get_data(base, &len);
        GByteArray *b = g_byte_array_new();
        g_byte_array_append(b, d, (guint)len);
        for (gsize k = 1 + below(&st, 4); k > 0; k--)
            mutate_once(b, g_ptr_array_index(corpus, below(&st, corpus->len)), &st);
        LLVMFuzzerTestOneInput(b->data, b->len);
        g_byte_array_unref(b);
    }
    printf("fuzz driver: %u corpus inputs and %" G_GUINT64_FORMAT " mutations passed\n",
           corpus->len, mutations);
    return 0;
}
