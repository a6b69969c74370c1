/* handlers/cases.c - QR, JA, CX, FL: responders acknowledge and close
 * cases; reporters and responders ask for a case's status; the county's
 * civil-affairs triage classifies cases.
 *
 * Rules: QR and JA belong to a county-level responder of a
 * department the case was routed to whose region contains the case's
 * county, or to an admin over that county (any admin while a case has no
 * county yet). An inferred P0 case (its category read from the words of
 * the report, nobody named one) may also be acknowledged and closed by
 * the 公安 and 民政 responders over its county and those of every
 * department a P0 category routes to there: the words may have been read
 * wrongly, and whoever can act first must be able to. Acknowledging twice,
 * acknowledging a closed case and closing a closed case are refused with a
 * clear reply; a case number that does not exist and a case the sender may
 * not act on get one and the same refusal. Closing an unacknowledged case
 * acknowledges it at the same time. On close the reporter (when it is not
 * the closer) gets a neutral notice that the report was handled. CX is
 * answered for the case's reporter and for those who may act on it; anyone
 * else, and an unknown number, gets one and the same answer, so probing
 * numbers reveals nothing. Every step is a case event.
 *
 * QR without a number (and 收到 / 好的 from a responder, h_ack_pending):
 * the cases still open that were alerted to the sender and that the sender
 * may act on; exactly one is acknowledged, several are listed by number
 * within one SMS, none leaves the message to the caller's usual answer.
 *
 * FL <case> <category>: the civil-affairs (民政) responders over the case's
 * county and the admins over it classify a case, unclassified, inferred or
 * already classified. The case takes the category, its priority and
 * departments from the county's routing, a 'classified' event, goes back
 * to 'open' for the departments now routed (its acknowledgement deadlines
 * start again) and is alerted as if it had been coded (h_case_alert). A
 * classified case may be classified again (a correction: the same event,
 * the same steps); naming the category it already has changes nothing.
 * The k-th classification's alerts carry the dedupe key
 * "alert:<case number>:<phone>:<k>", so those told before are told again.
 * Classifying an inferred case makes its category named (no longer
 * inferred), even when triage confirms the category the words gave. A
 * closed case is not classified. The reply names the case number and the
 * category digit only.
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"
#include "routing.h"

#define ACK_FMT      "QR 案件号"
#define CLOSE_FMT    "JA 案件号 结果"
#define STATUS_FMT   "CX 案件号"
#define CLASSIFY_FMT "FL 案件号 类别"

#define PENDING_MAX   32 /* unacknowledged cases of one responder read at most */
#define PENDING_CHARS 39 /* characters of the listed numbers at most: the template lint's longest "cases" */

int h_case_responder(struct store *st, const struct h_sender *who, const struct db_case *c)
{
    int admin = h_is_role(who, "admin");
    if (!admin && !h_is_role(who, "responder")) return 0;
    if (!c->county_id) return admin;
    int under = db_region_under(st, c->county_id, who->staff.region.id);
    if (under <= 0 || admin) return under;
    const char *dept = routing_dept_code(who->staff.department);
    return dept ? db_case_has_dept(st, c->id, dept) : 0;
}

/* 1 when the case is P0 by danger words alone (nobody named its category). */
static int inferred_p0(const struct db_case *c) { return c->inferred && c->priority == 0; }

/* h_case_responder, widened for an inferred P0 case (see the file's
 * header). 1 yes, 0 no, -1 store error. */
static int may_act(const struct h_env *env, const struct h_sender *who, const struct db_case *c)
{
    int may = h_case_responder(env->st, who, c);
    if (may != 0 || !c->county_id || !inferred_p0(c) || !h_is_role(who, "responder")) return may;
    const char *dept = routing_dept_code(who->staff.department);
    if (!dept) return 0;
    int under = db_region_under(env->st, c->county_id, who->staff.region.id);
    if (under <= 0) return under;
    if (dept == routing_dept_code("police") || dept == routing_dept_code("civil_affairs")) return 1;
    struct db_region county;
    int rc = db_region_by_id(env->st, c->county_id, &county);
    if (rc < 0) return -1;
    for (int cat = 1; cat <= 9; cat++) {
        const struct routing_rule *rule = routing_for(env->pol, rc == 0 ? county.path : NULL, cat);
        if (rule->priority != 0) continue;
        for (int d = 0; d < rule->ndepts; d++)
            if (rule->depts[d] == dept) return 1;
    }
    return 0;
}

/* The role check of QR, JA and their typed forms: answers a sender who is
 * neither responder nor admin. 1 when the sender may go on, else 0. */
static int responder_role(const struct h_msg *m, const struct h_sender *who, struct h_result *out)
{
    if (h_is_role(who, "responder") || h_is_role(who, "admin")) return 1;
    h_answer(out, m, "refused", "not_responder", "case_not_responder");
    return 0;
}

/* Shared start of QR and JA: role, then parse errors. 1 when the command
 * is well formed, 0 when the message has been answered. */
static int responder_cmd(const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
                         struct h_result *out, const char *fmt)
{
    if (!responder_role(m, who, out)) return 0;
    if (cmd->error != CB_OK) {
        if (h_common_error(out, m, cmd, fmt)) return 0;
        const char *tmpl = cmd->error == CB_E_OUTCOME_BAD ? "close_outcome_bad" : "close_outcome_missing";
        h_answer(out, m, "invalid", cb_error_name(cmd->error), tmpl);
        return 0;
    }
    return 1;
}

/* Shared start of the typed QR and JA: role, look-up, authorisation.
 * Returns 1 when the case is found and the sender may act on it, 0 when
 * the message has been answered, -1 on a store error. */
static int responder_case(const struct h_env *env, const struct h_msg *m, const char *case_no,
                          const struct h_sender *who, struct h_result *out, struct db_case *c)
{
    if (!responder_role(m, who, out)) return 0;
    int rc = db_case_by_number(env->st, case_no, c);
    if (rc < 0) return -1;
    int may = rc == 0 ? may_act(env, who, c) : 0;
    if (may < 0) return -1;
    if (!may) {
        /* One answer for "no such case" and "not yours". */
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused", rc == 1 ? "case_unknown" : "not_routed",
                                     "case_not_allowed");
        if (r && rc == 0) r->case_id = c->id;
        h_var_set(r, "case", "%s", case_no);
        return 0;
    }
    return 1;
}

static void case_answer(struct h_result *out, const struct h_msg *m, const char *result, const char *detail,
                        const char *tmpl, const struct db_case *c)
{
    struct h_reply *r = h_answer(out, m, result, detail, tmpl);
    if (r) r->case_id = c->id;
    h_var_set(r, "case", "%s", c->number);
}

/* Acknowledges a case the sender may act on; answers either way. 0 or -1. */
static int ack_case(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, struct db_case *c,
                    struct h_result *out)
{
    if (strcmp(c->status, "closed") == 0) {
        case_answer(out, m, "refused", "case_closed", "ack_closed", c);
        return 0;
    }
    int rc = db_case_ack(env->st, c->id, who->staff.id, m->now);
    if (rc < 0) return -1;
    if (rc == 1) {
        case_answer(out, m, "refused", "already_acknowledged", "ack_already", c);
        return 0;
    }
    case_answer(out, m, "ok", "acknowledged", "ack_ok", c);
    return 0;
}

int h_ack(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
          struct h_result *out)
{
    if (cmd->error == CB_E_CASE_MISSING) {
        int rc = h_ack_pending(env, m, who, out);
        if (rc != 1) return rc;
    }
    if (!responder_cmd(m, cmd, who, out, ACK_FMT)) return 0;
    return h_case_ack(env, m, who, cmd->case_no, out);
}

int h_case_ack(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
               struct h_result *out)
{
    struct db_case c;
    int rc = responder_case(env, m, case_no, who, out, &c);
    if (rc <= 0) return rc;
    return ack_case(env, m, who, &c, out);
}

/* Case numbers joined with "、" within budget UCS-2 characters; "等" ends
 * the list when not all fit. */
static void numbers_list(char (*nums)[DB_CASE_NO_MAX + 1], int n, size_t budget, char *out, size_t outlen)
{
    size_t used = 0, chars = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(nums[i]) + (i ? 1 : 0); /* digits, and the separator (one character) */
        size_t tail = i + 1 < n ? 1 : 0;            /* room for "等" if more are to come */
        if (i > 0 && chars + len + tail > budget) {
            snprintf(out + used, outlen - used, "等");
            return;
        }
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "、" : "", nums[i]);
        if (w < 0 || (size_t)w >= outlen - used) return;
        used += (size_t)w;
        chars += len;
    }
}

int h_ack_pending(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, struct h_result *out)
{
    if (!h_is_role(who, "responder") && !h_is_role(who, "admin")) return 1;
    char nums[PENDING_MAX][DB_CASE_NO_MAX + 1];
    int n = db_phone_unacked_cases(env->st, who->phone ? who->phone : "", nums, PENDING_MAX);
    if (n < 0) return -1;
    if (n > PENDING_MAX) n = PENDING_MAX;
    /* Only the cases the sender may still act on. */
    int k = 0;
    struct db_case one;
    for (int i = 0; i < n; i++) {
        struct db_case c;
        int rc = db_case_by_number(env->st, nums[i], &c);
        if (rc < 0) return -1;
        int may = rc == 0 ? may_act(env, who, &c) : 0;
        if (may < 0) return -1;
        if (!may) continue;
        if (k == 0) one = c;
        memmove(nums[k++], nums[i], sizeof nums[0]);
    }
    if (k == 0) return 1;
    if (k == 1) return ack_case(env, m, who, &one, out);
    char count[16], list[192];
    snprintf(count, sizeof count, "%d", k);
    numbers_list(nums, k, PENDING_CHARS, list, sizeof list);
    char detail[32];
    snprintf(detail, sizeof detail, "pending=%d", k);
    struct h_reply *r = h_answer(out, m, "invalid", detail, "ack_pending_list");
    h_var_set(r, "count", "%s", count);
    h_var_set(r, "cases", "%s", list);
    return 0;
}

int h_close(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    if (!responder_cmd(m, cmd, who, out, CLOSE_FMT)) return 0;
    return h_case_close(env, m, who, cmd->case_no, cmd->value, cmd->note, out);
}

/* 1 when phone (the reporter's) is the closer's: the sender's phone, or
 * the phone of the staff member who closes; 0 when not, -1 on a store
 * error. */
static int reporter_is_closer(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                              const char *phone)
{
    if (strcmp(phone, m->from ? m->from : "") == 0) return 1;
    if (!who->is_staff) return 0;
    struct db_staff s;
    int rc = db_staff_by_phone(env->st, phone, &s);
    if (rc < 0) return -1;
    return rc == 0 && s.id == who->staff.id;
}

int h_case_close(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                 int outcome, const char *note, struct h_result *out)
{
    if (outcome < 1 || outcome > 4) {
        h_answer(out, m, "invalid", cb_error_name(CB_E_OUTCOME_BAD), "close_outcome_bad");
        return 0;
    }
    struct db_case c;
    int rc = responder_case(env, m, case_no, who, out, &c);
    if (rc <= 0) return rc;
    rc = db_case_close(env->st, c.id, who->staff.id, outcome, note, m->now);
    if (rc < 0) return -1;
    if (rc == 1) {
        case_answer(out, m, "refused", "case_closed", "close_already", &c);
        return 0;
    }
    char detail[24];
    snprintf(detail, sizeof detail, "closed outcome=%d", outcome);
    case_answer(out, m, "ok", detail, "close_ok", &c);

    if (c.reporter_id) {
        char phone[sizeof out->replies[0].to];
        rc = db_reporter_phone(env->st, c.reporter_id, phone, sizeof phone);
        if (rc < 0) return -1;
        int closer = rc == 0 && phone[0] ? reporter_is_closer(env, m, who, phone) : 1;
        if (closer < 0) return -1;
        if (!closer) {
            struct h_reply *r = h_reply_add(out, "case_closed_reporter", phone, H_NOTICE);
            if (r) r->case_id = c.id;
            h_var_set(r, "case", "%s", c.number);
            /* The feedback the law asks for is part of the case's history. */
            if (db_case_event(env->st, c.id, "reporter_told", who->staff.id, "closed", m->now) != 0) return -1;
        }
    }
    return 0;
}

/* Status reply template by case status. */
static const struct {
    const char *status;
    const char *tmpl;
} status_tmpl[] = {
    {"open", "status_open"},
    {"acknowledged", "status_acked"},
    {"closed", "status_closed"},
};

int h_case_status(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                  struct h_result *out)
{
    struct db_case c;
    int rc = db_case_by_number(env->st, case_no, &c);
    if (rc < 0) return -1;
    if (rc == 1) {
        struct h_reply *r = h_answer(out, m, "invalid", "case_unknown", "status_denied");
        h_var_set(r, "case", "%s", case_no);
        return 0;
    }

    const char *as = NULL;
    int64_t reporter_id = 0;
    rc = db_reporter_by_phone(env->st, m->from ? m->from : "", &reporter_id);
    if (rc < 0) return -1;
    if (rc == 0 && c.reporter_id && reporter_id == c.reporter_id) {
        as = "reporter";
    } else {
        int may = may_act(env, who, &c);
        if (may < 0) return -1;
        /* a supervisor above the case's village (or county) may see its status */
        if (!may && (may = h_case_supervisor(env->st, who, &c)) < 0) return -1;
        if (may) as = h_role(who);
    }
    if (!as) {
        struct h_reply *r = h_answer(out, m, "refused", "not_reporter_or_responder", "status_denied");
        h_var_set(r, "case", "%s", case_no);
        return 0;
    }
    if (db_case_event(env->st, c.id, "status_query", who->is_staff ? who->staff.id : 0, as, m->now) != 0) return -1;
    const char *tmpl = "status_open";
    for (size_t i = 0; i < sizeof status_tmpl / sizeof status_tmpl[0]; i++)
        if (strcmp(c.status, status_tmpl[i].status) == 0) tmpl = status_tmpl[i].tmpl;
    char detail[32];
    snprintf(detail, sizeof detail, "status=%s", c.status);
    case_answer(out, m, "ok", detail, tmpl, &c);
    return 0;
}

int h_status(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    if (cmd->error != CB_OK) {
        if (h_common_error(out, m, cmd, STATUS_FMT)) return 0;
        struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(cmd->error), "case_missing");
        h_var_set(r, "fmt", "%s", STATUS_FMT);
        return 0;
    }
    return h_case_status(env, m, who, cmd->case_no, out);
}

/* ---- FL: triage classifies --------------------------------------------------- */

/* Whether the sender is the case's triage: a civil-affairs responder over
 * its county, or an admin over it (any admin while it has no county). 1
 * yes, 0 no, -1 store error. */
static int triage_may(const struct h_env *env, const struct h_sender *who, const struct db_case *c)
{
    int admin = h_is_role(who, "admin");
    if (!admin && routing_dept_code(who->staff.department) != routing_dept_code("civil_affairs")) return 0;
    if (!c->county_id) return admin;
    return db_region_under(env->st, c->county_id, who->staff.region.id);
}

/* The alerts h_case_alert added from out->replies[from] on carry the
 * classification's phase in their dedupe key ("alert:<case>:<phone>:<k>"). */
static void phase_keys(struct h_result *out, int from, const char *number, int phase)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "alert:%s:", number);
    for (int i = from; i < out->nreplies; i++) {
        char *key = out->replies[i].dedupe;
        char *colon = strrchr(key, ':');
        if (strncmp(key, prefix, (size_t)plen) != 0 || !colon || colon < key + plen) continue;
        size_t room = sizeof out->replies[i].dedupe - (size_t)(colon + 1 - key);
        snprintf(colon + 1, room, "%d", phase);
    }
}

/* The role check of FL: answers a sender who is no triage (a civil-affairs
 * responder or an admin). 1 when the sender may go on, else 0. */
static int triage_role(const struct h_msg *m, const struct h_sender *who, struct h_result *out)
{
    if (h_is_role(who, "admin") ||
        (h_is_role(who, "responder") && routing_dept_code(who->staff.department) == routing_dept_code("civil_affairs")))
        return 1;
    h_answer(out, m, "refused", "not_triage", "classify_not_triage");
    return 0;
}

int h_classify(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
               struct h_result *out)
{
    if (!triage_role(m, who, out)) return 0;
    if (cmd->error != CB_OK && h_common_error(out, m, cmd, CLASSIFY_FMT)) return 0;
    if (cmd->error != CB_OK || cmd->value < 1 || cmd->value > 9) {
        h_answer(out, m, "invalid", cmd->error != CB_OK ? cb_error_name(cmd->error) : "category_missing",
                 "classify_category_bad");
        return 0;
    }
    return h_case_classify(env, m, who, cmd->case_no, cmd->value, out);
}

int h_case_classify(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                    int category, struct h_result *out)
{
    if (!triage_role(m, who, out)) return 0;
    if (category < 1 || category > 9) {
        h_answer(out, m, "invalid", "category_missing", "classify_category_bad");
        return 0;
    }
    struct db_case c;
    int rc = db_case_by_number(env->st, case_no, &c);
    if (rc < 0) return -1;
    int may = rc == 0 ? triage_may(env, who, &c) : 0;
    if (may < 0) return -1;
    if (!may) {
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused", rc == 1 ? "case_unknown" : "not_triage",
                                     "case_not_allowed");
        if (r && rc == 0) r->case_id = c.id;
        h_var_set(r, "case", "%s", case_no);
        return 0;
    }
    if (strcmp(c.status, "closed") == 0) {
        case_answer(out, m, "refused", "case_closed", "classify_closed", &c);
        return 0;
    }
    if (c.classified && !c.inferred && c.category == category) {
        struct h_reply *r = h_answer(out, m, "ok", "already_category", "classify_ok");
        if (r) r->case_id = c.id;
        h_var_set(r, "case", "%s", c.number);
        h_var_set(r, "cat", "%d", c.category);
        return 0;
    }

    struct h_case hc;
    if (h_case_describe(env, &c, &hc) != 0) return -1;
    const struct routing_rule *rule = routing_for(env->pol, hc.county, category);
    char detail[64];
    snprintf(detail, sizeof detail, "cat=%d P%d from=%d%s", rule->category, rule->priority, c.category,
             c.inferred     ? " inferred"
             : c.classified ? ""
                            : " unclassified");
    int phase = 0;
    rc = db_case_classify(env->st, c.id, rule->category, rule->priority, rule->depts, rule->ndepts, who->staff.id,
                          detail, m->now, &phase);
    if (rc < 0) return -1;
    if (rc == 1) { /* closed meanwhile: cannot happen inside one transaction, answered all the same */
        case_answer(out, m, "refused", "case_closed", "classify_closed", &c);
        return 0;
    }
    snprintf(detail, sizeof detail, "classified cat=%d P%d", rule->category, rule->priority);
    struct h_reply *r = h_answer(out, m, "ok", detail, "classify_ok");
    if (r) r->case_id = c.id;
    h_var_set(r, "case", "%s", c.number);
    h_var_set(r, "cat", "%d", rule->category);

    hc.category = rule->category;
    hc.classified = 1;
    hc.priority = rule->priority;
    hc.rule = rule;
    int from = out->nreplies;
    if (h_case_alert(env, m, &hc, out) != 0) return -1;
    phase_keys(out, from, c.number, phase);
    return 0;
}

/* ---- departments set by a person (the office API) ------------------------------ */

/* Sets out's result and detail without a reply (no SMS command sets a
 * case's departments). */
static void assign_result(struct h_result *out, const char *result, const char *detail)
{
    out->result = result;
    snprintf(out->detail, sizeof out->detail, "%s", detail);
}

/* Alerts the departments of rule (those just added to case c) as
 * h_case_alert alerts a case's routed departments: case_alert to their
 * responders over the case's county, held until working hours for P2 and
 * P3; the event "alerted" "assigned count=N". Returns N, or -1. */
static int assign_alert(const struct h_env *env, const struct h_msg *m, const struct db_case *c,
                        const struct routing_rule *rule, struct h_result *out)
{
    struct h_case hc;
    if (h_case_describe(env, c, &hc) != 0) return -1;
    char phones[H_MAX_REPLIES][DB_PHONE_LEN];
    int room = H_MAX_REPLIES - out->nreplies;
    int n = h_alert_recipients(env, c->county_id, hc.county, rule, phones, room > 0 ? room : 0);
    if (n < 0) return -1;
    int64_t later = c->priority >= 2 ? h_next_work_time(env->pol, m->now) : 0;
    int sent = 0;
    for (int i = 0; i < n && i < room; i++) {
        struct h_reply *r = h_reply_add(out, "case_alert", phones[i], H_ALERT);
        if (!r) break;
        r->case_id = c->id;
        r->not_before = later;
        snprintf(r->dedupe, sizeof r->dedupe, "alert:%.12s:%.23s:a%lld", c->number, r->to, (long long)m->now);
        h_var_set(r, "case", "%s", c->number);
        h_var_set(r, "priority", "P%d", c->priority);
        h_var_set(r, "place", "%s", hc.place);
        h_var_set(r, "cat", "%d", c->category);
        sent++;
    }
    char detail[48];
    snprintf(detail, sizeof detail, "assigned count=%d", sent);
    if (sent && db_case_event(env->st, c->id, "alerted", 0, detail, m->now) != 0) return -1;
    return sent;
}

int h_case_assign(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                  const char *const *names, int nnames, struct h_result *out)
{
    if (!triage_role(m, who, out)) return 0;
    const char *depts[ROUTING_MAX_DEPTS];
    int ndepts = 0;
    for (int i = 0; i < nnames; i++) {
        const char *code = routing_dept_code(names[i]);
        if (!code) {
            assign_result(out, "invalid", "department_unknown");
            return 0;
        }
        int seen = 0;
        for (int k = 0; k < ndepts; k++) seen |= depts[k] == code;
        if (!seen) depts[ndepts++] = code;
    }
    if (ndepts == 0) {
        assign_result(out, "invalid", "departments_missing");
        return 0;
    }
    struct db_case c;
    int rc = db_case_by_number(env->st, case_no, &c);
    if (rc < 0) return -1;
    int may = rc == 0 ? triage_may(env, who, &c) : 0;
    if (may < 0) return -1;
    if (!may) {
        assign_result(out, rc == 1 ? "invalid" : "refused", rc == 1 ? "case_unknown" : "not_triage");
        return 0;
    }
    char old[DB_CASE_MAX_DEPTS][24];
    int nold = db_case_depts(env->st, c.id, old, DB_CASE_MAX_DEPTS);
    if (nold < 0) return -1;
    struct routing_rule added = {.category = c.category, .priority = c.priority};
    char detail[128];
    int w = snprintf(detail, sizeof detail, "depts=");
    for (int i = 0; i < ndepts; i++) {
        int had = 0;
        for (int k = 0; k < nold && k < DB_CASE_MAX_DEPTS; k++) had |= strcmp(old[k], depts[i]) == 0;
        if (!had) added.depts[added.ndepts++] = depts[i];
        if (w > 0 && (size_t)w < sizeof detail)
            w += snprintf(detail + w, sizeof detail - (size_t)w, "%s%s", i ? "," : "", depts[i]);
    }
    rc = db_case_assign(env->st, c.id, depts, ndepts, who->staff.id, detail, m->now);
    if (rc < 0) return -1;
    if (rc == 1) {
        assign_result(out, "refused", "case_closed");
        return 0;
    }
    int told = added.ndepts ? assign_alert(env, m, &c, &added, out) : 0;
    if (told < 0) return -1;
    snprintf(detail, sizeof detail, "assigned added=%d alerted=%d", added.ndepts, told);
    assign_result(out, "ok", detail);
    return 0;
}
