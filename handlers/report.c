/* handlers/report.c - BG: anyone reports a child at risk; and opening a
 * case, which unrecognised free text shares.
 *
 * Rules (DESIGN §5, §7; reference/domain.md §2, §7): a suspicion is enough,
 * so a report is never refused for a detail. A wrong or unknown child code
 * or a category outside 1-9 still opens the case (without the child, or as
 * category 9 for a person to triage) and the reply says what was wrong;
 * only a bare "BG" with nothing to report is answered with the format.
 * Category -> priority and departments from routing.c. The case belongs
 * to the child's county; with no child, to the reporter's registered
 * region; else to [policy] default_region; else the only county; else it
 * waits without a county for an admin. The reporter is stored apart from
 * the case and gets the case number at once, with the 110/120 advice for
 * P0. Alerting responders happens elsewhere, from the stored case.
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"
#include "routing.h"

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
    if (rc == 0) *region = *county;
    else *county = 0;
    return 0;
}

int h_case_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                const struct h_case_req *req, int64_t *case_id, char *number)
{
    const struct routing_rule *rule = routing_default(req->category);
    struct db_case_new c = {
        .category = rule->category,
        .classified = req->classified,
        .priority = rule->priority,
        .depts = rule->depts,
        .ndepts = rule->ndepts,
        .description = req->description,
        .inbox_id = m->inbox_id,
        .event_detail = req->event_detail,
    };
    if (req->child) {
        c.child_id = req->child->id;
        c.county_id = req->child->region.county_id;
        c.region_id = req->child->region.id;
    } else if (case_place(env, who, &c.county_id, &c.region_id) != 0) {
        return -1;
    }
    if (db_reporter_upsert(env->st, who->phone, m->now, &c.reporter_id) != 0) return -1;
    return db_case_open(env->st, &c, m->now, case_id, number);
}

int h_report(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    int category = cmd->value >= 1 && cmd->value <= 9 ? cmd->value : 9;
    int classified = cmd->category_given && cmd->error != CB_E_CATEGORY_BAD;
    const char *bad_code = NULL;
    char event_detail[64] = "";

    if (cmd->error == CB_E_DESC_MISSING && !cmd->category_given && !cmd->child[0] && !cmd->bad_child[0]) {
        h_answer(out, m, "invalid", cb_error_name(cmd->error), "report_desc_missing");
        return 0;
    }
    if (cmd->error == CB_E_CATEGORY_BAD) category = 9;
    if (cmd->error == CB_E_CHILD_FORMAT || cmd->error == CB_E_CHILD_CHECK) {
        bad_code = cmd->bad_child;
        snprintf(event_detail, sizeof event_detail, "%s:%s", cb_error_name(cmd->error), cmd->bad_child);
    }

    struct db_child child;
    int have_child = 0;
    if (cmd->child[0]) {
        int rc = db_child_by_code(env->st, cmd->child, &child);
        if (rc < 0) return -1;
        have_child = rc == 0;
        if (!have_child) {
            bad_code = cmd->child;
            snprintf(event_detail, sizeof event_detail, "child_unknown:%s", cmd->child);
        }
    }

    struct h_case_req req = {.category = category, .classified = classified, .child = have_child ? &child : NULL,
                             .description = cmd->note, .event_detail = event_detail[0] ? event_detail : NULL};
    int64_t case_id = 0;
    char number[DB_CASE_NO_LEN + 1];
    if (h_case_open(env, m, who, &req, &case_id, number) != 0) return -1;

    const struct routing_rule *rule = routing_default(category);
    const char *tmpl = rule->priority == 0               ? "report_ok_p0"
                       : bad_code                        ? "report_ok_child_bad"
                       : cmd->error == CB_E_CATEGORY_BAD ? "report_ok_category_bad"
                                                         : "report_ok";
    char detail[48];
    snprintf(detail, sizeof detail, "case=%s P%d", number, rule->priority);
    struct h_reply *r = h_answer(out, m, "ok", detail, tmpl);
    if (r) r->case_id = case_id;
    h_var_set(r, "case", "%s", number);
    if (bad_code && rule->priority != 0) h_var_set(r, "code", "%s", bad_code);
    return 0;
}
