/* tests/common/localtime.c - times and days for tests (localtime.h). */
#include "localtime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../core/calendar.h"
#include "../../core/util.h"

int64_t local_at(const char *t)
{
    char day[11];
    int64_t d = 0;
    int h = 0, m = 0;
    gw_strlcpy(day, t, sizeof day);
    assert_int_equal(cal_date_parse(day, &d), 0);
    assert_int_equal(sscanf(t + 10, " %d:%d", &h, &m), 2);
    return cal_local_at(d, h * 60 + m);
}

int64_t local_day(const char *date)
{
    int64_t d = 0;
    assert_int_equal(cal_date_parse(date, &d), 0);
    return d;
}
