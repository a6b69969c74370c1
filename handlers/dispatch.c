/* handlers/dispatch.c - handlers_run: parse one message, identify its
 * sender, route it to its intent handler.
 *
 * A message that matches no command is never dropped: h_free_text
 * (freetext.c) reads it for an opt-out in words, a pending acknowledgement,
 * a reply to a reminder, danger words, a follow-up, or words to forward to
 * a person, and else opens an unclassified case (unregistered numbers) or
 * answers with the help for the sender's role. A guardian's bare 求助 (a
 * report with nothing to report) goes there too: within the reminder
 * window it is a check-in asking for help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"

static const struct {
    enum cb_intent intent;
    h_intent_fn fn;
} routes[] = {
    {CB_VISIT, h_visit}, {CB_CHECKIN, h_checkin},   {CB_REPORT, h_report}, {CB_ACK, h_ack},
    {CB_CLOSE, h_close}, {CB_STATUS, h_status},     {CB_HELP, h_help},     {CB_OPTOUT, h_optout},
    {CB_OPTIN, h_optin}, {CB_CLASSIFY, h_classify}, {CB_QUERY, h_query},   {CB_UPDATE, h_update},
};

/* A guardian's bare 求助: a report with nothing to report, which may be a
 * reply to a check-in reminder (freetext.c decides). */
static int bare_plea(const struct cb_cmd *cmd, const struct h_sender *who)
{
    return cmd->intent == CB_REPORT && cmd->error == CB_E_DESC_MISSING && strcmp(h_role(who), "guardian") == 0;
}

int handlers_run(const struct h_env *env, const struct h_msg *m, struct h_result *out, char *err, size_t errlen)
{
    h_result_init(out);
    out->result = "unknown";

    struct cb_cmd own;
    const char *text = m->text ? m->text : "";
    size_t len = m->text ? m->len : 0;
    if (!m->parsed) cb_parse(text, len, m->now, &own);
    const struct cb_cmd *cmd = m->parsed ? m->parsed : &own;
    out->intent = cmd->intent;

    struct h_sender who;
    int rc = h_identify(env->st, m->from ? m->from : "", &who);
    if (rc == 0) {
        h_intent_fn fn = NULL;
        for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
            if (routes[i].intent == cmd->intent) fn = routes[i].fn;
        struct h_msg msg = *m;
        msg.text = text;
        msg.len = len;
        if (bare_plea(cmd, &who)) fn = NULL;
        rc = fn ? fn(env, &msg, cmd, &who, out) : h_free_text(env, &msg, cmd, &who, out);
    }
    if (!m->parsed) cb_cmd_free(&own);
    if (rc != 0) {
        gw_err(err, errlen, "store: %s", store_errmsg(env->st));
        out->nreplies = 0;
        return -1;
    }
    return 0;
}
