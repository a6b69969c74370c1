/* handlers/deadline.h - the acknowledgement deadline of a case: the one rule
 * the re-alert job (jobs_cases.c) acts on and the office API shows.
 *
 * A case still 'open' (nobody acknowledged it, nobody closed it) must be
 * acknowledged within ack_minutes_p0 of `since` when it is P0 and
 * classified, within ack_minutes_p1 when it is P1 or unclassified and
 * alerted to triage; other cases have no deadline. since is the case's
 * last classification by triage, else its opening. A case the flood rule
 * held that did not carry its run's summary has no deadline of its own
 * (the run escalates through the case that did). The second deadline is
 * since + 2 x the window. The store's ordered case list computes the same
 * rule in SQL from the windows this file gives (core/store_office_cases.h).
 */
#ifndef H_DEADLINE_H
#define H_DEADLINE_H

#include <stdint.h>

#include "../core/config.h"

/* What the rule reads of a case. */
struct case_clock {
    int open;     /* status 'open' */
    int held;     /* held by the flood rule and not alerted itself */
    int priority; /* 0-3 */
    int triage;   /* unclassified and alerted to triage */
    int64_t since;
};

/* The acknowledgement window of a case of this priority (triage: alerted
 * to triage unclassified) in seconds: ack_minutes_p0 for a classified P0,
 * ack_minutes_p1 for P1 and triage cases, 0 for the others (no deadline). */
int64_t case_ack_window(const struct gw_policy *pol, int priority, int triage);

/* The first acknowledgement deadline of c (unix time), 0 when it has none. */
int64_t case_ack_deadline(const struct gw_policy *pol, const struct case_clock *c);

#endif
