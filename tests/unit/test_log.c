/* tests/unit/test_log.c - log lines: escaping of what could break a line
 * or drive a terminal (a table of inputs), one line per call, and the rate
 * limit with its summary (a fixed clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/log.h"

struct esc_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
};

static void escapes_what_breaks_lines(void **state)
{
    static const struct esc_case cases[] = {
        {"plain text, 100% ok", 0, "plain text, 100% ok"},
        {"a\nb", 0, "a\\x0ab"},
        {"cr\r\nlf", 0, "cr\\x0d\\x0alf"},
        {"\x1b[2Jclear", 0, "\\x1b[2Jclear"},
        {"tab\there", 0, "tab\\x09here"},
        {"del\x7f", 0, "del\\x7f"},
        {"nul\0after", 9, "nul\\x00after"},
        {"走访1110022正常", 0, "走访1110022正常"},               /* UTF-8 text stays */
        {"\xc2\x85next", 0, "\\xc2\\x85next"},                 /* U+0085 NEL, a C1 control */
        {"\xc2\xa0nbsp", 0, "\xc2\xa0nbsp"},                   /* U+00A0 is text */
        {"ls\xe2\x80\xa8ps\xe2\x80\xa9", 0, "ls\\xe2\\x80\\xa8ps\\xe2\\x80\\xa9"}, /* U+2028, U+2029 */
        {"bad\xff\xfe", 0, "bad\\xff\\xfe"},                   /* not UTF-8 */
        {"cut\xe8\xb5", 0, "cut\\xe8\\xb5"},                   /* a sequence cut short */
        {"over\xc0\xaflong", 0, "over\\xc0\\xaflong"},         /* an overlong '/' */
        {"sur\xed\xa0\x80", 0, "sur\\xed\\xa0\\x80"},          /* a UTF-16 surrogate */
        {"emoji \xf0\x9f\x98\x80", 0, "emoji \xf0\x9f\x98\x80"},
        {"back\\x0a", 0, "back\\x0a"}, /* a literal backslash is text: it cannot end the line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].in);
        size_t w = gw_log_escape(cases[i].in, n, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0 || w != strlen(out))
            fail_msg("case %zu: got '%s' (%zu), expected '%s'", i, out, w, cases[i].out);
    }
    /* Never past the buffer, never half an escape or half a character. */
    char small[8];
    assert_int_equal(gw_log_escape("ab\ncd", 5, small, sizeof small), 7);
    assert_string_equal(small, "ab\\x0ac");
    assert_int_equal(gw_log_escape("a\n", 2, small, 5), 1);
    assert_string_equal(small, "a");
    assert_int_equal(gw_log_escape("走访", 6, small, 6), 3);
    assert_string_equal(small, "走");
}

/* Runs fn with stderr going to a file; returns what it wrote (owned). */
static char *capture(void (*fn)(void))
{
    char path[] = "/tmp/gw-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)len + 1);
    assert_int_equal(pread(fd, text, (size_t)len, 0), len);
    close(fd);
    unlink(path);
    return text;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void log_forged(void) { gw_info("route=%s reason=%s", "sms\n2031-01-01T00:00:00.000Z error forged", "x\ry"); }

static void one_call_is_one_line(void **state)
{
    gw_log_set_level(GW_LOG_INFO);
    char *text = capture(log_forged);
    assert_int_equal(count(text, "\n"), 1);
    assert_non_null(strstr(text, " info route=sms\\x0a2031-01-01T00:00:00.000Z error forged reason=x\\x0dy\n"));
    free(text);
}

static void log_flood(void)
{
    struct gw_log_limit *l = gw_log_limit_new(GW_LOG_INFO, "http: ", "requests refused", 10, 3);
    /* 1000 refusals in the first 5 s: three lines, the rest counted. */
    for (int i = 0; i < 1000; i++)
        gw_log_limited(l, 100.0 + i * 0.005, i % 4 ? "403 channel=generic route=sms" : "400 channel=twilio route=sms",
                       "refused %d", i);
    gw_log_limit_tick(l, 109.9); /* not yet */
    gw_log_limit_tick(l, 110.1); /* the interval is over: the summary, though nothing else came */
    gw_log_limit_tick(l, 125.0); /* nothing held back: nothing */
    /* Twelve keys: eight are told apart, the rest are "other". */
    for (int i = 0; i < 15; i++) {
        char key[32];
        snprintf(key, sizeof key, "40%d k%d", i % 10, i);
        gw_log_limited(l, 200.0, key, "k %d", i);
    }
    gw_log_limit_free(l); /* writes what is held */
}

static void floods_become_a_summary(void **state)
{
    gw_log_set_level(GW_LOG_INFO);
    char *text = capture(log_flood);
    assert_int_equal(count(text, "\n"), 3 + 1 + 3 + 1);
    assert_int_equal(count(text, "info refused "), 3);
    assert_non_null(strstr(text, "info http: 997 more requests refused in the last 10 s: 403 channel=generic "
                                 "route=sms x 748, 400 channel=twilio route=sms x 249\n"));
    assert_non_null(strstr(text, "info http: 12 more requests refused in the last 1 s: 403 k3 x 1, 404 k4 x 1, "
                                 "405 k5 x 1, 406 k6 x 1, 407 k7 x 1, 408 k8 x 1, 409 k9 x 1, 400 k10 x 1, other x 4\n"));
    free(text);
}

static void quiet_below_level(void)
{
    struct gw_log_limit *l = gw_log_limit_new(GW_LOG_INFO, "http: ", "requests refused", 10, 3);
    for (int i = 0; i < 10; i++) gw_log_limited(l, 1.0, "k", "refused %d", i);
    gw_log_limit_tick(l, 20.0);
    gw_log_limit_free(l);
}

static void below_the_level_nothing_is_written(void **state)
{
    gw_log_set_level(GW_LOG_WARN);
    char *text = capture(quiet_below_level);
    gw_log_set_level(GW_LOG_INFO);
    assert_string_equal(text, "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_what_breaks_lines),
        cmocka_unit_test(one_call_is_one_line),
        cmocka_unit_test(floods_become_a_summary),
        cmocka_unit_test(below_the_level_nothing_is_written),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
