/* handlers/deadline.c - the acknowledgement deadline of a case. */
#include "deadline.h"

int64_t case_ack_window(const struct gw_policy *pol, int priority, int triage)
{
    if (priority == 0 && !triage) return (int64_t)pol->ack_minutes_p0 * 60;
    if (priority == 1 || triage) return (int64_t)pol->ack_minutes_p1 * 60;
    return 0;
}

int64_t case_ack_deadline(const struct gw_policy *pol, const struct case_clock *c)
{
    if (!c->open || c->held) return 0;
    int64_t window = case_ack_window(pol, c->priority, c->triage);
    return window > 0 ? c->since + window : 0;
}
