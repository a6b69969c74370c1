/* handlers/cases.c - QR, JA, CX: responders acknowledge and close cases;
 * reporters and responders ask for a case's status.
 *
 * Rules (DESIGN §5, §7): QR and JA belong to a county-level responder of a
 * department the case was routed to whose region contains the case's
 * county, or to an admin over that county (any admin while a case has no
 * county yet). Acknowledging twice, acknowledging a closed case and closing
 * a closed case are refused with a clear reply; a case number that does
 * not exist and a case the sender may not act on get one and the same
 * refusal. Closing an unacknowledged
 * case acknowledges it at the same time. On close the reporter (when it is
 * not the closer) gets a neutral notice that the report was handled. CX is
 * answered for the case's reporter and for those who may act on it; anyone
 * else, and an unknown number, gets one and the same answer, so probing
 * numbers reveals nothing. Every step is a case event.
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"
#include "routing.h"

#define ACK_FMT    "QR 案件号"
#define CLOSE_FMT  "JA 案件号 结果"
#define STATUS_FMT "CX 案件号"

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

/* Shared start of QR and JA: role, parse errors, look-up, authorisation.
 * Returns 1 when the case is found and the sender may act on it, 0 when
 * the message has been answered, -1 on a store error. */
static int responder_case(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                          const struct h_sender *who, struct h_result *out, const char *fmt, struct db_case *c)
{
    if (!h_is_role(who, "responder") && !h_is_role(who, "admin")) {
        h_answer(out, m, "refused", "not_responder", "case_not_responder");
        return 0;
    }
    if (cmd->error != CB_OK) {
        if (h_common_error(out, m, cmd, fmt)) return 0;
        const char *tmpl = cmd->error == CB_E_OUTCOME_BAD ? "close_outcome_bad" : "close_outcome_missing";
        h_answer(out, m, "invalid", cb_error_name(cmd->error), tmpl);
        return 0;
    }
    int rc = db_case_by_number(env->st, cmd->case_no, c);
    if (rc < 0) return -1;
    int may = rc == 0 ? h_case_responder(env->st, who, c) : 0;
    if (may < 0) return -1;
    if (!may) {
        /* One answer for "no such case" and "not yours". */
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused", rc == 1 ? "case_unknown" : "not_routed",
                                     "case_not_allowed");
        if (r && rc == 0) r->case_id = c->id;
        h_var_set(r, "case", "%s", cmd->case_no);
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

int h_ack(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
          struct h_result *out)
{
    struct db_case c;
    int rc = responder_case(env, m, cmd, who, out, ACK_FMT, &c);
    if (rc <= 0) return rc;
    if (strcmp(c.status, "closed") == 0) {
        case_answer(out, m, "refused", "case_closed", "ack_closed", &c);
        return 0;
    }
    rc = db_case_ack(env->st, c.id, who->staff.id, m->now);
    if (rc < 0) return -1;
    if (rc == 1) {
        case_answer(out, m, "refused", "already_acknowledged", "ack_already", &c);
        return 0;
    }
    case_answer(out, m, "ok", "acknowledged", "ack_ok", &c);
    return 0;
}

int h_close(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    struct db_case c;
    int rc = responder_case(env, m, cmd, who, out, CLOSE_FMT, &c);
    if (rc <= 0) return rc;
    rc = db_case_close(env->st, c.id, who->staff.id, cmd->value, cmd->note, m->now);
    if (rc < 0) return -1;
    if (rc == 1) {
        case_answer(out, m, "refused", "case_closed", "close_already", &c);
        return 0;
    }
    char detail[24];
    snprintf(detail, sizeof detail, "closed outcome=%d", cmd->value);
    case_answer(out, m, "ok", detail, "close_ok", &c);

    if (c.reporter_id) {
        char phone[sizeof out->replies[0].to];
        rc = db_reporter_phone(env->st, c.reporter_id, phone, sizeof phone);
        if (rc < 0) return -1;
        if (rc == 0 && phone[0] && strcmp(phone, m->from ? m->from : "") != 0) {
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

int h_status(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    if (cmd->error != CB_OK) {
        if (h_common_error(out, m, cmd, STATUS_FMT)) return 0;
        struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(cmd->error), "case_missing");
        h_var_set(r, "fmt", "%s", STATUS_FMT);
        return 0;
    }
    struct db_case c;
    int rc = db_case_by_number(env->st, cmd->case_no, &c);
    if (rc < 0) return -1;
    if (rc == 1) {
        struct h_reply *r = h_answer(out, m, "invalid", "case_unknown", "status_denied");
        h_var_set(r, "case", "%s", cmd->case_no);
        return 0;
    }

    const char *as = NULL;
    int64_t reporter_id = 0;
    rc = db_reporter_by_phone(env->st, m->from ? m->from : "", &reporter_id);
    if (rc < 0) return -1;
    if (rc == 0 && c.reporter_id && reporter_id == c.reporter_id) {
        as = "reporter";
    } else {
        int may = h_case_responder(env->st, who, &c);
        if (may < 0) return -1;
        if (may) as = h_role(who);
    }
    if (!as) {
        struct h_reply *r = h_answer(out, m, "refused", "not_reporter_or_responder", "status_denied");
        h_var_set(r, "case", "%s", cmd->case_no);
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
