/* core/clock.c - the one place the process reads the wall clock. */
#include "clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t offset; /* seconds added to CLOCK_REALTIME */

int64_t gw_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec + atomic_load_explicit(&offset, memory_order_relaxed);
}

double gw_clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gw_clock_set_offset(int64_t s) { atomic_store(&offset, s); }
