/* handlers/ussd.h - the USSD menus: one step in, one screen out.
 *
 * ussd_step is domain logic over an open transaction, like handlers_run.
 * Session state lives in the store (ussd_session), so a restarted process
 * continues a session and a retried step (same session, same text) gets
 * the same screen without doing anything twice. Every path ends by calling
 * the domain intent the SMS command reaches (intents.h) with the values the
 * menu collected, authorisation included, so its effects (case alerts,
 * notices) come back as replies to write.
 */
#ifndef USSD_H
#define USSD_H

#include <stddef.h>
#include <stdint.h>

#include "handler.h"

#define USSD_SCREEN_MAX 182 /* characters on one screen */

struct ussd_in {
    const char *channel;      /* channel name */
    const char *session_id;   /* the provider's session id */
    const char *phone;        /* E.164 */
    const char *service_code; /* or NULL */
    const char *text;         /* every input so far joined by '*' ("" at the start) */
    int64_t now;
};

struct ussd_out {
    int end;                              /* 1: END (session over); 0: CON */
    char screen[USSD_SCREEN_MAX * 4 + 1]; /* UTF-8, at most USSD_SCREEN_MAX characters, without "CON "/"END " */
};

/* Runs one step. Replies the step causes (alerts, notices, the reporter's
 * SMS with the case number) are appended to effects (its nreplies and
 * replies). Returns 0, or -1 when the store failed (err says why). */
int ussd_step(const struct h_env *env, const struct ussd_in *in, struct ussd_out *out, struct h_result *effects,
              char *err, size_t errlen);

#endif
