/* handlers/jobs.h - the policy engine's timed jobs (DESIGN §7): re-alerts
 * of unacknowledged P0/P1 cases, visit due and overdue reminders, the
 * supervisors' daily digest, reminders to silent parents and the
 * director's notice when they stay silent, and the civil-affairs triage
 * digest.
 *
 * jobs_run is pure domain logic over an open transaction, like
 * handlers_run: it reads the store at `now` and returns the messages due,
 * each with a dedupe key per child/case and period, so running it twice,
 * or after a restart, or once after a long stop, sends each message once.
 */
#ifndef JOBS_H
#define JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "handler.h"

/* Appends every message due at `now` to out. Returns 0, or -1 when the
 * store failed (err says why). */
int jobs_run(const struct h_env *env, int64_t now, struct h_replies *out, char *err, size_t errlen);

#endif
