/* tests/unit/test_codebook.c - the SMS code book as tables of real inputs:
 * normaliser, tokeniser, Damm check digits, dates, and the message parser.
 *
 * The clock is fixed: "now" is 2026-11-15 10:00 in Asia/Shanghai, and TZ is
 * set in main. Every table row is registered as its own test, named by its
 * input, so a failure names the message that broke.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../handlers/codebook.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NOW_TS INT64_C(1794708000) /* 2026-11-15 10:00 Asia/Shanghai = 02:00 UTC */

/* Unix time of a local (Asia/Shanghai) wall-clock time. */
static int64_t local_time(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_isdst = -1};
    return (int64_t)mktime(&tm);
}

/* ---- normaliser ---------------------------------------------------------- */

struct norm_case {
    const char *name; /* NULL: the input */
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
};

#define BIN(s) .in = s, .len = sizeof(s) - 1

static const struct norm_case norm_cases[] = {
    {.in = "ZF1000015", .out = "ZF 1000015"},
    {.in = "走访1000015正常", .out = "走访 1000015 正常"},
    {.in = "zf 1000015 1", .out = "ZF 1000015 1"},
    {.in = "Help", .out = "HELP"},
    {.in = "ＺＦ１００００１５　１", .out = "ZF 1000015 1"},
    {.in = "Ｖ１", .out = "V 1"},
    {.in = "  ZF   1000015\t\r\n1  ", .out = "ZF 1000015 1"},
    {.in = "ZF,1000015;1:x", .out = "ZF 1000015 1 X"},
    {.in = "ZF，1000015。1、2；3：4", .out = "ZF 1000015 1 2 3 4"},
    {.in = "*ZF#1000015*1#", .out = "ZF 1000015 1"},
    {.in = "a+b", .out = "A B"},
    {.in = "ZF＃1000015＊1＋", .out = "ZF 1000015 1"},
    {.in = "ZF｡1000015､1", .out = "ZF 1000015 1"},
    {.in = "ZF﹐1000015﹔1", .out = "ZF 1000015 1"},
    {.in = "?", .out = "?"},
    {.in = "？", .out = "?"},
    {.in = "HELP?", .out = "HELP?"},
    {.in = "3月5日", .out = "3月5日"},
    {.in = "ZF 1000015 3月5日正常", .out = "ZF 1000015 3月5日 正常"},
    {.in = "正常3月5日", .out = "正常 3月5日"},
    {.in = "１２月２０日", .out = "12月20日"},
    {.in = "2026年11月5号1", .out = "2026年11月5号 1"},
    {.in = "5号正常", .out = "5号 正常"},
    {.in = "3月5", .out = "3月5"},
    {.in = "123月5日", .out = "123 月 5日"},
    {.in = "2026年", .out = "2026 年"},
    {.in = "20261105", .out = "20261105"},
    {.in = "2026-11-05", .out = "2026-11-05"},
    {.in = "1.5", .out = "1.5"},
    {.in = "XL2", .out = "XL 2"},
    {.in = "1a2b", .out = "1 A 2 B"},
    {.in = "abc走访", .out = "ABC走访"},
    {.in = "1👍", .out = "1 👍"},
    {.in = "～", .out = "~"},
    {.in = "", .out = ""},
    {.in = "   ", .out = ""},
    {.in = "，。、；：", .out = ""},
    {.name = "BOM", .in = "\xEF\xBB\xBFZF 1", .out = "ZF 1"},
    {.name = "no-break space", .in = "ZF\xC2\xA0" "1", .out = "ZF 1"},
    {.name = "invalid byte", .in = "ZF\xFF" "1", .out = "ZF\xEF\xBF\xBD 1"},
    {.name = "truncated sequence", .in = "\xE4\xB8", .out = "\xEF\xBF\xBD"},
    {.name = "overlong slash", .in = "\xC0\xAF", .out = "\xEF\xBF\xBD\xEF\xBF\xBD"},
    {.name = "surrogate", .in = "\xED\xA0\x80", .out = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {.name = "beyond U+10FFFF", .in = "\xF4\x90\x80\x80", .out = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {.name = "embedded NUL", BIN("ZF\0" "1000015"), .out = "ZF 1000015"},
    {.name = "controls", BIN("\x01ZF\x7F" "1\x1B"), .out = "ZF 1"},
};

static void test_normalize(void **state)
{
    const struct norm_case *c = *state;
    char *out = cb_normalize(c->in, c->len ? c->len : strlen(c->in));
    assert_string_equal(out, c->out);
    free(out);
}

static void test_normalize_null(void **state)
{
    (void)state;
    char *out = cb_normalize(NULL, 0);
    assert_string_equal(out, "");
    free(out);
}

/* ---- tokeniser ------------------------------------------------------------- */

struct tok_case {
    const char *in;
    size_t n;
    struct {
        const char *text;
        size_t raw_start, raw_end;
    } tok[4];
};

static const struct tok_case tok_cases[] = {
    {"ZF1000015 1", 3, {{"ZF", 0, 2}, {"1000015", 2, 9}, {"1", 10, 11}}},
    {"ＺＦ１　走访", 3, {{"ZF", 0, 6}, {"1", 6, 9}, {"走访", 12, 18}}},
    {"  走访1000015正常。", 3, {{"走访", 2, 8}, {"1000015", 8, 15}, {"正常", 15, 21}}},
    {"3月5日正常", 2, {{"3月5日", 0, 8}, {"正常", 8, 14}}},
    {"\xFF" "a", 1, {{"\xEF\xBF\xBD" "A", 0, 2}}},
    {"", 0, {{NULL, 0, 0}}},
};

static void test_tokenize(void **state)
{
    const struct tok_case *c = *state;
    struct cb_tokens t;
    cb_tokenize(c->in, strlen(c->in), &t);
    assert_int_equal(t.n, c->n);
    for (size_t i = 0; i < c->n; i++) {
        assert_string_equal(t.v[i].text, c->tok[i].text);
        assert_int_equal(t.v[i].raw_start, c->tok[i].raw_start);
        assert_int_equal(t.v[i].raw_end, c->tok[i].raw_end);
    }
    cb_tokens_free(&t);
    assert_null(t.v);
    cb_tokens_free(&t); /* twice is harmless */
    cb_tokens_free(NULL);
}

/* ---- Damm ------------------------------------------------------------------ */

static const struct {
    const char *digits;
    char check;
} damm_vectors[] = {
    {"572", '4'},    {"5724", '0'},   {"", '0'},       {"100001", '5'}, {"100002", '8'},
    {"123456", '6'}, {"210301", '4'}, {"654321", '3'}, {"100000", '2'}, {"261115", '8'},
};

static const char *const valid_codes[] = {"1000015", "1000028", "1234566", "2103014", "6543213", "8888882"};

static void test_damm_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(damm_vectors); i++)
        assert_int_equal(cb_damm_digit(damm_vectors[i].digits, strlen(damm_vectors[i].digits)),
                         damm_vectors[i].check);
    assert_int_equal(cb_damm_digit("57a", 3), '\0');
}

static void test_damm_valid_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(valid_codes); i++) assert_true(cb_child_code_valid(valid_codes[i]));
}

static void test_damm_single_substitution(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(valid_codes); i++) {
        for (int pos = 0; pos < 7; pos++) {
            for (char dgt = '0'; dgt <= '9'; dgt++) {
                char code[8];
                memcpy(code, valid_codes[i], 8);
                if (code[pos] == dgt) continue;
                code[pos] = dgt;
                if (cb_child_code_valid(code)) fail_msg("substitution %s not caught", code);
            }
        }
    }
}

static void test_damm_adjacent_transposition(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(valid_codes); i++) {
        for (int pos = 0; pos < 6; pos++) {
            char code[8];
            memcpy(code, valid_codes[i], 8);
            if (code[pos] == code[pos + 1]) continue;
            char t = code[pos];
            code[pos] = code[pos + 1];
            code[pos + 1] = t;
            if (cb_child_code_valid(code)) fail_msg("transposition %s not caught", code);
        }
    }
}

static void test_damm_bad_forms(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "100001", "10000150", "100001a", " 1000015", "1000015 ",
                                      "１００００１５", "-1000015"};
    for (size_t i = 0; i < N_OF(bad); i++) assert_false(cb_child_code_valid(bad[i]));
    assert_false(cb_child_code_valid(NULL));
}

/* ---- dates ------------------------------------------------------------------ */

enum when {
    W_NOW,      /* 2026-11-15 10:00 */
    W_JAN2,     /* 2027-01-02 09:00: just after new year */
    W_DEC30,    /* 2026-12-30 20:00: just before new year */
    W_LEAPDAY,  /* 2028-02-29 12:00 */
    W_MAR1,     /* 2028-03-01 08:00 */
    W_EARLY,    /* 2026-11-15 00:30: still the 14th in UTC */
    W_MAR1_27,  /* 2027-03-01 10:00 */
};

static int64_t when_ts(enum when w)
{
    switch (w) {
    case W_NOW: return local_time(2026, 11, 15, 10, 0);
    case W_JAN2: return local_time(2027, 1, 2, 9, 0);
    case W_DEC30: return local_time(2026, 12, 30, 20, 0);
    case W_LEAPDAY: return local_time(2028, 2, 29, 12, 0);
    case W_MAR1: return local_time(2028, 3, 1, 8, 0);
    case W_EARLY: return local_time(2026, 11, 15, 0, 30);
    case W_MAR1_27: return local_time(2027, 3, 1, 10, 0);
    }
    return 0;
}

struct date_case {
    const char *tok;
    enum when when;
    enum cb_date_pref pref;
    int rc, y, m, d;
};

#define P CB_DATE_PAST
#define F CB_DATE_FUTURE
#define BAD -1, 0, 0, 0

static const struct date_case date_cases[] = {
    /* each form */
    {"20261105", W_NOW, P, 0, 2026, 11, 5},
    {"20261105", W_NOW, F, 0, 2026, 11, 5}, /* a full date is what it says */
    {"1105", W_NOW, P, 0, 2026, 11, 5},
    {"1105", W_NOW, F, 0, 2027, 11, 5},
    {"1115", W_NOW, P, 0, 2026, 11, 15},
    {"1115", W_NOW, F, 0, 2026, 11, 15},
    {"1116", W_NOW, P, 0, 2025, 11, 16},
    {"11月5日", W_NOW, P, 0, 2026, 11, 5},
    {"11月5号", W_NOW, P, 0, 2026, 11, 5},
    {"11月5", W_NOW, P, 0, 2026, 11, 5},
    {"12月20日", W_NOW, F, 0, 2026, 12, 20},
    {"12月20日", W_NOW, P, 0, 2025, 12, 20},
    {"2026年11月5日", W_NOW, P, 0, 2026, 11, 5},
    {"2026年11月5号", W_NOW, F, 0, 2026, 11, 5},
    {"2026-11-05", W_NOW, P, 0, 2026, 11, 5},
    {"2026/11/5", W_NOW, P, 0, 2026, 11, 5},
    {"2026.11.5", W_NOW, P, 0, 2026, 11, 5},
    {"11-5", W_NOW, P, 0, 2026, 11, 5},
    {"11/20", W_NOW, F, 0, 2026, 11, 20},
    {"１１０５", W_NOW, P, 0, 2026, 11, 5},
    {"１１月５日", W_NOW, P, 0, 2026, 11, 5},
    {"5号", W_NOW, P, 0, 2026, 11, 5},
    {"15号", W_NOW, P, 0, 2026, 11, 15},
    {"16日", W_NOW, P, 0, 2026, 10, 16},
    {"16日", W_NOW, F, 0, 2026, 11, 16},
    {"31日", W_NOW, P, 0, 2026, 10, 31}, /* November has no 31st */
    {"31号", W_NOW, F, 0, 2026, 12, 31},
    {"30日", W_MAR1_27, P, 0, 2027, 1, 30}, /* February 2027 has no 30th */
    {"今天", W_NOW, P, 0, 2026, 11, 15},
    {"今日", W_NOW, F, 0, 2026, 11, 15},
    {"昨天", W_NOW, P, 0, 2026, 11, 14},
    {"昨日", W_NOW, P, 0, 2026, 11, 14},
    {"前天", W_NOW, P, 0, 2026, 11, 13},
    {"大前天", W_NOW, P, 0, 2026, 11, 12},
    {"明天", W_NOW, F, 0, 2026, 11, 16},
    {"后天", W_NOW, F, 0, 2026, 11, 17},
    {"今天", W_EARLY, P, 0, 2026, 11, 15}, /* the local day, not UTC's */
    /* Chinese numerals */
    {"三月五号", W_NOW, P, 0, 2026, 3, 5},
    {"三月五日", W_NOW, F, 0, 2027, 3, 5},
    {"十二月一日", W_NOW, P, 0, 2025, 12, 1},
    {"十二月一日", W_NOW, F, 0, 2026, 12, 1},
    {"十一月五号", W_NOW, P, 0, 2026, 11, 5},
    {"十一月十五日", W_NOW, P, 0, 2026, 11, 15},
    {"十月三十一号", W_NOW, P, 0, 2026, 10, 31},
    {"二〇二六年十一月五日", W_NOW, P, 0, 2026, 11, 5},
    {"二零二六年十一月五日", W_NOW, P, 0, 2026, 11, 5},
    {"二十五号", W_NOW, P, 0, 2026, 10, 25},
    {"二十五号", W_NOW, F, 0, 2026, 11, 25},
    {"三十一号", W_NOW, P, 0, 2026, 10, 31},
    {"五号", W_NOW, P, 0, 2026, 11, 5},
    {"十号", W_NOW, P, 0, 2026, 11, 10},
    {"一一零五", W_NOW, P, 0, 2026, 11, 5},
    {"3月五号", W_NOW, P, 0, 2026, 3, 5},
    {"12月一日", W_NOW, F, 0, 2026, 12, 1},
    /* relative days; 2026-11-15 is a Sunday, weeks run Monday to Sunday */
    {"上周三", W_NOW, P, 0, 2026, 11, 4},
    {"上周一", W_NOW, P, 0, 2026, 11, 2},
    {"上周日", W_NOW, P, 0, 2026, 11, 8},
    {"上周天", W_NOW, P, 0, 2026, 11, 8},
    {"上星期五", W_NOW, P, 0, 2026, 11, 6},
    {"上个星期二", W_NOW, P, 0, 2026, 11, 3},
    {"上礼拜六", W_NOW, P, 0, 2026, 11, 7},
    {"上上周三", W_NOW, P, 0, 2026, 10, 28},
    {"这周一", W_NOW, P, 0, 2026, 11, 9},
    {"本周三", W_NOW, P, 0, 2026, 11, 11},
    {"这个星期六", W_NOW, P, 0, 2026, 11, 14},
    {"下周五", W_NOW, F, 0, 2026, 11, 20},
    {"下星期一", W_NOW, F, 0, 2026, 11, 16},
    {"周五", W_NOW, P, 0, 2026, 11, 13},
    {"周日", W_NOW, P, 0, 2026, 11, 15}, /* today is one */
    {"星期一", W_NOW, P, 0, 2026, 11, 9},
    {"星期一", W_NOW, F, 0, 2026, 11, 16},
    {"礼拜三", W_NOW, F, 0, 2026, 11, 18},
    {"上周", W_NOW, P, 0, 2026, 11, 8},
    {"上星期", W_NOW, P, 0, 2026, 11, 8},
    {"下周", W_NOW, F, 0, 2026, 11, 22},
    {"上个月5号", W_NOW, P, 0, 2026, 10, 5},
    {"上个月五号", W_NOW, P, 0, 2026, 10, 5},
    {"上月31号", W_NOW, P, 0, 2026, 10, 31},
    {"上月20日", W_NOW, P, 0, 2026, 10, 20},
    {"上上个月1号", W_NOW, P, 0, 2026, 9, 1},
    {"本月3号", W_NOW, P, 0, 2026, 11, 3},
    {"这个月二十号", W_NOW, P, 0, 2026, 11, 20}, /* what it says, even after today */
    {"下个月5号", W_NOW, F, 0, 2026, 12, 5},
    {"前两天", W_NOW, P, 0, 2026, 11, 13},
    {"两天前", W_NOW, P, 0, 2026, 11, 13},
    {"3天前", W_NOW, P, 0, 2026, 11, 12},
    {"三天前", W_NOW, P, 0, 2026, 11, 12},
    {"十天以前", W_NOW, P, 0, 2026, 11, 5},
    {"5日前", W_NOW, P, 0, 2026, 11, 10},
    {"100天前", W_NOW, P, 0, 2026, 8, 7},
    {"上周三", W_JAN2, P, 0, 2026, 12, 23}, /* across the new year */
    {"这周一", W_JAN2, P, 0, 2026, 12, 28},
    {"上个月5号", W_JAN2, P, 0, 2026, 12, 5},
    {"下周五", W_JAN2, F, 0, 2027, 1, 8},
    {"上周三", W_MAR1, P, 0, 2028, 2, 23}, /* a Wednesday: last week's, not today */
    {"周三", W_MAR1, P, 0, 2028, 3, 1},
    {"周四", W_MAR1, P, 0, 2028, 2, 24},
    {"周四", W_MAR1, F, 0, 2028, 3, 2},
    {"上个月29号", W_MAR1, P, 0, 2028, 2, 29},
    {"上周日", W_MAR1_27, P, 0, 2027, 2, 28},
    /* year rollover */
    {"昨天", W_JAN2, P, 0, 2027, 1, 1},
    {"前天", W_JAN2, P, 0, 2026, 12, 31},
    {"明天", W_DEC30, F, 0, 2026, 12, 31},
    {"后天", W_DEC30, F, 0, 2027, 1, 1},
    {"1231", W_JAN2, P, 0, 2026, 12, 31},
    {"1231", W_JAN2, F, 0, 2027, 12, 31},
    {"12月31日", W_JAN2, P, 0, 2026, 12, 31},
    {"0101", W_DEC30, P, 0, 2026, 1, 1},
    {"0101", W_DEC30, F, 0, 2027, 1, 1},
    {"1月5日", W_DEC30, F, 0, 2027, 1, 5},
    {"0102", W_JAN2, P, 0, 2027, 1, 2},
    {"0102", W_JAN2, F, 0, 2027, 1, 2},
    {"31号", W_JAN2, P, 0, 2026, 12, 31},
    {"1号", W_DEC30, F, 0, 2027, 1, 1},
    /* leap days */
    {"0229", W_NOW, P, 0, 2024, 2, 29},
    {"0229", W_NOW, F, 0, 2028, 2, 29},
    {"2月29日", W_LEAPDAY, P, 0, 2028, 2, 29},
    {"2月29日", W_LEAPDAY, F, 0, 2028, 2, 29},
    {"0229", W_MAR1, P, 0, 2028, 2, 29},
    {"0229", W_MAR1, F, 0, 2032, 2, 29},
    {"20280229", W_NOW, P, 0, 2028, 2, 29},
    {"20000229", W_NOW, P, 0, 2000, 2, 29},
    {"昨天", W_MAR1, P, 0, 2028, 2, 29},
    {"29日", W_MAR1_27, P, 0, 2027, 1, 29},
    /* invalid dates */
    {"20270229", W_NOW, P, BAD},
    {"21000229", W_NOW, P, BAD},
    {"20240230", W_NOW, P, BAD},
    {"20241332", W_NOW, P, BAD},
    {"20241301", W_NOW, P, BAD},
    {"20240001", W_NOW, P, BAD},
    {"20241100", W_NOW, P, BAD},
    {"00001105", W_NOW, P, BAD},
    {"1332", W_NOW, P, BAD},
    {"0000", W_NOW, P, BAD},
    {"0100", W_NOW, P, BAD},
    {"0230", W_NOW, F, BAD},
    {"2月30日", W_NOW, P, BAD},
    {"4月31日", W_NOW, P, BAD},
    {"13月1日", W_NOW, P, BAD},
    {"0月1日", W_NOW, P, BAD},
    {"32号", W_NOW, P, BAD},
    {"0号", W_NOW, P, BAD},
    {"2026-13-01", W_NOW, P, BAD},
    {"2026-11/05", W_NOW, P, BAD},
    /* not dates at all (no atoi: exact lengths only) */
    {"", W_NOW, P, BAD},
    {"1", W_NOW, P, BAD},
    {"12", W_NOW, P, BAD},
    {"123", W_NOW, P, BAD},
    {"123456", W_NOW, P, BAD},
    {"202611051", W_NOW, P, BAD},
    {"+1105", W_NOW, P, BAD},
    {"-1105", W_NOW, P, BAD},
    {"1105x", W_NOW, P, BAD},
    {"0x1105", W_NOW, P, BAD},
    {"11 05", W_NOW, P, BAD},
    {"11月", W_NOW, P, BAD},
    {"月5日", W_NOW, P, BAD},
    {"2026年", W_NOW, P, BAD},
    {"111月5日", W_NOW, P, BAD},
    {"11-5-", W_NOW, P, BAD},
    {"1-2-3", W_NOW, P, BAD},
    {"11..5", W_NOW, P, BAD},
    {"正常", W_NOW, P, BAD},
    {"今天好", W_NOW, P, BAD},
    /* numerals and relative words that name no day */
    {"十三月一日", W_NOW, P, BAD},
    {"三十二号", W_NOW, P, BAD},
    {"二月三十日", W_NOW, P, BAD},
    {"十十月一日", W_NOW, P, BAD},
    {"一百号", W_NOW, P, BAD},
    {"上个月31号", W_MAR1_27, P, BAD}, /* February has none: never moved */
    {"上个月30号", W_MAR1, P, BAD},
    {"上个月", W_NOW, P, BAD},
    {"上周八", W_NOW, P, BAD},
    {"这周", W_NOW, P, BAD},
    {"周", W_NOW, P, BAD},
    {"周小玲", W_NOW, P, BAD}, /* a name, not a weekday */
    {"星期", W_NOW, P, BAD},
    {"0天前", W_NOW, P, BAD},
    {"天前", W_NOW, P, BAD},
    {"前三天", W_NOW, P, BAD},
    {"一个人", W_NOW, P, BAD},
    {"十分", W_NOW, P, BAD},
};

static void test_date(void **state)
{
    const struct date_case *c = *state;
    int y = 0, m = 0, d = 0;
    int rc = cb_parse_date(c->tok, when_ts(c->when), c->pref, &y, &m, &d);
    assert_int_equal(rc, c->rc);
    if (rc == 0) {
        assert_int_equal(y, c->y);
        assert_int_equal(m, c->m);
        assert_int_equal(d, c->d);
    }
}

static void test_date_null(void **state)
{
    (void)state;
    int y, m, d;
    assert_int_equal(cb_parse_date(NULL, NOW_TS, CB_DATE_PAST, &y, &m, &d), -1);
}

static const struct {
    enum when when;
    int y, m, d, ago;
} days_ago_cases[] = {
    {W_NOW, 2026, 11, 15, 0},   {W_NOW, 2026, 11, 14, 1},   {W_NOW, 2026, 11, 16, -1},
    {W_NOW, 2026, 9, 16, 60},   {W_NOW, 2026, 9, 15, 61},   {W_NOW, 2025, 11, 15, 365},
    {W_JAN2, 2026, 12, 31, 2},  {W_LEAPDAY, 2027, 2, 28, 366}, {W_MAR1, 2028, 2, 28, 2},
    {W_EARLY, 2026, 11, 14, 1}, {W_DEC30, 2027, 1, 1, -2},
};

static void test_days_ago(void **state)
{
    (void)state;
    assert_int_equal(local_time(2026, 11, 15, 10, 0), NOW_TS);
    for (size_t i = 0; i < N_OF(days_ago_cases); i++) {
        int got = cb_days_ago(when_ts(days_ago_cases[i].when), days_ago_cases[i].y, days_ago_cases[i].m,
                              days_ago_cases[i].d);
        if (got != days_ago_cases[i].ago)
            fail_msg("case %zu: %04d-%02d-%02d: %d days ago, want %d", i, days_ago_cases[i].y, days_ago_cases[i].m,
                     days_ago_cases[i].d, got, days_ago_cases[i].ago);
    }
}

/* ---- parser ------------------------------------------------------------------- */

struct parse_case {
    const char *name; /* NULL: the input */
    const char *in;
    size_t len; /* 0: strlen(in) */
    enum cb_intent intent;
    enum cb_error error;
    const char *child;   /* NULL: "" */
    const char *bad;     /* bad_child; NULL: "" */
    int y, m, d, given;  /* date fields */
    int value;
    int cat;             /* category_given */
    unsigned probs;
    const char *case_no; /* NULL: "" */
    const char *note;    /* NULL: no note */
    const char *cname;   /* cmd.name (a child's name); NULL: "" */
    enum cb_query query;
    const char *items;   /* NULL: one item (visits, check-ins) or none; else items_str of all of them */
    int more;            /* items_more */
};

/* Rows start from their intent's defaults (VISIT: child 1000015, dated today;
 * CHECKIN: status 1; REPORT: category 9) and override fields as needed. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define TODAY .y = 2026, .m = 11, .d = 15
#define DATE(yy, mm, dd) .y = yy, .m = mm, .d = dd, .given = 1
#define VISIT(...) {.intent = CB_VISIT, .child = "1000015", TODAY, __VA_ARGS__}
#define CHECKIN(...) {.intent = CB_CHECKIN, .value = 1, __VA_ARGS__}
#define REPORT(...) {.intent = CB_REPORT, .value = 9, __VA_ARGS__}
#define ACK(...) {.intent = CB_ACK, __VA_ARGS__}
#define CLOSE(...) {.intent = CB_CLOSE, __VA_ARGS__}
#define STATUS(...) {.intent = CB_STATUS, __VA_ARGS__}
#define HELP(...) {.intent = CB_HELP, __VA_ARGS__}
#define OPTOUT(...) {.intent = CB_OPTOUT, __VA_ARGS__}
#define OPTIN(...) {.intent = CB_OPTIN, __VA_ARGS__}
#define UNKNOWN(...) {.intent = CB_UNKNOWN, __VA_ARGS__}
#define CLASSIFY(...) {.intent = CB_CLASSIFY, __VA_ARGS__}
#define QUERY(...) {.intent = CB_QUERY, __VA_ARGS__}
#define CASE "2611150001"

static const struct parse_case parse_cases[] = {
    /* visit: the forms */
    VISIT(.in = "ZF 1000015 1", .value = 1),
    VISIT(.in = "ZF1000015 1", .value = 1),
    VISIT(.in = "ZF10000151", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "10000151"),
    VISIT(.in = "走访1000015正常", .value = 1),
    VISIT(.in = "走访 1000015 正常", .value = 1),
    VISIT(.in = "V 1000015 1", .value = 1),
    VISIT(.in = "V1000015 3 不在家", .value = 3, .note = "不在家"),
    VISIT(.in = "zf 1000015 1", .value = 1),
    VISIT(.in = "Zf 1000015 1", .value = 1),
    VISIT(.in = "ＺＦ１００００１５　１", .value = 1),
    VISIT(.in = "ｚｆ１００００１５，１。", .value = 1),
    VISIT(.in = "走访 1000015 20261105 2 心理 健康 孩子最近不爱说话", DATE(2026, 11, 5), .value = 2,
          .probs = CB_P_XL | CB_P_JK, .note = "孩子最近不爱说话"),
    VISIT(.in = "走访 1000015 20241105 2 心理 健康 孩子最近不爱说话", .error = CB_E_DATE_OLD, DATE(2024, 11, 5),
          .value = 2, .probs = CB_P_XL | CB_P_JK, .note = "孩子最近不爱说话"),
    VISIT(.in = "ZF 1000015 2 XL JK 孩子最近不爱说话", .value = 2, .probs = CB_P_XL | CB_P_JK,
          .note = "孩子最近不爱说话"),
    VISIT(.in = "ZF 1000015 2 XLJK", .value = 2, .probs = CB_P_XL | CB_P_JK),
    VISIT(.in = "ZF 1000015 2 xl/jk", .value = 2, .probs = CB_P_XL | CB_P_JK),
    VISIT(.in = "ZF 1000015 2 xl,jk", .value = 2, .probs = CB_P_XL | CB_P_JK),
    VISIT(.in = "ZF 1000015 2 XL JH 没人管", .value = 2, .probs = CB_P_XL | CB_P_JH, .note = "没人管"),
    VISIT(.in = "ZF 1000015 2 JH XL XX JK SH AQ QG", .value = 2, .probs = 0x7F),
    VISIT(.in = "ZF 1000015 2心理健康 不爱说话", .value = 2, .probs = CB_P_XL | CB_P_JK, .note = "不爱说话"),
    /* visit: every result word and problem word */
    VISIT(.in = "ZF 1000015 正常", .value = 1),
    VISIT(.in = "ZF 1000015 有问题 监护", .value = 2, .probs = CB_P_JH),
    VISIT(.in = "ZF 1000015 问题 亲情", .value = 2, .probs = CB_P_QG),
    VISIT(.in = "ZF 1000015 未见", .value = 3),
    VISIT(.in = "ZF 1000015 没见到", .value = 3),
    VISIT(.in = "ZF 1000015 不在家 奶奶说去县城了", .value = 3, .note = "奶奶说去县城了"),
    VISIT(.in = "ZF 1000015 电话", .value = 4),
    VISIT(.in = "ZF 1000015 视频", .value = 4),
    VISIT(.in = "ZF 1000015 2 心理", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 2 上学", .value = 2, .probs = CB_P_XX),
    VISIT(.in = "ZF 1000015 2 辍学", .value = 2, .probs = CB_P_XX), /* a problem in a visit */
    VISIT(.in = "ZF 1000015 2 健康", .value = 2, .probs = CB_P_JK),
    VISIT(.in = "ZF 1000015 2 生活 安全", .value = 2, .probs = CB_P_SH | CB_P_AQ),
    VISIT(.in = "ZF 1000015 有问题心理", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 4 XL", .value = 4, .probs = CB_P_XL), /* kept with other results */
    VISIT(.in = "ZF 1000015 1 心理", .value = 1, .probs = CB_P_XL),
    /* visit: dates */
    VISIT(.in = "ZF 1000015 1105 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 11月5日 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 11月5号正常", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF1000015 11月5日2心理", DATE(2026, 11, 5), .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 2026年11月5日 2 JK", DATE(2026, 11, 5), .value = 2, .probs = CB_P_JK),
    VISIT(.in = "ZF 1000015 2026-11-05 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 5号 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 昨天 1", DATE(2026, 11, 14), .value = 1),
    VISIT(.in = "ZF 1000015 前天 正常", DATE(2026, 11, 13), .value = 1),
    VISIT(.in = "ZF 1000015 今天正常", DATE(2026, 11, 15), .value = 1),
    VISIT(.in = "ZF 1000015 1 昨天 很好", DATE(2026, 11, 14), .value = 1, .note = "很好"),
    VISIT(.in = "ZF 1000015 ２０２６１１０５ １", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 20260916 1", DATE(2026, 9, 16), .value = 1),
    VISIT(.in = "ZF 1000015 20260915 1", .error = CB_E_DATE_OLD, DATE(2026, 9, 15), .value = 1),
    VISIT(.in = "ZF 1000015 1116 1", .error = CB_E_DATE_OLD, DATE(2025, 11, 16), .value = 1),
    VISIT(.in = "ZF 1000015 20261116 1", .error = CB_E_DATE_FUTURE, DATE(2026, 11, 16), .value = 1),
    VISIT(.in = "ZF 1000015 明天 1", .error = CB_E_DATE_FUTURE, DATE(2026, 11, 16), .value = 1),
    VISIT(.in = "ZF 1000015 20241332 1", .error = CB_E_DATE_FORMAT, .value = 1),
    VISIT(.in = "ZF 1000015 2月30日 1", .error = CB_E_DATE_FORMAT, .value = 1),
    VISIT(.in = "ZF 1000015 115 1", .error = CB_E_DATE_FORMAT, .value = 1),
    /* visit: errors */
    VISIT(.in = "ZF", .error = CB_E_CHILD_MISSING, .child = NULL),
    VISIT(.in = "走访", .error = CB_E_CHILD_MISSING, .child = NULL),
    VISIT(.in = "ZF 正常", .error = CB_E_CHILD_MISSING, .child = NULL, .value = 1),
    VISIT(.in = "ZF 1000016 1", .error = CB_E_CHILD_CHECK, .child = NULL, .bad = "1000016", .value = 1),
    VISIT(.in = "ZF 1000051 1", .error = CB_E_CHILD_CHECK, .child = NULL, .bad = "1000051", .value = 1),
    VISIT(.in = "ZF 100001 1", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "100001", .value = 1),
    VISIT(.in = "ZF 10000155 1", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "10000155", .value = 1),
    VISIT(.in = "ZF 1000-015 1", .value = 1), /* a code split by punctuation, joined: its check digit is valid */
    VISIT(.in = "ZF 1000-016 1", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "1000-016", .value = 1),
    VISIT(.in = "ZF 123456789012345678901234567890 1", .error = CB_E_CHILD_FORMAT, .child = NULL,
          .bad = "12345678901234567890123", .value = 1),
    VISIT(.in = "ZF 1000016 20261116 5", .error = CB_E_CHILD_CHECK, .child = NULL, .bad = "1000016",
          DATE(2026, 11, 16)), /* the first error wins */
    VISIT(.in = "ZF 1000015", .error = CB_E_RESULT_MISSING),
    VISIT(.in = "ZF 1000015 XL", .error = CB_E_RESULT_MISSING, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 孩子很好", .error = CB_E_RESULT_MISSING, .note = "孩子很好"),
    VISIT(.in = "ZF 1000015 5", .error = CB_E_RESULT_BAD),
    VISIT(.in = "ZF 1000015 0", .error = CB_E_RESULT_BAD),
    VISIT(.in = "ZF 1000015 12 1", .error = CB_E_RESULT_BAD, .note = "1"),
    VISIT(.in = "ZF 1000015 2", .error = CB_E_PROBLEMS_MISSING, .value = 2),
    VISIT(.in = "ZF 1000015 有问题 孩子瘦了", .error = CB_E_PROBLEMS_MISSING, .value = 2, .note = "孩子瘦了"),
    VISIT(.in = "ZF 1000015 2 JHX", .error = CB_E_PROBLEMS_MISSING, .value = 2, .note = "JHX"),
    /* visit: messy typing */
    VISIT(.in = "zf 1000015,1。", .value = 1),
    VISIT(.in = "*ZF#1000015*1#", .value = 1),
    VISIT(.in = "ZF：1000015；1，", .value = 1),
    VISIT(.in = "ZF+1000015+2+XL", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF\t1000015\n1", .value = 1),
    VISIT(.in = "ZF 1000015 1.", .value = 1),
    VISIT(.in = "ZF 1000015 1!!! 孩子很好", .value = 1, .note = "孩子很好"),
    VISIT(.in = "ZF 1000015 1 👍", .value = 1, .note = "👍"),
    VISIT(.in = "ZF 1000015 1 ...", .value = 1),
    VISIT(.in = "ZF 1000015 1 Kid Is Fine", .value = 1, .note = "Kid Is Fine"),
    VISIT(.in = "ZF 1000015 1 ＯＫ", .value = 1, .note = "ＯＫ"),
    VISIT(.in = "ZF 1000015 2 XL  孩子  最近，不爱说话。 ", .value = 2, .probs = CB_P_XL,
          .note = "孩子  最近，不爱说话"),
    VISIT(.name = "visit, BOM", .in = "\xEF\xBB\xBFZF 1000015 1", .value = 1),
    VISIT(.name = "visit, note with an invalid byte", .in = "ZF 1000015 1 \xFF好", .value = 1,
          .note = "\xEF\xBF\xBD好"),
    VISIT(.name = "visit, note with a NUL", BIN("ZF 1000015 1 a\0b"), .value = 1, .note = "a b"),

    /* check-in */
    CHECKIN(.in = "QD"),
    CHECKIN(.in = "QD 1000015", .child = "1000015"),
    CHECKIN(.in = "签到 1000015 平安", .child = "1000015"),
    CHECKIN(.in = "报平安"),
    CHECKIN(.in = "CI 1000015 1", .child = "1000015"),
    CHECKIN(.in = "QD1000015 1", .child = "1000015"),
    CHECKIN(.in = "qd 1000015 1 谢谢", .child = "1000015", .note = "谢谢"),
    CHECKIN(.in = "QD 1000015 2 孩子发烧了", .child = "1000015", .value = 2, .note = "孩子发烧了"),
    CHECKIN(.in = "QD 求助", .value = 2),
    CHECKIN(.in = "QD 1000015 换人 奶奶住院了", .child = "1000015", .value = 4, .note = "奶奶住院了"),
    CHECKIN(.in = "QD 4", .value = 4),
    CHECKIN(.in = "QD 回家", .value = 3),
    CHECKIN(.in = "QD 回家 12月20日", .value = 3, DATE(2026, 12, 20)),
    CHECKIN(.in = "QD 3 1月5日", .value = 3, DATE(2027, 1, 5)),
    CHECKIN(.in = "QD 1000015 3 1220", .child = "1000015", .value = 3, DATE(2026, 12, 20)),
    CHECKIN(.in = "QD 回家 明天", .value = 3, DATE(2026, 11, 16)),
    CHECKIN(.in = "QD 20261220 回家", .value = 3, DATE(2026, 12, 20)),
    CHECKIN(.in = "QD 1000015 回家 20261301", .error = CB_E_DATE_FORMAT, .child = "1000015", .value = 3),
    CHECKIN(.in = "QD 5", .error = CB_E_STATUS_BAD, .value = 0),
    CHECKIN(.in = "QD 0", .error = CB_E_STATUS_BAD, .value = 0),
    CHECKIN(.in = "QD 1000016 平安", .error = CB_E_CHILD_CHECK, .bad = "1000016"),
    CHECKIN(.in = "QD 100001 1", .error = CB_E_CHILD_FORMAT, .bad = "100001"),
    CHECKIN(.in = "QD 平安 1000015", .child = "1000015"),
    CHECKIN(.in = "QD 2个孩子都好", .note = "2个孩子都好"),
    CHECKIN(.in = "签到平安"),
    CHECKIN(.in = "QD 1000015 平安😊", .child = "1000015"),
    CHECKIN(.in = "QD 1000015 1 回家", .child = "1000015", .note = "回家"),

    /* report */
    REPORT(.in = "BG", .error = CB_E_DESC_MISSING),
    REPORT(.in = "举报", .error = CB_E_DESC_MISSING),
    REPORT(.in = "BG !!!", .error = CB_E_DESC_MISSING),
    REPORT(.in = "BG 孩子被打了", .note = "孩子被打了"),
    REPORT(.in = "BG 1 邻居家孩子", .value = 1, .cat = 1, .note = "邻居家孩子"),
    REPORT(.in = "BG 2 1000015 孩子被打", .value = 2, .cat = 1, .child = "1000015", .note = "孩子被打"),
    REPORT(.in = "BG 1000015 4", .value = 4, .cat = 1, .child = "1000015"),
    REPORT(.in = "BG 1000015 孩子没人管", .child = "1000015", .note = "孩子没人管"),
    REPORT(.in = "BG 1000015", .child = "1000015"),
    REPORT(.in = "BG 4", .value = 4, .cat = 1),
    REPORT(.in = "BG3 孩子一个人在家", .value = 3, .cat = 1, .note = "孩子一个人在家"),
    REPORT(.in = "报告 性侵", .value = 1, .cat = 1),
    REPORT(.in = "举报 家暴 邻居天天打孩子", .value = 2, .cat = 1, .note = "邻居天天打孩子"),
    REPORT(.in = "举报 虐待", .value = 2, .cat = 1),
    REPORT(.in = "BG 无人照料", .value = 3, .cat = 1),
    REPORT(.in = "BG 遗弃", .value = 3, .cat = 1),
    REPORT(.in = "BG 走失", .value = 4, .cat = 1),
    REPORT(.in = "BG 失踪", .value = 4, .cat = 1),
    REPORT(.in = "BG 拐卖", .value = 4, .cat = 1),
    REPORT(.in = "BG 自杀", .value = 5, .cat = 1),
    REPORT(.in = "BG 自伤", .value = 5, .cat = 1),
    REPORT(.in = "BG 溺水", .value = 6, .cat = 1),
    REPORT(.in = "BG 危险 河边没有护栏", .value = 6, .cat = 1, .note = "河边没有护栏"),
    REPORT(.in = "BG 欺凌", .value = 7, .cat = 1),
    REPORT(.in = "BG 辍学 初二就不上了", .value = 8, .cat = 1, .note = "初二就不上了"), /* a category here */
    REPORT(.in = "BG 其他 需要帮助", .value = 9, .cat = 1, .note = "需要帮助"),
    REPORT(.in = "求助 孩子走丢了", .note = "孩子走丢了"),
    REPORT(.in = "BG 0 孩子", .error = CB_E_CATEGORY_BAD, .note = "孩子"),
    REPORT(.in = "BG 3个孩子在河边玩", .note = "3个孩子在河边玩"),
    REPORT(.in = "BG 12岁女孩被打", .note = "12岁女孩被打"),
    REPORT(.in = "BG 13800000001 说孩子被打", .note = "13800000001 说孩子被打"),
    REPORT(.in = "BG 家暴打孩子", .value = 2, .cat = 1, .note = "家暴打孩子"),
    REPORT(.in = "BG 其他人说看到了", .note = "其他人说看到了"),
    REPORT(.in = "举报家暴", .value = 2, .cat = 1),
    REPORT(.in = "举报家暴遗弃", .value = 2, .cat = 1, .note = "遗弃"),
    REPORT(.in = "BG孩子被打了", .note = "孩子被打了"),
    REPORT(.in = "ＢＧ孩子被打了", .note = "孩子被打了"),
    REPORT(.in = "BG 1000016 孩子", .error = CB_E_CHILD_CHECK, .bad = "1000016", .note = "孩子"),
    REPORT(.in = "BG 6 孩子掉河里了！！快来", .value = 6, .cat = 1, .note = "孩子掉河里了！！快来"),
    REPORT(.in = "BG 😢😢", .note = "😢😢"),

    /* acknowledge */
    ACK(.in = "QR " CASE, .case_no = CASE),
    ACK(.in = "确认 " CASE, .case_no = CASE),
    ACK(.in = "ACK " CASE, .case_no = CASE),
    ACK(.in = "QR" CASE, .case_no = CASE),
    ACK(.in = "qr " CASE " 马上去", .case_no = CASE, .note = "马上去"),
    ACK(.in = "ＱＲ２６１１１５０００１", .case_no = CASE),
    ACK(.in = "QR", .error = CB_E_CASE_MISSING),
    ACK(.in = "QR 261115", .error = CB_E_CASE_FORMAT),
    ACK(.in = "QR 26111510000", .case_no = "26111510000"),   /* the 10,000th report of a day */
    ACK(.in = "QR 261115100000", .case_no = "261115100000"), /* the 100,000th */
    ACK(.in = "QR 2611151000001", .error = CB_E_CASE_FORMAT),
    ACK(.in = "QR 收到", .error = CB_E_CASE_MISSING, .note = "收到"),
    ACK(.in = "确认收到", .error = CB_E_CASE_MISSING, .note = "收到"),

    /* close */
    CLOSE(.in = "JA " CASE " 1", .case_no = CASE, .value = 1),
    CLOSE(.in = "结案 " CASE " 已处置 已送医", .case_no = CASE, .value = 1, .note = "已送医"),
    CLOSE(.in = "JA " CASE " 已转介", .case_no = CASE, .value = 2),
    CLOSE(.in = "JA " CASE " 不属实", .case_no = CASE, .value = 3),
    CLOSE(.in = "JA " CASE " 已立案", .case_no = CASE, .value = 4),
    CLOSE(.in = "JA" CASE " 2", .case_no = CASE, .value = 2),
    CLOSE(.in = "JA " CASE, .error = CB_E_OUTCOME_MISSING, .case_no = CASE),
    CLOSE(.in = "JA " CASE " 7", .error = CB_E_OUTCOME_BAD, .case_no = CASE),
    CLOSE(.in = "JA " CASE " 12", .error = CB_E_OUTCOME_BAD, .case_no = CASE),
    CLOSE(.in = "JA " CASE " 好了", .error = CB_E_OUTCOME_MISSING, .case_no = CASE, .note = "好了"),
    CLOSE(.in = "JA 已处置", .error = CB_E_CASE_MISSING, .value = 1),
    CLOSE(.in = "JA 1", .error = CB_E_CASE_FORMAT),
    CLOSE(.in = "JA 261115100000 1", .case_no = "261115100000", .value = 1),

    /* status */
    STATUS(.in = "CX " CASE, .case_no = CASE),
    STATUS(.in = "查询 " CASE, .case_no = CASE),
    STATUS(.in = "查询" CASE, .case_no = CASE),
    STATUS(.in = "CX", .error = CB_E_CASE_MISSING),
    STATUS(.in = "CX 2611-150001", .error = CB_E_CASE_FORMAT),
    STATUS(.in = "CX 26111510000", .case_no = "26111510000"),
    STATUS(.in = "查询一下我的举报", .error = CB_E_CASE_MISSING, .note = "一下我的举报"),

    /* help */
    HELP(.in = "BZ"),
    HELP(.in = "帮助"),
    HELP(.in = "?"),
    HELP(.in = "？"),
    HELP(.in = "??"),
    HELP(.in = "HELP"),
    HELP(.in = "help!"),
    HELP(.in = "帮助？"),
    HELP(.in = "help me", .note = "me"),

    /* opt out / in: the whole message only */
    OPTOUT(.in = "TD"),
    OPTOUT(.in = "T"),
    OPTOUT(.in = "R"),
    OPTOUT(.in = "N"),
    OPTOUT(.in = "退订"),
    OPTOUT(.in = "STOP"),
    OPTOUT(.in = "stop"),
    OPTOUT(.in = "TD。"),
    OPTOUT(.in = "ＴＤ"),
    OPTOUT(.in = "T 退订"),
    OPTIN(.in = "DY"),
    OPTIN(.in = "订阅"),
    OPTIN(.in = "START"),
    OPTIN(.in = "start."),
    UNKNOWN(.in = "TD 谢谢", .note = "TD 谢谢"),
    UNKNOWN(.in = "STOP ZF", .note = "STOP ZF"),
    UNKNOWN(.in = "TD DY", .note = "TD DY"),
    UNKNOWN(.in = "N 1000015", .note = "N 1000015"),

    /* matches no command: the whole text is the note */
    UNKNOWN(.in = ""),
    UNKNOWN(.in = "   ，，  "),
    UNKNOWN(.in = "！！！"),
    UNKNOWN(.in = "我家邻居的孩子被打了", .note = "我家邻居的孩子被打了"),
    UNKNOWN(.in = "  你好，请问怎么报告？ ", .note = "你好，请问怎么报告？"),
    UNKNOWN(.in = "帮助我们的孩子", .note = "帮助我们的孩子"),
    UNKNOWN(.in = "1000015 1", .note = "1000015 1"),
    UNKNOWN(.in = "ZF.1000015", .note = "ZF.1000015"),
    UNKNOWN(.in = "V我50", .note = "V我50"),
    UNKNOWN(.in = "平安", .note = "平安"),
    UNKNOWN(.name = "invalid bytes", .in = "\xFF\xFE\xFD",
            .note = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),

    /* ---- numbers as people type them: Chinese numerals ---- */
    VISIT(.in = "ZF 一零零零零一五 一", .value = 1),
    VISIT(.in = "ZF 一零零零零一五 正常", .value = 1),
    VISIT(.in = "走访一零零零零一五正常", .value = 1),
    VISIT(.in = "ZF 幺零零零零幺五 1", .value = 1),
    VISIT(.in = "ZF 1000015 二 心理", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 三", .value = 3),
    VISIT(.in = "ZF 1000015 四", .value = 4),
    VISIT(.in = "ZF 1000015 两 XL", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 五", .error = CB_E_RESULT_BAD),
    VISIT(.in = "ZF 1000015 零", .error = CB_E_RESULT_BAD),
    VISIT(.in = "ZF 1000015 十", .error = CB_E_RESULT_BAD),
    VISIT(.in = "ZF 一零零零零一六 1", .error = CB_E_CHILD_CHECK, .child = NULL, .bad = "1000016", .value = 1),
    VISIT(.in = "ZF 一零零零零一 1", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "100001", .value = 1),
    VISIT(.in = "ZF 1000015 三月五号 1", .error = CB_E_DATE_OLD, DATE(2026, 3, 5), .value = 1),
    VISIT(.in = "ZF 1000015 十一月五号 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 十一月五号正常", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 十二月一日 1", .error = CB_E_DATE_OLD, DATE(2025, 12, 1), .value = 1),
    VISIT(.in = "ZF 1000015 十一月十日 二 心理", DATE(2026, 11, 10), .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 二〇二六年十一月五日 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 五号 1", DATE(2026, 11, 5), .value = 1),
    VISIT(.in = "ZF 1000015 十号正常", DATE(2026, 11, 10), .value = 1),
    VISIT(.in = "ZF 1000015 11月一日 1", DATE(2026, 11, 1), .value = 1),
    VISIT(.in = "ZF 1000015 三月5号 1", .error = CB_E_DATE_OLD, DATE(2026, 3, 5), .value = 1),
    VISIT(.in = "ZF 1000015 三十二号 1", .error = CB_E_DATE_FORMAT, .value = 1),
    /* ---- voice-typed digits, codes split by spaces or punctuation ---- */
    VISIT(.in = "ZF 100 0015 1", .value = 1),
    VISIT(.in = "ZF 1000 015 1", .value = 1),
    VISIT(.in = "ZF 1 0 0 0 0 1 5 1", .value = 1),
    VISIT(.in = "ZF 10 00 01 5 正常", .value = 1),
    VISIT(.in = "ZF 100-0015 1", .value = 1),
    VISIT(.in = "ZF 100，0015，1", .value = 1),
    VISIT(.in = "ZF１０００，０１５　１", .value = 1),
    VISIT(.in = "ZF 一零零 零零一五 正常", .value = 1),
    VISIT(.in = "ZF 100 0016 1", .error = CB_E_CHILD_FORMAT, .child = NULL, .bad = "100", .value = 1), /* only a valid code */
    VISIT(.in = "ZF 100001 5", .error = CB_E_RESULT_MISSING), /* 100001 5 joined is 1000015 */
    /* ---- result words, in the result slot only ---- */
    VISIT(.in = "ZF 1000015 挺好", .value = 1),
    VISIT(.in = "ZF 1000015 都好", .value = 1),
    VISIT(.in = "ZF 1000015 没事", .value = 1),
    VISIT(.in = "ZF 1000015 一切正常", .value = 1),
    VISIT(.in = "ZF 1000015 好的", .value = 1),
    VISIT(.in = "ZF 1000015 很好", .value = 1),
    VISIT(.in = "ZF 1000015 好", .value = 1),
    VISIT(.in = "ZF 1000015 都正常", .value = 1),
    VISIT(.in = "ZF 1000015 全部正常", .value = 1),
    VISIT(.in = "ZF 1000015 一切都好 奶奶身体也好", .value = 1, .note = "奶奶身体也好"),
    VISIT(.in = "ZF 1000015 挺好的！", .value = 1),
    VISIT(.in = "走访1000015挺好", .value = 1),
    VISIT(.in = "走访1000015昨天挺好", DATE(2026, 11, 14), .value = 1),
    VISIT(.in = "ZF 1000015 没问题", .value = 1),
    VISIT(.in = "ZF 1000015 不好 心理", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 不好", .error = CB_E_PROBLEMS_MISSING, .value = 2),
    VISIT(.in = "ZF 1000015 不在", .value = 3),
    VISIT(.in = "ZF 1000015 没在家 去外婆家了", .value = 3, .note = "去外婆家了"),
    VISIT(.in = "ZF 1000015 都不在家", .value = 3),
    VISIT(.in = "ZF 1000015 打电话", .value = 4),
    VISIT(.in = "ZF 1000015 微信视频", .value = 4),
    VISIT(.in = "ZF 1000015 1 挺好", .value = 1, .note = "挺好"), /* after the result: a note */
    VISIT(.in = "ZF 1000015 孩子挺好", .error = CB_E_RESULT_MISSING, .note = "孩子挺好"),
    CHECKIN(.in = "QD 挺好", .note = "挺好"),
    CHECKIN(.in = "QD 1000015 没事", .child = "1000015", .note = "没事"),
    REPORT(.in = "BG 没事", .note = "没事"),
    CLOSE(.in = "JA " CASE " 好的", .error = CB_E_OUTCOME_MISSING, .case_no = CASE, .note = "好的"),
    /* ---- relative dates (2026-11-15 is a Sunday) ---- */
    VISIT(.in = "ZF 1000015 上周三 1", DATE(2026, 11, 4), .value = 1),
    VISIT(.in = "ZF1000015上周三正常", DATE(2026, 11, 4), .value = 1),
    VISIT(.in = "ZF 1000015 上个月5号 1", DATE(2026, 10, 5), .value = 1),
    VISIT(.in = "ZF 1000015 上个月 5号 1", DATE(2026, 10, 5), .value = 1),
    VISIT(.in = "ZF 1000015 上个月五号正常", DATE(2026, 10, 5), .value = 1),
    VISIT(.in = "ZF 1000015 前两天 1", DATE(2026, 11, 13), .value = 1),
    VISIT(.in = "ZF 1000015 大前天 正常", DATE(2026, 11, 12), .value = 1),
    VISIT(.in = "ZF 1000015 上周 3", DATE(2026, 11, 8), .value = 3), /* last week, result 3 */
    VISIT(.in = "ZF 1000015 这周一 1", DATE(2026, 11, 9), .value = 1),
    VISIT(.in = "ZF 1000015 周五 2 XL", DATE(2026, 11, 13), .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 1000015 星期六 1", DATE(2026, 11, 14), .value = 1),
    VISIT(.in = "ZF 1000015 3天前 1", DATE(2026, 11, 12), .value = 1),
    VISIT(.in = "ZF 1000015 三天前 1", DATE(2026, 11, 12), .value = 1),
    VISIT(.in = "ZF 1000015 1 上周五", DATE(2026, 11, 6), .value = 1),
    VISIT(.in = "ZF 1000015 下周一 1", .error = CB_E_DATE_FUTURE, DATE(2026, 11, 16), .value = 1),
    VISIT(.in = "ZF 1000015 上上个月1号 1", .error = CB_E_DATE_OLD, DATE(2026, 9, 1), .value = 1),
    VISIT(.in = "ZF 1000015 这个月二十号 1", .error = CB_E_DATE_FUTURE, DATE(2026, 11, 20), .value = 1),
    VISIT(.in = "ZF 1000015 上个月31号 1", DATE(2026, 10, 31), .value = 1),
    CHECKIN(.in = "QD 回家 下周五", .value = 3, DATE(2026, 11, 20)),
    CHECKIN(.in = "QD 1000015 3 下个月5号", .child = "1000015", .value = 3, DATE(2026, 12, 5)),
    CHECKIN(.in = "QD 1000015 回家 十二月二十日", .child = "1000015", .value = 3, DATE(2026, 12, 20)),
    /* ---- several children in one SMS ---- */
    VISIT(.in = "ZF 1000015 1 1000028 1 1000031 2 XL", .value = 1, .items = "1000015=1 | 1000028=1 | 1000031=2+XL"),
    VISIT(.in = "ZF 1000015、1000028、1000031 都正常", .value = 1, .items = "1000015=1 | 1000028=1 | 1000031=1"),
    VISIT(.in = "ZF 1000015 1 ZF 1000028 1", .value = 1, .items = "1000015=1 | 1000028=1"),
    VISIT(.in = "ZF 1000015 1 走访 1000028 正常", .value = 1, .items = "1000015=1 | 1000028=1"),
    VISIT(.in = "ZF 1000015 正常 ZF 1000028 正常 ZF 1000031 有问题 心理", .value = 1,
          .items = "1000015=1 | 1000028=1 | 1000031=2+XL"),
    VISIT(.in = "zf1000015 1，1000028 2 xl，1000031 3", .value = 1, .items = "1000015=1 | 1000028=2+XL | 1000031=3"),
    VISIT(.in = "ZF：1000015、1000028：1", .value = 1, .items = "1000015=1 | 1000028=1"),
    VISIT(.in = "ZF 1000015 1，1000028 1。", .value = 1, .items = "1000015=1 | 1000028=1"),
    VISIT(.in = "ZF 1000015 2 XL 不爱说话 1000028 1 很好", .value = 2, .probs = CB_P_XL, .note = "不爱说话",
          .items = "1000015=2+XL#不爱说话 | 1000028=1#很好"),
    VISIT(.in = "ZF 1000015、1000028 3 奶奶说去县城了", .value = 3, .note = "奶奶说去县城了",
          .items = "1000015=3#奶奶说去县城了 | 1000028=3#奶奶说去县城了"),
    VISIT(.in = "ZF 1000015 1 1000016 1", .value = 1, .items = "1000015=1 | 1000016=1!child_check"),
    VISIT(.in = "ZF 1000015 1 1000028", .value = 1, .items = "1000015=1 | 1000028=0!result_missing"),
    VISIT(.in = "ZF 1000015 1 1000028 5", .value = 1, .items = "1000015=1 | 1000028=0!result_bad"),
    VISIT(.in = "ZF 1000015 昨天 1 1000028 前天 2 JK", DATE(2026, 11, 14), .value = 1,
          .items = "1000015=1@1114 | 1000028=2+JK@1113"),
    VISIT(.in = "ZF 1000015 1 1000028 明天 1", .value = 1, .items = "1000015=1 | 1000028=1@1116!date_future"),
    VISIT(.in = "ZF 1000015 1 100 0028 1", .value = 1, .items = "1000015=1 | 1000028=1"),
    VISIT(.in = "ZF 一零零零零一五 一 一零零零零二八 二 心理", .value = 1, .items = "1000015=1 | 1000028=2+XL"),
    VISIT(.in = "ZF 1000015 1 1000015 1", .value = 1, .items = "1000015=1 | 1000015=1"), /* the handler keeps one */
    VISIT(.in = "ZF 1000015 1000028", .error = CB_E_RESULT_MISSING,
          .items = "1000015=0!result_missing | 1000028=0!result_missing"),
    VISIT(.in = "ZF 1000015 2 1000028 1", .error = CB_E_PROBLEMS_MISSING, .value = 2,
          .items = "1000015=2!problems_missing | 1000028=1"),
    VISIT(.in = "ZF 1000016 1 1000028 1", .error = CB_E_CHILD_CHECK, .child = NULL, .bad = "1000016", .value = 1,
          .items = "1000016=1!child_check | 1000028=1"),
    VISIT(.in = "ZF 1000015 1 孩子们都很好", .value = 1, .note = "孩子们都很好"),
    VISIT(.in = "ZF 1000015 1 1000028 1 孩子们都很好", .value = 1, .items = "1000015=1 | 1000028=1#孩子们都很好"),
    CHECKIN(.in = "QD 1000015 1 1000028 2", .child = "1000015", .value = 1, .items = "1000015=1 | 1000028=2"),
    CHECKIN(.in = "QD 1000015 1000028 平安", .child = "1000015", .items = "1000015=1 | 1000028=1"),
    CHECKIN(.in = "QD 1000015、1000028 求助", .child = "1000015", .value = 2, .items = "1000015=2 | 1000028=2"),
    CHECKIN(.in = "QD 1000015 平安 1000028 回家 12月20日", .child = "1000015",
            .items = "1000015=1 | 1000028=3@1220"),
    CHECKIN(.in = "签到 1000015 1 签到 1000028 4 换了奶奶照顾", .child = "1000015",
            .items = "1000015=1 | 1000028=4#换了奶奶照顾"),
    CHECKIN(.in = "QD 1000015 2 1000016 1", .child = "1000015", .value = 2,
            .items = "1000015=2 | 1000016=1!child_check"),
    CHECKIN(.in = "QD 1000015 7 1000028 1", .error = CB_E_STATUS_BAD, .child = "1000015", .value = 0,
            .items = "1000015=0!status_bad | 1000028=1"),
    CHECKIN(.in = "QD 1000015 2 孩子发烧 1000028 1", .child = "1000015", .value = 2, .note = "孩子发烧",
            .items = "1000015=2#孩子发烧 | 1000028=1"),
    CHECKIN(.in = "QD 1000015 1，1000028 2！", .child = "1000015", .items = "1000015=1 | 1000028=2"),
    CHECKIN(.in = "QD 一零零零零一五 二", .child = "1000015", .value = 2),
    CHECKIN(.in = "QD 100 0015 2", .child = "1000015", .value = 2),
    CHECKIN(.in = "QD 1 0 0 0 0 1 5 2", .child = "1000015", .value = 2),
    CHECKIN(.in = "QD 二", .value = 2),
    /* ---- names instead of codes ---- */
    VISIT(.in = "ZF 张小明 1", .child = NULL, .cname = "张小明", .value = 1),
    VISIT(.in = "走访张小明正常", .child = NULL, .cname = "张小明", .value = 1),
    VISIT(.in = "ZF张小明 2 心理", .child = NULL, .cname = "张小明", .value = 2, .probs = CB_P_XL),
    VISIT(.in = "ZF 张小明 昨天 1", .child = NULL, .cname = "张小明", DATE(2026, 11, 14), .value = 1),
    VISIT(.in = "ZF 张小明今天正常", .child = NULL, .cname = "张小明", DATE(2026, 11, 15), .value = 1),
    VISIT(.in = "ZF 欧阳娜娜 1", .child = NULL, .cname = "欧阳娜娜", .value = 1),
    VISIT(.in = "ZF 买买提·艾力 1", .child = NULL, .cname = "买买提·艾力", .value = 1),
    VISIT(.in = "ZF 张小明", .error = CB_E_RESULT_MISSING, .child = NULL, .cname = "张小明"),
    VISIT(.in = "ZF 张小明 1 李小红 2 XL", .child = NULL, .cname = "张小明", .value = 1, .items = "张小明=1 | 李小红=2+XL"),
    VISIT(.in = "ZF 张小明、李小红 都好", .child = NULL, .cname = "张小明", .value = 1, .items = "张小明=1 | 李小红=1"),
    VISIT(.in = "ZF 张小明 1 1000028 1", .child = NULL, .cname = "张小明", .value = 1, .items = "张小明=1 | 1000028=1"),
    VISIT(.in = "ZF 1000015 1 王小刚 3", .value = 1, .items = "1000015=1 | 王小刚=3"),
    VISIT(.in = "ZF 张小明 1 李小红正常", .child = NULL, .cname = "张小明", .value = 1, .items = "张小明=1 | 李小红=1"),
    VISIT(.in = "ZF 1000015 2 XL 王老师说正常", .value = 2, .probs = CB_P_XL, .note = "王老师说正常"),
    VISIT(.in = "ZF 1000015 1 李奶奶说孩子很好", .value = 1, .note = "李奶奶说孩子很好"),
    VISIT(.in = "ZF 孩子很好", .child = NULL, .cname = "孩子", .value = 1), /* no such name: the handler says so */
    VISIT(.in = "ZF 今天 1", .error = CB_E_CHILD_MISSING, .child = NULL, DATE(2026, 11, 15), .value = 1),
    VISIT(.in = "ZF 周一 1", .error = CB_E_CHILD_MISSING, .child = NULL, DATE(2026, 11, 9), .value = 1),
    REPORT(.in = "BG 4 张小明 走丢了", .value = 4, .cat = 1, .cname = "张小明", .note = "张小明 走丢了"),
    REPORT(.in = "BG 张小明 被打了", .cname = "张小明", .note = "张小明 被打了"),
    REPORT(.in = "BG 张小明被打了", .note = "张小明被打了"),
    REPORT(.in = "BG 孩子 被打了", .note = "孩子 被打了"),
    REPORT(.in = "BG 1000015 张小明 被打", .child = "1000015", .note = "张小明 被打"),
    /* ---- report categories as numerals; numerals inside words stay words ---- */
    REPORT(.in = "BG 五 孩子在家割手腕", .value = 5, .cat = 1, .note = "孩子在家割手腕"),
    REPORT(.in = "BG 六 孩子掉河里了", .value = 6, .cat = 1, .note = "孩子掉河里了"),
    REPORT(.in = "举报 二 邻居打孩子", .value = 2, .cat = 1, .note = "邻居打孩子"),
    REPORT(.in = "BG 一 1000015 有人对孩子不轨", .value = 1, .cat = 1, .child = "1000015", .note = "有人对孩子不轨"),
    REPORT(.in = "BG 1000015 四", .value = 4, .cat = 1, .child = "1000015"),
    REPORT(.in = "BG 零 孩子", .error = CB_E_CATEGORY_BAD, .note = "孩子"),
    REPORT(.in = "BG 十 孩子", .note = "十 孩子"),
    REPORT(.in = "BG 一个人在家三天了", .note = "一个人在家三天了"),
    REPORT(.in = "BG 孩子 一 个人在家", .note = "孩子 一 个人在家"),
    REPORT(.in = "BG 三天两头被打", .note = "三天两头被打"),
    REPORT(.in = "BG 五孩子被打", .note = "五孩子被打"),
    REPORT(.in = "BG 十分紧急 孩子落水", .note = "十分紧急 孩子落水"),
    REPORT(.in = "BG 万一出事怎么办", .note = "万一出事怎么办"),
    REPORT(.in = "BG 1 0 0 0 0 1 5 孩子被打", .child = "1000015", .note = "孩子被打"),
    REPORT(.in = "BG 4 100 0015 孩子丢了", .value = 4, .cat = 1, .child = "1000015", .note = "孩子丢了"),
    CHECKIN(.in = "QD 一直联系不上孩子", .note = "一直联系不上孩子"),
    CHECKIN(.in = "QD 一切都好", .note = "一切都好"),
    VISIT(.in = "ZF 1000015 1 一直不在家", .value = 1, .note = "一直不在家"),
    VISIT(.in = "ZF 1000015 1 十分懂事", .value = 1, .note = "十分懂事"),
    VISIT(.in = "ZF 1000015 三天两头不在家", .error = CB_E_RESULT_MISSING, .note = "三天两头不在家"),
    UNKNOWN(.in = "一个人在家的孩子没人管", .note = "一个人在家的孩子没人管"),
    /* ---- FL: triage classifies a case ---- */
    CLASSIFY(.in = "FL " CASE " 3", .case_no = CASE, .value = 3),
    CLASSIFY(.in = "分类 " CASE " 家暴", .case_no = CASE, .value = 2),
    CLASSIFY(.in = "fl " CASE " 五", .case_no = CASE, .value = 5),
    CLASSIFY(.in = "FL" CASE " 6 孩子落水", .case_no = CASE, .value = 6, .note = "孩子落水"),
    CLASSIFY(.in = "分类" CASE "无人照料", .case_no = CASE, .value = 3),
    CLASSIFY(.in = "分类 " CASE " 其他", .case_no = CASE, .value = 9),
    CLASSIFY(.in = "FL " CASE " 溺水", .case_no = CASE, .value = 6),
    CLASSIFY(.in = "ＦＬ　" CASE "　２", .case_no = CASE, .value = 2),
    CLASSIFY(.in = "FL 26111510000 4", .case_no = "26111510000", .value = 4),
    CLASSIFY(.in = "FL " CASE, .error = CB_E_CATEGORY_MISSING, .case_no = CASE),
    CLASSIFY(.in = "FL " CASE " 0", .error = CB_E_CATEGORY_BAD, .case_no = CASE),
    CLASSIFY(.in = "FL " CASE " 12", .error = CB_E_CATEGORY_BAD, .case_no = CASE),
    CLASSIFY(.in = "FL " CASE " 十", .error = CB_E_CATEGORY_BAD, .case_no = CASE),
    CLASSIFY(.in = "FL " CASE " 看不清", .error = CB_E_CATEGORY_MISSING, .case_no = CASE, .note = "看不清"),
    CLASSIFY(.in = "FL", .error = CB_E_CASE_MISSING),
    CLASSIFY(.in = "FL 5", .error = CB_E_CASE_FORMAT),
    CLASSIFY(.in = "FL 3 " CASE, .error = CB_E_CASE_FORMAT, .note = CASE),
    UNKNOWN(.in = "分类垃圾要放好", .note = "分类垃圾要放好"),
    /* ---- questions ---- */
    QUERY(.in = "CX 待访", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "查询待访", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "cx待访", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "CX 待访 2", .query = CB_Q_DUE, .value = 2),
    QUERY(.in = "CX 待访 二", .query = CB_Q_DUE, .value = 2),
    QUERY(.in = "CX待访3", .query = CB_Q_DUE, .value = 3),
    QUERY(.in = "CX 待访名单", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "哪些孩子要走访", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "哪些孩子要走访？", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "请问哪些孩子该走访了", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "待访名单", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "本月待访", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "还有哪些孩子没走访呢", .query = CB_Q_DUE, .value = 1),
    QUERY(.in = "CX 走访", .query = CB_Q_COVERAGE, .value = 1),
    QUERY(.in = "查询走访情况", .query = CB_Q_COVERAGE, .value = 1),
    QUERY(.in = "走访情况", .query = CB_Q_COVERAGE, .value = 1),
    QUERY(.in = "CX 覆盖率", .query = CB_Q_COVERAGE, .value = 1),
    QUERY(.in = "走访进度？", .query = CB_Q_COVERAGE, .value = 1),
    STATUS(.in = "CX 待办", .error = CB_E_CASE_MISSING, .note = "待办"),
    UNKNOWN(.in = "孩子要走访吗", .note = "孩子要走访吗"),
};

/* The items of a visit or check-in, one per child: "<code, name or bad
 * token>=<value>[+<problems>][@MMDD when dated][!<error>][#<note>]", joined
 * by " | ". */
static void items_str(const struct cb_cmd *cmd, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < cmd->nitems && i < CB_ITEMS_MAX; i++) {
        const struct cb_item *it = &cmd->items[i];
        char pb[32];
        const char *who = it->child[0] ? it->child : it->name[0] ? it->name : it->bad_child[0] ? it->bad_child : "-";
        n += (size_t)snprintf(out + n, outlen - n, "%s%s=%d", i ? " | " : "", who, it->value);
        if (it->problems) n += (size_t)snprintf(out + n, outlen - n, "+%s", cb_problems_str(it->problems, pb, sizeof pb));
        if (it->date_given) n += (size_t)snprintf(out + n, outlen - n, "@%02d%02d", it->month, it->day);
        if (it->error) n += (size_t)snprintf(out + n, outlen - n, "!%s", cb_error_name(it->error));
        if (it->note) n += (size_t)snprintf(out + n, outlen - n, "#%s", it->note);
        if (n >= outlen) return;
    }
}

static void test_parse(void **state)
{
    const struct parse_case *c = *state;
    struct cb_cmd cmd;
    size_t len = c->len ? c->len : strlen(c->in);
    enum cb_intent in = cb_parse(c->in, len, NOW_TS, &cmd);
    char got[32], want[32];

    assert_int_equal(in, cmd.intent);
    assert_string_equal(cb_intent_name(cmd.intent), cb_intent_name(c->intent));
    assert_string_equal(cb_error_name(cmd.error), cb_error_name(c->error));
    assert_string_equal(cmd.child, c->child ? c->child : "");
    assert_string_equal(cmd.bad_child, c->bad ? c->bad : "");
    assert_int_equal(cmd.year, c->y);
    assert_int_equal(cmd.month, c->m);
    assert_int_equal(cmd.day, c->d);
    assert_int_equal(cmd.date_given, c->given);
    assert_int_equal(cmd.value, c->value);
    assert_int_equal(cmd.category_given, c->cat);
    assert_string_equal(cb_problems_str(cmd.problems, got, sizeof got), cb_problems_str(c->probs, want, sizeof want));
    assert_string_equal(cmd.case_no, c->case_no ? c->case_no : "");
    if (c->note) {
        assert_non_null(cmd.note);
        assert_string_equal(cmd.note, c->note);
    } else if (cmd.note) {
        fail_msg("unexpected note \"%s\"", cmd.note);
    }
    assert_string_equal(cmd.name, c->cname ? c->cname : "");
    assert_int_equal(cmd.query, c->query);
    assert_int_equal(cmd.items_more, c->more);
    if (c->items) {
        char items[1024];
        items_str(&cmd, items, sizeof items);
        assert_string_equal(items, c->items);
    } else {
        assert_int_equal(cmd.nitems, c->intent == CB_VISIT || c->intent == CB_CHECKIN ? 1 : 0);
    }
    cb_cmd_free(&cmd);
    assert_null(cmd.note);
    cb_cmd_free(&cmd); /* twice is harmless */
}

/* The normalised text is always the tokens joined by one space. */
static void test_normalize_matches_tokens(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char *norm = cb_normalize(c->in, len);
        struct cb_tokens t;
        cb_tokenize(c->in, len, &t);
        size_t off = 0;
        for (size_t k = 0; k < t.n; k++) {
            size_t n = strlen(t.v[k].text);
            assert_memory_equal(norm + off, t.v[k].text, n);
            off += n;
            if (k + 1 < t.n) assert_int_equal(norm[off++], ' ');
        }
        assert_int_equal(norm[off], '\0');
        cb_tokens_free(&t);
        free(norm);
    }
}

/* A long message: the grammar looks at a bounded number of tokens and the
 * rest is note, cut from the original. */
static void test_parse_long(void **state)
{
    (void)state;
    char buf[4096] = "ZF 1000015 2";
    for (int i = 0; i < 200; i++) strcat(buf, " XL");
    strcat(buf, " 孩子");
    struct cb_cmd cmd;
    cb_parse(buf, strlen(buf), NOW_TS, &cmd);
    assert_int_equal(cmd.intent, CB_VISIT);
    assert_int_equal(cmd.error, CB_OK);
    assert_int_equal(cmd.problems, CB_P_XL);
    assert_non_null(cmd.note);
    assert_true(strlen(cmd.note) < strlen(buf));
    assert_string_equal(cmd.note + strlen(cmd.note) - strlen("XL 孩子"), "XL 孩子");
    cb_cmd_free(&cmd);

    char big[20000];
    memset(big, 'A', sizeof big);
    memcpy(big, "BG ", 3);
    cb_parse(big, sizeof big, NOW_TS, &cmd);
    assert_int_equal(cmd.intent, CB_REPORT);
    assert_int_equal(cmd.error, CB_OK);
    assert_non_null(cmd.note);
    assert_int_equal(strlen(cmd.note), sizeof big - 3);
    cb_cmd_free(&cmd);
}

/* Chinese numerals: whole runs only, 十 read as tens. */
static void test_numerals(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        int runs;
    } cases[] = {
        {"一零零零零一五", "1000015", 1}, {"幺零零零零幺五", "1000015", 1}, {"五", "5", 1},
        {"十", "10", 1},                   {"十二", "12", 1},               {"二十", "20", 1},
        {"二十五", "25", 1},               {"三十一", "31", 1},             {"两", "2", 1},
        {"二〇二六", "2026", 1},           {"贰零贰陆", "2026", 1},         {"拾伍", "15", 1},
        {"三月五号", "3月5号", 2},         {"十二月一日", "12月1日", 2},    {"一个人", "1个人", 1},
        {"孩子", "孩子", 0},               {"", "", 0},                     {"abc", "abc", 0},
        {"十十", "", -1},                  {"一十二十", "", -1},            {"一百", "1百", 1},
        {"零十", "", -1},                  {"十一十", "", -1},
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        char out[64];
        int runs = cb_numerals(cases[i].in, out, sizeof out);
        if (runs != cases[i].runs || strcmp(out, cases[i].out) != 0)
            fail_msg("%s: %d \"%s\", want %d \"%s\"", cases[i].in, runs, out, cases[i].runs, cases[i].out);
    }
    char small[3];
    assert_int_equal(cb_numerals("一二三", small, sizeof small), -1); /* too small: nothing half written */
    assert_string_equal(small, "");
    assert_int_equal(cb_numerals(NULL, small, sizeof small), 0);
    assert_int_equal(cb_numerals("一", NULL, 0), -1);
}

/* What reads as a child's name. */
static void test_name_like(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int surname, want;
    } cases[] = {
        {"张小明", 0, 1},      {"张小明", 1, 1},   {"李华", 1, 1},        {"欧阳娜娜", 1, 1},  {"欧阳娜娜", 0, 1},
        {"张小明明", 0, 1},    {"张小明明", 1, 0}, {"买买提·艾力", 0, 1}, {"孩子", 0, 1},      {"孩子", 1, 0},
        {"王老师说", 1, 0},    {"正常", 0, 0},     {"今天", 0, 0},        {"上周三", 0, 0},    {"周一", 1, 0},
        {"一零零", 0, 0},      {"张", 0, 0},       {"张小明123", 0, 0},   {"ZF", 0, 0},        {"走访", 0, 0},
        {"张小明很乖的", 0, 0}, {"·张明", 0, 0},    {"张明·", 0, 0},       {"", 0, 0},          {"都好", 0, 0},
    };
    for (size_t i = 0; i < N_OF(cases); i++)
        if (cb_name_like(cases[i].s, cases[i].surname) != cases[i].want)
            fail_msg("%s (surname %d): want %d", cases[i].s, cases[i].surname, cases[i].want);
    assert_int_equal(cb_name_like(NULL, 0), 0);
}

/* More children than CB_ITEMS_MAX: the first CB_ITEMS_MAX are read, the
 * command says more followed, and the rest is the last item's note. */
static void test_parse_many_children(void **state)
{
    (void)state;
    char buf[1024] = "ZF";
    for (int i = 0; i < CB_ITEMS_MAX + 3; i++) {
        char code[16];
        snprintf(code, sizeof code, "%06d", (100001 + i) % 1000000);
        code[6] = cb_damm_digit(code, 6);
        code[7] = '\0';
        strcat(buf, i ? "、" : " ");
        strcat(buf, code);
    }
    strcat(buf, " 正常");
    struct cb_cmd cmd;
    cb_parse(buf, strlen(buf), NOW_TS, &cmd);
    assert_int_equal(cmd.intent, CB_VISIT);
    assert_int_equal(cmd.nitems, CB_ITEMS_MAX);
    assert_int_equal(cmd.items_more, 1);
    for (int i = 0; i < cmd.nitems; i++) {
        assert_int_equal(cmd.items[i].error, CB_OK);
        assert_int_equal(cmd.items[i].value, 1); /* the list's result reaches every child read */
    }
    cb_cmd_free(&cmd);

    /* groups: ZF c 1 ZF c 1 ... past the limit */
    strcpy(buf, "");
    for (int i = 0; i < CB_ITEMS_MAX + 2; i++) {
        char code[16];
        snprintf(code, sizeof code, "%06d", (200001 + i) % 1000000);
        code[6] = cb_damm_digit(code, 6);
        code[7] = '\0';
        strcat(buf, "ZF ");
        strcat(buf, code);
        strcat(buf, " 1 ");
    }
    cb_parse(buf, strlen(buf), NOW_TS, &cmd);
    assert_int_equal(cmd.nitems, CB_ITEMS_MAX);
    assert_int_equal(cmd.items_more, 1);
    assert_int_equal(cmd.items[CB_ITEMS_MAX - 1].value, 1);
    cb_cmd_free(&cmd);
}

static void test_parse_null(void **state)
{
    (void)state;
    struct cb_cmd cmd;
    assert_int_equal(cb_parse(NULL, 0, NOW_TS, &cmd), CB_UNKNOWN);
    assert_null(cmd.note);
    cb_cmd_free(&cmd);
    cb_cmd_free(NULL);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const intents[] = {"unknown", "visit",  "checkin", "report",   "ack",  "close",
                                          "status",  "help",   "optout",  "optin", "classify", "query"};
    static const char *const errors[] = {
        "ok",           "child_missing", "child_format",   "child_check",   "date_format",    "date_future",
        "date_old",     "result_missing", "result_bad",    "problems_missing", "status_bad", "category_bad",
        "desc_missing", "case_missing",  "case_format",    "outcome_missing", "outcome_bad", "category_missing",
    };
    for (int i = CB_UNKNOWN; i <= CB_QUERY; i++) assert_string_equal(cb_intent_name((enum cb_intent)i), intents[i]);
    for (int e = CB_OK; e <= CB_E_CATEGORY_MISSING; e++)
        assert_string_equal(cb_error_name((enum cb_error)e), errors[e]);
    assert_string_equal(cb_intent_name((enum cb_intent)99), "unknown");
    assert_string_equal(cb_error_name((enum cb_error)99), "unknown");
}

static void test_problems_str(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(cb_problems_str(0, out, sizeof out), "");
    assert_string_equal(cb_problems_str(CB_P_XL, out, sizeof out), "XL");
    assert_string_equal(cb_problems_str(CB_P_JH | CB_P_XL, out, sizeof out), "JH|XL");
    assert_string_equal(cb_problems_str(0x7F, out, sizeof out), "JH|XL|XX|JK|SH|AQ|QG");
    assert_string_equal(cb_problems_str(0xFFFFFFFFu, out, sizeof out), "JH|XL|XX|JK|SH|AQ|QG");
    assert_string_equal(cb_problems_str(0x7F, out, 6), "JH|XL");
    assert_string_equal(cb_problems_str(0x7F, out, 1), "");
}

/* ---- main ---------------------------------------------------------------------- */

#define NAME_MAX_ 96

/* A test name for a row: its own name, or its input with control bytes
 * shown as escapes so that every name stays on one output line. */
static const char *row_name(const char *name, const char *in, char *buf)
{
    size_t n = 0;
    if (name) return name;
    if (!*in) return "(empty)";
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 5 < NAME_MAX_; p++) {
        if (*p < 0x20 || *p == 0x7F) n += (size_t)snprintf(buf + n, NAME_MAX_ - n, "\\x%02X", *p);
        else buf[n++] = (char)*p;
    }
    buf[n] = '\0';
    return buf;
}

/* Registers one test per table row, named by the row's input. */
#define ROWS(tests, n, table, fn, names)                                                                       \
    do {                                                                                                       \
        for (size_t i_ = 0; i_ < N_OF(table); i_++) {                                                          \
            tests[n].name = row_name((table)[i_].name, (table)[i_].in, names[i_]);                             \
            tests[n].test_func = fn;                                                                           \
            tests[n].setup_func = NULL;                                                                        \
            tests[n].teardown_func = NULL;                                                                     \
            tests[n].initial_state = (void *)&(table)[i_];                                                     \
            n++;                                                                                               \
        }                                                                                                      \
    } while (0)

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    int failed = 0;

    char norm_names[N_OF(norm_cases)][NAME_MAX_];
    struct CMUnitTest norm[N_OF(norm_cases) + N_OF(tok_cases) + 2];
    size_t n = 0;
    ROWS(norm, n, norm_cases, test_normalize, norm_names);
    for (size_t i = 0; i < N_OF(tok_cases); i++)
        norm[n++] = (struct CMUnitTest){tok_cases[i].in[0] ? tok_cases[i].in : "(empty)", test_tokenize, NULL, NULL,
                                        (void *)&tok_cases[i]};
    norm[n++] = (struct CMUnitTest)cmocka_unit_test(test_normalize_null);
    norm[n++] = (struct CMUnitTest)cmocka_unit_test(test_normalize_matches_tokens);
    failed += _cmocka_run_group_tests("normalize", norm, n, NULL, NULL);

    const struct CMUnitTest damm[] = {
        cmocka_unit_test(test_damm_vectors),
        cmocka_unit_test(test_damm_valid_codes),
        cmocka_unit_test(test_damm_single_substitution),
        cmocka_unit_test(test_damm_adjacent_transposition),
        cmocka_unit_test(test_damm_bad_forms),
    };
    failed += cmocka_run_group_tests_name("damm", damm, NULL, NULL);

    char date_names[N_OF(date_cases)][64];
    struct CMUnitTest dates[N_OF(date_cases) + 2];
    static const char *const when_names[] = {"11-15", "01-02", "12-30", "2028-02-29", "2028-03-01", "00:30", "2027-03-01"};
    n = 0;
    for (size_t i = 0; i < N_OF(date_cases); i++) {
        snprintf(date_names[i], sizeof date_names[i], "%s %s %s", date_cases[i].tok, when_names[date_cases[i].when],
                 date_cases[i].pref == CB_DATE_PAST ? "past" : "future");
        dates[n++] = (struct CMUnitTest){date_names[i], test_date, NULL, NULL, (void *)&date_cases[i]};
    }
    dates[n++] = (struct CMUnitTest)cmocka_unit_test(test_date_null);
    dates[n++] = (struct CMUnitTest)cmocka_unit_test(test_days_ago);
    failed += _cmocka_run_group_tests("dates", dates, n, NULL, NULL);

    char parse_names[N_OF(parse_cases)][NAME_MAX_];
    struct CMUnitTest parse[N_OF(parse_cases) + 7];
    n = 0;
    ROWS(parse, n, parse_cases, test_parse, parse_names);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_parse_long);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_parse_null);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_numerals);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_name_like);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_parse_many_children);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    parse[n++] = (struct CMUnitTest)cmocka_unit_test(test_problems_str);
    failed += _cmocka_run_group_tests("parse", parse, n, NULL, NULL);

    return failed ? 1 : 0;
}
