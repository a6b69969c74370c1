/* core/store_domain.h - store functions for the domain: regions, staff,
 * children, guardians, visits, check-ins, reporters, cases, opt-outs, and
 * whether a message was queued already.
 * Included by store.h; same conventions.
 *
 * Return convention: 0 success, 1 "not found" (or "not in the expected
 * state", where a function says so), -1 database error (store_errmsg
 * tells). Rows are copied into caller-provided structs; no pointer into
 * SQLite memory escapes. Every function expects to run inside a
 * transaction the caller opened (store_begin), except the pure helpers.
 *
 * Regions form a tree of paths "县/镇/村" with levels 1 county, 2 town,
 * 3 village; region A is under region B when A == B or A's path starts
 * with B's path followed by '/'.
 */
#ifndef STORE_DOMAIN_H
#define STORE_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define DB_PATH_MAX 256 /* region path bytes, NUL included; longer paths are truncated on read */

/* ---- regions ------------------------------------------------------------- */

struct db_region {
    int64_t id;
    int64_t county_id;      /* its ancestor at level 1 (itself for a county); 0 when the tree is broken */
    int level;              /* 1 county, 2 town, 3 village */
    char path[DB_PATH_MAX]; /* 县/镇/村 */
};

/* Region by id or by exact path. 0, 1 not found, -1. */
int db_region_by_id(struct store *st, int64_t id, struct db_region *out);
int db_region_by_path(struct store *st, const char *path, struct db_region *out);
/* The id of the only county (level 1) in the database. 0, 1 when there is
 * none or more than one, -1. */
int db_region_only_county(struct store *st, int64_t *county_id);
/* Pure: 1 when path is ancestor or lies under it (prefix + '/'), else 0. */
int db_path_under(const char *path, const char *ancestor);
/* 1 when region a lies under region b (or is b), 0 when not or either is
 * unknown, -1 on error. */
int db_region_under(struct store *st, int64_t a, int64_t b);

/* ---- people ---------------------------------------------------------------- */

struct db_staff {
    int64_t id;
    char role[16];           /* director|supervisor|responder|admin */
    char department[24];     /* responders: police|civil_affairs|...; "" otherwise */
    struct db_region region; /* the staff member's registered region */
};
/* Staff by E.164 phone. 0, 1 not registered, -1. */
int db_staff_by_phone(struct store *st, const char *phone, struct db_staff *out);

#define DB_PHONE_LEN 24 /* bytes of an E.164 phone, NUL included */

/* Who a case alert goes to: the phones of the responders of department
 * dept (a canonical code, "police") whose region contains county county_id
 * (so a responder of a neighbouring county, or one registered below county
 * level, is never among them), in staff id order. Copies at most max into
 * out and returns how many there are in all (which may exceed max), or -1. */
int db_county_responders(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN], int max);
/* The phones of the directors registered for the village region_id, in
 * staff id order; same return as db_county_responders. */
int db_village_directors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);

/* Guardian id by E.164 phone. 0, 1 not registered, -1. */
int db_guardian_by_phone(struct store *st, const char *phone, int64_t *guardian_id);

struct db_child {
    int64_t id;
    char code[8];            /* 7 digits */
    char flags[64];          /* parent_disabled|child_disabled|psych, may be "" */
    int high_cadence;        /* 1 after an XL visit */
    struct db_region region; /* the child's village; region.county_id is its county */
};
/* Child by its 7-digit code. 0, 1 not found, -1. */
int db_child_by_code(struct store *st, const char *code, struct db_child *out);
/* The children linked to a guardian, by code order: copies at most max into
 * out and returns how many are linked in all (which may exceed max), or -1. */
int db_guardian_children(struct store *st, int64_t guardian_id, struct db_child *out, int max);
/* 1 when the guardian is linked to the child, 0 when not, -1. */
int db_guardian_linked(struct store *st, int64_t guardian_id, int64_t child_id);

/* ---- visits and check-ins ------------------------------------------------- */

struct db_visit {
    int64_t child_id;
    int64_t staff_id;
    char visit_date[11];  /* YYYY-MM-DD, local calendar day */
    int result;           /* 1-4 */
    const char *problems; /* "JH|XL" or ""/NULL; borrowed */
    const char *note;     /* free text as typed, or NULL; borrowed */
    int64_t inbox_id;     /* cause, 0 = none */
};
/* Inserts a visit. 0 with *id (may be NULL), -1. */
int db_visit_insert(struct store *st, const struct db_visit *v, int64_t now, int64_t *id);
/* Moves a child to the high visit cadence (after an XL visit). 0, 1 no such child, -1. */
int db_child_set_high_cadence(struct store *st, int64_t child_id);

struct db_checkin {
    int64_t guardian_id;
    int64_t child_id;
    int status;              /* 1-4 */
    const char *return_date; /* YYYY-MM-DD for status 3, or NULL; borrowed */
    const char *note;        /* or NULL; borrowed */
    int64_t inbox_id;        /* cause, 0 = none */
};
int db_checkin_insert(struct store *st, const struct db_checkin *c, int64_t now, int64_t *id);

/* ---- reporters and cases ---------------------------------------------------- */

/* The reporter row for a phone, created on first use. Reporters are kept
 * apart from cases; a case holds only reporter_id. 0 with *id, -1. */
int db_reporter_upsert(struct store *st, const char *phone, int64_t now, int64_t *id);
/* Reporter id for a phone without creating one. 0, 1 none, -1. */
int db_reporter_by_phone(struct store *st, const char *phone, int64_t *id);
/* The phone of a reporter, copied into out (outlen bytes), only to address
 * the reporter's own replies. 0, 1 none, -1. */
int db_reporter_phone(struct store *st, int64_t reporter_id, char *out, size_t outlen);

#define DB_CASE_NO_MIN    10 /* YYMMDD + the day's sequence, at least 4 digits */
#define DB_CASE_NO_MAX    12 /* ... growing to 5 or 6 digits past 9,999 reports a day */
#define DB_CASE_MAX_DEPTS 8

struct db_case_new {
    int category;             /* 1-9 */
    int classified;           /* 0 when nobody named a category: a person triages it */
    int priority;             /* 0 (P0) .. 3 (P3) */
    const char *const *depts; /* department codes, borrowed; 1..DB_CASE_MAX_DEPTS */
    int ndepts;
    int64_t county_id;        /* 0 = no county known (the case waits for an admin) */
    int64_t region_id;        /* most precise region known, 0 = none */
    int64_t child_id;         /* 0 = no child named */
    const char *description;  /* as typed, or NULL; borrowed */
    int64_t reporter_id;      /* 0 = none */
    int64_t inbox_id;         /* cause, 0 = none */
    const char *event_detail; /* detail of the 'opened' event, or NULL; borrowed */
    int inferred;             /* 1: category and priority were read from danger words (classified is 1) */
};
/* Opens a case and its 'opened' event. The number is the local date of
 * `now` (process time zone) as YYMMDD plus the day's next sequence from
 * case_seq, taken inside the caller's transaction: 4 digits up to 9,999,
 * then 5 and 6, so a report is never refused for want of a number.
 * Returns 0 with *id and number (DB_CASE_NO_MAX + 1 bytes), -1 on error
 * (including the day's 999,999 numbers used up). */
int db_case_open(struct store *st, const struct db_case_new *c, int64_t now, int64_t *id, char *number);

struct db_case {
    int64_t id;
    char number[DB_CASE_NO_MAX + 1];
    int category;
    int classified;
    int priority;
    char status[16];     /* open|acknowledged|closed */
    int64_t child_id;    /* 0 = none */
    int64_t county_id;   /* 0 = none */
    int64_t region_id;   /* 0 = none */
    int64_t reporter_id; /* 0 = none */
    int64_t opened_at;
    int64_t acked_at;  /* 0 = not yet */
    int64_t closed_at; /* 0 = not yet */
    int outcome;       /* 1-4, 0 = none */
    int64_t flood_of;  /* held by the flood rule: the first held case of its run; 0 = alerted as usual */
    int inferred;      /* 1: category and priority were read from danger words, not named */
};
/* Case by its number. 0, 1 not found, -1. */
int db_case_by_number(struct store *st, const char *number, struct db_case *out);
/* Copies the case's department codes (each < 24 bytes) into out[max];
 * returns how many there are in all, or -1. */
int db_case_depts(struct store *st, int64_t case_id, char (*out)[24], int max);
/* 1 when dept is among the case's departments, 0 when not, -1. */
int db_case_has_dept(struct store *st, int64_t case_id, const char *dept);

/* open -> acknowledged, with acked_at/acked_by and an 'acknowledged' event.
 * 0, 1 when the case is not open (nothing changed), -1. */
int db_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t now);
/* open|acknowledged -> closed with outcome (1-4) and note (may be NULL), a
 * 'closed' event; acked_at/by are filled too when the case was never
 * acknowledged. 0, 1 when already closed (nothing changed), -1. */
int db_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note, int64_t now);
/* Appends an event (kind e.g. "status_query"); staff_id 0 = not staff;
 * detail may be NULL. 0, -1. */
int db_case_event(struct store *st, int64_t case_id, const char *kind, int64_t staff_id, const char *detail,
                  int64_t now);

/* One reporter's recent reports, for the flood rule (handlers/report.c). */
struct db_flood {
    int recent;                            /* the reporter's cases opened after `since` */
    int64_t first_id;                      /* the first held case of a run that began after `since`, 0 = none */
    char first_number[DB_CASE_NO_MAX + 1]; /* its number, "" when none */
};
/* Fills *out for reporter_id: cases opened after since, and the newest
 * held run (cases.flood_of = its own id) begun after since. 0, -1. */
int db_reporter_flood(struct store *st, int64_t reporter_id, int64_t since, struct db_flood *out);
/* Marks a case held by the flood rule as part of the run that began with
 * case first_id (case_id itself for the first). 0, 1 no such case, -1. */
int db_case_set_flood(struct store *st, int64_t case_id, int64_t first_id);
/* For a case the flood rule held: its run's first case (first_id,
 * first_number) and its reporter's cases opened after since (recent).
 * 0, 1 when the case is not held (or does not exist), -1. */
int db_case_flood_run(struct store *st, int64_t case_id, int64_t since, struct db_flood *out);

/* Triage classifies a case (FL): its category, classified = 1, inferred =
 * 0 (a person named it), priority and
 * departments (depts replace the old ones; 1..DB_CASE_MAX_DEPTS), and a
 * 'classified' event by staff_id with detail (may be NULL). The case goes
 * back to 'open' with its acknowledgement cleared, so that the departments
 * now routed acknowledge it (the acknowledgement deadlines start again at
 * the event), and out of any flood hold (a person has read it). *phase
 * (may be NULL) gets how many times the case has been classified, this
 * time included. 0, 1 when the case is closed or unknown (nothing
 * changed), -1. */
int db_case_classify(struct store *st, int64_t case_id, int category, int priority, const char *const *depts,
                     int ndepts, int64_t staff_id, const char *detail, int64_t now, int *phase);
/* The numbers of the cases still 'open' (never acknowledged, not closed)
 * that were alerted to phone (an outbox row of kind 'alert'), most urgent
 * first (priority, then the oldest): copies at most max into out and
 * returns how many there are in all, or -1. */
int db_phone_unacked_cases(struct store *st, const char *phone, char (*out)[DB_CASE_NO_MAX + 1], int max);

/* ---- free text: follow-ups, forwards, replies to reminders ------------------ */

/* The newest case reporter_id opened after since that is not closed. 0
 * with *out, 1 none, -1. */
int db_reporter_open_case(struct store *st, int64_t reporter_id, int64_t since, struct db_case *out);
/* The phones a case's alerts went to (outbox rows of kind 'alert': first
 * alerts, flood summaries, re-alerts, triage alerts), each once, the first
 * alerted first: copies at most max into out and returns how many there
 * are in all, or -1. */
int db_case_alerted(struct store *st, int64_t case_id, char (*out)[DB_PHONE_LEN], int max);
/* 1 when the guardian got a check-in reminder after since (the outbox row
 * keyed "checkin_remind:<guardian id>:..." of handlers/jobs_checkins.c,
 * sent after since, or queued after since and not yet sent; never one
 * suppressed by an opt-out or failed), 0 when not, -1. Reads the dedupe
 * key's index only. */
int db_reminder_since(struct store *st, int64_t guardian_id, int64_t since);
/* The phones of the supervisors whose region contains region_id, those of
 * the nearest level only (the township's before the county's), in staff id
 * order; same return as db_county_responders. */
int db_region_supervisors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);
/* The guardian's relation to the child as imported (母亲, father...),
 * copied into out. 0, 1 not linked, -1. */
int db_guardian_relation(struct store *st, int64_t guardian_id, int64_t child_id, char *out, size_t outlen);

#define DB_NAME_MAX 64 /* bytes of a child's name, NUL included; longer names are truncated */

/* A child's code and name, read only to take names out of text that is
 * forwarded by SMS (a name never goes into an SMS). */
struct db_child_name {
    char code[8];
    char name[DB_NAME_MAX];
};
/* The children linked to a guardian, or registered in a region (a village),
 * by code: copies at most max into out and returns how many there are in
 * all, or -1. */
int db_guardian_child_names(struct store *st, int64_t guardian_id, struct db_child_name *out, int max);
int db_region_child_names(struct store *st, int64_t region_id, struct db_child_name *out, int max);

/* ---- messages ------------------------------------------------------------- */

/* 1 when an outbox row with this dedupe key exists (the message was
 * queued already, in this transaction or before), 0 when not, -1. */
int db_message_queued(struct store *st, const char *dedupe_key);

/* ---- opt-out -------------------------------------------------------------- */

/* Records that phone wants no reminders (idempotent; channel may be NULL). 0, -1. */
int db_optout_set(struct store *st, const char *phone, const char *channel, int64_t now);
/* Removes the opt-out. 0, 1 when there was none, -1. */
int db_optout_clear(struct store *st, const char *phone);
/* 1 opted out, 0 not, -1. */
int db_optout_check(struct store *st, const char *phone);

#endif
