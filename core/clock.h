/* core/clock.h - the one place the process reads the wall clock.
 * Every time the domain sees comes from here, so tests and operators can
 * shift it (gw_clock_set_offset) without touching the system clock. */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stdint.h>

int64_t gw_clock_now(void);          /* unix seconds, shifted by the offset */
double gw_clock_mono(void);          /* monotonic seconds, for durations */
void gw_clock_set_offset(int64_t s); /* seconds added to the wall clock; set at start-up */

#endif
