/* core/calendar.c - day numbers, local days and working days. */
#include "calendar.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "util.h"

/* Days from civil and back: H. Hinnant's algorithms, March-based years. */
int64_t cal_civil_day(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cal_civil_from_day(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int cal_date_parse(const char *s, int64_t *day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return -1;
    if (day) *day = cal_civil_day(y, m, d);
    return 0;
}

int cal_date_valid(const char *s) { return cal_date_parse(s, NULL); }

void cal_date_iso(int64_t day, char *out, size_t outlen)
{
    int y, m, d;
    cal_civil_from_day(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        gw_strlcpy(out, "", outlen);
        return;
    }
    snprintf(out, outlen, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

int64_t cal_local_day(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !localtime_r(&tt, &tm)) return CAL_NO_DAY;
    return cal_civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t cal_local_midnight(int64_t day) { return cal_local_at(day, 0); }

int64_t cal_local_at(int64_t day, int minute)
{
    int y, m, d;
    cal_civil_from_day(day, &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int cal_local_minute(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !localtime_r(&tt, &tm)) return -1;
    return tm.tm_hour * 60 + tm.tm_min;
}

int64_t cal_today(void) { return cal_local_day(gw_clock_now()); }

const char *cal_time_iso(int64_t t, char out[CAL_TIME_ISO_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    char off[8];
    if (!localtime_r(&tt, &tm) || !strftime(out, CAL_TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm) ||
        !strftime(off, sizeof off, "%z", &tm) || strlen(off) != 5) {
        gw_strlcpy(out, "", CAL_TIME_ISO_LEN);
        return out;
    }
    size_t n = strlen(out);
    snprintf(out + n, CAL_TIME_ISO_LEN - n, "%.3s:%s", off, off + 3);
    return out;
}

const char *cal_time_text(int64_t t, char *buf, size_t len)
{
    if (!t) return "-";
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm)) return "?";
    return buf;
}

int cal_weekday(int64_t day)
{
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

int cal_is_work_day(unsigned work_days, int64_t day)
{
    if (!(work_days & 0x7F)) return 1;
    return (work_days >> cal_weekday(day)) & 1u;
}

int64_t cal_add_work_days(int64_t day, int n, unsigned work_days)
{
    if (!(work_days & 0x7F)) return day + (n > 0 ? n : 0);
    while (n > 0) {
        day++;
        if (cal_is_work_day(work_days, day)) n--;
    }
    return day;
}
