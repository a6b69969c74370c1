/* core/store_child_record.h - the fuller child record: registration with
 * the household, school, carer and guardianship fields, and the child's
 * first guardian, for one child's whole file and for the national system
 * feed. Included by store.h; same conventions.
 *
 * The iterator calls fn once per row, valid only during the call; fn must
 * not call store functions; it returns 0 to go on, non-zero to stop (the
 * iterator then returns that value). Returns 0, or -1 on a database error
 * (store_errmsg tells). A text column that is NULL is a NULL pointer.
 * Runs inside the caller's transaction (or none, for a read).
 */
#ifndef GW_STORE_CHILD_RECORD_H
#define GW_STORE_CHILD_RECORD_H

#include <stdint.h>

struct store;

/* One child's record. */
/* The fuller record's fields after the national ID, in their order: the
 * optional columns of children.csv and source fields of the national feed
 * name them alike. */
#define STORE_CHILD_RECORD_FIELDS                                                                                      \
    "hukou", "school", "carer_name", "carer_phone", "carer_relation", "care_agreement", "care_agreement_date",         \
        "guardianship"

struct store_child_record {
    int64_t id;
    const char *code; /* 7 digits */
    const char *name;
    const char *sex;        /* M|F */
    const char *birth_date; /* YYYY-MM-DD */
    const char *region;     /* the village's path, 县/镇/村 */
    const char *categories; /* '|' list */
    const char *flags;      /* '|' list, "" for none */
    const char *id_number;  /* the national ID as stored: encrypted (never in clear), NULL when none */
    const char *id_masked;  /* 210102********123X, NULL when none */
    const char *hukou;
    const char *school;
    const char *carer_name;
    const char *carer_phone; /* E.164 as stored: the caller masks it */
    const char *carer_relation;
    int care_agreement;              /* 1 a written entrusted-care agreement, 0 none, -1 unknown */
    const char *care_agreement_date; /* YYYY-MM-DD */
    const char *guardianship;        /* a short assessment */
    int64_t updated_at;              /* 0: never updated since it was registered */
    const char *guardian_name;       /* the child's first guardian (by guardian id), NULL when none */
    const char *guardian_phone;      /* E.164 as stored */
    const char *guardian_relation;
};

/* The records of every child, or of the child with that code (code NULL:
 * every child), by region path then code. */
int store_child_records_each(struct store *st, const char *code,
                             int (*fn)(void *arg, const struct store_child_record *r), void *arg);

#endif
