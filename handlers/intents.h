/* handlers/intents.h - what the intent handlers share inside handlers/: the
 * identified sender, the handler signature, and the small reply helpers.
 * Not for use outside handlers/ (the public entry point is handler.h).
 *
 * Every intent handler runs inside the caller's transaction, reads and
 * writes through db/store.h only, and fills out->result, out->detail and
 * the replies. It returns 0 (including refusals and invalid input, which
 * are replies) or -1 when the store failed.
 */
#ifndef INTENTS_H
#define INTENTS_H

#include "../db/store.h"
#include "handler.h"

/* Who sent the message, looked up once by dispatch. A phone may be both
 * staff and a guardian; each handler uses the side it needs. */
struct h_sender {
    const char *phone;          /* E.164, borrowed from the message */
    int is_staff;               /* 1: staff is filled */
    struct db_staff staff;
    int is_guardian;            /* 1: guardian_id is set */
    int64_t guardian_id;
};

/* The role that decides help texts: "director", "supervisor", "responder",
 * "admin", "guardian" or "public" (static strings). */
const char *h_role(const struct h_sender *who);
/* 1 when the sender is staff with this role. */
int h_is_role(const struct h_sender *who, const char *role);

typedef int (*h_intent_fn)(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
                           const struct h_sender *who, struct h_result *out);

int h_visit(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out);
int h_checkin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
              const struct h_sender *who, struct h_result *out);
int h_report(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out);
int h_ack(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
          struct h_result *out);
int h_close(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out);
int h_status(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out);
int h_help(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
           struct h_result *out);
int h_optout(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd,
             const struct h_sender *who, struct h_result *out);
int h_optin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out);

/* What a new case needs from the handler that opens it. */
struct h_case_req {
    int category;               /* 1-9 */
    int classified;             /* 0: nobody named a category */
    const struct db_child *child; /* or NULL */
    const char *description;    /* as typed, or NULL */
    const char *event_detail;   /* or NULL */
};

/* Opens a case reported by the sender (report.c): county and region from the
 * child when req->child is set, else from the sender's registration, else from
 * [policy] default_region, else the only county, else none. The sender
 * becomes the case's reporter. Returns 0 with
 * *case_id and number (DB_CASE_NO_LEN + 1 bytes), or -1 (store error). */
int h_case_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                const struct h_case_req *req, int64_t *case_id, char *number);

/* Sets out->result (static string) and out->detail, and adds a reply to the
 * sender with template tmpl. Returns the reply (for h_var_set) or NULL when
 * the reply list is full. */
struct h_reply *h_answer(struct h_result *out, const struct h_msg *m, const char *result, const char *detail,
                         const char *tmpl);

/* Answers the command errors every intent shares (child code missing, bad
 * format or check digit; date format; case number missing or malformed)
 * with result "invalid" and the command format fmt. Returns 1 when it
 * answered, 0 when the error is not one of those. */
int h_common_error(struct h_result *out, const struct h_msg *m, const struct cb_cmd *cmd, const char *fmt);

/* "2024年3月15日" into out (at least 24 bytes). */
void h_fmt_date(int y, int mo, int d, char *out, size_t outlen);
/* "YYYY-MM-DD" into out (11 bytes). */
void h_iso_date(int y, int mo, int d, char *out, size_t outlen);
/* Today's local calendar day of `now`. */
void h_today(int64_t now, int *y, int *mo, int *d);

/* Whether a staff member may act on a case as a responder: a responder of
 * one of the case's departments whose region contains the case's county, or
 * an admin whose region contains it (any admin when the case has no county
 * yet). 1 yes, 0 no, -1 store error. */
int h_case_responder(struct store *st, const struct h_sender *who, const struct db_case *c);

#endif
