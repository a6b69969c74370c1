/* handlers/help.c - BZ / ? / HELP: a help text that fits one SMS, chosen by
 * the sender's role (the commands that role may use). */
#include <string.h>

#include "intents.h"

static const struct {
    const char *role;
    const char *tmpl;
} help_tmpl[] = {
    {"director", "help_director"}, {"supervisor", "help_supervisor"}, {"responder", "help_responder"},
    {"admin", "help_admin"},       {"guardian", "help_guardian"},     {"public", "help_public"},
};

int h_help(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
           struct h_result *out)
{
    (void)env, (void)cmd;
    const char *role = h_role(who);
    const char *tmpl = "help_public";
    for (size_t i = 0; i < sizeof help_tmpl / sizeof help_tmpl[0]; i++)
        if (strcmp(role, help_tmpl[i].role) == 0) tmpl = help_tmpl[i].tmpl;
    h_answer(out, m, "ok", role, tmpl);
    return 0;
}
