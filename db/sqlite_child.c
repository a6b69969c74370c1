/* db/sqlite_child.c - SQLite implementation of the child's record and its
 * change log (store_child.h).
 *
 * An upsert reads the row as stored, compares field by field, appends one
 * child_change row per changed field and writes the row back, all inside
 * the caller's transaction. The sealed ID number is compared as stored
 * text: the caller passes the stored text back when the number did not
 * change (a new seal of the same number is a new text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

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
    int integer;     /* an INTEGER column */
} fields[NF] = {
    {"name", 0, 0},
    {"sex", 0, 0},
    {"birth_date", 0, 0},
    {"region_id", 0, 1},
    {"categories", 0, 0},
    {"flags", 0, 0},
    {"id_number", STORE_CF_ID, 0},
    {"id_masked", STORE_CF_ID, 0},
    {"hukou", STORE_CF_HUKOU, 0},
    {"school", STORE_CF_SCHOOL, 0},
    {"carer_name", STORE_CF_CARER_NAME, 0},
    {"carer_phone", STORE_CF_CARER_PHONE, 0},
    {"carer_relation", STORE_CF_CARER_RELATION, 0},
    {"care_agreement", STORE_CF_CARE_AGREEMENT, 1},
    {"care_agreement_date", STORE_CF_CARE_AGREEMENT_DATE, 0},
    {"guardianship", STORE_CF_GUARDIANSHIP, 0},
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

/* 1 with *out filled, 0 when there is no child with that code, -1. */
static int stored_read(struct store *st, const char *code, struct stored *out)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT id, high_cadence, EXISTS (SELECT 1 FROM visit v "
                       "WHERE v.child_id = child.id AND instr('|' || v.problems || '|', '|XL|') > 0), " FIELD_COLS
                       " FROM child WHERE code = ?");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc = sqlite3_step(s);
    memset(out, 0, sizeof *out);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        out->high = sqlite3_column_int(s, 1);
        out->xl = sqlite3_column_int(s, 2);
        for (int i = 0; i < NF; i++) out->v[i] = gw_strdup(store_col(s, 3 + i));
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
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

/* Binds field i's value v at position pos. */
static void bind_field(sqlite3_stmt *s, int pos, int i, const char *v)
{
    if (v && fields[i].integer)
        sqlite3_bind_int64(s, pos, strtoll(v, NULL, 10));
    else
        store_bind_text(s, pos, v);
}

/* Appends one child_change row. 0 or -1. */
static int change_add(struct store *st, int64_t child_id, int64_t now, const char *field, const char *old_value,
                      const char *new_value, const char *source)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO child_change(child_id, at, field, old_value, new_value, source) "
                                     "VALUES (?,?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    sqlite3_bind_int64(s, 2, now);
    store_bind_text(s, 3, field);
    store_bind_text(s, 4, old_value);
    store_bind_text(s, 5, new_value);
    store_bind_text(s, 6, source);
    return store_step_done(s);
}

static int child_insert(struct store *st, const struct store_child_row *r, const char *const v[NF], int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO child(code, " FIELD_COLS ", high_cadence, created_at) "
                                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s) return -1;
    store_bind_text(s, 1, r->code);
    for (int i = 0; i < NF; i++) bind_field(s, 2 + i, i, v[i]);
    sqlite3_bind_int(s, 2 + NF, r->high_cadence ? 1 : 0);
    sqlite3_bind_int64(s, 3 + NF, now);
    return store_step_done(s) == 0 ? STORE_INSERTED : -1;
}

/* Writes the changed row back: fields, high cadence, updated_at (now when
 * a field changed, else as it was). 0 or -1. */
static int child_update(struct store *st, int64_t id, const char *const v[NF], int high, int fields_changed,
                        int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE child SET name = ?2, sex = ?3, birth_date = ?4, region_id = ?5, "
                                     "categories = ?6, flags = ?7, id_number = ?8, id_masked = ?9, hukou = ?10, "
                                     "school = ?11, carer_name = ?12, carer_phone = ?13, carer_relation = ?14, "
                                     "care_agreement = ?15, care_agreement_date = ?16, guardianship = ?17, "
                                     "high_cadence = ?18, updated_at = coalesce(?19, updated_at) WHERE id = ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    for (int i = 0; i < NF; i++) bind_field(s, 2 + i, i, v[i]);
    sqlite3_bind_int(s, 2 + NF, high);
    if (fields_changed) sqlite3_bind_int64(s, 3 + NF, now);
    return store_step_done(s);
}

int sqlite_store_child_upsert(struct store *st, const struct store_child_row *r, int64_t now)
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

int sqlite_store_child_sealed_id(struct store *st, const char *code, char *out, size_t outlen)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id_number FROM child WHERE code = ?");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) store_col_text(s, 0, out, outlen);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* The fields an SMS or the API may set one at a time, each with its own
 * statements (the statement cache keys on the SQL text's address). */
static const struct {
    const char *field;
    const char *select;
    const char *update;
} settable[] = {
    {"school", "SELECT school FROM child WHERE id = ?", "UPDATE child SET school = ?, updated_at = ? WHERE id = ?"},
    {"carer_name", "SELECT carer_name FROM child WHERE id = ?",
     "UPDATE child SET carer_name = ?, updated_at = ? WHERE id = ?"},
    {"carer_phone", "SELECT carer_phone FROM child WHERE id = ?",
     "UPDATE child SET carer_phone = ?, updated_at = ? WHERE id = ?"},
    {"carer_relation", "SELECT carer_relation FROM child WHERE id = ?",
     "UPDATE child SET carer_relation = ?, updated_at = ? WHERE id = ?"},
    {"hukou", "SELECT hukou FROM child WHERE id = ?", "UPDATE child SET hukou = ?, updated_at = ? WHERE id = ?"},
    {"guardianship", "SELECT guardianship FROM child WHERE id = ?",
     "UPDATE child SET guardianship = ?, updated_at = ? WHERE id = ?"},
};

int sqlite_store_child_set(struct store *st, int64_t child_id, const char *field, const char *value, const char *source,
                           int64_t now)
{
    size_t k = 0;
    while (k < sizeof settable / sizeof settable[0] && strcmp(settable[k].field, field ? field : "") != 0) k++;
    if (k == sizeof settable / sizeof settable[0]) return -1;
    if (value && !*value) value = NULL;
    sqlite3_stmt *s = store_stmt(st, settable[k].select);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc = sqlite3_step(s);
    char *old = rc == SQLITE_ROW ? gw_strdup(store_col(s, 0)) : NULL;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) return -1;
    int out = 0;
    if (!same(old, value)) {
        s = store_stmt(st, settable[k].update);
        out = -1;
        if (s) {
            store_bind_text(s, 1, value);
            sqlite3_bind_int64(s, 2, now);
            sqlite3_bind_int64(s, 3, child_id);
            if (store_step_done(s) == 0 && change_add(st, child_id, now, field, old, value, source) == 0) out = 1;
        }
    }
    free(old);
    return out;
}

int sqlite_store_children_export(struct store *st, int (*fn)(void *arg, const struct store_child_export_rec *r),
                                 void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT c.code, c.name, c.sex, c.birth_date, r.path, c.categories, c.flags, "
                                     "c.id_masked, c.hukou, c.school, c.carer_name, c.carer_phone, c.carer_relation, "
                                     "c.care_agreement, c.care_agreement_date, c.guardianship, c.created_at "
                                     "FROM child c LEFT JOIN region r ON r.id = c.region_id ORDER BY c.code");
    if (!s) return -1;
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_child_export_rec r = {
            .code = store_col(s, 0),
            .name = store_col(s, 1),
            .sex = store_col(s, 2),
            .birth_date = store_col(s, 3),
            .region = store_col(s, 4),
            .categories = store_col(s, 5),
            .flags = store_col(s, 6),
            .id_masked = store_col(s, 7),
            .hukou = store_col(s, 8),
            .school = store_col(s, 9),
            .carer_name = store_col(s, 10),
            .carer_phone = store_col(s, 11),
            .carer_relation = store_col(s, 12),
            .care_agreement = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 13),
            .care_agreement_date = store_col(s, 14),
            .guardianship = store_col(s, 15),
            .created_at = sqlite3_column_int64(s, 16),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_child_changes_each(struct store *st, const char *code,
                                    int (*fn)(void *arg, const struct store_child_change_rec *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT x.at, x.field, x.old_value, x.new_value, x.source FROM child_change x "
                                     "JOIN child c ON c.id = x.child_id WHERE c.code = ? ORDER BY x.at, x.id");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_child_change_rec r = {
            .at = sqlite3_column_int64(s, 0),
            .field = store_col(s, 1),
            .old_value = store_col(s, 2),
            .new_value = store_col(s, 3),
            .source = store_col(s, 4),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}
