/* tests/fuzz/fuzz_codebook.c - libFuzzer entry point for the SMS code book:
 * the normaliser, the tokeniser, the date reader and the parser on arbitrary bytes.
 *
 * Build and run (from the repository root; the library sources are compiled
 * in so they carry the same instrumentation):
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined tests/fuzz/fuzz_codebook.c \
 *       handlers/normalize.c handlers/parse.c handlers/dates.c handlers/damm.c \
 *       gateway/util.c -o build/fuzz_codebook
 *   mkdir -p build/fuzz-corpus && build/fuzz_codebook -max_len=512 build/fuzz-corpus
 *
 * Besides "no crash, no leak, no UB", it checks the invariants callers rely on:
 * the normalised text is the tokens joined by one space, every token's byte
 * range lies inside the input, and every string in the command is
 * NUL-terminated and in range.
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
    assert(strlen(cmd.case_no) == 0 || strlen(cmd.case_no) == 10);
    assert(cmd.note == NULL || (strlen(cmd.note) > 0 && strlen(cmd.note) <= 3 * size));
    char pb[32];
    cb_problems_str(cmd.problems, pb, sizeof pb);
    (void)cb_error_name(cmd.error);
    cb_cmd_free(&cmd);
    return 0;
}
