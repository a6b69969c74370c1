/* handlers/failed.c - what a message still gets when its handling failed
 * after it was accepted.
 *
 * The pipeline stores every message before it runs the handlers. When a
 * handler fails on a store error (a constraint, a full table, a bug), its
 * half-done effects are undone and the message is kept with its error;
 * this file then makes sure nobody is left waiting in silence: a report,
 * or free text that could be one, still becomes an unclassified case in
 * the county civil-affairs triage queue (event detail "handler_error", so
 * triage sees why), and the sender gets an answer. It deliberately uses as
 * little as it can: no child look-up, no sender look-up (the case's county
 * comes from [policy] default_region or the only county), since the part
 * that failed may be any of those. The case stays unclassified (its
 * county's triage is alerted at once) even when the words say danger: the
 * fault may lie in routing a classified case. Danger words are still read
 * (the [policy] lexicon needs no store), for the answer only: words of a
 * P0 danger get the 110/120 advice.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../core/util.h"
#include "intents.h"
#include "lexicon.h"

int handlers_failed(const struct h_env *env, const struct h_msg *m, enum cb_intent intent, struct h_result *out)
{
    h_result_init(out);
    out->intent = intent;
    int could_report = intent == CB_REPORT || intent == CB_UNKNOWN;
    if (could_report) {
        char *norm = cb_normalize(m->text ? m->text : "", m->text ? m->len : 0);
        could_report = norm[0] != '\0';
        free(norm);
    }
    if (!could_report) {
        h_answer(out, m, "error", "handler_error", "handling_failed");
        return 0;
    }
    struct h_sender nobody = {.phone = m->from ? m->from : ""};
    char *desc = gw_strndup(m->text, m->len);
    struct h_case_req req = {.category = 9, .classified = 0, .description = desc, .event_detail = "handler_error"};
    struct h_case c;
    int rc = h_case_open(env, m, &nobody, &req, &c);
    free(desc);
    if (rc != 0) return -1;
    char detail[64];
    snprintf(detail, sizeof detail, "handler_error unclassified_case=%s", c.number);
    struct lex_match lm;
    int p0 = lex_scan(env->pol ? env->pol->lexicon : NULL, m->text, m->len, &lm) && lm.priority == 0;
    const char *tmpl = p0 ? "report_ok_p0" : intent == CB_REPORT ? "report_ok" : "unknown_case_opened";
    struct h_reply *r = h_answer(out, m, "error", detail, tmpl);
    if (r) r->case_id = c.id;
    h_var_set(r, "case", "%s", c.number);
    return h_case_alert(env, m, &c, out);
}

int handlers_failed_reply(const struct h_msg *m, enum cb_intent intent, struct h_result *out)
{
    h_result_init(out);
    out->intent = intent;
    h_answer(out, m, "error", "handler_error", "handling_failed");
    return 0;
}
