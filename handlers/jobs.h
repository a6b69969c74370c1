/* handlers/jobs.h - the policy engine's timed jobs: re-alerts
 * of unacknowledged P0/P1 cases and of unclassified cases alerted to
 * triage, the directors' daily digests (children due a visit, children
 * whose migrant parents went silent), the supervisors' daily digest,
 * reminders to silent parents, and the civil-affairs triage digest.
 *
 * jobs_run is pure domain logic over an open transaction, like
 * handlers_run: it reads the store at `now` and returns the messages due,
 * each with a dedupe key per case and deadline, parent and silence, or
 * recipient and day; each child a digest covers is recorded as a digest
 * item under its period's key, in the same transaction. So running it
 * twice, or after a restart, or once after a long stop, tells of each
 * child once per period, and nobody gets more than [policy] daily_cap
 * reminders and notices a day (alerts are never capped).
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
