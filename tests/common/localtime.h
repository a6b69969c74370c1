/* tests/common/localtime.h - times and days written the way a test reads
 * them, in the process time zone (the tests set TZ=Asia/Shanghai, +08:00).
 * Each fails the running cmocka test when its text is not well formed. */
#ifndef TEST_LOCALTIME_H
#define TEST_LOCALTIME_H

#include <stdint.h>

/* Local time "YYYY-MM-DD HH:MM" as unix seconds. */
int64_t local_at(const char *t);

/* The day number (core/calendar.h) of the date "YYYY-MM-DD". */
int64_t local_day(const char *date);

#endif
