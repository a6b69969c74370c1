/* handlers/report.c - BG: anyone reports a child at risk; and opening a
 * case, which unrecognised free text shares.
 *
 * Rules: a suspicion is enough,
 * so a report is never refused for a detail. A wrong or unknown child code
 * or a category outside 1-9 still opens the case (without the child, or as
 * category 9 for a person to triage) and the reply says what was wrong;
 * only a bare "BG" with nothing to report is answered with the format.
 * Only a code whose form or check digit is wrong is pointed out: the reply
 * to a well-formed code never tells whether such a child is registered
 * (the case just has no child; the village is told only of a real one).
 * The case belongs to the child's county; with no child, to the
 * reporter's registered region; else to [policy] default_region; else the
 * only county; else it waits without a county for an admin. Category ->
 * priority and departments from that county's routing (routing.h). The
 * reporter is stored apart from the case and gets the case number at once,
 * with the 110/120 advice for P0. In the same transaction the responders
 * are alerted (P0/P1 at once, P2 in working hours), an unclassified case
 * alerts the county's civil-affairs triage at once, P3 cases join its
 * triage queue, and the child's village is
 * told unless the category excludes it (h_case_alert). Alerts carry the
 * case number, priority, place and category digit: never a name, a
 * category word or anything about the reporter.
 *
 * Danger words (lexicon.h): a report with no category, or an invalid one,
 * has its description read with the lexicon of the county the case will
 * belong to (h_infer; the same for free text, freetext.c). A match makes
 * the case *inferred*: classified, with the phrase's category, the
 * departments of that category's routing, and the more urgent of the
 * phrase's priority and the routing's; cases.inferred is 1 and the
 * 'opened' event says "inferred=<category> P<n> phrase=<phrase>". It is
 * then alerted at once like a coded case, a P0 answer carries the 110/120
 * advice, and the village is told only when every category the words
 * matched may be told (words of abuse next to words of drowning keep it
 * out). With no match the case stays unclassified and its county's
 * civil-affairs triage is alerted at once (h_triage_alert).
 *
 * The flood rule (h_case_open decides, h_case_alert acts; every channel's
 * reports come through here): one number that makes more than [policy]
 * flood_reports reports within flood_window seconds would otherwise page
 * every responder once per report. Its first flood_reports reports alert
 * as usual; the next one begins a held run lasting flood_window, and each
 * report of the run still opens its case (with a "flood_held" event, so
 * triage sees why it was quiet) but alerts nobody by itself: whoever its
 * alert would have reached gets one summary per run (case_flood_alert,
 * naming the case it came with and how many reports the number made), the
 * village is not told, and the reporter gets one answer per run
 * (report_flood) and no SMS after it. Reports from other numbers are never
 * held. A run that ends while the number keeps on begins a new one, so
 * responders hear at most once per window per number. Escalation: only a
 * held case that carried a summary is re-alerted when unacknowledged
 * (db_jobs_unacked_cases): the run is escalated as one, through the case
 * its summary named; every held case can still be acknowledged and closed
 * on its own.
 */
#include <stdio.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"
#include "lexicon.h"
#include "routing.h"

/* The flood rule counts by number: only for a real one (an E.164 number),
 * never for a hidden caller or an alphanumeric sender many people share. */
static int flood_applies(const struct gw_policy *pol, const char *phone)
{
    if (!pol || pol->flood_reports <= 0 || pol->flood_window <= 0 || !phone || phone[0] != '+') return 0;
    size_t n = strlen(phone + 1);
    return n >= 6 && n <= 15 && strspn(phone + 1, "0123456789") == n;
}

/* Where a case with no child belongs: the sender's county, else the default. */
static int case_place(const struct h_env *env, const struct h_sender *who, int64_t *county, int64_t *region)
{
    *county = *region = 0;
    if (who->is_staff && who->staff.region.county_id) {
        *county = who->staff.region.county_id;
        *region = who->staff.region.id;
        return 0;
    }
    if (who->is_guardian) {
        struct db_child kid;
        int n = db_guardian_children(env->st, who->guardian_id, &kid, 1);
        if (n < 0) return -1;
        if (n > 0 && kid.region.county_id) {
            *county = *region = kid.region.county_id;
            return 0;
        }
    }
    if (env->pol && env->pol->default_region) {
        struct db_region r;
        int rc = db_region_by_path(env->st, env->pol->default_region, &r);
        if (rc < 0) return -1;
        if (rc == 0 && r.county_id) {
            *county = r.county_id;
            *region = r.id;
            return 0;
        }
    }
    int rc = db_region_only_county(env->st, county);
    if (rc < 0) return -1;
    if (rc == 0)
        *region = *county;
    else
        *county = 0;
    return 0;
}

/* Fills c->county, c->place and c->village_id from the case's county and region. */
static int describe_place(struct store *st, int64_t county_id, int64_t region_id, int child, struct h_case *c)
{
    struct db_region r;
    c->county[0] = c->place[0] = '\0';
    c->village_id = 0;
    if (county_id) {
        int rc = db_region_by_id(st, county_id, &r);
        if (rc < 0) return -1;
        if (rc == 0) gw_strlcpy(c->county, r.path, sizeof c->county);
    }
    if (region_id) {
        int rc = db_region_by_id(st, region_id, &r);
        if (rc < 0) return -1;
        if (rc == 0 && r.level == 3) {
            const char *slash = strrchr(r.path, '/');
            gw_strlcpy(c->place, slash ? slash + 1 : r.path, sizeof c->place);
            if (child) c->village_id = r.id;
        }
    }
    if (!c->place[0]) gw_strlcpy(c->place, c->county[0] ? c->county : "未定", sizeof c->place);
    return 0;
}

int h_case_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                const struct h_case_req *req, struct h_case *out)
{
    struct db_case_new c = {
        .classified = req->classified,
        .description = req->description,
        .inbox_id = m->inbox_id,
        .event_detail = req->event_detail,
    };
    memset(out, 0, sizeof *out);
    if (req->child) {
        c.child_id = req->child->id;
        c.county_id = req->child->region.county_id;
        c.region_id = req->child->region.id;
    } else if (case_place(env, who, &c.county_id, &c.region_id) != 0) {
        return -1;
    }
    if (describe_place(env->st, c.county_id, c.region_id, req->child != NULL, out) != 0) return -1;
    const struct lex_match *lm = req->inferred;
    const struct routing_rule *rule = routing_for(env->pol, out->county, lm ? lm->category : req->category);
    c.category = rule->category;
    c.priority = rule->priority;
    c.depts = rule->depts;
    c.ndepts = rule->ndepts;
    char detail[192];
    if (lm) {
        /* The more urgent of the words' priority and the county's routing. */
        if (lm->priority < c.priority) c.priority = lm->priority;
        c.classified = c.inferred = 1;
        snprintf(detail, sizeof detail, "%s%sinferred=%d P%d phrase=%s", req->event_detail ? req->event_detail : "",
                 req->event_detail ? " " : "", rule->category, c.priority, lm->phrase);
        c.event_detail = detail;
    }
    if (db_reporter_upsert(env->st, who->phone, m->now, &c.reporter_id) != 0) return -1;
    struct db_flood flood = {0};
    int counted = c.reporter_id && flood_applies(env->pol, who->phone);
    if (counted && db_reporter_flood(env->st, c.reporter_id, m->now - env->pol->flood_window, &flood) != 0) return -1;
    if (db_case_open(env->st, &c, m->now, &out->id, out->number) != 0) return -1;
    /* Held: beyond the number's allowance, or inside a run it began
     * (cases.flood_of, which h_case_alert reads back). */
    if (counted && (flood.first_id || flood.recent >= env->pol->flood_reports) &&
        db_case_set_flood(env->st, out->id, flood.first_id ? flood.first_id : out->id) < 0)
        return -1;
    out->category = rule->category;
    out->classified = c.classified;
    out->priority = c.priority;
    out->rule = rule;
    out->county_id = c.county_id;
    out->inferred = c.inferred;
    out->inferred_cats = lm ? lm->cats : 0;
    return 0;
}

/* The lexicon for a county's cases: its own, else [policy]'s, else the built-in. */
static const struct lexicon *county_lexicon(const struct gw_policy *pol, const char *county)
{
    const struct gw_county *cc = routing_county(pol, county);
    if (cc && cc->lexicon) return cc->lexicon;
    return pol ? pol->lexicon : NULL;
}

int h_infer(const struct h_env *env, const struct h_sender *who, const struct db_child *child, const char *text,
            size_t len, struct lex_match *match)
{
    memset(match, 0, sizeof *match);
    if (!text || !len) return 0;
    int64_t county_id = child ? child->region.county_id : 0, region_id = 0;
    if (!child && case_place(env, who, &county_id, &region_id) != 0) return -1;
    char county[DB_PATH_MAX] = "";
    if (county_id) {
        struct db_region r;
        int rc = db_region_by_id(env->st, county_id, &r);
        if (rc < 0) return -1;
        if (rc == 0) gw_strlcpy(county, r.path, sizeof county);
    }
    return lex_scan(county_lexicon(env->pol, county), text, len, match);
}

/* Whether the child's village may be told of a case: a classified case of
 * a category the county tells villages of; an inferred one only when every
 * category its words matched may be told (words of abuse beside words of
 * drowning keep the village out, as a coded 1 or 2 would). */
static int village_may_know(const struct h_env *env, const struct h_case *c)
{
    if (!c->classified || !c->village_id || !routing_village_told(env->pol, c->county, c->category)) return 0;
    for (int k = 1; c->inferred && k <= 9; k++)
        if ((c->inferred_cats & (1u << (k - 1))) && !routing_village_told(env->pol, c->county, k)) return 0;
    return 1;
}

int h_village_notice(const struct h_env *env, int64_t case_id, const char *number, int priority, int64_t village_id,
                     const char *reporter, int64_t not_before, struct h_result *out)
{
    char directors[8][DB_PHONE_LEN];
    int n = db_village_directors(env->st, village_id, directors, 8);
    if (n < 0) return -1;
    int told = 0;
    for (int i = 0; i < n && i < 8; i++) {
        if (reporter && strcmp(directors[i], reporter) == 0) continue; /* the reporter knows */
        struct h_reply *r = h_reply_add(out, "case_village_notice", directors[i], H_NOTICE);
        if (!r) break;
        r->case_id = case_id;
        r->not_before = not_before;
        snprintf(r->dedupe, sizeof r->dedupe, "village:%.12s:%.23s", number, r->to);
        h_var_set(r, "case", "%s", number);
        h_var_set(r, "priority", "P%d", priority);
        told++;
    }
    return told;
}

static int tell_village(const struct h_env *env, const struct h_msg *m, const struct h_case *c, int64_t not_before,
                        struct h_result *out)
{
    return h_village_notice(env, c->id, c->number, c->priority, c->village_id, m->from, not_before, out);
}

/* h_case_alert for a case the flood rule holds (see the file's header):
 * run is its run's first case and recent the number's reports within the
 * window, this one included. */
static int flood_alert(const struct h_env *env, const struct h_msg *m, const struct h_case *c,
                       const struct db_flood *run, struct h_result *out)
{
    /* The sender's answer: written once per run, whatever the channel. */
    for (int i = 0; i < out->nreplies; i++) {
        struct h_reply *r = &out->replies[i];
        if (r->kind != H_REPLY || r->case_id != c->id) continue;
        r->tmpl = "report_flood";
        r->nvars = 0;
        h_var_set(r, "case", "%s", c->number);
        snprintf(r->dedupe, sizeof r->dedupe, "flood_reply:%.12s", run->first_number);
        break;
    }
    size_t dl = strlen(out->detail);
    if (dl + 12 < sizeof out->detail) snprintf(out->detail + dl, sizeof out->detail - dl, " flood_held");

    int summaries = 0, unsent = 0;
    if (c->classified && c->priority <= 2) {
        int64_t later = c->priority >= 2 ? h_next_work_time(env->pol, m->now) : 0;
        char phones[H_MAX_REPLIES][DB_PHONE_LEN];
        int room = H_MAX_REPLIES - out->nreplies;
        int n = h_alert_recipients(env, c->county_id, c->county, c->rule, phones, room);
        if (n < 0) return -1;
        int k = n < room ? n : room;
        unsent = n - k;
        for (int i = 0; i < k; i++) {
            char key[sizeof out->replies[0].dedupe];
            snprintf(key, sizeof key, "flood:%.12s:%.23s", run->first_number, phones[i]);
            int told = db_message_queued(env->st, key);
            if (told < 0) return -1;
            if (told) continue; /* this run's summary reached them already */
            struct h_reply *r = h_reply_add(out, "case_flood_alert", phones[i], H_ALERT);
            if (!r) {
                unsent++;
                continue;
            }
            r->case_id = c->id;
            r->not_before = later;
            memcpy(r->dedupe, key, sizeof r->dedupe);
            h_var_set(r, "case", "%s", c->number);
            h_var_set(r, "priority", "P%d", c->priority);
            h_var_set(r, "count", "%d", run->recent);
            summaries++;
        }
    }
    char detail[128];
    int village = village_may_know(env, c);
    int w = snprintf(detail, sizeof detail, "run=%s reports=%d summary=%d", run->first_number, run->recent, summaries);
    if (unsent) w += snprintf(detail + w, sizeof detail - (size_t)w, " unsent=%d", unsent);
    if (village) snprintf(detail + w, sizeof detail - (size_t)w, " village=held");
    if (db_case_event(env->st, c->id, "flood_held", 0, detail, m->now) != 0) return -1;
    if (!summaries) return 0;
    snprintf(detail, sizeof detail, "flood_summary count=%d", summaries);
    return db_case_event(env->st, c->id, "alerted", 0, detail, m->now);
}

int h_case_alert(const struct h_env *env, const struct h_msg *m, const struct h_case *c, struct h_result *out)
{
    if (env->pol && env->pol->flood_window > 0) {
        struct db_flood run;
        int rc = db_case_flood_run(env->st, c->id, m->now - env->pol->flood_window, &run);
        if (rc < 0) return -1;
        if (rc == 0) return flood_alert(env, m, c, &run, out);
    }
    int village = village_may_know(env, c);
    int64_t later = c->priority >= 2 ? h_next_work_time(env->pol, m->now) : 0;
    /* Slots kept for the village notice: it must not be crowded out. */
    int keep = village ? 2 : 0;
    int told = 0;
    char detail[96];

    if (c->classified && c->priority <= 2) {
        char phones[H_MAX_REPLIES][DB_PHONE_LEN];
        int room = H_MAX_REPLIES - out->nreplies - keep;
        if (room < 0) room = 0;
        int n = h_alert_recipients(env, c->county_id, c->county, c->rule, phones, room);
        if (n < 0) return -1;
        if (n > 0) {
            int sent = 0;
            for (int i = 0; i < n && i < room; i++) {
                struct h_reply *r = h_reply_add(out, "case_alert", phones[i], H_ALERT);
                if (!r) break;
                r->case_id = c->id;
                r->not_before = later;
                snprintf(r->dedupe, sizeof r->dedupe, "alert:%.12s:%.23s:0", c->number, r->to);
                h_var_set(r, "case", "%s", c->number);
                h_var_set(r, "priority", "P%d", c->priority);
                h_var_set(r, "place", "%s", c->place);
                h_var_set(r, "cat", "%d", c->category);
                sent++;
            }
            if (village && (told = tell_village(env, m, c, later, out)) < 0) return -1;
            int w = snprintf(detail, sizeof detail, "count=%d", sent);
            if (sent < n) w += snprintf(detail + w, sizeof detail - (size_t)w, " unsent=%d", n - sent);
            if (later) w += snprintf(detail + w, sizeof detail - (size_t)w, " not_before=%lld", (long long)later);
            if (village) snprintf(detail + w, sizeof detail - (size_t)w, " village=%d", told);
            return db_case_event(env->st, c->id, "alerted", 0, detail, m->now);
        }
    }
    /* Nothing named, nothing inferred: the county's civil-affairs triage is
     * alerted at once (triage.c); the village is never told. */
    if (!c->classified) return h_triage_alert(env, m, c, out);
    /* P3, or nobody to alert: the triage queue of the county's civil-affairs responders. */
    if (village && (told = tell_village(env, m, c, later, out)) < 0) return -1;
    const char *why = !c->classified ? "unclassified" : c->priority == 3 ? "P3" : "no_responder";
    int w = snprintf(detail, sizeof detail, "%s", why);
    if (c->classified && c->priority < 3) snprintf(detail + w, sizeof detail - (size_t)w, " P%d", c->priority);
    if (village) {
        w = (int)strlen(detail);
        snprintf(detail + w, sizeof detail - (size_t)w, " village=%d", told);
    }
    return db_case_event(env->st, c->id, "queued_for_triage", 0, detail, m->now);
}

int h_report_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                  const struct h_report_in *in, struct h_result *out, struct h_case *opened)
{
    int category = in->category >= 1 && in->category <= 9 && !in->category_bad ? in->category : 9;
    int classified = in->classified && !in->category_bad;
    const char *bad_code = in->bad_child;
    char event_detail[64] = "";

    if (bad_code) snprintf(event_detail, sizeof event_detail, "%s:%s", cb_error_name(in->bad_child_error), bad_code);

    struct db_child child;
    int have_child = 0;
    if (in->child && in->child[0]) {
        int rc = db_child_by_code(env->st, in->child, &child);
        if (rc < 0) return -1;
        have_child = rc == 0;
        /* Kept for triage, never told: the reply to a well-formed code is
         * the same whether or not the child exists (no register oracle). */
        if (!have_child) snprintf(event_detail, sizeof event_detail, "child_unknown:%s", in->child);
    }
    /* A child named instead of coded (BG 4 张小明 走丢了): linked only when
     * the name is that of exactly one child in the case's county; else the
     * name stays in the description for triage. */
    if (!(in->child && in->child[0]) && !(bad_code && bad_code[0]) && in->name && in->name[0]) {
        int64_t county_id, region_id;
        struct db_region county;
        if (case_place(env, who, &county_id, &region_id) != 0) return -1;
        int rc = county_id ? db_region_by_id(env->st, county_id, &county) : 1;
        if (rc == 0) rc = db_child_by_name(env->st, in->name, county.path, &child);
        if (rc < 0) return -1;
        if (rc == 0) {
            have_child = 1;
            snprintf(event_detail, sizeof event_detail, "child_named");
        }
    }

    /* No usable category: the description is read for danger words. */
    struct lex_match lm = {0}; /* read only when inferred */
    int inferred = 0;
    if (!classified && in->description) {
        inferred = h_infer(env, who, have_child ? &child : NULL, in->description, strlen(in->description), &lm);
        if (inferred < 0) return -1;
    }

    struct h_case_req req = {.category = category,
                             .classified = classified,
                             .child = have_child ? &child : NULL,
                             .description = in->description,
                             .event_detail = event_detail[0] ? event_detail : NULL,
                             .inferred = inferred ? &lm : NULL};
    struct h_case c;
    if (h_case_open(env, m, who, &req, &c) != 0) return -1;

    const char *tmpl = c.priority == 0                 ? "report_ok_p0"
                       : bad_code                      ? "report_ok_child_bad"
                       : in->category_bad && !inferred ? "report_ok_category_bad"
                                                       : "report_ok";
    char detail[64];
    snprintf(detail, sizeof detail, "case=%s P%d%s", c.number, c.priority, inferred ? " inferred" : "");
    struct h_reply *r = h_answer(out, m, "ok", detail, tmpl);
    if (r) r->case_id = c.id;
    h_var_set(r, "case", "%s", c.number);
    if (bad_code && c.priority != 0) h_var_set(r, "code", "%s", bad_code);
    if (opened) *opened = c;
    return h_case_alert(env, m, &c, out);
}

int h_report(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    if (cmd->error == CB_E_DESC_MISSING && !cmd->category_given && !cmd->child[0] && !cmd->bad_child[0]) {
        h_answer(out, m, "invalid", cb_error_name(cmd->error), "report_desc_missing");
        return 0;
    }
    int child_error = cmd->error == CB_E_CHILD_FORMAT || cmd->error == CB_E_CHILD_CHECK;
    struct h_report_in in = {
        .category = cmd->value,
        .classified = cmd->category_given,
        .category_bad = cmd->error == CB_E_CATEGORY_BAD,
        .child = cmd->child[0] ? cmd->child : NULL,
        .bad_child = child_error ? cmd->bad_child : NULL,
        .bad_child_error = child_error ? cmd->error : CB_OK,
        /* a malformed code, even one the error does not name, keeps a name from being looked up */
        .name = !cmd->child[0] && !cmd->bad_child[0] && cmd->name[0] ? cmd->name : NULL,
        .description = cmd->note,
    };
    return h_report_open(env, m, who, &in, out, NULL);
}
