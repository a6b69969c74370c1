/* handlers/jobs.c - the policy engine's timed jobs (see jobs.h): one run
 * calls each job in turn, and the calendar and timing helpers they share
 * (jobs_int.h).
 *
 * Nothing here remembers anything between runs: every decision is made
 * from the store at `now`. A message's period is in its dedupe key (the
 * child and its due date, the case and its deadline level, the parent and
 * the day the silence began, the recipient and the digest's date), so a
 * second run, a restart, or one run after days of downtime writes each
 * message once; a catch-up sends what is due now, not every tick it missed.
 */
#include "jobs.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../gateway/util.h"
#include "intents.h"
#include "jobs_int.h"
#include "routing.h"

int jobs_run(const struct h_env *env, int64_t now, struct h_replies *out, char *err, size_t errlen)
{
    struct jobs_run run = {.env = env, .now = now, .out = out, .err = err, .errlen = errlen};
    if (errlen) err[0] = '\0';
    time_t t = (time_t)now;
    struct tm tm;
    if ((int64_t)t != now || !localtime_r(&t, &tm)) {
        gw_err(err, errlen, "jobs: time %lld out of range", (long long)now);
        return -1;
    }
    run.today = jobs_day_of(now);
    run.minute = tm.tm_hour * 60 + tm.tm_min;
    jobs_day_iso(run.today, run.today_iso, sizeof run.today_iso);
    if (jobs_realert(&run) != 0) return -1;
    if (jobs_visits(&run) != 0) return -1;
    if (jobs_checkins(&run) != 0) return -1;
    if (jobs_triage(&run) != 0) return -1;
    return 0;
}

int jobs_fail(struct jobs_run *run, const char *what)
{
    gw_err(run->err, run->errlen, "%s: %s", what, store_errmsg(run->env->st));
    return -1;
}

/* ---- calendar days -------------------------------------------------------- */

/* Day number of a civil date: timegm of its midnight, in days. */
static int64_t civil_day(int y, int m, int d)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    return (int64_t)t >= 0 ? (int64_t)t / 86400 : ((int64_t)t - 86399) / 86400;
}

static int civil_of(int64_t day, struct tm *tm)
{
    time_t t = (time_t)(day * 86400);
    return gmtime_r(&t, tm) ? 0 : -1;
}

int64_t jobs_day_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !localtime_r(&tt, &tm)) return JOBS_NO_DAY;
    return civil_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t jobs_day_start(int64_t day)
{
    struct tm tm;
    if (civil_of(day, &tm) != 0) return 0;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int jobs_day_parse(const char *s, int64_t *day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int64_t n = civil_day(y, m, d);
    struct tm tm;
    if (civil_of(n, &tm) != 0 || tm.tm_mday != d) return -1; /* 02-30 and the like */
    *day = n;
    return 0;
}

void jobs_day_iso(int64_t day, char *out, size_t outlen)
{
    struct tm tm;
    if (civil_of(day, &tm) != 0) {
        gw_strlcpy(out, "", outlen);
        return;
    }
    snprintf(out, outlen, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

void jobs_day_zh(int64_t day, char *out, size_t outlen)
{
    struct tm tm;
    if (civil_of(day, &tm) != 0) {
        gw_strlcpy(out, "", outlen);
        return;
    }
    h_fmt_date(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, out, outlen);
}

int jobs_weekday(int64_t day)
{
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

int jobs_is_work_day(unsigned work_days, int64_t day)
{
    if (!(work_days & 0x7F)) return 1;
    return (work_days >> jobs_weekday(day)) & 1u;
}

int64_t jobs_add_work_days(int64_t day, int n, unsigned work_days)
{
    while (n > 0) {
        day++;
        if (jobs_is_work_day(work_days, day)) n--;
    }
    return day;
}

/* ---- when non-urgent messages go out ---------------------------------------- */

int64_t jobs_staff_time(const struct gw_policy *pol, int64_t now) { return h_next_work_time(pol, now); }

int64_t jobs_daytime(const struct gw_policy *pol, int64_t now)
{
    if (!pol || pol->work_start < 0 || pol->work_start >= pol->work_end) return 0;
    time_t t = (time_t)now;
    struct tm tm;
    if (!localtime_r(&t, &tm)) return 0;
    int minute = tm.tm_hour * 60 + tm.tm_min;
    if (minute >= pol->work_start && minute < pol->work_end) return 0;
    int64_t day = jobs_day_of(now) + (minute >= pol->work_end ? 1 : 0);
    struct tm at;
    if (civil_of(day, &at) != 0) return 0;
    at.tm_hour = pol->work_start / 60;
    at.tm_min = pol->work_start % 60;
    at.tm_sec = 0;
    at.tm_isdst = -1;
    return (int64_t)mktime(&at);
}

int jobs_digest_time(const struct jobs_run *run) { return run->minute >= run->env->pol->digest_minute; }

void jobs_codes_list(char (*codes)[8], int n, int total, int with_total, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "、" : "", codes[i]);
        if (w < 0 || (size_t)w >= outlen - used) return;
        used += (size_t)w;
    }
    if (total <= n) return;
    if (with_total)
        snprintf(out + used, outlen - used, "等%d名", total);
    else
        snprintf(out + used, outlen - used, "等");
}
