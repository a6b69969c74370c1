/* handlers/triage.c - the county's civil-affairs triage: who it is, the
 * alert an unclassified case sends it at once, and the case description
 * that FL (h_classify, cases.c) alerts anew once triage has classified it.
 *
 * Rules (nothing waits for a digest): a case nobody named a
 * category for and nothing was inferred from is alerted at once to the
 * civil-affairs (民政) responders over its county; a county with none is
 * represented by its duty_civil_affairs phone, else by its duty_contact
 * (h_alert_recipients' rule). The alert (triage_alert) carries the case
 * number and the place, and how to classify it; never a category, a name
 * or the description. Its deadline is P1's (ack_minutes_p1): until triage
 * acknowledges (QR), classifies (FL) or closes it, the re-alert job
 * (jobs_cases.c) repeats it with the county and then the city contact.
 * The village is never told of an unclassified case: its category could
 * be 1 or 2. Dedupe key "alert:<case number>:<phone>:0", the key of a
 * case's first alerts.
 */
#include <stdio.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"
#include "routing.h"

static const struct routing_rule triage_rule = {.category = 9, .priority = 1, .ndepts = 1, .depts = {"civil_affairs"}};

int h_triage_recipients(const struct h_env *env, int64_t county_id, const char *county_path,
                        char (*phones)[DB_PHONE_LEN], int max)
{
    return h_alert_recipients(env, county_id, county_path, &triage_rule, phones, max);
}

int h_triage_alert(const struct h_env *env, const struct h_msg *m, const struct h_case *c, struct h_result *out)
{
    char phones[H_MAX_REPLIES][DB_PHONE_LEN];
    char detail[64];
    int room = H_MAX_REPLIES - out->nreplies;
    if (room < 0) room = 0;
    int n = h_triage_recipients(env, c->county_id, c->county, phones, room);
    if (n < 0) return -1;
    if (n == 0) return db_case_event(env->st, c->id, "queued_for_triage", 0, "unclassified no_responder", m->now);
    int sent = 0;
    for (int i = 0; i < n && i < room; i++) {
        struct h_reply *r = h_reply_add(out, "triage_alert", phones[i], H_ALERT);
        if (!r) break;
        r->case_id = c->id;
        snprintf(r->dedupe, sizeof r->dedupe, "alert:%.12s:%.23s:0", c->number, r->to);
        h_var_set(r, "case", "%s", c->number);
        h_var_set(r, "place", "%s", c->place);
        sent++;
    }
    int w = snprintf(detail, sizeof detail, "triage count=%d", sent);
    if (sent < n) snprintf(detail + w, sizeof detail - (size_t)w, " unsent=%d", n - sent);
    return db_case_event(env->st, c->id, "alerted", 0, detail, m->now);
}

int h_case_describe(const struct h_env *env, const struct db_case *dc, struct h_case *c)
{
    memset(c, 0, sizeof *c);
    c->id = dc->id;
    gw_strlcpy(c->number, dc->number, sizeof c->number);
    c->category = dc->category;
    c->classified = dc->classified;
    c->priority = dc->priority;
    c->county_id = dc->county_id;
    struct db_region r;
    if (dc->county_id) {
        int rc = db_region_by_id(env->st, dc->county_id, &r);
        if (rc < 0) return -1;
        if (rc == 0) gw_strlcpy(c->county, r.path, sizeof c->county);
    }
    if (dc->region_id) {
        int rc = db_region_by_id(env->st, dc->region_id, &r);
        if (rc < 0) return -1;
        if (rc == 0 && r.level == 3) {
            const char *slash = strrchr(r.path, '/');
            gw_strlcpy(c->place, slash ? slash + 1 : r.path, sizeof c->place);
            if (dc->child_id) c->village_id = r.id;
        }
    }
    if (!c->place[0]) gw_strlcpy(c->place, c->county[0] ? c->county : "未定", sizeof c->place);
    c->rule = routing_for(env->pol, c->county, c->category);
    return 0;
}
