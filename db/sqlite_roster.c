/* db/sqlite_roster.c - SQLite implementation of the roster rows, the rows
 * behind the CSV exports and children by name (store_roster.h).
 *
 * Row level only: the roster file's reading and checks are the domain's,
 * the CSV the process's. Runs on the thread that owns the store; the
 * roster writes inside the caller's transaction.
 */
#include <stdint.h>
#include <string.h>

#include "store_int.h"

/* ---- roster rows ------------------------------------------------------------------ */

int sqlite_store_region_find(struct store *st, const char *path, int64_t *id, int *level)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, level FROM region WHERE path = ?");
    if (!s) return -1;
    store_bind_text(s, 1, path);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        if (level) *level = sqlite3_column_int(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_region_insert(struct store *st, int64_t parent_id, const char *name, const char *path, int level,
                               int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO region(parent_id, name, path, level) VALUES (?,?,?,?)");
    if (!s) return -1;
    if (parent_id) sqlite3_bind_int64(s, 1, parent_id);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, path);
    sqlite3_bind_int(s, 4, level);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

/* 1 when the statement finds a row for v, 0 when not, -1. */
static int exists_by_text(struct store *st, const char *sql, const char *v)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    if (!s) return -1;
    store_bind_text(s, 1, v);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int outcome(int existed, int changed)
{
    return !existed ? STORE_INSERTED : changed ? STORE_UPDATED : STORE_UNCHANGED;
}

int sqlite_store_staff_upsert(struct store *st, const struct store_staff_row *r, int64_t now)
{
    int existed = exists_by_text(st, "SELECT 1 FROM staff WHERE phone = ?", r->phone);
    if (existed < 0) return -1;
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO staff(phone, name, role, region_id, department, "
                                     "created_at) VALUES (?,?,?,?,?,?) "
                                     "ON CONFLICT(phone) DO UPDATE SET name = excluded.name, "
                                     "role = excluded.role, region_id = excluded.region_id, "
                                     "department = excluded.department "
                                     "WHERE staff.name IS NOT excluded.name "
                                     "OR staff.role IS NOT excluded.role "
                                     "OR staff.region_id IS NOT excluded.region_id "
                                     "OR staff.department IS NOT excluded.department");
    if (!s) return -1;
    store_bind_text(s, 1, r->phone);
    store_bind_text(s, 2, r->name);
    store_bind_text(s, 3, r->role);
    sqlite3_bind_int64(s, 4, r->region_id);
    store_bind_text(s, 5, r->department);
    sqlite3_bind_int64(s, 6, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    return outcome(existed, sqlite3_changes(store_db(st)) > 0);
}

int sqlite_store_child_id(struct store *st, const char *code, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id FROM child WHERE code = ?");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* The guardian with that phone, inserted or renamed: 0 with *id and *changed
 * (renamed), -1. */
static int guardian_put(struct store *st, const struct store_guardian_row *r, int64_t now, int64_t *id, int *changed)
{
    int64_t gid = 0;
    *changed = 0;
    sqlite3_stmt *s = store_stmt(st, "SELECT id, name FROM guardian WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, r->phone);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        gid = sqlite3_column_int64(s, 0);
        *changed = strcmp((const char *)sqlite3_column_text(s, 1), r->name) != 0;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    if (!gid) {
        s = store_stmt(st, "INSERT INTO guardian(phone, name, created_at) VALUES (?,?,?)");
        if (!s) return -1;
        store_bind_text(s, 1, r->phone);
        store_bind_text(s, 2, r->name);
        sqlite3_bind_int64(s, 3, now);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
        gid = sqlite3_last_insert_rowid(store_db(st));
    } else if (*changed) {
        s = store_stmt(st, "UPDATE guardian SET name = ? WHERE id = ?");
        if (!s) return -1;
        store_bind_text(s, 1, r->name);
        sqlite3_bind_int64(s, 2, gid);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
    }
    *id = gid;
    return 0;
}

int sqlite_store_guardian_upsert(struct store *st, const struct store_guardian_row *r, int64_t now)
{
    int64_t gid;
    int changed;
    if (guardian_put(st, r, now, &gid, &changed) != 0) return -1;
    sqlite3_stmt *s =
        store_stmt(st, "SELECT relation, away FROM guardian_child WHERE guardian_id = ? AND child_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, gid);
    sqlite3_bind_int64(s, 2, r->child_id);
    int rc = sqlite3_step(s);
    int linked = rc == SQLITE_ROW;
    int link_changed = linked && (strcmp((const char *)sqlite3_column_text(s, 0), r->relation) != 0 ||
                                  sqlite3_column_int(s, 1) != r->away);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    if (!linked || link_changed) {
        s = store_stmt(st, "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (?,?,?,?) "
                           "ON CONFLICT(guardian_id, child_id) DO UPDATE SET relation = excluded.relation, "
                           "away = excluded.away");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, gid);
        sqlite3_bind_int64(s, 2, r->child_id);
        store_bind_text(s, 3, r->relation);
        sqlite3_bind_int(s, 4, r->away);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
    }
    return outcome(linked, changed || link_changed);
}

/* ---- rows behind the exports -------------------------------------------------------- */

static int64_t col_int(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? STORE_NULL : sqlite3_column_int64(s, i);
}

/* Steps s to its end, calling row(s, fn, arg) for each row (fn points to the
 * caller's callback); resets s.
 * Returns 0, the callback's non-zero value, or -1. */
static int each(sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, const void *fn, void *arg), const void *fn, void *arg)
{
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((stop = row(s, fn, arg)) != 0) break;
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

typedef int (*visit_fn)(void *arg, const struct store_visit_rec *r);

static int visit_row(sqlite3_stmt *s, const void *fn, void *arg)
{
    struct store_visit_rec r = {
        .id = sqlite3_column_int64(s, 0),
        .visit_date = store_col(s, 1),
        .child_code = store_col(s, 2),
        .region = store_col(s, 3),
        .result = col_int(s, 4),
        .problems = store_col(s, 5),
        .note = store_col(s, 6),
        .recorded_by = store_col(s, 7),
        .recorded_at = col_int(s, 8),
    };
    return (*(const visit_fn *)fn)(arg, &r);
}

int sqlite_store_export_visits(struct store *st, const char *from_day, const char *to_day,
                               int (*fn)(void *arg, const struct store_visit_rec *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT v.id, v.visit_date, c.code, r.path, v.result, v.problems, v.note, "
                                     "s.phone, v.created_at FROM visit v JOIN child c ON c.id = v.child_id "
                                     "LEFT JOIN region r ON r.id = c.region_id LEFT JOIN staff s ON s.id = v.staff_id "
                                     "WHERE v.visit_date >= ? AND v.visit_date <= ? ORDER BY v.visit_date, v.id");
    if (!s) return -1;
    store_bind_text(s, 1, from_day ? from_day : "0000-01-01");
    store_bind_text(s, 2, to_day ? to_day : "9999-12-31");
    return each(s, visit_row, &fn, arg);
}

typedef int (*checkin_fn)(void *arg, const struct store_checkin_rec *r);

static int checkin_row(sqlite3_stmt *s, const void *fn, void *arg)
{
    struct store_checkin_rec r = {
        .id = sqlite3_column_int64(s, 0),
        .created_at = sqlite3_column_int64(s, 1),
        .child_code = store_col(s, 2),
        .region = store_col(s, 3),
        .status = col_int(s, 4),
        .return_date = store_col(s, 5),
        .note = store_col(s, 6),
        .guardian = store_col(s, 7),
        .relation = store_col(s, 8),
    };
    return (*(const checkin_fn *)fn)(arg, &r);
}

int sqlite_store_export_checkins(struct store *st, int64_t from, int64_t until,
                                 int (*fn)(void *arg, const struct store_checkin_rec *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT k.id, k.created_at, c.code, r.path, k.status, k.return_date, k.note, "
                                     "g.phone, gc.relation FROM checkin k JOIN child c ON c.id = k.child_id "
                                     "LEFT JOIN region r ON r.id = c.region_id "
                                     "LEFT JOIN guardian g ON g.id = k.guardian_id "
                                     "LEFT JOIN guardian_child gc ON gc.guardian_id = k.guardian_id "
                                     "AND gc.child_id = k.child_id "
                                     "WHERE k.created_at >= ? AND k.created_at < ? ORDER BY k.created_at, k.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    return each(s, checkin_row, &fn, arg);
}

typedef int (*case_fn)(void *arg, const struct store_case_rec *r);

static int case_row(sqlite3_stmt *s, const void *fn, void *arg)
{
    struct store_case_rec r = {
        .number = store_col(s, 0),
        .opened_at = col_int(s, 1),
        .category = col_int(s, 2),
        .classified = col_int(s, 3),
        .priority = sqlite3_column_int(s, 4),
        .status = store_col(s, 5),
        .departments = store_col(s, 6),
        .child_code = store_col(s, 7),
        .region = store_col(s, 8),
        .county = store_col(s, 9),
        .acked_at = col_int(s, 10),
        .closed_at = col_int(s, 11),
        .outcome = col_int(s, 12),
    };
    return (*(const case_fn *)fn)(arg, &r);
}

int sqlite_store_export_cases(struct store *st, int64_t from, int64_t until,
                              int (*fn)(void *arg, const struct store_case_rec *r), void *arg)
{
    /* Nothing about the reporter, the report's text or the outcome note. */
    sqlite3_stmt *s =
        store_stmt(st, "SELECT x.number, x.opened_at, x.category, x.classified, x.priority, x.status, "
                       "(SELECT group_concat(department, '|') FROM (SELECT d.department FROM case_dept d "
                       "WHERE d.case_id = x.id ORDER BY d.rowid)), "
                       "c.code, r.path, k.path, x.acked_at, x.closed_at, x.outcome "
                       "FROM cases x LEFT JOIN child c ON c.id = x.child_id "
                       "LEFT JOIN region r ON r.id = x.region_id LEFT JOIN region k ON k.id = x.county_id "
                       "WHERE x.opened_at >= ? AND x.opened_at < ? ORDER BY x.opened_at, x.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    return each(s, case_row, &fn, arg);
}

typedef int (*outbox_fn)(void *arg, const struct store_outbox_rec *r);

static int outbox_row(sqlite3_stmt *s, const void *fn, void *arg)
{
    struct store_outbox_rec r = {
        .id = sqlite3_column_int64(s, 0),
        .created_at = col_int(s, 1),
        .kind = store_col(s, 2),
        .priority = col_int(s, 3),
        .channel = store_col(s, 4),
        .recipient = store_col(s, 5),
        .tmpl = store_col(s, 6),
        .provider_msg_id = store_col(s, 7),
        .status = store_col(s, 8),
        .attempts = col_int(s, 9),
        .last_error = store_col(s, 10),
        .sent_at = col_int(s, 11),
        .done_at = col_int(s, 12),
    };
    return (*(const outbox_fn *)fn)(arg, &r);
}

int sqlite_store_export_outbox(struct store *st, int64_t from, int64_t until,
                               int (*fn)(void *arg, const struct store_outbox_rec *r), void *arg)
{
    /* The text itself stays in the database. */
    sqlite3_stmt *s = store_stmt(st, "SELECT id, created_at, kind, priority, channel, recipient, template, "
                                     "provider_msg_id, status, attempts, last_error, sent_at, done_at FROM outbox "
                                     "WHERE created_at >= ? AND created_at < ? ORDER BY id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    return each(s, outbox_row, &fn, arg);
}

/* ---- children by name -------------------------------------------------------------- */

/* Columns of a child look-up, in the order read_named reads them; R is the
 * child's village, C its county. */
#define NAMED_COLS "CH.id, CH.code, CH.flags, CH.high_cadence, R.id, R.level, R.path, C.id"
#define NAMED_FROM                                                                                                     \
    " FROM child CH JOIN region R ON R.id = CH.region_id"                                                              \
    " LEFT JOIN region C ON C.level = 1 AND C.path = substr(R.path, 1, instr(R.path || '/', '/') - 1)"
/* R lies at or under the region whose path is bound as ?2. */
#define UNDER_PATH " (R.path = ?2 OR substr(R.path, 1, length(?2) + 1) = ?2 || '/')"

static void read_named(sqlite3_stmt *s, struct db_child *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->code, sizeof out->code);
    store_col_text(s, 2, out->flags, sizeof out->flags);
    out->high_cadence = sqlite3_column_int(s, 3);
    out->region.id = sqlite3_column_int64(s, 4);
    out->region.level = sqlite3_column_int(s, 5);
    store_col_text(s, 6, out->region.path, sizeof out->region.path);
    out->region.county_id = sqlite3_column_int64(s, 7);
}

int sqlite_db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out)
{
    if (!name || !*name || !under || !*under) return 1;
    sqlite3_stmt *s =
        store_stmt(st, "SELECT " NAMED_COLS NAMED_FROM " WHERE CH.name = ?1 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2");
    if (!s) return -1;
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, under);
    int n = 0, rc;
    struct db_child first;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) read_named(s, &first);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    if (n == 1) *out = first;
    return n == 0 ? 1 : n == 1 ? 0 : 2;
}

int sqlite_db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out)
{
    if (!text || !*text || !under || !*under) return 1;
    /* length() counts characters: a one-character "name" would match too much. */
    sqlite3_stmt *s = store_stmt(st, "SELECT " NAMED_COLS NAMED_FROM " WHERE length(CH.name) >= 2 AND"
                                     " instr(?1, CH.name) > 0 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2");
    if (!s) return -1;
    store_bind_text(s, 1, text);
    store_bind_text(s, 2, under);
    int n = 0, rc;
    struct db_child first;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) read_named(s, &first);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    if (n == 1) *out = first;
    return n == 0 ? 1 : n == 1 ? 0 : 2;
}
