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
#include "routing.h"

/* Who sent the message, looked up once by dispatch. A phone may be both
 * staff and a guardian; each handler uses the side it needs. */
struct h_sender {
    const char *phone; /* E.164, borrowed from the message */
    int is_staff;      /* 1: staff is filled */
    struct db_staff staff;
    int is_guardian; /* 1: guardian_id is set */
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
/* 1 when the staff member with this phone may record a visit to the child
 * with this code (its village's director, a supervisor or admin above it),
 * with *child filled; 0 when not, for an unregistered code exactly as for
 * another village's child (the USSD and voice steps answer both alike);
 * -1 on a store error. */
int h_visit_allowed(const struct h_env *env, const char *phone, const char *code, struct db_child *child);
int h_checkin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
              struct h_result *out);
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
int h_optout(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out);
int h_optin(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out);
/* FL <case> <category>: the county's civil-affairs triage classifies an
 * unclassified (or inferred) case, which is then routed and alerted as if
 * it had been coded (cases.c). */
int h_classify(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
               struct h_result *out);
/* CX 待访 / CX 走访: a director's children due a visit, a supervisor's
 * township coverage (query.c). */
int h_query(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
            struct h_result *out);
/* A responder's 收到 / 好的, or QR without a number: acknowledges their one
 * unacknowledged alerted case, or with several lists their numbers
 * (cases.c). Returns 0 answered, 1 when the sender is no responder with an
 * unacknowledged case (the caller answers as it would have), -1 on a store
 * error. */
int h_ack_pending(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, struct h_result *out);

/* What a new case needs from the handler that opens it. */
struct h_case_req {
    int category;                 /* 1-9 */
    int classified;               /* 0: nobody named a category */
    const struct db_child *child; /* or NULL */
    const char *description;      /* as typed, or NULL */
    const char *event_detail;     /* or NULL */
};

/* A case just opened: what its reply and its alerts need. */
struct h_case {
    int64_t id;
    char number[DB_CASE_NO_MAX + 1];
    int category;                    /* 1-9 */
    int classified;                  /* 0: nobody named a category */
    int priority;                    /* 0-3, from the county's routing */
    const struct routing_rule *rule; /* the county's rule for the category (borrowed from the policy) */
    int64_t county_id;               /* 0 = no county known */
    char county[DB_PATH_MAX];        /* the county's path, "" when none */
    int64_t village_id;              /* the named child's village, 0 when no child is named */
    char place[DB_PATH_MAX];         /* what alerts call the place: the village's name, else the county's */
};

/* Opens a case reported by the sender (report.c): county and region from the
 * child when req->child is set, else from the sender's registration, else from
 * [policy] default_region, else the only county, else none. Priority and
 * departments come from the county's routing (routing_for). The sender
 * becomes the case's reporter. Returns 0 with *c filled, or -1 (store
 * error). */
int h_case_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                const struct h_case_req *req, struct h_case *c);

/* Tells those who must know about a case just opened, in its transaction;
 * call it after the answer to the sender, which stays the first reply.
 *  - P0/P1: an H_ALERT to every responder of each routed department over
 *    the case's county (a department with none: its duty_<dept> phone;
 *    nobody at all: the county duty contact), at once; P2: the same, held
 *    until working hours (h_next_work_time). Template case_alert: case
 *    number, priority, place, category digit. Dedupe key
 *    "alert:<case number>:<phone>:0". Case event "alerted", "count=N".
 *  - P3 and unclassified cases (and alerts with nobody to send them to)
 *    wait in the county civil-affairs triage queue: case event
 *    "queued_for_triage" with the reason.
 *  - Classified cases with a child named whose category's village is not
 *    excluded (by default all but 1 and 2): an H_NOTICE case_village_notice
 *    to the directors of the child's village other than the sender (held
 *    until working hours for P2 and P3). An unclassified case never tells
 *    the village: its category is unknown and could be 1 or 2.
 *  - A case held by the flood rule (cases.flood_of: one number past
 *    [policy] flood_reports reports within flood_window) is summarised
 *    instead: one case_flood_alert per responder and run, the village not
 *    told, and the sender's answer (the H_REPLY with case_id) becomes
 *    report_flood once per run (report.c).
 * Returns 0 or -1 (store error). */
int h_case_alert(const struct h_env *env, const struct h_msg *m, const struct h_case *c, struct h_result *out);

/* Who an alert of a case with this rule goes to in a county: the
 * responders of each department in rule order, taken in turn (first of
 * each department, then second of each...) so that a cut at max still
 * reaches every department; a department with no responder there is
 * represented by its duty_<dept> phone when configured; when nobody is
 * found at all, the county duty_contact. No phone twice. Copies at most
 * max phones and returns how many there are in all, or -1. */
int h_alert_recipients(const struct h_env *env, int64_t county_id, const char *county_path,
                       const struct routing_rule *rule, char (*phones)[DB_PHONE_LEN], int max);

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

/* Tells the directors of village_id of case `number` (H_NOTICE
 * case_village_notice, dedupe "village:<number>:<phone>"), skipping the
 * reporter, held until not_before (0: now). The caller decides whether the
 * village may be told. Returns the number queued, or -1. */
int h_village_notice(const struct h_env *env, int64_t case_id, const char *number, int priority, int64_t village_id,
                     const char *reporter, int64_t not_before, struct h_result *out);

#endif
