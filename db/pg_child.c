/* db/pg_child.c - PostgreSQL implementation of the child's record and its
 * change log (store_child.h).
 *
 * An upsert reads the row as stored, compares field by field, appends one
 * child_change row per changed field and writes the row back, all inside
 * the caller's transaction. The sealed ID number is compared as stored
 * text: the caller passes the stored text back when the number did not
 * change (a new seal of the same number is a new text). Values travel as
 * text both ways; an integer column reads back as the same decimal text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* The record's fields in the order of the statements below. */
enum {
    F_NAME = 0,
    F_SEX,
    F_BIRTH,
    F_REGION,
    F_CATS,
    F_FLAGS,
    F_ID,
    F_MASKED,
    F_HUKOU,
    F_SCHOOL,
    F_CARER_NAME,
    F_CARER_PHONE,
    F_CARER_RELATION,
    F_AGREEMENT,
    F_AGREEMENT_DATE,
    F_GUARDIANSHIP,
    NF
};

static const struct {
    const char *col; /* column and child_change.field */
    unsigned bit;    /* STORE_CF_* that gives it; 0: always given */
} fields[NF] = {
    {"name", 0},
    {"sex", 0},
    {"birth_date", 0},
    {"region_id", 0},
    {"categories", 0},
    {"flags", 0},
    {"id_number", STORE_CF_ID},
    {"id_masked", STORE_CF_ID},
    {"hukou", STORE_CF_HUKOU},
    {"school", STORE_CF_SCHOOL},
    {"carer_name", STORE_CF_CARER_NAME},
    {"carer_phone", STORE_CF_CARER_PHONE},
    {"carer_relation", STORE_CF_CARER_RELATION},
    {"care_agreement", STORE_CF_CARE_AGREEMENT},
    {"care_agreement_date", STORE_CF_CARE_AGREEMENT_DATE},
    {"guardianship", STORE_CF_GUARDIANSHIP},
};

#define FIELD_COLS                                                                                                     \
    "name, sex, birth_date, region_id, categories, flags, id_number, id_masked, hukou, school, carer_name, "           \
    "carer_phone, carer_relation, care_agreement, care_agreement_date, guardianship"

/* The child as stored: its id, whether it is on the high cadence by an XL
 * visit, and its fields as text (owned; NULL for NULL). */
struct stored {
    int64_t id;
    int high; /* high_cadence as stored */
    int xl;
    char *v[NF];
};

static void stored_free(struct stored *s)
{
    for (int i = 0; i < NF; i++) free(s->v[i]);
}

/* The text at (row, col), NULL for SQL NULL (owned by r). */
static const char *col_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* 1 with *out filled, 0 when there is no child with that code, -1. */
static int stored_read(struct store *st, const char *code, struct stored *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = pg_run(st,
                         "SELECT id, high_cadence, CASE WHEN EXISTS (SELECT 1 FROM visit v "
                         "WHERE v.child_id = child.id AND strpos('|' || v.problems || '|', '|XL|') > 0) "
                         "THEN 1 ELSE 0 END, " FIELD_COLS " FROM child WHERE code = $1",
                         &a);
    memset(out, 0, sizeof *out);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->id = pg_int(r, 0, 0);
        out->high = (int)pg_int(r, 0, 1);
        out->xl = (int)pg_int(r, 0, 2);
        for (int i = 0; i < NF; i++) out->v[i] = gw_strdup(col_or_null(r, 0, 3 + i));
    }
    PQclear(r);
    return found;
}

/* The row's new values as text into v (pointers into r, old or num). An
 * optional field the file lacks keeps its stored value; "" clears. */
static void new_values(const struct store_child_row *r, const struct stored *old, char num[2][24], const char *v[NF])
{
    const char *given[NF] = {
        r->name,           r->sex,    r->birth_date,          NULL,
        r->categories,     r->flags,  r->id_number,           r->id_masked,
        r->hukou,          r->school, r->carer_name,          r->carer_phone,
        r->carer_relation, NULL,      r->care_agreement_date, r->guardianship,
    };
    snprintf(num[0], sizeof num[0], "%lld", (long long)r->region_id);
    given[F_REGION] = num[0];
    if (r->care_agreement == 0 || r->care_agreement == 1) {
        snprintf(num[1], sizeof num[1], "%d", r->care_agreement);
        given[F_AGREEMENT] = num[1];
    }
    for (int i = 0; i < NF; i++) {
        if (fields[i].bit && !(r->given & fields[i].bit))
            v[i] = old ? old->v[i] : NULL;
        else
            v[i] = given[i] && (given[i][0] || !fields[i].bit) ? given[i] : NULL;
    }
}

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* Appends one child_change row. 0 or -1. */
static int change_add(struct store *st, int64_t child_id, int64_t now, const char *field, const char *old_value,
                      const char *new_value, const char *source)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    pg_arg_int(&a, now);
    pg_arg_text(&a, field);
    pg_arg_text(&a, old_value);
    pg_arg_text(&a, new_value);
    pg_arg_text(&a, source);
    return pg_run_done(st,
                       "INSERT INTO child_change(child_id, at, field, old_value, new_value, source) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       &a);
}

/* Inserts the new child with values v: STORE_INSERTED or -1. */
static int child_insert(struct store *st, const struct store_child_row *r, const char *const v[NF], int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->code);
    for (int i = 0; i < NF; i++) pg_arg_text(&a, v[i]);
    pg_arg_int(&a, r->high_cadence ? 1 : 0);
    pg_arg_int(&a, now);
    return pg_run_done(st,
                       "INSERT INTO child(code, " FIELD_COLS ", high_cadence, created_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                       &a) == 0
               ? STORE_INSERTED
               : -1;
}

/* Writes the changed row back: fields, high cadence, updated_at (now when
 * a field changed, else as it was). 0 or -1. */
static int child_update(struct store *st, int64_t id, const char *const v[NF], int high, int fields_changed,
                        int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    for (int i = 0; i < NF; i++) pg_arg_text(&a, v[i]);
    pg_arg_int(&a, high);
    if (fields_changed)
        pg_arg_int(&a, now);
    else
        pg_arg_text(&a, NULL);
    return pg_run_done(st,
                       "UPDATE child SET name = $2, sex = $3, birth_date = $4, region_id = $5, "
                       "categories = $6, flags = $7, id_number = $8, id_masked = $9, hukou = $10, "
                       "school = $11, carer_name = $12, carer_phone = $13, carer_relation = $14, "
                       "care_agreement = $15, care_agreement_date = $16, guardianship = $17, "
                       "high_cadence = $18, updated_at = coalesce($19::bigint, updated_at) WHERE id = $1",
                       &a);
}

/* Inserts or updates the child r->code as store_child.h says: an enum
 * store_upsert, or -1. */
int pg_store_child_upsert(struct store *st, const struct store_child_row *r, int64_t now)
{
    struct stored old;
    char num[2][24];
    const char *v[NF];
    int rc = stored_read(st, r->code, &old);
    if (rc < 0) return -1;
    if (rc == 0) {
        new_values(r, NULL, num, v);
        return child_insert(st, r, v, now);
    }
    new_values(r, &old, num, v);
    int changed = 0, out = STORE_UNCHANGED;
    for (int i = 0; i < NF && out != -1; i++) {
        if (same(old.v[i], v[i])) continue;
        changed++;
        /* The log never holds the number, sealed or not. */
        int secret = i == F_ID;
        if (change_add(st, old.id, now, fields[i].col, secret ? "" : old.v[i], secret ? "" : v[i], "import") != 0)
            out = -1;
    }
    /* An XL visit keeps a child on the high cadence whatever the flags say. */
    int high = r->high_cadence != 0 || old.xl;
    if (out != -1 && (changed || high != old.high))
        out = child_update(st, old.id, v, high, changed, now) == 0 ? STORE_UPDATED : -1;
    stored_free(&old);
    return out;
}

/* The sealed ID number of child code into out ("" when none): 0, 1 when
 * there is no such child, -1. */
int pg_store_child_sealed_id(struct store *st, const char *code, char *out, size_t outlen)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = pg_run(st, "SELECT id_number FROM child WHERE code = $1", &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) pg_text(r, 0, 0, out, outlen);
    PQclear(r);
    return found ? 0 : 1;
}

/* The fields an SMS or the API may set one at a time, each with its own
 * statements (the statement cache keys on the SQL text's address). */
static const struct {
    const char *field;
    const char *select;
    const char *update;
} settable[] = {
    {"school", "SELECT school FROM child WHERE id = $1", "UPDATE child SET school = $1, updated_at = $2 WHERE id = $3"},
    {"carer_name", "SELECT carer_name FROM child WHERE id = $1",
     "UPDATE child SET carer_name = $1, updated_at = $2 WHERE id = $3"},
    {"carer_phone", "SELECT carer_phone FROM child WHERE id = $1",
     "UPDATE child SET carer_phone = $1, updated_at = $2 WHERE id = $3"},
    {"carer_relation", "SELECT carer_relation FROM child WHERE id = $1",
     "UPDATE child SET carer_relation = $1, updated_at = $2 WHERE id = $3"},
    {"hukou", "SELECT hukou FROM child WHERE id = $1", "UPDATE child SET hukou = $1, updated_at = $2 WHERE id = $3"},
    {"guardianship", "SELECT guardianship FROM child WHERE id = $1",
     "UPDATE child SET guardianship = $1, updated_at = $2 WHERE id = $3"},
};

/* Sets one settable field of child_id to value ("" or NULL clears) with a
 * child_change row from source: 1 when it changed, 0 when it was already
 * so, -1 (an unknown field or child, a database error). */
int pg_store_child_set(struct store *st, int64_t child_id, const char *field, const char *value, const char *source,
                       int64_t now)
{
    size_t k = 0;
    while (k < sizeof settable / sizeof settable[0] && strcmp(settable[k].field, field ? field : "") != 0) k++;
    if (k == sizeof settable / sizeof settable[0]) return -1;
    if (value && !*value) value = NULL;
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    PGresult *r = pg_run(st, settable[k].select, &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    char *old = found ? gw_strdup(col_or_null(r, 0, 0)) : NULL;
    PQclear(r);
    if (!found) return -1;
    int out = 0;
    if (!same(old, value)) {
        struct pg_args u = {0};
        pg_arg_text(&u, value);
        pg_arg_int(&u, now);
        pg_arg_int(&u, child_id);
        out = pg_run_done(st, settable[k].update, &u) == 0 &&
                      change_add(st, child_id, now, field, old, value, source) == 0
                  ? 1
                  : -1;
    }
    free(old);
    return out;
}

/* Calls fn for every child in code order with its village's path: 0, fn's
 * non-zero value, or -1. */
int pg_store_children_export(struct store *st, int (*fn)(void *arg, const struct store_child_export_rec *r), void *arg)
{
    PGresult *r = pg_run(st,
                         "SELECT c.code, c.name, c.sex, c.birth_date, r.path, c.categories, c.flags, "
                         "c.id_masked, c.hukou, c.school, c.carer_name, c.carer_phone, c.carer_relation, "
                         "c.care_agreement, c.care_agreement_date, c.guardianship, c.created_at "
                         "FROM child c LEFT JOIN region r ON r.id = c.region_id ORDER BY c.code COLLATE \"C\"",
                         NULL);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_child_export_rec e = {
            .code = col_or_null(r, i, 0),
            .name = col_or_null(r, i, 1),
            .sex = col_or_null(r, i, 2),
            .birth_date = col_or_null(r, i, 3),
            .region = col_or_null(r, i, 4),
            .categories = col_or_null(r, i, 5),
            .flags = col_or_null(r, i, 6),
            .id_masked = col_or_null(r, i, 7),
            .hukou = col_or_null(r, i, 8),
            .school = col_or_null(r, i, 9),
            .carer_name = col_or_null(r, i, 10),
            .carer_phone = col_or_null(r, i, 11),
            .carer_relation = col_or_null(r, i, 12),
            .care_agreement = pg_null(r, i, 13) ? -1 : (int)pg_int(r, i, 13),
            .care_agreement_date = col_or_null(r, i, 14),
            .guardianship = col_or_null(r, i, 15),
            .created_at = pg_int(r, i, 16),
        };
        stop = fn(arg, &e);
    }
    PQclear(r);
    return stop;
}

/* Calls fn for every change of child code, oldest first: 0, fn's non-zero
 * value, or -1. */
int pg_store_child_changes_each(struct store *st, const char *code,
                                int (*fn)(void *arg, const struct store_child_change_rec *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = pg_run(st,
                         "SELECT x.at, x.field, x.old_value, x.new_value, x.source FROM child_change x "
                         "JOIN child c ON c.id = x.child_id WHERE c.code = $1 ORDER BY x.at, x.id",
                         &a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
        struct store_child_change_rec c = {
            .at = pg_int(r, i, 0),
            .field = col_or_null(r, i, 1),
            .old_value = col_or_null(r, i, 2),
            .new_value = col_or_null(r, i, 3),
            .source = col_or_null(r, i, 4),
        };
        stop = fn(arg, &c);
    }
    PQclear(r);
    return stop;
}
