/* handlers/intents.h - what the intent handlers share inside handlers/: the
 * identified sender, the handler signature, and the small reply helpers.
 * Not for use outside handlers/ (the public entry point is handler.h), but
 * for the intents with typed arguments, which the office API's case writes
 * (gateway/api_case_writes.c) call as the USSD and voice menus do.
 *
 * Every intent handler runs inside the caller's transaction, reads and
 * writes through the store port (core/store.h) only, and fills out->result, out->detail and
 * the replies. It returns 0 (including refusals and invalid input, which
 * are replies) or -1 when the store failed.
 */
#ifndef INTENTS_H
#define INTENTS_H

#include "../core/store.h"
#include "handler.h"
#include "routing.h"

struct lex_match; /* lexicon.h */

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
/* Fills *who for phone (borrowed) as dispatch does for every message:
 * staff and guardian looked up by the phone. 0, or -1 on a store error. */
int h_identify(struct store *st, const char *phone, struct h_sender *who);

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
/* GX <child> 学校 <school> / GX <child> 照料 <name> <phone> [relation]: the
 * director of the child's village (or a supervisor above it) updates the
 * child's school or carer, each change logged (child_update.c). */
int h_update(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
             struct h_result *out);
/* A responder's 收到 / 好的, or QR without a number: acknowledges their one
 * unacknowledged alerted case, or with several lists their numbers
 * (cases.c). Returns 0 answered, 1 when the sender is no responder with an
 * unacknowledged case (the caller answers as it would have), -1 on a store
 * error. */
int h_ack_pending(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, struct h_result *out);

/* What a new case needs from the handler that opens it. */
struct h_case_req {
    int category;                     /* 1-9 */
    int classified;                   /* 0: nobody named a category */
    const struct db_child *child;     /* or NULL */
    const char *description;          /* as typed, or NULL */
    const char *event_detail;         /* or NULL */
    const struct lex_match *inferred; /* or NULL: danger words read from the text (h_infer), which give
                                         the category and, with the county's routing, the priority; the
                                         case is then classified and inferred (category is ignored) */
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
    int inferred;                    /* 1: category and priority read from danger words (classified is 1) */
    unsigned inferred_cats;          /* inferred: bit c-1 for every category the words matched; the
                                        village is told only when it may be of all of them */
};

/* Opens a case reported by the sender (report.c): county and region from the
 * child when req->child is set, else from the sender's registration, else from
 * [policy] default_region, else the only county, else none. Priority and
 * departments come from the county's routing (routing_for). The sender
 * becomes the case's reporter. Returns 0 with *c filled, or -1 (store
 * error). */
int h_case_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                const struct h_case_req *req, struct h_case *c);

/* Reads text (len bytes) for danger words with the lexicon of the county a
 * case from this sender, about child (or NULL), would belong to: the
 * county's [county] lexicon, else [policy]'s, else the built-in
 * (report.c). Returns 1 with *match filled, 0 when nothing matched, -1 on a
 * store error. Pass the match as h_case_req.inferred. */
int h_infer(const struct h_env *env, const struct h_sender *who, const struct db_child *child, const char *text,
            size_t len, struct lex_match *match);

/* Text that matches no command (freetext.c): an opt-out in words, a
 * responder's pending acknowledgement (h_ack_pending), a guardian's reply
 * to a reminder (a check-in), danger words (an inferred case), a
 * guardian's or director's words forwarded to the child's director or the
 * township supervisor, an unregistered reporter's follow-up to their open
 * case; else an unclassified case (unregistered) or a help reply. Also
 * takes a guardian's bare 求助 (a report with nothing to report) within the
 * reminder window as a check-in. cmd is the parsed message. Returns 0 or
 * -1 (store error). */
int h_free_text(const struct h_env *env, const struct h_msg *m, const struct cb_cmd *cmd, const struct h_sender *who,
                struct h_result *out);

/* 1 when the whole message asks, in words, to stop reminders (别再发了,
 * 不要再发, 取消短信, 不要发短信了, 退订...; nothing else in it), else 0
 * (optout.c; pure). */
int h_optout_words(const char *text, size_t len);

/* Tells those who must know about a case just opened, in its transaction;
 * call it after the answer to the sender, which stays the first reply.
 *  - P0/P1: an H_ALERT to every responder of each routed department over
 *    the case's county (a department with none: its duty_<dept> phone;
 *    nobody at all: the county duty contact), at once; P2: the same, held
 *    until working hours (h_next_work_time). Template case_alert: case
 *    number, priority, place, category digit. Dedupe key
 *    "alert:<case number>:<phone>:0". Case event "alerted", "count=N".
 *  - Unclassified cases (nothing named, nothing inferred): h_triage_alert.
 *  - P3 cases (and alerts with nobody to send them to) wait in the county
 *    civil-affairs triage queue: case event "queued_for_triage" with the
 *    reason.
 *  - Inferred cases alert as coded ones; their village is told only when
 *    every category in inferred_cats may be told.
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

/* The county's civil-affairs triage (triage.c): the 民政 responders over
 * the county, else its duty_civil_affairs phone, else its duty_contact;
 * as h_alert_recipients returns. */
int h_triage_recipients(const struct h_env *env, int64_t county_id, const char *county_path,
                        char (*phones)[DB_PHONE_LEN], int max);

/* Alerts the county's civil-affairs triage at once of a case just opened
 * that is unclassified and inferred nothing (triage.c): an H_ALERT
 * triage_alert (case number, place) to each h_triage_recipients phone,
 * dedupe key "alert:<case number>:<phone>:0", and the case event
 * "alerted" with detail "triage count=N", which gives it the P1
 * acknowledgement deadline and its re-alerts (jobs_cases.c). The village
 * is not told. With nobody to alert: the event "queued_for_triage"
 * "unclassified no_responder". Call it where h_case_alert would queue an
 * unclassified case for triage. Returns 0 or -1 (store error). */
int h_triage_alert(const struct h_env *env, const struct h_msg *m, const struct h_case *c, struct h_result *out);

/* Fills *c for an existing case as h_case_open fills it for a new one
 * (county path, place, the named child's village, the county's rule for
 * its category), so that h_case_alert can alert it (triage.c). 0 or -1. */
int h_case_describe(const struct h_env *env, const struct db_case *dc, struct h_case *c);

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

/* ---- several children in one message (visit.c, checkin.c; reply.c) ---- */

#define H_REFUSED_CHARS 40 /* UCS-2 units of one ${refused} value (the templates carrying it fit one SMS) */
#define H_REFUSED_MAX   (CB_ITEMS_MAX + 1) /* and "the rest was not read" */

/* The children of one message that were not recorded, and why. A child
 * named but not found has no code: such entries are counted ("1名儿童名字
 * 查不到...") so that no reply ever carries a name. */
struct h_refused {
    struct {
        char code[24];   /* the child code (or the offending token), "" for a name */
        const char *why; /* static reason, e.g. "不在您负责的村" */
    } v[H_REFUSED_MAX];
    int n;
};
void h_refused_add(struct h_refused *r, const char *code, const char *why);
/* The refusals grouped by reason, in the order first met ("1000028、1000031
 * 不在您负责的村；1000016校验位不对"), cut into values of at most
 * H_REFUSED_CHARS units (and fewer than 96 bytes), at most nout of them.
 * Returns how many values were written (0 when there is no refusal). */
int h_refused_render(const struct h_refused *r, char (*out)[96], int nout);
/* The reason for a child whose part of the message has parse error e
 * (static string), e.g. "结果应为1-4". */
const char *h_item_error_why(enum cb_error e);
/* Adds "the rest was not read" when the message named more children than
 * CB_ITEMS_MAX (cmd->items_more). */
void h_refused_more(struct h_refused *r, const struct cb_cmd *cmd);

/* ---- the intents with typed arguments ----
 *
 * What a code-book command does once its text is parsed, for callers that
 * collect the values themselves (the USSD and voice menus): the SMS handler
 * checks the command's form, then calls the same function, so that both
 * paths store the same rows and give the same replies. m names the sender,
 * the receipt time and the inbox row (inbox_id 0 for none); its text is not
 * read. Each runs inside the caller's transaction and returns 0 (including
 * refusals, which are replies) or -1 when the store failed. */

/* A report as the sender gave it (BG). */
struct h_report_in {
    int category;                  /* 1-9: the routing category (9 when none was given) */
    int classified;                /* 1: the sender named a valid category */
    int category_bad;              /* 1: the sender named a category that is not 1-9 (category 9, unclassified) */
    const char *child;             /* a well-formed child code, or NULL */
    const char *bad_child;         /* a malformed code as typed (kept for triage, pointed out), or NULL */
    enum cb_error bad_child_error; /* with bad_child: CB_E_CHILD_FORMAT or CB_E_CHILD_CHECK */
    const char *name;              /* a child named instead of coded (linked when unique in the county), or NULL */
    const char *description;       /* as typed, or NULL */
};

/* Opens the case of a report (report.c): the child by code or name, danger
 * words read from an unclassified description (h_infer), h_case_open, the
 * answer to the sender (report_ok, report_ok_p0, report_ok_child_bad,
 * report_ok_category_bad, with the case number) and h_case_alert. Fills
 * *opened (may be NULL) with the case. */
int h_report_open(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                  const struct h_report_in *in, struct h_result *out, struct h_case *opened);

/* A visit as the sender gave it (ZF, one child). */
struct h_visit_in {
    const char *child;    /* a 7-digit child code, or NULL when named */
    const char *name;     /* a child named instead of coded (matched in the sender's area), or NULL */
    int year, month, day; /* the visit date, already checked (not ahead, not too old); 0: today */
    int result;           /* 1-4 */
    unsigned problems;    /* CB_P_* bits; result 2 needs one */
    const char *note;     /* or NULL */
};

/* Records one visit (visit.c): visiting staff only (visit_not_staff), the
 * child by code or unique name in the sender's area (visit_name_unknown),
 * one refusal for an unknown code and a child outside the area
 * (visit_not_allowed); else the visit row, the high cadence for an XL
 * problem and the confirmation (visit_ok, visit_ok_problem, visit_ok_high,
 * visit_ok_absent, visit_ok_phone) naming the code and the date. A result
 * outside 1-4, or 2 without problems, is answered as the SMS parser
 * answers it (visit_result_bad, visit_problems_missing). */
int h_visit_record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                   const struct h_visit_in *in, struct h_result *out);

/* A check-in as the guardian gave it (QD, one child or all). */
struct h_checkin_in {
    const char *child;    /* a child code, or NULL: every child linked to the phone */
    int status;           /* 1-4 (anything else is 1) */
    int year, month, day; /* status 3: the return date; 0 when none */
    const char *note;     /* or NULL */
};

/* Records a guardian's check-in (checkin.c): guardians only
 * (checkin_not_guardian), one refusal for an unknown code and a child not
 * linked to the phone (checkin_not_linked), checkin_no_children; else a
 * checkin row per child, the confirmation by status and, for 2 and 4, the
 * notice to the directors of each child's village. */
int h_checkin_record(const struct h_env *env, const struct h_msg *m, const struct h_sender *who,
                     const struct h_checkin_in *in, struct h_result *out);

/* A case's status for its reporter, one of its responders or a supervisor
 * above it (cases.c; CX <case>): status_open, status_acked or
 * status_closed with the case event "status_query"; anyone else, and an
 * unknown number, status_denied. */
int h_case_status(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                  struct h_result *out);

/* Acknowledges case case_no (cases.c; QR <case>): responders and admins who
 * may act on it (the file's rules); ack_ok, or ack_already, ack_closed,
 * case_not_allowed (an unknown number alike), case_not_responder. */
int h_case_ack(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
               struct h_result *out);

/* Closes case case_no with outcome (1-4; anything else close_outcome_bad)
 * and note (or NULL) (cases.c; JA <case> <outcome>): as h_case_ack decides
 * who may; close_ok, and the neutral case_closed_reporter notice (H_NOTICE)
 * to the reporter unless the reporter is the closer (by phone, or the same
 * staff member); close_already for a closed case. */
int h_case_close(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                 int outcome, const char *note, struct h_result *out);

/* Classifies case case_no as category (1-9; anything else
 * classify_category_bad) (cases.c; FL <case> <category>): the county's
 * triage only; the case's routing, its 'classified' event and its alerts
 * as h_classify describes; classify_ok, or classify_closed,
 * case_not_allowed, classify_not_triage. */
int h_case_classify(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                    int category, struct h_result *out);

/* Sets the departments of case case_no to names (codes or Chinese names,
 * 1..ROUTING_MAX_DEPTS; they replace the old ones) (cases.c; no SMS
 * command: the office API): the county's triage only, as for h_case_classify.
 * Its category, priority and status stay; an 'assigned' event; each newly
 * added department is alerted as h_case_alert alerts routed ones
 * (case_alert to its responders over the county, held until working hours
 * for P2 and P3; dedupe "alert:<case number>:<phone>:a<now>"), and the
 * re-alert job then covers them with the others. No reply: out->result
 * ("ok", "invalid", "refused") and out->detail (department_unknown,
 * departments_missing, case_unknown, not_triage, case_closed, or "assigned
 * added=N alerted=M") tell. */
int h_case_assign(const struct h_env *env, const struct h_msg *m, const struct h_sender *who, const char *case_no,
                  const char *const *names, int nnames, struct h_result *out);

/* ---- questions (query.c) ---- */

/* Whether a supervisor may see the status of case c (CX <case>): a
 * supervisor whose region (a town or the county) contains the case's most
 * precise region (its village, else its county). 1 yes, 0 no, -1 store
 * error. */
int h_case_supervisor(struct store *st, const struct h_sender *who, const struct db_case *c);

#endif
