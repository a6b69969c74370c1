/* gateway/scheduler.h - the clock that drives the timed jobs.
 *
 * A libevent timer on its own thread asks the store writer to run the
 * timed jobs (handlers/jobs.h) once at start-up — catching up on whatever
 * fell due while the process was down — and then every `interval`
 * seconds. The jobs themselves keep no state in memory: every message
 * they write carries a dedupe key per child/case and period, so a restart,
 * a late tick or a catch-up after days away sends each message once.
 * Time comes from gw_clock_now(), which an operator or a test can shift.
 */
#ifndef GW_SCHEDULER_H
#define GW_SCHEDULER_H

#include "../core/config.h"
#include "writer.h"

struct scheduler;

/* Starts the timer thread; the first run is queued at once. 0 or -1. */
int scheduler_start(const struct gw_config *cfg, struct writer *w, struct scheduler **out);
/* Stops the timer and waits for a run in progress. NULL is a no-op. */
void scheduler_stop(struct scheduler *s);

#endif
