/* handlers/dispatch.c - handlers_run: parse one message, identify its
 * sender, route it to its intent handler.
 *
 * A message that matches no command is never dropped: from an unregistered
 * number it opens an unclassified case (a worried neighbour rarely knows
 * the codes), which waits in the county civil-affairs triage queue and
 * alerts nobody, and the reply gives its number and how to report with codes;
 * from a registered number it gets a short help for the sender's role and
 * opens nothing. An empty message from an unregistered number gets the
 * public help and opens nothing either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gateway/util.h"
#include "intents.h"

static const struct {
    enum cb_intent intent;
    h_intent_fn fn;
} routes[] = {
    {CB_VISIT, h_visit},   {CB_CHECKIN, h_checkin}, {CB_REPORT, h_report}, {CB_ACK, h_ack},     {CB_CLOSE, h_close},
    {CB_STATUS, h_status}, {CB_HELP, h_help},       {CB_OPTOUT, h_optout}, {CB_OPTIN, h_optin},
};

/* Reply templates for unrecognised text from a registered number, by role. */
static const struct {
    const char *role;
    const char *tmpl;
} unrecognised[] = {
    {"director", "unrecognised_director"},   {"supervisor", "unrecognised_supervisor"},
    {"responder", "unrecognised_responder"}, {"admin", "unrecognised_admin"},
    {"guardian", "unrecognised_guardian"},
};

const char *h_role(const struct h_sender *who)
{
    static const char *const staff_roles[] = {"director", "supervisor", "responder", "admin"};
    if (who->is_staff)
        for (size_t i = 0; i < sizeof staff_roles / sizeof staff_roles[0]; i++)
            if (strcmp(who->staff.role, staff_roles[i]) == 0) return staff_roles[i];
    return who->is_guardian ? "guardian" : "public";
}

int h_is_role(const struct h_sender *who, const char *role)
{
    return who->is_staff && strcmp(who->staff.role, role) == 0;
}

static int identify(struct store *st, const char *phone, struct h_sender *who)
{
    memset(who, 0, sizeof *who);
    who->phone = phone;
    int rc = db_staff_by_phone(st, phone, &who->staff);
    if (rc < 0) return -1;
    who->is_staff = rc == 0;
    rc = db_guardian_by_phone(st, phone, &who->guardian_id);
    if (rc < 0) return -1;
    who->is_guardian = rc == 0;
    return 0;
}

/* Text that matches no command. */
static int unknown_text(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                        struct h_result *out)
{
    const char *role = h_role(who);
    for (size_t i = 0; i < sizeof unrecognised / sizeof unrecognised[0]; i++)
        if (strcmp(role, unrecognised[i].role) == 0) {
            h_answer(out, m, "unknown", "unrecognised", unrecognised[i].tmpl);
            return 0;
        }

    char *norm = cb_normalize(m->text ? m->text : "", m->text ? m->len : 0);
    int empty = norm[0] == '\0';
    free(norm);
    if (empty) {
        h_answer(out, m, "unknown", "empty", "help_public");
        return 0;
    }

    char *desc = gw_strndup(m->text, m->len);
    struct h_case_req req = {.category = 9, .classified = 0, .description = desc, .event_detail = "free_text"};
    struct h_case c;
    int rc = h_case_open(env, m, who, &req, &c);
    free(desc);
    if (rc != 0) return -1;
    char detail[64];
    snprintf(detail, sizeof detail, "unclassified_case=%s", c.number);
    struct h_reply *r = h_answer(out, m, "unknown", detail, "unknown_case_opened");
    if (r) r->case_id = c.id;
    h_var_set(r, "case", "%s", c.number);
    /* Unclassified: no alert; it waits in the civil-affairs triage queue. */
    return h_case_alert(env, m, &c, out);
}

int handlers_run(const struct h_env *env, const struct h_msg *m, struct h_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->intent = CB_UNKNOWN;
    out->result = "unknown";

    struct cb_cmd own;
    const char *text = m->text ? m->text : "";
    size_t len = m->text ? m->len : 0;
    if (!m->parsed) cb_parse(text, len, m->now, &own);
    const struct cb_cmd *cmd = m->parsed ? m->parsed : &own;
    out->intent = cmd->intent;

    struct h_sender who;
    int rc = identify(env->st, m->from ? m->from : "", &who);
    if (rc == 0) {
        h_intent_fn fn = NULL;
        for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
            if (routes[i].intent == cmd->intent) fn = routes[i].fn;
        struct h_msg msg = *m;
        msg.text = text;
        msg.len = len;
        rc = fn ? fn(env, &msg, cmd, &who, out) : unknown_text(env, &msg, &who, out);
    }
    if (!m->parsed) cb_cmd_free(&own);
    if (rc != 0) {
        gw_err(err, errlen, "store: %s", store_errmsg(env->st));
        out->nreplies = 0;
        return -1;
    }
    return 0;
}
