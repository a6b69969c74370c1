/* handlers/visit.c - ZF: a director or supervisor records home visits.
 *
 * Rules: the director of the child's village, or a
 * supervisor or admin whose region contains the village, may record it.
 * The date defaults to today and may not be in the future or more than 60
 * days back (the parser checks both). A code that is not registered and a
 * child outside the sender's area get one and the same refusal, so the
 * register cannot be probed; only a wrong check digit is pointed out
 * (it says nothing about who exists). Result 2 needs problem codes; an XL
 * problem moves the child to the high visit cadence. Result 4 (phone or
 * video) is stored like the others; it does not reset the visit clock,
 * which the scheduler reads from the result.
 *
 * A child may be named instead of coded (ZF 张小明 1): the name is matched
 * exactly among the children of the sender's own area (the director's
 * village; a supervisor's or admin's region), and only a unique match
 * counts. No match and several matches get one answer, which says how to
 * find the code (CX 待访) and never repeats the name; a name registered in
 * another village is "no match", so the answer reveals nobody.
 *
 * One SMS may carry several children (ZF 1000015 1 1000028 2 XL, ZF
 * 1000015、1000028 都正常, ZF 1000015 1 ZF 1000028 1). Each is recorded on
 * its own, in one transaction, and one reply says how many were recorded
 * and names by code those that were not, with the reason (the rest of a
 * long list in up to three more SMS). A child named twice in one message
 * is recorded once. A one-child message gets exactly the replies it always
 * got, which the USSD and voice paths rely on.
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"

#define VISIT_FMT    "ZF 编号 [日期] 结果"
#define MORE_REPLIES 3 /* SMS after the summary that may carry the rest of the refusals */

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

static const char WHY_NOT_YOURS[] = "不在您负责的村";
static const char WHY_NAME[] = "名字查不到或重名，请写编号（可发CX 待访查）";

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

/* One parsed child of a ZF as the typed visit it stands for. */
static struct h_visit_in item_in(const struct cb_item *it)
{
    return (struct h_visit_in){.child = it->child[0] ? it->child : NULL,
                               .name = it->name[0] ? it->name : NULL,
                               .year = it->year,
                               .month = it->month,
                               .day = it->day,
                               .result = it->value,
                               .problems = it->problems,
                               .note = it->note};
}

/* The child of a visit: by code (0 found, 1 unknown) or, for a name, the
 * unique child of that name in the sender's area (0 found, 1 none or
 * several). -1 on a store error. */
static int item_child(const struct h_env *env, const struct h_sender *who, const struct h_visit_in *it,
                      struct db_child *child)
{
    if (it->child && it->child[0]) return db_child_by_code(env->st, it->child, child);
    if (!it->name || !it->name[0]) return 1;
    int rc = db_child_by_name(env->st, it->name, who->staff.region.path, child);
    return rc < 0 ? -1 : rc == 0 ? 0 : 1;
}

/* Stores one well-formed visit to child. *high is set when it moved the
 * child to the high cadence. 0 with *visit_id, or -1. */
static int record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                  const struct h_visit_in *it, const struct db_child *child, int64_t *visit_id, int *high)
{
    int y = it->year, mo = it->month, d = it->day;
    if (!y) h_today(m->now, &y, &mo, &d);
    char problems[32] = "";
    if (it->problems) cb_problems_str(it->problems, problems, sizeof problems);
    struct db_visit v = {.child_id = child->id,
                         .staff_id = who->staff.id,
                         .result = it->result,
                         .problems = problems,
                         .note = it->note,
                         .inbox_id = m->inbox_id};
    h_iso_date(y, mo, d, v.visit_date, sizeof v.visit_date);
    if (db_visit_insert(env->st, &v, m->now, visit_id) != 0) return -1;
    *high = it->result == 2 && (it->problems & CB_P_XL);
    /* Set once: a child already on the closer cadence is not written again. */
    if (*high && !child->high_cadence && db_child_set_high_cadence(env->st, child->id) < 0) return -1;
    return 0;
}

static int high_days(const struct h_env *env)
{
    return env->pol && env->pol->visit_days_high > 0 ? env->pol->visit_days_high : gw_policy_defaults().visit_days_high;
}

/* 1 when the sender is staff whose visits are recorded at all. */
static int visiting_staff(const struct h_sender *who)
{
    return h_is_role(who, "director") || h_is_role(who, "supervisor") || h_is_role(who, "admin");
}

/* Answers a visit the code book refuses with error e (the date for the date errors). */
static void visit_error(struct h_result *out, const struct h_msg *m, enum cb_error e, int y, int mo, int d)
{
    for (size_t i = 0; i < sizeof visit_errors / sizeof visit_errors[0]; i++) {
        if (visit_errors[i].error != e) continue;
        struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(e), visit_errors[i].tmpl);
        if (visit_errors[i].with_date) {
            char date[32] = ""; /* without a date the reply still reads well */
            if (y) h_fmt_date(y, mo, d, date, sizeof date);
            h_var_set(r, "date", "%s", date);
        }
        return;
    }
    /* An error the visit grammar does not produce: treat as a missing result. */
    h_answer(out, m, "invalid", cb_error_name(e), "visit_result_missing");
}

int h_visit_record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                   const struct h_visit_in *it, struct h_result *out)
{
    if (!visiting_staff(who)) {
        h_answer(out, m, "refused", "not_visiting_staff", "visit_not_staff");
        return 0;
    }
    if (it->result < 1 || it->result > 4 || (it->result == 2 && !it->problems)) {
        visit_error(out, m, it->result == 2 ? CB_E_PROBLEMS_MISSING : CB_E_RESULT_BAD, 0, 0, 0);
        return 0;
    }
    const char *code = it->child ? it->child : "";
    struct db_child child;
    int rc = item_child(env, who, it, &child);
    if (rc < 0) return -1;
    if (rc == 1 && !code[0]) {
        /* One answer for "no such name here" and "several": it names nobody. */
        h_answer(out, m, "invalid", "name_unknown", "visit_name_unknown");
        return 0;
    }
    if (rc == 1 || !may_visit(who, &child)) {
        /* One answer for "no such child" and "not yours": staff learn
         * nothing about children outside their area. */
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused",
                                     rc == 1 ? "child_unknown" : "not_in_region", "visit_not_allowed");
        h_var_set(r, "code", "%s", code);
        return 0;
    }

    int64_t visit_id = 0;
    int high = 0;
    if (record(env, m, who, it, &child, &visit_id, &high) != 0) return -1;

    int y = it->year, mo = it->month, d = it->day;
    if (!y) h_today(m->now, &y, &mo, &d);
    char detail[48], date[32];
    snprintf(detail, sizeof detail, "visit=%lld", (long long)visit_id);
    const char *tmpl = high ? "visit_ok_high" : visit_ok_tmpl[it->result];
    struct h_reply *r = h_answer(out, m, "ok", detail, tmpl);
    h_fmt_date(y, mo, d, date, sizeof date);
    h_var_set(r, "code", "%s", child.code);
    h_var_set(r, "date", "%s", date);
    if (high) h_var_set(r, "days", "%d", high_days(env));
    return 0;
}

/* One child: the replies it has always had. */
static int visit_one(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                     const struct h_sender *who, struct h_result *out)
{
    if (cmd->error != CB_OK) {
        if (!h_common_error(out, m, cmd, VISIT_FMT)) visit_error(out, m, cmd->error, cmd->year, cmd->month, cmd->day);
        return 0;
    }
    /* the single fields: what a hand-built command fills too */
    struct h_visit_in one = {.child = cmd->child[0] ? cmd->child : NULL,
                             .name = cmd->name[0] ? cmd->name : NULL,
                             .year = cmd->year,
                             .month = cmd->month,
                             .day = cmd->day,
                             .result = cmd->value,
                             .problems = cmd->problems,
                             .note = cmd->note};
    return h_visit_record(env, m, who, &one, out);
}

/* Several children: each on its own, one summary. */
static int visit_many(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                      const struct h_sender *who, struct h_result *out)
{
    struct h_refused refused = {.n = 0};
    char done[CB_ITEMS_MAX][8]; /* codes recorded by this message */
    char raised[CB_ITEMS_MAX][8];
    int ndone = 0, nraised = 0, invalid = 0;
    for (int k = 0; k < cmd->nitems && k < CB_ITEMS_MAX; k++) {
        const struct cb_item *it = &cmd->items[k];
        if (it->error != CB_OK) {
            const char *code = it->child[0] ? it->child : it->bad_child;
            h_refused_add(&refused, code, h_item_error_why(it->error));
            invalid++;
            continue;
        }
        struct h_visit_in in = item_in(it);
        struct db_child child;
        int rc = item_child(env, who, &in, &child);
        if (rc < 0) return -1;
        if (rc == 1 && !it->child[0]) {
            h_refused_add(&refused, "", WHY_NAME);
            continue;
        }
        if (rc == 1 || !may_visit(who, &child)) {
            h_refused_add(&refused, it->child, WHY_NOT_YOURS);
            continue;
        }
        int dup = 0;
        for (int j = 0; j < ndone && !dup; j++) dup = strcmp(done[j], child.code) == 0;
        if (dup) continue; /* the same child twice in one message: once */
        int64_t visit_id;
        int high;
        if (record(env, m, who, &in, &child, &visit_id, &high) != 0) return -1;
        memcpy(done[ndone++], child.code, sizeof done[0]);
        if (high) memcpy(raised[nraised++], child.code, sizeof raised[0]);
    }

    h_refused_more(&refused, cmd);
    char values[1 + MORE_REPLIES][96];
    int nv = h_refused_render(&refused, values, 1 + MORE_REPLIES);
    char detail[64];
    snprintf(detail, sizeof detail, "visits=%d refused=%d", ndone, refused.n);
    struct h_reply *r;
    if (ndone == 0) {
        r = h_answer(out, m, invalid == refused.n ? "invalid" : "refused", detail, "visit_many_none");
        h_var_set(r, "refused", "%s", nv ? values[0] : "");
    } else if (nv == 0) {
        r = h_answer(out, m, "ok", detail, "visit_many_ok");
        h_var_set(r, "count", "%d", ndone);
    } else {
        r = h_answer(out, m, "ok", detail, "visit_many_some");
        h_var_set(r, "count", "%d", ndone);
        h_var_set(r, "refused", "%s", values[0]);
    }
    for (int i = 1; i < nv; i++) {
        r = h_reply_add(out, "many_more", m->from, H_REPLY);
        h_var_set(r, "refused", "%s", values[i]);
    }
    if (nraised) {
        char codes[96];
        size_t used = 0;
        codes[0] = '\0';
        for (int i = 0; i < nraised && i < 2; i++)
            used += (size_t)snprintf(codes + used, sizeof codes - used, "%s%s", i ? "、" : "", raised[i]);
        if (nraised > 2) snprintf(codes + used, sizeof codes - used, "等%d名", nraised);
        r = h_reply_add(out, "visit_many_high", m->from, H_REPLY);
        h_var_set(r, "codes", "%s", codes);
        h_var_set(r, "days", "%d", high_days(env));
    }
    return 0;
}

int h_visit(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    if (!visiting_staff(who)) {
        h_answer(out, m, "refused", "not_visiting_staff", "visit_not_staff");
        return 0;
    }
    if (cmd->nitems <= 1) return visit_one(env, m, cmd, who, out);
    return visit_many(env, m, cmd, who, out);
}
