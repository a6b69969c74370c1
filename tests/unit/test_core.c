/* tests/unit/test_core.c - the core calendar (day numbers, strict dates,
 * weekdays, working days, local days in a fixed zone) and the core UTF-8
 * decoder and encoder (round trips, ill-formed input, cutting a buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/calendar.h"
#include "../../core/utf8.h"

/* Days in a month by the Gregorian rule, written out independently of the
 * code under test. */
static int month_days(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

static void civil_days_of_known_dates(void **state)
{
    assert_int_equal(cal_civil_day(1970, 1, 1), 0);
    assert_int_equal(cal_civil_day(1969, 12, 31), -1);
    assert_int_equal(cal_civil_day(1900, 1, 1), -25567);
    assert_int_equal(cal_civil_day(2000, 1, 1), 10957);
    assert_int_equal(cal_civil_day(2000, 2, 29), 11016);
    assert_int_equal(cal_civil_day(2024, 2, 29), 19782);
    assert_int_equal(cal_civil_day(2100, 3, 1), 47541);
    /* 2000 is a leap year (divisible by 400); 1900 and 2100 are not. */
    assert_int_equal(cal_civil_day(2000, 3, 1) - cal_civil_day(2000, 2, 28), 2);
    assert_int_equal(cal_civil_day(1900, 3, 1) - cal_civil_day(1900, 2, 28), 1);
    assert_int_equal(cal_civil_day(2100, 3, 1) - cal_civil_day(2100, 2, 28), 1);
    assert_int_equal(cal_civil_day(2024, 3, 1) - cal_civil_day(2024, 2, 28), 2);
    assert_int_equal(cal_civil_day(2023, 3, 1) - cal_civil_day(2023, 2, 28), 1);
}

static void civil_days_round_trip_1600_to_2400(void **state)
{
    int64_t expect = cal_civil_day(1600, 1, 1);
    assert_int_equal(expect, -135140);
    for (int y = 1600; y <= 2400; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= month_days(y, m); d++) {
                int64_t day = cal_civil_day(y, m, d);
                if (day != expect) fail_msg("%04d-%02d-%02d: day %lld, expected %lld", y, m, d, (long long)day,
                                            (long long)expect);
                int yy = 0, mm = 0, dd = 0;
                cal_civil_from_day(day, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("day %lld: %04d-%02d-%02d, expected %04d-%02d-%02d", (long long)day, yy, mm, dd, y, m, d);
                expect++;
            }
        }
    }
    assert_int_equal(expect - 1, 157419); /* 2400-12-31 */
}

static void strict_dates_parse_and_print(void **state)
{
    int64_t day = 0;
    assert_int_equal(cal_date_parse("2024-02-29", &day), 0);
    assert_int_equal(day, 19782);
    assert_int_equal(cal_date_parse("2000-02-29", &day), 0);
    assert_int_equal(day, 11016);
    assert_int_equal(cal_date_parse("1970-01-01", NULL), 0);
    assert_int_equal(cal_date_parse("0001-01-01", NULL), 0);
    assert_int_equal(cal_date_parse("9999-12-31", NULL), 0);

    static const char *const bad[] = {
        "2023-02-29", "2100-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-00",
        "2024-01-32", "0000-01-01", "2024-1-01",  "2024-01-1",  "2024-01",    "2024",       "",
        "2024-01-011", "2024/01/01", "2024-0a-01", " 2024-01-01", "2024-01-01 ", "+024-01-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        day = 42;
        if (cal_date_parse(bad[i], &day) != -1) fail_msg("'%s' accepted", bad[i]);
        if (day != 42) fail_msg("'%s' wrote the day", bad[i]);
        if (cal_date_valid(bad[i]) != -1) fail_msg("'%s' valid", bad[i]);
    }
    assert_int_equal(cal_date_parse(NULL, &day), -1);
    assert_int_equal(cal_date_valid(NULL), -1);
    assert_int_equal(cal_date_valid("2024-02-29"), 0);

    char iso[11];
    cal_date_iso(19782, iso, sizeof iso);
    assert_string_equal(iso, "2024-02-29");
    cal_date_iso(-1, iso, sizeof iso);
    assert_string_equal(iso, "1969-12-31");
    cal_date_iso(47541, iso, sizeof iso);
    assert_string_equal(iso, "2100-03-01");
}

static void weekdays_of_known_dates(void **state)
{
    assert_int_equal(cal_weekday(cal_civil_day(1970, 1, 1)), 3);   /* Thursday */
    assert_int_equal(cal_weekday(cal_civil_day(1969, 12, 31)), 2); /* Wednesday */
    assert_int_equal(cal_weekday(cal_civil_day(1900, 1, 1)), 0);   /* Monday */
    assert_int_equal(cal_weekday(cal_civil_day(1600, 1, 1)), 5);   /* Saturday */
    assert_int_equal(cal_weekday(cal_civil_day(2000, 1, 1)), 5);   /* Saturday */
    assert_int_equal(cal_weekday(cal_civil_day(2000, 2, 29)), 1);  /* Tuesday */
    assert_int_equal(cal_weekday(cal_civil_day(2024, 2, 29)), 3);  /* Thursday */
    assert_int_equal(cal_weekday(cal_civil_day(2024, 3, 3)), 6);   /* Sunday */
    assert_int_equal(cal_weekday(cal_civil_day(2100, 1, 1)), 4);   /* Friday */
    assert_int_equal(cal_weekday(cal_civil_day(2100, 3, 1)), 0);   /* Monday */
}

static void working_days_skip_weekends(void **state)
{
    const unsigned mon_fri = 0x1F;
    int64_t fri = cal_civil_day(2024, 3, 1);
    int64_t sat = fri + 1, sun = fri + 2, mon = fri + 3;
    assert_int_equal(cal_weekday(fri), 4);
    assert_true(cal_is_work_day(mon_fri, fri));
    assert_false(cal_is_work_day(mon_fri, sat));
    assert_false(cal_is_work_day(mon_fri, sun));
    assert_true(cal_is_work_day(mon_fri, mon));

    assert_int_equal(cal_add_work_days(fri, 0, mon_fri), fri);
    assert_int_equal(cal_add_work_days(sat, 0, mon_fri), sat); /* n = 0 gives the day itself */
    assert_int_equal(cal_add_work_days(fri, 1, mon_fri), mon);
    assert_int_equal(cal_add_work_days(sat, 1, mon_fri), mon);
    assert_int_equal(cal_add_work_days(sun, 1, mon_fri), mon);
    assert_int_equal(cal_add_work_days(fri, 5, mon_fri), fri + 7);
    assert_int_equal(cal_add_work_days(fri, 6, mon_fri), fri + 10);
    assert_int_equal(cal_add_work_days(mon, 4, mon_fri), fri + 7);
    assert_int_equal(cal_add_work_days(mon, 10, mon_fri), mon + 14);
    /* Across the end of February in a leap year: Thu 2024-02-29 + 2 = Mon 2024-03-04. */
    assert_int_equal(cal_add_work_days(cal_civil_day(2024, 2, 29), 2, mon_fri), cal_civil_day(2024, 3, 4));
    /* Sundays only. */
    assert_int_equal(cal_add_work_days(fri, 2, 0x40), sun + 7);
}

static void an_empty_mask_counts_every_day(void **state)
{
    int64_t fri = cal_civil_day(2024, 3, 1);
    for (int64_t d = fri; d < fri + 7; d++) assert_true(cal_is_work_day(0, d));
    assert_int_equal(cal_add_work_days(fri, 0, 0), fri);
    assert_int_equal(cal_add_work_days(fri, 1, 0), fri + 1);
    assert_int_equal(cal_add_work_days(fri, 3, 0), fri + 3);
    assert_int_equal(cal_add_work_days(fri, 10, 0), fri + 10);
    assert_int_equal(cal_add_work_days(fri, -2, 0), fri);
    /* Bits above Sunday are not days: the mask is still empty. */
    assert_int_equal(cal_add_work_days(fri, 3, 0x80), fri + 3);
    assert_true(cal_is_work_day(0x80, fri + 1));
}

static void local_days_in_shanghai(void **state)
{
    /* 2024-02-29 16:00 UTC is 2024-03-01 00:00 in Shanghai (UTC+8, no DST). */
    const int64_t t = 1709222400;
    assert_int_equal(cal_local_day(t), cal_civil_day(2024, 3, 1));
    assert_int_equal(cal_local_day(t - 1), cal_civil_day(2024, 2, 29));
    assert_int_equal(cal_local_day(t + 86399), cal_civil_day(2024, 3, 1));
    assert_int_equal(cal_local_day(t + 86400), cal_civil_day(2024, 3, 2));
    assert_int_equal(cal_local_midnight(cal_civil_day(2024, 3, 1)), t);
    assert_int_equal(cal_local_midnight(cal_civil_day(2024, 2, 29)), t - 86400);
    /* 1970-01-01 00:00 UTC was already 08:00 on the first day in Shanghai. */
    assert_int_equal(cal_local_day(0), 0);
    assert_int_equal(cal_local_day(-8 * 3600 - 1), -1);
    assert_int_equal(cal_local_midnight(0), -8 * 3600);
    assert_int_equal(cal_local_minute(t), 0);
    assert_int_equal(cal_local_minute(t + 90 * 60 + 59), 90);
    assert_int_equal(cal_local_minute(t - 60), 1439);
    /* Every midnight of 2000-2001 maps back to its own day. */
    for (int64_t d = cal_civil_day(2000, 1, 1); d < cal_civil_day(2002, 1, 1); d++) {
        int64_t mid = cal_local_midnight(d);
        if (cal_local_day(mid) != d || cal_local_day(mid - 1) != d - 1 || cal_local_minute(mid) != 0)
            fail_msg("day %lld: midnight %lld", (long long)d, (long long)mid);
    }
}

/* Encodes cp, checks its length, validity and that it decodes back. */
static void round_trip(uint32_t cp, size_t want_len)
{
    char buf[8];
    size_t n = utf8_encode(cp, buf);
    if (n != want_len) fail_msg("U+%04X: %zu bytes, expected %zu", (unsigned)cp, n, want_len);
    assert_int_equal(utf8_valid(buf, n), 1);
    assert_int_equal(utf8_seq((const unsigned char *)buf, n), n);
    assert_int_equal(utf8_lead_len((unsigned char)buf[0]), n);
    uint32_t back = 0;
    assert_int_equal(utf8_decode((const unsigned char *)buf, n, 0, &back), n);
    if (back != cp) fail_msg("U+%04X decoded as U+%04X", (unsigned)cp, (unsigned)back);
    if (n > 1) {
        /* Cut short, it is neither valid nor a whole sequence. */
        assert_int_equal(utf8_valid(buf, n - 1), 0);
        assert_int_equal(utf8_seq((const unsigned char *)buf, n - 1), 0);
        assert_int_equal(utf8_decode((const unsigned char *)buf, n - 1, 0, &back), n - 1);
        assert_int_equal(back, 0xFFFD);
    }
}

static void code_points_round_trip(void **state)
{
    static const struct {
        uint32_t cp;
        size_t len;
    } cases[] = {
        {0x00, 1},    {0x41, 1},    {0x7F, 1},     {0x80, 2},     {0xE9, 2},     {0x7FF, 2},
        {0x800, 3},   {0x4E2D, 3},  {0xD7FF, 3},   {0xE000, 3},   {0xFFFD, 3},   {0xFFFF, 3},
        {0x10000, 4}, {0x1F600, 4}, {0x10FFFF, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) round_trip(cases[i].cp, cases[i].len);

    /* Known bytes, and a mixed string decoded in steps. */
    const char *s = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";
    const uint32_t want[] = {0x61, 0xE9, 0x4E2D, 0x1F600};
    size_t len = strlen(s), i = 0, k = 0;
    assert_int_equal(utf8_valid(s, len), 1);
    while (i < len) {
        uint32_t cp = 0;
        i += utf8_decode((const unsigned char *)s, len, i, &cp);
        assert_true(k < 4);
        assert_int_equal(cp, want[k++]);
    }
    assert_int_equal(k, 4);
    assert_int_equal(i, len);
    assert_int_equal(utf8_valid("", 0), 1);
}

static void ill_formed_sequences_are_rejected(void **state)
{
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong U+007F */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xe0\x9f\xbf",     /* overlong U+07FF */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* a lead byte above U+10FFFF */
        "\xf7\xbf\xbf\xbf", /* U+1FFFFF */
        "\xff",             /* never in UTF-8 */
        "\xfe",             /* never in UTF-8 */
        "\x80",             /* a stray continuation byte */
        "\xe4\xb8",         /* cut short */
        "\xe4\x41\xad",     /* a lead byte followed by ASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const unsigned char *u = (const unsigned char *)bad[i];
        size_t len = strlen(bad[i]);
        if (utf8_valid(bad[i], len) != 0) fail_msg("case %zu valid", i);
        if (utf8_seq(u, len) != 0) fail_msg("case %zu is a sequence", i);
        uint32_t cp = 0;
        size_t n = utf8_decode(u, len, 0, &cp);
        if (cp != 0xFFFD || n < 1 || n > len) fail_msg("case %zu: U+%04X, %zu bytes", i, (unsigned)cp, n);
        /* Embedded in text, the text around it is still read. */
        char text[16];
        snprintf(text, sizeof text, "a%sb", bad[i]);
        assert_int_equal(utf8_valid(text, strlen(text)), 0);
        uint32_t first = 0, last = 0;
        size_t pos = 0, tl = strlen(text);
        pos += utf8_decode((const unsigned char *)text, tl, pos, &first);
        assert_int_equal(first, 'a');
        while (pos < tl) pos += utf8_decode((const unsigned char *)text, tl, pos, &last);
        assert_int_equal(pos, tl);
        assert_int_equal(last, 'b');
    }
    /* The surrogate's first byte is not the start of a character: U+FFFD, then on. */
    uint32_t cp = 0;
    assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, 0, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
}

static void cutting_keeps_whole_characters(void **state)
{
    const char *zf = "\xe8\xb5\xb0\xe8\xae\xbf"; /* 走访 */
    assert_int_equal(utf8_cut(zf, 6), 6);
    assert_int_equal(utf8_cut(zf, 5), 3);
    assert_int_equal(utf8_cut(zf, 4), 3);
    assert_int_equal(utf8_cut(zf, 3), 3);
    assert_int_equal(utf8_cut(zf, 2), 0);
    assert_int_equal(utf8_cut(zf, 1), 0);
    assert_int_equal(utf8_cut(zf, 0), 0);

    const char *emoji = "a\xf0\x9f\x98\x80"; /* a😀 */
    assert_int_equal(utf8_cut(emoji, 5), 5);
    assert_int_equal(utf8_cut(emoji, 4), 1);
    assert_int_equal(utf8_cut(emoji, 2), 1);
    assert_int_equal(utf8_cut(emoji, 1), 1);

    const char *mixed = "ab\xc3\xa9";
    assert_int_equal(utf8_cut(mixed, 4), 4);
    assert_int_equal(utf8_cut(mixed, 3), 2);
    assert_int_equal(utf8_cut(mixed, 2), 2);
    assert_int_equal(utf8_cut("abc", 2), 2);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_days_of_known_dates),
        cmocka_unit_test(civil_days_round_trip_1600_to_2400),
        cmocka_unit_test(strict_dates_parse_and_print),
        cmocka_unit_test(weekdays_of_known_dates),
        cmocka_unit_test(working_days_skip_weekends),
        cmocka_unit_test(an_empty_mask_counts_every_day),
        cmocka_unit_test(local_days_in_shanghai),
        cmocka_unit_test(code_points_round_trip),
        cmocka_unit_test(ill_formed_sequences_are_rejected),
        cmocka_unit_test(cutting_keeps_whole_characters),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
