/* core/store_office_files.h - the office API's reads of children's files:
 * the scoped list of children (a keyset cursor on the code), one child by
 * code within a scope, and the parts of its file (guardians, visits,
 * check-ins, cases, the messages behind them). Included by store.h; same
 * conventions.
 *
 * Scope is part of every query: `under` is a region path (a county, town
 * or village) and only children whose village is that region or lies below
 * it are read; "" reads every child (the roles that see everything). A
 * child outside the scope is not found, exactly like a missing code.
 *
 * Iterators call fn once per row, valid only during the call; fn must not
 * call store functions; it returns 0 to go on, non-zero to stop (the
 * iterator then returns that value). Iterators return 0, or -1 on a
 * database error (store_errmsg tells). A text column that is NULL is a
 * NULL pointer; a time column that is NULL is 0. Everything runs inside
 * the caller's transaction.
 */
#ifndef GW_STORE_OFFICE_FILES_H
#define GW_STORE_OFFICE_FILES_H

#include <stdint.h>

struct store;

/* A child's registration as the office sees it. */
struct store_file_child {
    int64_t id;
    const char *code; /* 7 digits */
    const char *name;
    const char *sex;        /* M|F */
    const char *birth_date; /* YYYY-MM-DD */
    const char *region;     /* the village's path */
    const char *categories; /* '|' list */
    const char *flags;      /* '|' list, "" for none */
    int high_cadence;       /* raised by an XL visit */
    int64_t created_at;     /* unix seconds */
    const char *last_visit; /* newest visit of any result dated on or before `today`, NULL when none */
    const char *last_count; /* newest counting visit (result 1-3) dated on or before `today`, NULL when none */
};

/* Children under `under` whose code starts with q or whose name contains q
 * (q "" or NULL: every child), with a code greater than after ("" or NULL:
 * from the first), by code, at most limit of them (limit <= 0: no limit).
 * Visits dated after today (YYYY-MM-DD) are not read. */
int store_files_children_each(struct store *st, const char *under, const char *q, const char *after, int limit,
                              const char *today, int (*fn)(void *arg, const struct store_file_child *r), void *arg);

/* The child with that code under `under`: fn called once. Returns 0, 1
 * when there is none there (missing or outside the scope), -1 on a
 * database error. */
int store_files_child(struct store *st, const char *code, const char *under, const char *today,
                      int (*fn)(void *arg, const struct store_file_child *r), void *arg);

struct store_file_guardian {
    const char *name;
    const char *relation; /* to the child, as imported */
    int away;             /* 1: a migrant parent */
    const char *phone;    /* E.164 as stored: the caller masks it */
};

/* The child's guardians, by guardian id. */
int store_files_guardians_each(struct store *st, int64_t child_id,
                               int (*fn)(void *arg, const struct store_file_guardian *r), void *arg);

struct store_file_visit {
    int64_t id;
    const char *visit_date; /* YYYY-MM-DD */
    int result;             /* 1-4 */
    const char *problems;   /* "JH|XL" or "" */
    const char *note;       /* or NULL */
    const char *staff;      /* the name of the staff member who recorded it */
    int64_t created_at;
};

/* The child's visits, by visit_date then id. */
int store_files_visits_each(struct store *st, int64_t child_id, int (*fn)(void *arg, const struct store_file_visit *r),
                            void *arg);

struct store_file_checkin {
    int64_t id;
    int64_t created_at;
    int status;              /* 1-4 */
    const char *return_date; /* or NULL */
    const char *note;        /* or NULL */
    const char *relation;    /* the checking guardian's relation to the child, or NULL */
};

/* The child's check-ins, by created_at then id. */
int store_files_checkins_each(struct store *st, int64_t child_id,
                              int (*fn)(void *arg, const struct store_file_checkin *r), void *arg);

struct store_file_case {
    const char *number;
    int category; /* 1-9 */
    int priority; /* 0-3 */
    const char *status;
    int64_t opened_at;
    int64_t acked_at;  /* 0: not yet */
    int64_t closed_at; /* 0: not yet */
};

/* The cases about the child, by opened_at then id. Nothing about the
 * reporter, the description or the outcome note is read. */
int store_files_cases_each(struct store *st, int64_t child_id, int (*fn)(void *arg, const struct store_file_case *r),
                           void *arg);

struct store_file_message {
    int64_t id;
    int64_t received_at;
    const char *channel;
    const char *kind;   /* what it caused: "visit" or "checkin" */
    const char *intent; /* or NULL */
    const char *text;   /* as received */
};

/* The inbound messages that caused one of the child's visits or check-ins,
 * by received_at then id, each once. The messages behind the child's cases
 * are not read: their sender is the reporter. */
int store_files_messages_each(struct store *st, int64_t child_id,
                              int (*fn)(void *arg, const struct store_file_message *r), void *arg);

#endif
