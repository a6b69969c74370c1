/* db/pg_roster.c - PostgreSQL implementation of the roster rows, the rows
 * behind the CSV exports and children by name (store_roster.h).
 *
 * Row level only: the roster file's reading and checks are the domain's,
 * the CSV the process's. Runs on the thread that owns the store; the
 * roster writes inside the caller's transaction. Writes that another
 * gateway could make at the same moment (a guardian's row) use ON CONFLICT
 * rather than a failing insert, which would abort the caller's transaction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

/* ---- roster rows ------------------------------------------------------------------ */

int pg_store_region_find(struct store *st, const char *path, int64_t *id, int *level)
{
    struct pg_args a = {0};
    pg_arg_text(&a, path);
    PGresult *r = pg_run(st, "SELECT id, level FROM region WHERE path = $1", &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        *id = pg_int(r, 0, 0);
        if (level) *level = (int)pg_int(r, 0, 1);
    }
    PQclear(r);
    return found ? 0 : 1;
}

int pg_store_region_insert(struct store *st, int64_t parent_id, const char *name, const char *path, int level,
                           int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_int_or_null(&a, parent_id);
    pg_arg_text(&a, name);
    pg_arg_text(&a, path);
    pg_arg_int(&a, level);
    PGresult *r =
        pg_run(st, "INSERT INTO region(parent_id, name, path, level) VALUES ($1, $2, $3, $4) RETURNING id", &a);
    if (!r) return -1;
    int ok = PQntuples(r) == 1;
    if (ok) *id = pg_int(r, 0, 0);
    PQclear(r);
    return ok ? 0 : -1;
}

/* 1 when the statement finds a row for v, 0 when not, -1. */
static int exists_by_text(struct store *st, const char *sql, const char *v)
{
    struct pg_args a = {0};
    pg_arg_text(&a, v);
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

static int outcome(int existed, int changed)
{
    return !existed ? STORE_INSERTED : changed ? STORE_UPDATED : STORE_UNCHANGED;
}

int pg_store_staff_upsert(struct store *st, const struct store_staff_row *r, int64_t now)
{
    int existed = exists_by_text(st, "SELECT 1 FROM staff WHERE phone = $1", r->phone);
    if (existed < 0) return -1;
    struct pg_args a = {0};
    pg_arg_text(&a, r->phone);
    pg_arg_text(&a, r->name);
    pg_arg_text(&a, r->role);
    pg_arg_int(&a, r->region_id);
    pg_arg_text(&a, r->department);
    pg_arg_int(&a, now);
    PGresult *res = pg_run(st,
                           "INSERT INTO staff(phone, name, role, region_id, department, created_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6) "
                           "ON CONFLICT (phone) DO UPDATE SET name = excluded.name, "
                           "role = excluded.role, region_id = excluded.region_id, "
                           "department = excluded.department "
                           "WHERE staff.name IS DISTINCT FROM excluded.name "
                           "OR staff.role IS DISTINCT FROM excluded.role "
                           "OR staff.region_id IS DISTINCT FROM excluded.region_id "
                           "OR staff.department IS DISTINCT FROM excluded.department",
                           &a);
    if (!res) return -1;
    int changed = atoi(PQcmdTuples(res)) > 0;
    PQclear(res);
    return outcome(existed, changed);
}

int pg_store_child_id(struct store *st, const char *code, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = pg_run(st, "SELECT id FROM child WHERE code = $1", &a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) *id = pg_int(r, 0, 0);
    PQclear(r);
    return found ? 0 : 1;
}

/* The guardian with that phone: 1 with *id and *changed (its name differs
 * from r's), 0 when there is none, -1. */
static int guardian_get(struct store *st, const struct store_guardian_row *r, int64_t *id, int *changed)
{
    struct pg_args a = {0};
    pg_arg_text(&a, r->phone);
    PGresult *res = pg_run(st, "SELECT id, name FROM guardian WHERE phone = $1", &a);
    if (!res) return -1;
    int found = PQntuples(res) > 0;
    if (found) {
        *id = pg_int(res, 0, 0);
        *changed = strcmp(PQgetvalue(res, 0, 1), r->name) != 0;
    }
    PQclear(res);
    return found;
}

/* The guardian with that phone, inserted or renamed: 0 with *id and *changed
 * (renamed), -1. A guardian another process inserts between the look-up and
 * the insert is found again rather than failing the transaction. */
static int guardian_put(struct store *st, const struct store_guardian_row *r, int64_t now, int64_t *id, int *changed)
{
    int64_t gid = 0;
    *changed = 0;
    int found = guardian_get(st, r, &gid, changed);
    if (found < 0) return -1;
    if (!found) {
        struct pg_args a = {0};
        pg_arg_text(&a, r->phone);
        pg_arg_text(&a, r->name);
        pg_arg_int(&a, now);
        PGresult *res = pg_run(st,
                               "INSERT INTO guardian(phone, name, created_at) VALUES ($1, $2, $3) "
                               "ON CONFLICT (phone) DO NOTHING RETURNING id",
                               &a);
        if (!res) return -1;
        int inserted = PQntuples(res) == 1;
        if (inserted) gid = pg_int(res, 0, 0);
        PQclear(res);
        if (!inserted && guardian_get(st, r, &gid, changed) != 1) return -1;
    }
    if (*changed) {
        struct pg_args a = {0};
        pg_arg_text(&a, r->name);
        pg_arg_int(&a, gid);
        if (pg_run_done(st, "UPDATE guardian SET name = $1 WHERE id = $2", &a) != 0) return -1;
    }
    *id = gid;
    return 0;
}

int pg_store_guardian_upsert(struct store *st, const struct store_guardian_row *r, int64_t now)
{
    int64_t gid;
    int changed;
    if (guardian_put(st, r, now, &gid, &changed) != 0) return -1;
    struct pg_args a = {0};
    pg_arg_int(&a, gid);
    pg_arg_int(&a, r->child_id);
    PGresult *res =
        pg_run(st, "SELECT relation, away FROM guardian_child WHERE guardian_id = $1 AND child_id = $2", &a);
    if (!res) return -1;
    int linked = PQntuples(res) > 0;
    int link_changed =
        linked && (strcmp(PQgetvalue(res, 0, 0), r->relation) != 0 || pg_int(res, 0, 1) != (int64_t)r->away);
    PQclear(res);
    if (!linked || link_changed) {
        struct pg_args b = {0};
        pg_arg_int(&b, gid);
        pg_arg_int(&b, r->child_id);
        pg_arg_text(&b, r->relation);
        pg_arg_int(&b, r->away);
        if (pg_run_done(st,
                        "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (guardian_id, child_id) DO UPDATE SET relation = excluded.relation, "
                        "away = excluded.away",
                        &b) != 0)
            return -1;
    }
    return outcome(linked, changed || link_changed);
}

/* ---- rows behind the exports -------------------------------------------------------- */

/* The text at (row, col), NULL for SQL NULL; valid until the result is cleared. */
static const char *col(const PGresult *r, int row, int i)
{
    return PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
}

static int64_t col_int(const PGresult *r, int row, int i)
{
    return pg_null(r, row, i) ? STORE_NULL : pg_int(r, row, i);
}

/* Runs sql with a's parameters, calling row(r, i, fn, arg) for each row (fn
 * points to the caller's callback); clears the result.
 * Returns 0, the callback's non-zero value, or -1. */
static int each(struct store *st, const char *sql, const struct pg_args *a,
                int (*row)(const PGresult *r, int i, const void *fn, void *arg), const void *fn, void *arg)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int stop = 0, n = PQntuples(r);
    for (int i = 0; i < n && !stop; i++) stop = row(r, i, fn, arg);
    PQclear(r);
    return stop;
}

/* Sets *a to the parameters [from, until) of an export by time (a's
 * values point into a itself, so it is filled in place). */
static void span(struct pg_args *a, int64_t from, int64_t until)
{
    memset(a, 0, sizeof *a);
    pg_arg_int(a, from);
    pg_arg_int(a, until);
}

typedef int (*visit_fn)(void *arg, const struct store_visit_rec *r);

static int visit_row(const PGresult *s, int i, const void *fn, void *arg)
{
    struct store_visit_rec r = {
        .id = pg_int(s, i, 0),
        .visit_date = col(s, i, 1),
        .child_code = col(s, i, 2),
        .region = col(s, i, 3),
        .result = col_int(s, i, 4),
        .problems = col(s, i, 5),
        .note = col(s, i, 6),
        .recorded_by = col(s, i, 7),
        .recorded_at = col_int(s, i, 8),
    };
    return (*(const visit_fn *)fn)(arg, &r);
}

int pg_store_export_visits(struct store *st, const char *from_day, const char *to_day,
                           int (*fn)(void *arg, const struct store_visit_rec *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, from_day ? from_day : "0000-01-01");
    pg_arg_text(&a, to_day ? to_day : "9999-12-31");
    return each(st,
                "SELECT v.id, v.visit_date, c.code, r.path, v.result, v.problems, v.note, "
                "s.phone, v.created_at FROM visit v JOIN child c ON c.id = v.child_id "
                "LEFT JOIN region r ON r.id = c.region_id LEFT JOIN staff s ON s.id = v.staff_id "
                "WHERE v.visit_date >= $1 AND v.visit_date <= $2 ORDER BY v.visit_date, v.id",
                &a, visit_row, &fn, arg);
}

typedef int (*checkin_fn)(void *arg, const struct store_checkin_rec *r);

static int checkin_row(const PGresult *s, int i, const void *fn, void *arg)
{
    struct store_checkin_rec r = {
        .id = pg_int(s, i, 0),
        .created_at = pg_int(s, i, 1),
        .child_code = col(s, i, 2),
        .region = col(s, i, 3),
        .status = col_int(s, i, 4),
        .return_date = col(s, i, 5),
        .note = col(s, i, 6),
        .guardian = col(s, i, 7),
        .relation = col(s, i, 8),
    };
    return (*(const checkin_fn *)fn)(arg, &r);
}

int pg_store_export_checkins(struct store *st, int64_t from, int64_t until,
                             int (*fn)(void *arg, const struct store_checkin_rec *r), void *arg)
{
    struct pg_args a;
    span(&a, from, until);
    return each(st,
                "SELECT k.id, k.created_at, c.code, r.path, k.status, k.return_date, k.note, "
                "g.phone, gc.relation FROM checkin k JOIN child c ON c.id = k.child_id "
                "LEFT JOIN region r ON r.id = c.region_id "
                "LEFT JOIN guardian g ON g.id = k.guardian_id "
                "LEFT JOIN guardian_child gc ON gc.guardian_id = k.guardian_id "
                "AND gc.child_id = k.child_id "
                "WHERE k.created_at >= $1 AND k.created_at < $2 ORDER BY k.created_at, k.id",
                &a, checkin_row, &fn, arg);
}

typedef int (*case_fn)(void *arg, const struct store_case_rec *r);

static int case_row(const PGresult *s, int i, const void *fn, void *arg)
{
    struct store_case_rec r = {
        .number = col(s, i, 0),
        .opened_at = col_int(s, i, 1),
        .category = col_int(s, i, 2),
        .classified = col_int(s, i, 3),
        .priority = (int)pg_int(s, i, 4),
        .status = col(s, i, 5),
        .departments = col(s, i, 6),
        .child_code = col(s, i, 7),
        .region = col(s, i, 8),
        .county = col(s, i, 9),
        .acked_at = col_int(s, i, 10),
        .closed_at = col_int(s, i, 11),
        .outcome = col_int(s, i, 12),
    };
    return (*(const case_fn *)fn)(arg, &r);
}

int pg_store_export_cases(struct store *st, int64_t from, int64_t until,
                          int (*fn)(void *arg, const struct store_case_rec *r), void *arg)
{
    /* Nothing about the reporter, the report's text or the outcome note.
     * The departments in routing order: the order their rows were written
     * in (case_dept.seq, SQLite's rowid). */
    struct pg_args a;
    span(&a, from, until);
    return each(st,
                "SELECT x.number, x.opened_at, x.category, x.classified, x.priority, x.status, "
                "(SELECT string_agg(d.department, '|' ORDER BY d.seq) FROM case_dept d WHERE d.case_id = x.id), "
                "c.code, r.path, k.path, x.acked_at, x.closed_at, x.outcome "
                "FROM cases x LEFT JOIN child c ON c.id = x.child_id "
                "LEFT JOIN region r ON r.id = x.region_id LEFT JOIN region k ON k.id = x.county_id "
                "WHERE x.opened_at >= $1 AND x.opened_at < $2 ORDER BY x.opened_at, x.id",
                &a, case_row, &fn, arg);
}

typedef int (*outbox_fn)(void *arg, const struct store_outbox_rec *r);

static int outbox_row(const PGresult *s, int i, const void *fn, void *arg)
{
    struct store_outbox_rec r = {
        .id = pg_int(s, i, 0),
        .created_at = col_int(s, i, 1),
        .kind = col(s, i, 2),
        .priority = col_int(s, i, 3),
        .channel = col(s, i, 4),
        .recipient = col(s, i, 5),
        .tmpl = col(s, i, 6),
        .provider_msg_id = col(s, i, 7),
        .status = col(s, i, 8),
        .attempts = col_int(s, i, 9),
        .last_error = col(s, i, 10),
        .sent_at = col_int(s, i, 11),
        .done_at = col_int(s, i, 12),
    };
    return (*(const outbox_fn *)fn)(arg, &r);
}

int pg_store_export_outbox(struct store *st, int64_t from, int64_t until,
                           int (*fn)(void *arg, const struct store_outbox_rec *r), void *arg)
{
    /* The text itself stays in the database. */
    struct pg_args a;
    span(&a, from, until);
    return each(st,
                "SELECT id, created_at, kind, priority, channel, recipient, template, "
                "provider_msg_id, status, attempts, last_error, sent_at, done_at FROM outbox "
                "WHERE created_at >= $1 AND created_at < $2 ORDER BY id",
                &a, outbox_row, &fn, arg);
}

/* ---- children by name -------------------------------------------------------------- */

/* Columns of a child look-up, in the order read_named reads them; R is the
 * child's village, C its county (the first part of the village's path). */
#define NAMED_COLS "CH.id, CH.code, CH.flags, CH.high_cadence, R.id, R.level, R.path, C.id"
#define NAMED_FROM                                                                                                     \
    " FROM child CH JOIN region R ON R.id = CH.region_id"                                                              \
    " LEFT JOIN region C ON C.level = 1 AND C.path = split_part(R.path, '/', 1)"
/* R lies at or under the region whose path is the parameter $2. */
#define UNDER_PATH " (R.path = $2::text OR substr(R.path, 1, length($2::text) + 1) = $2::text || '/')"

static void read_named(const PGresult *r, int i, struct db_child *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_int(r, i, 0);
    pg_text(r, i, 1, out->code, sizeof out->code);
    pg_text(r, i, 2, out->flags, sizeof out->flags);
    out->high_cadence = (int)pg_int(r, i, 3);
    out->region.id = pg_int(r, i, 4);
    out->region.level = (int)pg_int(r, i, 5);
    pg_text(r, i, 6, out->region.path, sizeof out->region.path);
    out->region.county_id = pg_int(r, i, 7);
}

/* Runs a look-up of at most two children with parameters v and under:
 * 0 with *out when it found one, 1 none, 2 several, -1. */
static int named_one(struct store *st, const char *sql, const char *v, const char *under, struct db_child *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, v);
    pg_arg_text(&a, under);
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int n = PQntuples(r);
    if (n == 1) read_named(r, 0, out);
    PQclear(r);
    return n == 0 ? 1 : n == 1 ? 0 : 2;
}

int pg_db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out)
{
    if (!name || !*name || !under || !*under) return 1;
    return named_one(st, "SELECT " NAMED_COLS NAMED_FROM " WHERE CH.name = $1 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2",
                     name, under, out);
}

int pg_db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out)
{
    if (!text || !*text || !under || !*under) return 1;
    /* length() counts characters: a one-character "name" would match too much. */
    return named_one(st,
                     "SELECT " NAMED_COLS NAMED_FROM " WHERE length(CH.name) >= 2 AND"
                     " strpos($1::text, CH.name) > 0 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2",
                     text, under, out);
}
