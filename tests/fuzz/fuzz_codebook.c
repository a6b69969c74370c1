/* tests/fuzz/fuzz_codebook.c - libFuzzer entry point for the SMS code book:
 * the normaliser, the tokeniser, the date reader and the parser on arbitrary bytes.
 *
 * Build and run (from the repository root; the library sources are compiled
 * in so they carry the same instrumentation):
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined tests/fuzz/fuzz_codebook.c \
 *       handlers/normalize.c handlers/parse.c handlers/dates.c core/*.c \
 *       -o build/fuzz_codebook
 *   mkdir -p build/fuzz-corpus && build/fuzz_codebook -max_len=512 build/fuzz-corpus
 *
 * Besides "no crash, no leak, no UB", it checks the invariants callers rely on:
 * the normalised text is the tokens joined by one space, every token's byte
 * range lies inside the input, every string in the command is
 * NUL-terminated and in range, a visit or check-in has its children as
 * items (the single fields being the first item's) and nothing else has
 * any, and Chinese numerals read back as digits only.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../handlers/codebook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int tz_set;
    if (!tz_set) {
        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        tz_set = 1;
    }
    const int64_t now = 1794708000; /* 2026-11-15 10:00 Asia/Shanghai */
    const char *text = (const char *)data;
    char norm_copy[100] = "";
    if (size < sizeof norm_copy) {
        memcpy(norm_copy, data, size);
        norm_copy[size] = '\0';
    }

    char *norm = cb_normalize(text, size);
    struct cb_tokens tk;
    cb_tokenize(text, size, &tk);
    size_t off = 0, prev_end = 0;
    for (size_t i = 0; i < tk.n; i++) {
        size_t n = strlen(tk.v[i].text);
        assert(n > 0);
        assert(memcmp(norm + off, tk.v[i].text, n) == 0);
        off += n;
        assert(norm[off] == (i + 1 < tk.n ? ' ' : '\0'));
        off += i + 1 < tk.n;
        assert(tk.v[i].raw_start >= prev_end && tk.v[i].raw_start < tk.v[i].raw_end && tk.v[i].raw_end <= size);
        prev_end = tk.v[i].raw_end;
        int y, m, d;
        if (cb_parse_date(tk.v[i].text, now, CB_DATE_PAST, &y, &m, &d) == 0)
            assert(y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
        if (cb_parse_date(tk.v[i].text, now, CB_DATE_FUTURE, &y, &m, &d) == 0) assert(m >= 1 && m <= 12);
    }
    assert(tk.n > 0 || norm[0] == '\0');
    cb_tokens_free(&tk);
    free(norm);

    struct cb_cmd cmd;
    enum cb_intent in = cb_parse(text, size, now, &cmd);
    assert(in == cmd.intent);
    assert((in == CB_UNKNOWN) == (strcmp(cb_intent_name(in), "unknown") == 0));
    assert(cmd.error == CB_OK || in != CB_UNKNOWN);
    assert(strlen(cmd.child) == 0 || cb_child_code_valid(cmd.child));
    assert(strlen(cmd.bad_child) < sizeof cmd.bad_child);
    assert(strlen(cmd.case_no) == 0 || cb_case_no_valid(cmd.case_no, strlen(cmd.case_no)));
    assert(cmd.note == NULL || (strlen(cmd.note) > 0 && strlen(cmd.note) <= 3 * size));
    assert(strlen(cmd.name) < sizeof cmd.name);
    assert(cmd.name[0] == '\0' || cb_name_like(cmd.name, 0));
    if (in == CB_VISIT || in == CB_CHECKIN) {
        assert(cmd.nitems >= 1 && cmd.nitems <= CB_ITEMS_MAX);
        assert(cmd.error == cmd.items[0].error && strcmp(cmd.child, cmd.items[0].child) == 0);
        assert((cmd.note == NULL) == (cmd.items[0].note == NULL));
        for (int i = 0; i < cmd.nitems; i++) {
            const struct cb_item *it = &cmd.items[i];
            assert(strlen(it->child) == 0 || cb_child_code_valid(it->child));
            assert(strlen(it->bad_child) < sizeof it->bad_child && strlen(it->name) < sizeof it->name);
            assert(!(it->child[0] && it->name[0]));
            assert(it->note == NULL || (strlen(it->note) > 0 && strlen(it->note) <= 3 * size));
            assert(in == CB_CHECKIN || (it->year >= 1900 && it->month >= 1 && it->month <= 12));
            assert(it->value >= 0 && it->value <= 4);
        }
    } else {
        assert(cmd.nitems == 0 && !cmd.items_more);
    }
    assert(in != CB_QUERY || cmd.query != CB_Q_NONE);
    char digits[128];
    int runs = size < 100 ? cb_numerals((const char *)norm_copy, digits, sizeof digits) : 0;
    assert(runs >= -1);
    char pb[32];
    cb_problems_str(cmd.problems, pb, sizeof pb);
    (void)cb_error_name(cmd.error);
    cb_cmd_free(&cmd);
    return 0;
}
