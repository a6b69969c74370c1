/* core/store_child.h - the child's record as the roster import, the
 * directors' SMS updates and `export children` write and read it: the row
 * itself (code, name, sex, birth date, village, categories, flags, and the
 * optional household, school, carer and guardianship fields, the national
 * ID only sealed) and the append-only log of its changes (child_change),
 * from which a report over a past period reads the record as it was.
 * Included by store.h; same conventions.
 *
 * Row level only: checking a roster file is the domain's
 * (handlers/roster_import.h), sealing the ID number core/secret.h's, the
 * CSV the process's (gateway/export.h). Writes run inside the caller's
 * transaction; nothing here reads the clock: callers pass `now`.
 */
#ifndef STORE_CHILD_H
#define STORE_CHILD_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* The optional columns of a roster row: a bit set when the file has the
 * column (its value then replaces the stored one, "" or NULL clearing it);
 * a column the file lacks leaves the stored value alone. */
enum {
    STORE_CF_ID = 1 << 0, /* id_number and id_masked together */
    STORE_CF_HUKOU = 1 << 1,
    STORE_CF_SCHOOL = 1 << 2,
    STORE_CF_CARER_NAME = 1 << 3,
    STORE_CF_CARER_PHONE = 1 << 4,
    STORE_CF_CARER_RELATION = 1 << 5,
    STORE_CF_CARE_AGREEMENT = 1 << 6,
    STORE_CF_CARE_AGREEMENT_DATE = 1 << 7,
    STORE_CF_GUARDIANSHIP = 1 << 8,
};

struct store_child_row {
    const char *code; /* 7 digits, the key */
    const char *name;
    const char *sex;        /* M|F */
    const char *birth_date; /* YYYY-MM-DD */
    int64_t region_id;      /* a village */
    const char *categories; /* canonical '|' list */
    const char *flags;      /* canonical '|' list, "" for none */
    int high_cadence;       /* 1 to put the child on the high cadence */
    unsigned given;         /* STORE_CF_* bits: the optional columns below that the file has */
    const char *id_number;  /* sealed (core/secret.h), never in clear; NULL: none */
    const char *id_masked;  /* 210102********123X; NULL: none */
    const char *hukou;
    const char *school;
    const char *carer_name;
    const char *carer_phone; /* E.164 */
    const char *carer_relation;
    int care_agreement; /* 1 yes, 0 no, -1 unknown (NULL) */
    const char *care_agreement_date;
    const char *guardianship;
};

/* Inserts the child (created_at = now), or updates the one with that code:
 * each field that changed (name, sex, birth_date, region_id, categories,
 * flags, and the optional columns given) gets one child_change row (at
 * now, source "import", old and new values as stored, "" for none; for
 * id_number both are "", so the log never holds the number, sealed or
 * not) and updated_at becomes now. A child already raised by an XL visit
 * stays on the high cadence whatever high_cadence says. Returns an enum
 * store_upsert, or -1. */
int store_child_upsert(struct store *st, const struct store_child_row *r, int64_t now);

/* The sealed id_number of the child with that code, copied into out
 * (outlen bytes): 0 (out "" when the child has none), 1 when there is no
 * such child, -1. */
int store_child_sealed_id(struct store *st, const char *code, char *out, size_t outlen);

/* Sets one field of child child_id to value (NULL or "" clears it): field
 * is one of school, carer_name, carer_phone, carer_relation, hukou,
 * guardianship. When the value changes: a child_change row (at now, with
 * source: import|sms|api) and updated_at = now. Returns 0 unchanged, 1
 * changed, -1 (an unknown field or a database error). */
int store_child_set(struct store *st, int64_t child_id, const char *field, const char *value, const char *source,
                    int64_t now);

/* One row of `export children`. */
struct store_child_export_rec {
    const char *code;
    const char *name;
    const char *sex;
    const char *birth_date;
    const char *region; /* the village's path */
    const char *categories;
    const char *flags;
    const char *id_masked; /* never the number */
    const char *hukou;
    const char *school;
    const char *carer_name;
    const char *carer_phone; /* E.164 as stored: the caller masks it */
    const char *carer_relation;
    int care_agreement; /* 1, 0, -1 unknown */
    const char *care_agreement_date;
    const char *guardianship;
    int64_t created_at;
};

/* Every child, by code. fn as the iterators of store_roster.h. */
int store_children_export(struct store *st, int (*fn)(void *arg, const struct store_child_export_rec *r), void *arg);

/* One row of a child's change log. */
struct store_child_change_rec {
    int64_t at;
    const char *field;
    const char *old_value;
    const char *new_value;
    const char *source;
};

/* The change log of the child with that code, oldest first (by at, then
 * id). fn as above. */
int store_child_changes_each(struct store *st, const char *code,
                             int (*fn)(void *arg, const struct store_child_change_rec *r), void *arg);

#endif
