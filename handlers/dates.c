/* handlers/dates.c - the dates people write in code-book messages.
 *
 * Forms, as one token (full-width digits and －／． are accepted too):
 *   YYYYMMDD, YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYY年M月D[日|号]   a full date
 *   MMDD, M-D, M/D, M.D, M月D[日|号]                            no year
 *   D日, D号                                                   day of a recent month
 *   今天 今日 / 昨天 昨日 / 前天 前日 / 大前天 / 明天 明日 / 后天 後天 / 大后天
 *   relative days: 上周三, 这周一, 周五, 上周, 上个月5号, 前两天, 3天前 (the
 *   table in codebook.h says exactly which day each one is)
 * Chinese numerals are read first (cb_numerals: 三月五号 is 3月5号, 十二月一日
 * 12月1日, 二〇二六年 2026年). Numbers are read digit by digit with their exact
 * lengths (no atoi): M and D have 1 or 2 digits, a year 4. A date without a
 * year (or month) is the nearest such day not after today (CB_DATE_PAST) or
 * not before today (CB_DATE_FUTURE); 2月29日 without a year is the nearest
 * leap day in that direction; a day that exists in no month (2月30日, 1332)
 * is invalid.
 *
 * Relative days follow the people who write them, not the calendar app: a
 * week runs Monday to Sunday, so 上周三 is the Wednesday of the week before
 * this one however near it is (on a Monday it is 5 days back, on a Sunday
 * 11), and a bare weekday (周三) is the nearest one in the direction of the
 * preference, today included. 上周 alone is today a week ago. 上个月5号 is
 * the 5th of the calendar month before this one and no other day: when that
 * month has no such day the date is invalid, never moved.
 *
 * "Today" is the local calendar day of `now` in the process time zone
 * (localtime_r); from there on, calendar arithmetic is done on day numbers
 * (proleptic Gregorian), which has no DST or mktime normalisation surprises.
 */
#include "../core/calendar.h"
#include "codebook.h"

#include <string.h>
#include <time.h>

#define YEAR_MIN 1900
#define YEAR_MAX 2199

static const struct {
    const char *word;
    int offset; /* days after today */
} day_words[] = {
    {"今天", 0}, {"今日", 0}, {"昨天", -1}, {"昨日", -1}, {"前天", -2},  {"前日", -2},  {"大前天", -3},
    {"明天", 1}, {"明日", 1}, {"后天", 2},  {"後天", 2},  {"大后天", 3}, {"大後天", 3},
};

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* The local calendar day of now. Returns 0, or -1 when it cannot be had. */
static int today(int64_t now, int *y, int *m, int *d)
{
    time_t t = (time_t)now;
    struct tm tm;
    if ((int64_t)t != now || !localtime_r(&t, &tm)) return -1;
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
    return 0;
}

int cb_days_ago(int64_t now, int y, int m, int d)
{
    int ty, tm_, td;
    if (today(now, &ty, &tm_, &td) != 0) return 0;
    int64_t diff = cal_civil_day(ty, tm_, td) - cal_civil_day(y, m, d);
    if (diff > 1000000) return 1000000;
    if (diff < -1000000) return -1000000;
    return (int)diff;
}

/* One item of a date token: a number or a unit. */
struct item {
    int digits; /* 0 for a unit; else how many digits (capped at 9) */
    int value;  /* the number (meaningful when digits <= 8) */
    char unit;  /* '-', '/', '.', 'Y' 年, 'M' 月, 'D' 日 or 号 */
};

#define MAX_ITEMS 6

/* Splits s into items. Returns their count, or -1 on anything else. */
static int lex(const char *s, struct item *it)
{
    static const struct {
        const char *bytes;
        char c; /* digit or unit it stands for */
    } alias[] = {
        {"０", '0'}, {"１", '1'}, {"２", '2'}, {"３", '3'}, {"４", '4'}, {"５", '5'}, {"６", '6'},
        {"７", '7'}, {"８", '8'}, {"９", '9'}, {"－", '-'}, {"／", '/'}, {"．", '.'}, {"-", '-'},
        {"/", '/'},  {".", '.'},  {"年", 'Y'}, {"月", 'M'}, {"日", 'D'}, {"号", 'D'}, {"號", 'D'},
    };
    int n = 0;
    while (*s == ' ') s++;
    while (*s && *s != ' ') {
        char c = 0;
        if (*s >= '0' && *s <= '9') {
            c = *s++;
        } else {
            for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
                size_t l = strlen(alias[i].bytes);
                if (strncmp(s, alias[i].bytes, l) == 0) {
                    c = alias[i].c;
                    s += l;
                    break;
                }
            }
            if (!c) return -1;
        }
        if (c >= '0' && c <= '9') {
            if (n > 0 && it[n - 1].digits) {
                struct item *p = &it[n - 1];
                if (p->digits < 9) p->digits++;
                if (p->digits <= 8) p->value = p->value * 10 + (c - '0');
                continue;
            }
            if (n == MAX_ITEMS) return -1;
            it[n++] = (struct item){.digits = 1, .value = c - '0'};
        } else {
            if (n == MAX_ITEMS) return -1;
            it[n++] = (struct item){.unit = c};
        }
    }
    while (*s == ' ') s++;
    return *s ? -1 : n;
}

static int num(const struct item *it, int lo_digits, int hi_digits)
{
    return it->digits >= lo_digits && it->digits <= hi_digits;
}

static int unit(const struct item *it, char u) { return it->digits == 0 && it->unit == u; }

static int is_sep(const struct item *it) { return unit(it, '-') || unit(it, '/') || unit(it, '.'); }

/* Reads the shape of a date: returns 0 and sets y (-1 when absent), m (-1 when
 * absent), d; or -1. The values are not checked here. */
static int shape(const struct item *it, int n, int *y, int *m, int *d)
{
    *y = -1;
    *m = -1;
    if (n == 1 && num(&it[0], 8, 8)) {
        *y = it[0].value / 10000;
        *m = it[0].value / 100 % 100;
        *d = it[0].value % 100;
        return 0;
    }
    if (n == 1 && num(&it[0], 4, 4)) {
        *m = it[0].value / 100;
        *d = it[0].value % 100;
        return 0;
    }
    if (n == 5 && num(&it[0], 4, 4) && is_sep(&it[1]) && num(&it[2], 1, 2) && unit(&it[3], it[1].unit) &&
        num(&it[4], 1, 2)) {
        *y = it[0].value, *m = it[2].value, *d = it[4].value;
        return 0;
    }
    if (n == 3 && num(&it[0], 1, 2) && is_sep(&it[1]) && num(&it[2], 1, 2)) {
        *m = it[0].value, *d = it[2].value;
        return 0;
    }
    /* YYYY年M月D[日], M月D[日], D日 */
    int i = 0;
    if (n >= 2 && num(&it[0], 4, 4) && unit(&it[1], 'Y')) {
        *y = it[0].value;
        i = 2;
    }
    if (n - i >= 3 && num(&it[i], 1, 2) && unit(&it[i + 1], 'M') && num(&it[i + 2], 1, 2) &&
        (n - i == 3 || (n - i == 4 && unit(&it[i + 3], 'D')))) {
        *m = it[i].value, *d = it[i + 2].value;
        return 0;
    }
    if (i == 0 && n == 2 && num(&it[0], 1, 2) && unit(&it[1], 'D')) {
        *d = it[0].value;
        return 0;
    }
    return -1;
}

/* ---- relative days ------------------------------------------------------- */

#define NEAREST 99 /* a bare weekday: the nearest one in the preferred direction */

static const struct {
    const char *word;
    int weeks; /* weeks after this one, or NEAREST */
} week_words[] = {
    {"上上周", -2}, {"上上星期", -2}, {"上上个星期", -2}, {"上上礼拜", -2},  {"上上个礼拜", -2},
    {"上周", -1},   {"上星期", -1},   {"上个星期", -1},   {"上礼拜", -1},    {"上个礼拜", -1},
    {"这周", 0},    {"本周", 0},      {"这星期", 0},      {"这个星期", 0},   {"本星期", 0},
    {"这礼拜", 0},  {"这个礼拜", 0},  {"下周", 1},        {"下星期", 1},     {"下个星期", 1},
    {"下礼拜", 1},  {"下个礼拜", 1},  {"周", NEAREST},    {"星期", NEAREST}, {"礼拜", NEAREST},
};

static const struct {
    const char *word;
    int weekday; /* 1 Monday ... 7 Sunday */
} weekday_words[] = {
    {"一", 1}, {"二", 2}, {"三", 3}, {"四", 4}, {"五", 5}, {"六", 6}, {"日", 7}, {"天", 7},
};

static const struct {
    const char *word;
    int months; /* months after this one */
} month_words[] = {
    {"上上个月", -2}, {"上个月", -1}, {"上月", -1}, {"这个月", 0}, {"本月", 0}, {"这月", 0}, {"下个月", 1}, {"下月", 1},
};

/* The longest word of a table that s starts with: its index, and *rest
 * set past it; -1 when none. */
#define PREFIX(tab, s, rest) prefix_of((s), (rest), sizeof(tab) / sizeof(tab)[0], sizeof(tab)[0], (const char *)(tab))
static int prefix_of(const char *s, const char **rest, size_t n, size_t size, const char *tab)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = *(const char *const *)(tab + i * size); /* each entry starts with its word */
        size_t l = strlen(w);
        if (l > best_len && strncmp(s, w, l) == 0) best = (int)i, best_len = l;
    }
    if (best >= 0) *rest = s + best_len;
    return best;
}

/* A number of 1-3 ASCII digits written alone in s[0..n), or -1. */
static int small_number(const char *s, size_t n)
{
    if (n < 1 || n > 3) return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Reads the relative forms; returns 0 with the day number in *day, 1 when
 * tok is not one, -1 when it is one but names no real day (上个月31号 in
 * March). */
static int relative_day(const char *tok, int64_t t0, int ty, int tm_, int step, int64_t *day)
{
    const char *rest;
    int k = PREFIX(week_words, tok, &rest);
    if (k >= 0) {
        int weeks = week_words[k].weeks;
        int wd0 = (int)(((t0 % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday; 0 = Monday */
        if (*rest == '\0') {
            if (weeks == NEAREST || weeks == 0) return 1;
            *day = t0 + 7 * weeks;
            return 0;
        }
        const char *end;
        int w = PREFIX(weekday_words, rest, &end);
        if (w < 0 || *end != '\0') return 1;
        int x = weekday_words[w].weekday - 1; /* 0 = Monday */
        if (weeks == NEAREST)
            *day = step < 0 ? t0 - ((wd0 - x + 7) % 7) : t0 + ((x - wd0 + 7) % 7);
        else
            *day = t0 - wd0 + 7 * weeks + x;
        return 0;
    }
    k = PREFIX(month_words, tok, &rest);
    if (k >= 0) {
        char num[32];
        if (cb_numerals(rest, num, sizeof num) < 0) return 1;
        size_t n = strlen(num);
        if (n >= 3 && (strcmp(num + n - 3, "号") == 0 || strcmp(num + n - 3, "日") == 0)) n -= 3;
        int dd = small_number(num, n);
        if (dd < 0 || n > 2) return 1;
        int yy = ty, mm = tm_ + month_words[k].months;
        while (mm < 1) mm += 12, yy--;
        while (mm > 12) mm -= 12, yy++;
        if (dd < 1 || dd > days_in_month(yy, mm)) return -1;
        *day = cal_civil_day(yy, mm, dd);
        return 0;
    }
    if (strcmp(tok, "前两天") == 0) {
        *day = t0 - 2;
        return 0;
    }
    static const char *const ago[] = {"天以前", "日以前", "天前", "日前"};
    char num[32];
    if (cb_numerals(tok, num, sizeof num) < 0) return 1;
    size_t n = strlen(num);
    for (size_t i = 0; i < sizeof ago / sizeof ago[0]; i++) {
        size_t l = strlen(ago[i]);
        if (n > l && strcmp(num + n - l, ago[i]) == 0) {
            int v = small_number(num, n - l);
            if (v < 1) return 1;
            *day = t0 - v;
            return 0;
        }
    }
    return 1;
}

int cb_parse_date(const char *tok, int64_t now, enum cb_date_pref pref, int *y, int *m, int *d)
{
    int ty, tm_, td;
    if (!tok || today(now, &ty, &tm_, &td) != 0) return -1;
    int64_t t0 = cal_civil_day(ty, tm_, td);
    int step = pref == CB_DATE_FUTURE ? 1 : -1;

    for (size_t i = 0; i < sizeof day_words / sizeof day_words[0]; i++) {
        if (strcmp(tok, day_words[i].word) == 0) {
            cal_civil_from_day(t0 + day_words[i].offset, y, m, d);
            return 0;
        }
    }
    int64_t rel;
    int rc = relative_day(tok, t0, ty, tm_, step, &rel);
    if (rc == 0) {
        cal_civil_from_day(rel, y, m, d);
        return 0;
    }
    if (rc < 0) return -1;

    char arabic[64];
    if (cb_numerals(tok, arabic, sizeof arabic) < 0) return -1;
    struct item it[MAX_ITEMS];
    int n = lex(arabic, it);
    int yy, mm, dd;
    if (n <= 0 || shape(it, n, &yy, &mm, &dd) != 0) return -1;
    if (dd < 1 || dd > 31 || mm == 0 || mm > 12) return -1;

    if (yy >= 0) { /* a full date */
        if (yy < YEAR_MIN || yy > YEAR_MAX || dd > days_in_month(yy, mm)) return -1;
    } else if (mm > 0) {                             /* month and day: this year, else the year before/after */
        if (dd > days_in_month(2000, mm)) return -1; /* 2000 is a leap year */
        yy = ty;
        if (step < 0 && (mm > tm_ || (mm == tm_ && dd > td))) yy--;
        if (step > 0 && (mm < tm_ || (mm == tm_ && dd < td))) yy++;
        while (dd > days_in_month(yy, mm)) yy += step; /* only 2月29日: at most 8 steps */
    } else { /* day only: this month, else the nearest month before/after that has it */
        yy = ty, mm = tm_;
        int k = 0;
        while ((step < 0 && yy == ty && mm == tm_ && dd > td) || (step > 0 && yy == ty && mm == tm_ && dd < td) ||
               dd > days_in_month(yy, mm)) {
            mm += step;
            if (mm == 0) mm = 12, yy--;
            if (mm == 13) mm = 1, yy++;
            if (++k > 13) return -1; /* unreachable: every day 1-31 occurs in 13 months */
        }
    }
    *y = yy, *m = mm, *d = dd;
    return 0;
}
