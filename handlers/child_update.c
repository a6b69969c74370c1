/* handlers/child_update.c - GX (更新): a director updates a child's school
 * or carer by SMS.
 *
 * GX <child> 学校 <school>, GX <child> 照料 <name> <phone> [relation]. The
 * director of the child's village, or a supervisor whose town or county
 * contains it, may update it; anyone else gets one refusal, the same for an
 * unregistered code and for another village's child, so the register
 * cannot be probed. Each changed field is written with a child_change row
 * (source "sms"); sending the same values again changes nothing and gets
 * the same confirmation. Replies name the child by its code only and never
 * repeat the school, the carer's name or the phone.
 */
#include <stdio.h>
#include <string.h>

#include "../core/message.h"
#include "intents.h"

#define UPDATE_FMT "GX 编号 学校 校名"
#define VALUE_MAX  200 /* bytes of a stored value (a roster value's cap) */
#define SOURCE     "sms"

static int may_update(const struct h_sender *who, const struct db_child *c)
{
    if (h_is_role(who, "director")) return who->staff.region.id == c->region.id;
    if (h_is_role(who, "supervisor")) return db_path_under(c->region.path, who->staff.region.path);
    return 0;
}

/* Copies v into out (outlen bytes) cut at a character boundary within
 * VALUE_MAX bytes. */
static const char *bounded(const char *v, char *out, size_t outlen)
{
    size_t n = v ? strlen(v) : 0, cap = outlen - 1 < VALUE_MAX ? outlen - 1 : VALUE_MAX;
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80) n--;
    }
    if (n) memcpy(out, v, n);
    out[n] = '\0';
    return out;
}

/* The carer's phone in E.164 with the policy's country code: 0, or -1 when
 * it is not a plausible mobile or phone number (as the roster import
 * checks staff phones). */
static int carer_phone(const struct h_env *env, const char *digits, char *out, size_t outlen)
{
    const char *cc = env->pol && env->pol->country_code ? env->pol->country_code : "86";
    if (gw_phone_e164(digits, cc, out, outlen) != 0) return -1;
    size_t n = strlen(out + 1);
    if (n < 8 || n > 15) return -1;
    if (strncmp(out, "+86", 3) == 0 && (strlen(out + 3) != 11 || out[3] != '1')) return -1;
    return 0;
}

/* Answers the errors of the command's form; 1 when it answered. */
static int form_error(const struct h_msg *m, const struct cb_cmd *cmd, struct h_result *out)
{
    if (cmd->error == CB_OK) return 0;
    if (h_common_error(out, m, cmd, UPDATE_FMT)) return 1;
    const char *tmpl = cmd->error == CB_E_PHONE_MISSING || cmd->error == CB_E_PHONE_BAD ? "update_phone_bad"
                       : cmd->error == CB_E_VALUE_MISSING && cmd->update == CB_U_CARER  ? "update_carer_missing"
                       : cmd->error == CB_E_VALUE_MISSING                               ? "update_school_missing"
                                                                                        : "update_field_missing";
    h_answer(out, m, "invalid", cb_error_name(cmd->error), tmpl);
    return 1;
}

/* Writes the carer's name, phone and relation; *changed counts the fields
 * that changed. 0, or -1 on a store error. */
static int set_carer(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, int64_t child_id,
                     const char *phone, int *changed)
{
    char rel[VALUE_MAX + 1];
    const char *const fields[3] = {"carer_name", "carer_phone", "carer_relation"};
    const char *const values[3] = {cmd->name, phone, bounded(cmd->note, rel, sizeof rel)};
    for (int i = 0; i < 3; i++) {
        int rc = store_child_set(env->st, child_id, fields[i], values[i], SOURCE, m->now);
        if (rc < 0) return -1;
        *changed += rc;
    }
    return 0;
}

int h_update(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    if (!h_is_role(who, "director") && !h_is_role(who, "supervisor")) {
        h_answer(out, m, "refused", "not_director", "update_not_staff");
        return 0;
    }
    if (form_error(m, cmd, out)) return 0;
    char phone[24] = "";
    if (cmd->update == CB_U_CARER && carer_phone(env, cmd->phone, phone, sizeof phone) != 0) {
        h_answer(out, m, "invalid", "phone_bad", "update_phone_bad");
        return 0;
    }
    struct db_child child;
    int rc = db_child_by_code(env->st, cmd->child, &child);
    if (rc < 0) return -1;
    if (rc == 1 || !may_update(who, &child)) {
        /* One answer for "no such child" and "not yours". */
        struct h_reply *r = h_answer(out, m, rc == 1 ? "invalid" : "refused",
                                     rc == 1 ? "child_unknown" : "not_in_region", "update_not_allowed");
        h_var_set(r, "code", "%s", cmd->child);
        return 0;
    }
    int changed = 0;
    if (cmd->update == CB_U_SCHOOL) {
        char school[VALUE_MAX + 1];
        rc = store_child_set(env->st, child.id, "school", bounded(cmd->note, school, sizeof school), SOURCE, m->now);
        if (rc < 0) return -1;
        changed = rc;
    } else if (set_carer(env, m, cmd, child.id, phone, &changed) != 0) {
        return -1;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "child=%lld changed=%d", (long long)child.id, changed);
    struct h_reply *r =
        h_answer(out, m, "ok", detail, cmd->update == CB_U_SCHOOL ? "update_school_ok" : "update_carer_ok");
    h_var_set(r, "code", "%s", child.code);
    return 0;
}
