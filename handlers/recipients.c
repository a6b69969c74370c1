/* handlers/recipients.c - whom a case's alert goes to: the responders of
 * each routed department in the case's county, in turns (the first of every
 * department, then the second...), a department's duty phone where it has
 * nobody, and the county duty contact when nobody at all is found. Shared
 * by the first alert, the triage alert and the re-alerts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"
#include "routing.h"

int h_alert_recipients(const struct h_env *env, int64_t county_id, const char *county_path,
                       const struct routing_rule *rule, char (*phones)[DB_PHONE_LEN], int max)
{
    enum { PER_DEPT = 32 }; /* responders one department has over one county, at most */
    char found[ROUTING_MAX_DEPTS][PER_DEPT][DB_PHONE_LEN];
    char all[ROUTING_MAX_DEPTS * PER_DEPT][DB_PHONE_LEN];
    int nfound[ROUTING_MAX_DEPTS] = {0};
    int most = 0, n = 0;
    for (int d = 0; d < rule->ndepts && d < ROUTING_MAX_DEPTS; d++) {
        int k = county_id ? db_county_responders(env->st, county_id, rule->depts[d], found[d], PER_DEPT) : 0;
        if (k < 0) return -1;
        if (k > PER_DEPT) k = PER_DEPT;
        const char *duty = k == 0 ? routing_dept_duty(env->pol, county_path, rule->depts[d]) : NULL;
        if (duty) gw_strlcpy(found[d][k++], duty, DB_PHONE_LEN);
        nfound[d] = k;
        if (k > most) most = k;
    }
    /* In turns: the first of every department, then the second... */
    for (int i = 0; i < most; i++)
        for (int d = 0; d < rule->ndepts && d < ROUTING_MAX_DEPTS; d++) {
            if (i >= nfound[d]) continue;
            int dup = 0;
            for (int j = 0; j < n && !dup; j++) dup = strcmp(all[j], found[d][i]) == 0;
            if (!dup) memcpy(all[n++], found[d][i], DB_PHONE_LEN);
        }
    if (n == 0) {
        const struct gw_county *cc = routing_county(env->pol, county_path);
        if (cc && cc->duty_contact) gw_strlcpy(all[n++], cc->duty_contact, DB_PHONE_LEN);
    }
    for (int i = 0; i < n && i < max; i++) memcpy(phones[i], all[i], DB_PHONE_LEN);
    return n;
}
