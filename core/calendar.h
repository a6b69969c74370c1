/* core/calendar.h - the one calendar every layer counts in.
 *
 * A day is a day number: days since 1970-01-01 in the proleptic Gregorian
 * calendar. Local days are those of the process time zone, which the
 * gateway sets from [policy] timezone at start-up, so "today" here is today
 * in the configured zone. Working days are a mask: bit 0 Monday ... bit 6
 * Sunday; a mask with no day set means every day counts. Pure functions
 * (apart from the process time zone); any thread may call them.
 */
#ifndef GW_CALENDAR_H
#define GW_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define CAL_NO_DAY INT64_MIN /* a time that has no local day (out of range) */

/* Day number of a civil date (y-m-d; m 1-12, d 1-31, not checked). */
int64_t cal_civil_day(int y, int m, int d);
/* The civil date of a day number. */
void cal_civil_from_day(int64_t day, int *y, int *m, int *d);
/* Strict YYYY-MM-DD that names a real date (no 02-30, year >= 1): 0 and the
 * day number in *day (day may be NULL), or -1. */
int cal_date_parse(const char *s, int64_t *day);
/* 0 when s is a strict YYYY-MM-DD naming a real date, else -1. NULL: -1. */
int cal_date_valid(const char *s);
/* "YYYY-MM-DD" of a day number into out (outlen >= 11 holds it). */
void cal_date_iso(int64_t day, char *out, size_t outlen);

/* The local day holding unix time t, or CAL_NO_DAY. */
int64_t cal_local_day(int64_t t);
/* Unix time of local midnight at the start of a day (DST handled by mktime). */
int64_t cal_local_midnight(int64_t day);
/* Unix time of local minute `minute` (0-1439) of a day, as the local clock
 * reads it (DST handled by mktime). */
int64_t cal_local_at(int64_t day, int minute);
/* Minutes after local midnight of unix time t (0-1439), or -1. */
int cal_local_minute(int64_t t);
/* Today, in the process (configured) zone, by the gateway clock. */
int64_t cal_today(void);

#define CAL_TIME_ISO_LEN 32 /* room for cal_time_iso's text */
/* Unix time t as ISO 8601 local time with its offset ("2026-03-02T09:30:00+08:00") into out; "" when it cannot be
 * written. Returns out. */
const char *cal_time_iso(int64_t t, char out[CAL_TIME_ISO_LEN]);
/* Unix time t as local "YYYY-MM-DD HH:MM" for people into buf (len >= 17 holds it): buf, "-" for 0, "?" when it
 * cannot be written. */
const char *cal_time_text(int64_t t, char *buf, size_t len);

/* 0 Monday ... 6 Sunday. */
int cal_weekday(int64_t day);
/* 1 when day is a working day under the mask (every day when it is empty). */
int cal_is_work_day(unsigned work_days, int64_t day);
/* The n-th working day after day (n >= 0; day itself never counts, n = 0
 * gives day). */
int64_t cal_add_work_days(int64_t day, int n, unsigned work_days);

#endif
