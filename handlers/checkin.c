/* handlers/checkin.c - QD: a guardian (usually a migrant parent) checks in.
 *
 * Rules: only a guardian linked to the child may check in;
 * with no child code the check-in applies to every child linked to the
 * phone. Status 1 all well (default), 2 the child needs help, 3 coming home
 * (optional date, the nearest such day not before today), 4 the carer
 * changed. Every status is recorded. For 2 and 4 the director(s) of each
 * child's village are told at once, in the same transaction (an H_NOTICE
 * naming the child codes only, one per director however many of the
 * phone's children live in that village); a director who is the guardian
 * sending the check-in is not told what they just wrote.
 *
 * One SMS may check in several children with their own statuses (QD
 * 1000015 1 1000028 2): each is recorded on its own; one reply counts them
 * and names by code any that were not recorded and why; a child needing
 * help (2) or with a new carer (4) gets the same guardian reply and the
 * same notice to the director as a one-child check-in. A one-child
 * message gets exactly the replies it always got (USSD relies on them).
 */
#include <stdio.h>
#include <string.h>

#include "intents.h"

#define CHECKIN_FMT      "QD 编号 状态"
#define CHECKIN_DATE_FMT "QD 编号 3 日期"
#define MAX_CHILDREN     16 /* children one phone may check in for at once */

/* Confirmation template by status (index 1-4); status 3 without a date uses checkin_home_nodate. */
static const char *const checkin_ok_tmpl[] = {NULL, "checkin_ok", "checkin_help", "checkin_home", "checkin_carer"};

/* Director notice template by status (index 1-4): only 2 and 4 tell the director. */
static const char *const checkin_director_tmpl[] = {NULL, NULL, "checkin_help_director", NULL,
                                                    "checkin_carer_director"};

/* "1000015", "1000015、1000028" or "1000015、1000028等3名". */
static void codes_var(const struct db_child *kids, int n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && i < 2; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "、" : "", kids[i].code);
        if (w < 0 || (size_t)w >= outlen - used) return;
        used += (size_t)w;
    }
    if (n > 2) snprintf(out + used, outlen - used, "等%d名", n);
}

/* Tells the directors of every village among kids[0..n) about a check-in
 * with status 2 or 4: one notice per director, naming that village's
 * children. Returns 0 or -1 (store error). */
static int tell_directors(const struct h_env *env, const struct h_msg *m, const char *tmpl, const struct db_child *kids,
                          int n, struct h_result *out)
{
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = kids[j].region.id == kids[i].region.id;
        if (seen) continue; /* that village is done */
        struct db_child here[MAX_CHILDREN];
        int nhere = 0;
        for (int j = i; j < n; j++)
            if (kids[j].region.id == kids[i].region.id) here[nhere++] = kids[j];
        char codes[64], directors[8][DB_PHONE_LEN];
        codes_var(here, nhere, codes, sizeof codes);
        int nd = db_village_directors(env->st, kids[i].region.id, directors, 8);
        if (nd < 0) return -1;
        for (int d = 0; d < nd && d < 8; d++) {
            if (m->from && strcmp(directors[d], m->from) == 0) continue;
            struct h_reply *r = h_reply_add(out, tmpl, directors[d], H_NOTICE);
            h_var_set(r, "codes", "%s", codes);
        }
    }
    return 0;
}

#define MORE_REPLIES 3 /* SMS after the summary that may carry the rest of the refusals */
static const char WHY_NOT_LINKED[] = "未登记在此号码下";

/* Records one check-in of a guardian for a child. 0 or -1. */
static int record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const struct cb_item *it,
                  const struct db_child *child)
{
    int status = it->value >= 1 && it->value <= 4 ? it->value : 1;
    char return_date[11] = "";
    int has_date = status == 3 && it->date_given && it->year;
    if (has_date) h_iso_date(it->year, it->month, it->day, return_date, sizeof return_date);
    struct db_checkin c = {.guardian_id = who->guardian_id,
                           .child_id = child->id,
                           .status = status,
                           .return_date = has_date ? return_date : NULL,
                           .note = it->note,
                           .inbox_id = m->inbox_id};
    return db_checkin_insert(env->st, &c, m->now, NULL);
}

/* Several children in one check-in: each on its own, one summary, and for
 * each of statuses 2 and 4 the guardian's reply and the directors' notice
 * a one-child check-in gets. */
static int checkin_many(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                        const struct h_sender *who, struct h_result *out)
{
    struct h_refused refused = {.n = 0};
    struct db_child done[CB_ITEMS_MAX + MAX_CHILDREN]; /* recorded, in message order */
    int status_of[CB_ITEMS_MAX + MAX_CHILDREN];
    int ndone = 0, invalid = 0;
    for (int k = 0; k < cmd->nitems && k < CB_ITEMS_MAX; k++) {
        const struct cb_item *it = &cmd->items[k];
        if (it->error != CB_OK) {
            h_refused_add(&refused, it->child[0] ? it->child : it->bad_child, h_item_error_why(it->error));
            invalid++;
            continue;
        }
        struct db_child kids[MAX_CHILDREN];
        int n = 0;
        if (it->child[0]) {
            int rc = db_child_by_code(env->st, it->child, &kids[0]);
            if (rc < 0) return -1;
            int linked = rc == 0 ? db_guardian_linked(env->st, who->guardian_id, kids[0].id) : 0;
            if (linked < 0) return -1;
            if (!linked) { /* unknown and not linked alike */
                h_refused_add(&refused, it->child, WHY_NOT_LINKED);
                continue;
            }
            n = 1;
        } else { /* no code: the phone's children that no other part of the message names */
            int all = db_guardian_children(env->st, who->guardian_id, kids, MAX_CHILDREN);
            if (all < 0) return -1;
            for (int i = 0; i < all && i < MAX_CHILDREN; i++) {
                int named = 0;
                for (int j = 0; j < cmd->nitems && j < CB_ITEMS_MAX && !named; j++)
                    named = strcmp(cmd->items[j].child, kids[i].code) == 0;
                if (!named) kids[n++] = kids[i];
            }
        }
        for (int i = 0; i < n; i++) {
            int dup = 0;
            for (int j = 0; j < ndone && !dup; j++) dup = done[j].id == kids[i].id;
            if (dup || ndone == CB_ITEMS_MAX + MAX_CHILDREN) continue;
            if (record(env, m, who, it, &kids[i]) != 0) return -1;
            status_of[ndone] = it->value >= 1 && it->value <= 4 ? it->value : 1;
            done[ndone++] = kids[i];
        }
    }

    h_refused_more(&refused, cmd);
    char values[1 + MORE_REPLIES][96], codes[64], detail[64];
    int nv = h_refused_render(&refused, values, 1 + MORE_REPLIES);
    snprintf(detail, sizeof detail, "checkin children=%d refused=%d", ndone, refused.n);
    struct h_reply *r;
    if (ndone == 0) {
        r = h_answer(out, m, invalid == refused.n ? "invalid" : "refused", detail, "checkin_many_none");
        h_var_set(r, "refused", "%s", nv ? values[0] : "");
    } else if (nv == 0) {
        codes_var(done, ndone, codes, sizeof codes);
        r = h_answer(out, m, "ok", detail, "checkin_many_ok");
        h_var_set(r, "count", "%d", ndone);
        h_var_set(r, "codes", "%s", codes);
    } else {
        r = h_answer(out, m, "ok", detail, "checkin_many_some");
        h_var_set(r, "count", "%d", ndone);
        h_var_set(r, "refused", "%s", values[0]);
    }
    for (int i = 1; i < nv; i++) {
        r = h_reply_add(out, "many_more", m->from, H_REPLY);
        h_var_set(r, "refused", "%s", values[i]);
    }
    for (int status = 2; status <= 4; status += 2) { /* needs help, carer changed */
        struct db_child these[CB_ITEMS_MAX + MAX_CHILDREN];
        int n = 0;
        for (int i = 0; i < ndone; i++)
            if (status_of[i] == status) these[n++] = done[i];
        if (n == 0) continue;
        codes_var(these, n, codes, sizeof codes);
        r = h_reply_add(out, checkin_ok_tmpl[status], m->from, H_REPLY);
        h_var_set(r, "codes", "%s", codes);
        for (int i = 0; i < n; i += MAX_CHILDREN) /* tell_directors takes MAX_CHILDREN at a time */
            if (tell_directors(env, m, checkin_director_tmpl[status], these + i,
                               n - i < MAX_CHILDREN ? n - i : MAX_CHILDREN, out) != 0)
                return -1;
    }
    return 0;
}

int h_checkin_record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                     const struct h_checkin_in *in, struct h_result *out)
{
    if (!who->is_guardian) {
        h_answer(out, m, "refused", "not_guardian", "checkin_not_guardian");
        return 0;
    }

    struct db_child kids[MAX_CHILDREN];
    int n;
    if (in->child && in->child[0]) {
        int rc = db_child_by_code(env->st, in->child, &kids[0]);
        if (rc < 0) return -1;
        int linked = rc == 0 ? db_guardian_linked(env->st, who->guardian_id, kids[0].id) : 0;
        if (linked < 0) return -1;
        if (!linked) {
            /* Unknown and not-linked codes get the same answer: a phone
             * learns nothing about children that are not its own. */
            struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused",
                                         rc == 1 ? "child_unknown" : "not_linked", "checkin_not_linked");
            h_var_set(r, "code", "%s", in->child);
            return 0;
        }
        n = 1;
    } else {
        n = db_guardian_children(env->st, who->guardian_id, kids, MAX_CHILDREN);
        if (n < 0) return -1;
        if (n > MAX_CHILDREN) n = MAX_CHILDREN;
        if (n == 0) {
            h_answer(out, m, "refused", "no_children", "checkin_no_children");
            return 0;
        }
    }

    int status = in->status >= 1 && in->status <= 4 ? in->status : 1;
    char return_date[11] = "";
    int has_date = status == 3 && in->year;
    if (has_date) h_iso_date(in->year, in->month, in->day, return_date, sizeof return_date);
    for (int i = 0; i < n; i++) {
        struct db_checkin c = {.guardian_id = who->guardian_id,
                               .child_id = kids[i].id,
                               .status = status,
                               .return_date = has_date ? return_date : NULL,
                               .note = in->note,
                               .inbox_id = m->inbox_id};
        if (db_checkin_insert(env->st, &c, m->now, NULL) != 0) return -1;
    }

    char detail[48], codes[64];
    snprintf(detail, sizeof detail, "checkin status=%d children=%d", status, n);
    codes_var(kids, n, codes, sizeof codes);
    const char *tmpl = status == 3 && !has_date ? "checkin_home_nodate" : checkin_ok_tmpl[status];
    struct h_reply *r = h_answer(out, m, "ok", detail, tmpl);
    h_var_set(r, "codes", "%s", codes);
    if (has_date) {
        char date[32];
        h_fmt_date(in->year, in->month, in->day, date, sizeof date);
        h_var_set(r, "date", "%s", date);
    }
    if (checkin_director_tmpl[status]) return tell_directors(env, m, checkin_director_tmpl[status], kids, n, out);
    return 0;
}

int h_checkin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
              struct h_result *out)
{
    if (!who->is_guardian) {
        h_answer(out, m, "refused", "not_guardian", "checkin_not_guardian");
        return 0;
    }
    if (cmd->nitems > 1) return checkin_many(env, m, cmd, who, out);
    if (cmd->error != CB_OK) {
        if (cmd->error == CB_E_DATE_FORMAT) {
            struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(cmd->error), "date_format");
            h_var_set(r, "fmt", "%s", CHECKIN_DATE_FMT);
            return 0;
        }
        if (h_common_error(out, m, cmd, CHECKIN_FMT)) return 0;
        h_answer(out, m, "invalid", cb_error_name(cmd->error), "checkin_status_bad");
        return 0;
    }
    struct h_checkin_in in = {.child = cmd->child[0] ? cmd->child : NULL,
                              .status = cmd->value,
                              .year = cmd->date_given ? cmd->year : 0,
                              .month = cmd->month,
                              .day = cmd->day,
                              .note = cmd->note};
    return h_checkin_record(env, m, who, &in, out);
}
