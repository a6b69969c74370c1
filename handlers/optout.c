/* handlers/optout.c - TD / DY: stop or restart reminders for a phone.
 *
 * An opt-out stops reminders only (the scheduler checks it); replies and
 * case messages are always sent. Both commands are idempotent and open to
 * anyone, registered or not. */
#include "intents.h"

int h_optout(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out)
{
    (void)cmd;
    if (db_optout_set(env->st, who->phone, m->channel, m->now) != 0) return -1;
    h_answer(out, m, "ok", "opted_out", "optout_ok");
    return 0;
}

int h_optin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out)
{
    (void)cmd;
    int rc = db_optout_clear(env->st, who->phone);
    if (rc < 0) return -1;
    h_answer(out, m, "ok", rc == 0 ? "opted_in" : "opted_in_already", "optin_ok");
    return 0;
}
