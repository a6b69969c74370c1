/* handlers/visit.c - ZF: a director or supervisor records a home visit.
 *
 * Rules (DESIGN §5, §7): the director of the child's village, or a
 * supervisor or admin whose region contains the village, may record it.
 * The date defaults to today and may not be in the future or more than 60
 * days back (the parser checks both). A code that is not registered and a
 * child outside the sender's area get one and the same refusal, so the
 * register cannot be probed; only a wrong check digit is pointed out
 * (it says nothing about who exists). Result 2 needs problem codes; an XL
 * problem moves the child to the high visit cadence. Result 4 (phone or
 * video) is stored like the others; it does not reset the visit clock,
 * which the scheduler reads from the result.
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"

#define VISIT_FMT         "ZF 编号 [日期] 结果"
#define DEFAULT_DAYS_HIGH 14

/* Errors specific to visits: parser error -> template. */
static const struct {
    enum cb_error error;
    const char *tmpl;
    int with_date;
} visit_errors[] = {
    {CB_E_DATE_FUTURE, "date_future", 1},
    {CB_E_DATE_OLD, "date_old", 1},
    {CB_E_RESULT_MISSING, "visit_result_missing", 0},
    {CB_E_RESULT_BAD, "visit_result_bad", 0},
    {CB_E_PROBLEMS_MISSING, "visit_problems_missing", 0},
};

/* Template of the confirmation, by result (index 1-4). */
static const char *const visit_ok_tmpl[] = {NULL, "visit_ok", "visit_ok_problem", "visit_ok_absent", "visit_ok_phone"};

static int may_visit(const struct h_sender *who, const struct db_child *c)
{
    if (h_is_role(who, "director")) return who->staff.region.id == c->region.id;
    if (h_is_role(who, "supervisor") || h_is_role(who, "admin"))
        return db_path_under(c->region.path, who->staff.region.path);
    return 0;
}

int h_visit_allowed(const struct h_env *env, const char *phone, const char *code, struct db_child *child)
{
    struct h_sender who = {.phone = phone};
    int rc = db_staff_by_phone(env->st, phone, &who.staff);
    if (rc < 0) return -1;
    who.is_staff = rc == 0;
    rc = db_child_by_code(env->st, code, child);
    if (rc < 0) return -1;
    return rc == 0 && may_visit(&who, child);
}

int h_visit(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    if (!h_is_role(who, "director") && !h_is_role(who, "supervisor") && !h_is_role(who, "admin")) {
        h_answer(out, m, "refused", "not_visiting_staff", "visit_not_staff");
        return 0;
    }
    if (cmd->error != CB_OK) {
        if (h_common_error(out, m, cmd, VISIT_FMT)) return 0;
        for (size_t i = 0; i < sizeof visit_errors / sizeof visit_errors[0]; i++) {
            if (visit_errors[i].error != cmd->error) continue;
            struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(cmd->error), visit_errors[i].tmpl);
            if (visit_errors[i].with_date) {
                char date[32] = ""; /* without a date the reply still reads well */
                if (cmd->year) h_fmt_date(cmd->year, cmd->month, cmd->day, date, sizeof date);
                h_var_set(r, "date", "%s", date);
            }
            return 0;
        }
        /* An error the visit grammar does not produce: treat as a missing result. */
        h_answer(out, m, "invalid", cb_error_name(cmd->error), "visit_result_missing");
        return 0;
    }

    struct db_child child;
    int rc = db_child_by_code(env->st, cmd->child, &child);
    if (rc < 0) return -1;
    if (rc == 1 || !may_visit(who, &child)) {
        /* One answer for "no such child" and "not yours": staff learn
         * nothing about children outside their area. */
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused",
                                     rc == 1 ? "child_unknown" : "not_in_region", "visit_not_allowed");
        h_var_set(r, "code", "%s", cmd->child);
        return 0;
    }

    int y = cmd->year, mo = cmd->month, d = cmd->day;
    if (!y) h_today(m->now, &y, &mo, &d);
    char problems[32] = "";
    if (cmd->problems) cb_problems_str(cmd->problems, problems, sizeof problems);
    struct db_visit v = {.child_id = child.id,
                         .staff_id = who->staff.id,
                         .result = cmd->value,
                         .problems = problems,
                         .note = cmd->note,
                         .inbox_id = m->inbox_id};
    h_iso_date(y, mo, d, v.visit_date, sizeof v.visit_date);
    int64_t visit_id = 0;
    if (db_visit_insert(env->st, &v, m->now, &visit_id) != 0) return -1;

    int high = cmd->value == 2 && (cmd->problems & CB_P_XL);
    if (high && db_child_set_high_cadence(env->st, child.id) < 0) return -1;

    char detail[48], date[32];
    snprintf(detail, sizeof detail, "visit=%lld", (long long)visit_id);
    const char *tmpl = high ? "visit_ok_high" : visit_ok_tmpl[cmd->value >= 1 && cmd->value <= 4 ? cmd->value : 1];
    struct h_reply *r = h_answer(out, m, "ok", detail, tmpl);
    h_fmt_date(y, mo, d, date, sizeof date);
    h_var_set(r, "code", "%s", child.code);
    h_var_set(r, "date", "%s", date);
    if (high)
        h_var_set(r, "days", "%d",
                  env->pol && env->pol->visit_days_high > 0 ? env->pol->visit_days_high : DEFAULT_DAYS_HIGH);
    return 0;
}
