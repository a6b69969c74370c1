/* db/pg_domain.c - PostgreSQL implementation of the domain store functions
 * (store_domain.h): who a phone belongs to, children and their regions,
 * visits, check-ins, reporters, cases (and a reporter's recent ones, for
 * the flood rule), opt-outs, and whether a message was queued already;
 * and what free text needs (freetext.c): a reporter's open case, who a
 * case's alerts went to, a guardian's recent reminder, the supervisors
 * above a village, and children's names to take out of forwarded words.
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once per connection through
 * pg_run; values travel only as parameters. A region's county is found by
 * path (the first component of "县/镇/村"), not by walking parent_id, so
 * the answer depends only on the path column the roster guarantees.
 *
 * Several gateway processes may share the database: case numbers come from
 * an atomic counter row (case_seq, INSERT ... ON CONFLICT DO UPDATE ...
 * RETURNING), and a reporter created by two processes at once ends as one
 * row (ON CONFLICT DO NOTHING, then read back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "pg_int.h"

/* The columns every region look-up returns, in this order: id, level,
 * path, county id. `R` is the region alias; the county is joined as C. */
#define REGION_COLS "R.id, R.level, R.path, C.id"
#define COUNTY_JOIN " LEFT JOIN region C ON C.level = 1 AND C.path = substr(R.path, 1, strpos(R.path || '/', '/') - 1)"

/* Reads the REGION_COLS starting at column col of row `row` into out. */
static void read_region(const PGresult *r, int row, int col, struct db_region *out)
{
    out->id = pg_int(r, row, col);
    out->level = (int)pg_int(r, row, col + 1);
    pg_text(r, row, col + 2, out->path, sizeof out->path);
    out->county_id = pg_int(r, row, col + 3); /* 0 for NULL */
}

/* Runs a statement expected to yield at most one row: 0 with the result in
 * *res (PQclear it), 1 no row (nothing to clear), -1 error. */
static int run_one(struct store *st, const char *sql, const struct pg_args *a, PGresult **res)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    *res = r;
    return 0;
}

/* Runs a statement and answers 1 when it yields a row, 0 when not, -1 on error. */
static int run_exists(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

/* Runs a statement that changes rows: how many it changed, or -1. */
static int run_changes(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n;
}

/* Runs an INSERT ... RETURNING id and stores the id in *id (may be NULL). 0 or -1. */
static int run_insert_id(struct store *st, const char *sql, const struct pg_args *a, int64_t *id)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int ok = PQntuples(r) == 1;
    if (ok && id) *id = pg_int(r, 0, 0);
    PQclear(r);
    return ok ? 0 : -1;
}

/* ---- regions ------------------------------------------------------------- */

/* Region by id. 0, 1 not found, -1. */
int pg_db_region_by_id(struct store *st, int64_t id, struct db_region *out)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT " REGION_COLS " FROM region R" COUNTY_JOIN " WHERE R.id = $1", &a, &r);
    if (rc == 0) read_region(r, 0, 0, out);
    PQclear(r);
    return rc;
}

/* Region by exact path ("" or NULL: not found). 0, 1 not found, -1. */
int pg_db_region_by_path(struct store *st, const char *path, struct db_region *out)
{
    if (!path || !*path) return 1;
    struct pg_args a = {0};
    pg_arg_text(&a, path);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT " REGION_COLS " FROM region R" COUNTY_JOIN " WHERE R.path = $1", &a, &r);
    if (rc == 0) read_region(r, 0, 0, out);
    PQclear(r);
    return rc;
}

/* The id of the only county. 0, 1 when there is none or more than one, -1. */
int pg_db_region_only_county(struct store *st, int64_t *county_id)
{
    PGresult *r = pg_run(st, "SELECT id FROM region WHERE level = 1 ORDER BY id LIMIT 2", NULL);
    if (!r) return -1;
    int n = PQntuples(r);
    if (n == 1) *county_id = pg_int(r, 0, 0);
    PQclear(r);
    return n == 1 ? 0 : 1;
}

/* 1 when region a lies under region b (or is b), 0 when not or either is
 * unknown, -1 on error. */
int pg_db_region_under(struct store *st, int64_t a, int64_t b)
{
    struct db_region ra, rb;
    int rc = pg_db_region_by_id(st, a, &ra);
    if (rc != 0) return rc < 0 ? -1 : 0;
    rc = pg_db_region_by_id(st, b, &rb);
    if (rc != 0) return rc < 0 ? -1 : 0;
    return db_path_under(ra.path, rb.path);
}

/* ---- people ---------------------------------------------------------------- */

/* Staff by E.164 phone. 0, 1 not registered, -1. */
int pg_db_staff_by_phone(struct store *st, const char *phone, struct db_staff *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    PGresult *r = NULL;
    int rc = run_one(st,
                     "SELECT S.id, S.role, coalesce(S.department, ''), " REGION_COLS
                     " FROM staff S JOIN region R ON R.id = S.region_id" COUNTY_JOIN " WHERE S.phone = $1",
                     &a, &r);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->role, sizeof out->role);
        pg_text(r, 0, 2, out->department, sizeof out->department);
        read_region(r, 0, 3, &out->region);
    }
    PQclear(r);
    return rc;
}

/* Collects column 0 of every row of r as a phone and clears r: copies at
 * most max, returns the count (which may exceed max), or -1 when r is NULL. */
static int phones(PGresult *r, char (*out)[DB_PHONE_LEN], int max)
{
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) pg_text(r, i, 0, out[i], sizeof out[i]);
    PQclear(r);
    return n;
}

/* The phones of the responders of dept whose region contains county
 * county_id, in staff id order; copies at most max, returns the count, -1. */
int pg_db_county_responders(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN], int max)
{
    /* "Contains": the county's path is the staff region's path or lies
     * under it ('/' after it), as db_path_under decides. */
    struct pg_args a = {0};
    pg_arg_int(&a, county_id);
    pg_arg_text(&a, dept);
    return phones(pg_run(st,
                         "SELECT S.phone FROM region C JOIN staff S ON S.role = 'responder'"
                         " AND S.department = $2 JOIN region R ON R.id = S.region_id"
                         " WHERE C.id = $1 AND (C.path = R.path"
                         " OR substr(C.path, 1, length(R.path) + 1) = R.path || '/')"
                         " ORDER BY S.id",
                         &a),
                  out, max);
}

/* The phones of the directors of village region_id, in staff id order;
 * same return as pg_db_county_responders. */
int pg_db_village_directors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, region_id);
    return phones(pg_run(st, "SELECT phone FROM staff WHERE role = 'director' AND region_id = $1 ORDER BY id", &a), out,
                  max);
}

/* Guardian id by E.164 phone. 0, 1 not registered, -1. */
int pg_db_guardian_by_phone(struct store *st, const char *phone, int64_t *guardian_id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT id FROM guardian WHERE phone = $1", &a, &r);
    if (rc == 0) *guardian_id = pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

#define CHILD_COLS "CH.id, CH.code, CH.flags, CH.high_cadence, " REGION_COLS

/* Reads the CHILD_COLS of row `row` into out. */
static void read_child(const PGresult *r, int row, struct db_child *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_int(r, row, 0);
    pg_text(r, row, 1, out->code, sizeof out->code);
    pg_text(r, row, 2, out->flags, sizeof out->flags);
    out->high_cadence = (int)pg_int(r, row, 3);
    read_region(r, row, 4, &out->region);
}

/* Child by its 7-digit code. 0, 1 not found, -1. */
int pg_db_child_by_code(struct store *st, const char *code, struct db_child *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, code);
    PGresult *r = NULL;
    int rc = run_one(st,
                     "SELECT " CHILD_COLS " FROM child CH JOIN region R ON R.id = CH.region_id" COUNTY_JOIN
                     " WHERE CH.code = $1",
                     &a, &r);
    if (rc == 0) read_child(r, 0, out);
    PQclear(r);
    return rc;
}

/* The children linked to guardian_id, by code; copies at most max, returns
 * the count, or -1. */
int pg_db_guardian_children(struct store *st, int64_t guardian_id, struct db_child *out, int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, guardian_id);
    PGresult *r = pg_run(st,
                         "SELECT " CHILD_COLS " FROM guardian_child GC"
                         " JOIN child CH ON CH.id = GC.child_id"
                         " JOIN region R ON R.id = CH.region_id" COUNTY_JOIN
                         " WHERE GC.guardian_id = $1 ORDER BY CH.code COLLATE \"C\"",
                         &a);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) read_child(r, i, &out[i]);
    PQclear(r);
    return n;
}

/* 1 when guardian_id is linked to child_id, 0 when not, -1. */
int pg_db_guardian_linked(struct store *st, int64_t guardian_id, int64_t child_id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, guardian_id);
    pg_arg_int(&a, child_id);
    return run_exists(st, "SELECT 1 FROM guardian_child WHERE guardian_id = $1 AND child_id = $2", &a);
}

/* ---- visits and check-ins ------------------------------------------------- */

/* Records visit v at now; *id (may be NULL) gets its id. 0 or -1. */
int pg_db_visit_insert(struct store *st, const struct db_visit *v, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, v->child_id);
    pg_arg_int(&a, v->staff_id);
    pg_arg_text(&a, v->visit_date);
    pg_arg_int(&a, v->result);
    pg_arg_text(&a, v->problems ? v->problems : "");
    pg_arg_text(&a, v->note);
    pg_arg_int_or_null(&a, v->inbox_id);
    pg_arg_int(&a, now);
    return run_insert_id(st,
                         "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, note, inbox_id, "
                         "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                         &a, id);
}

/* Marks child_id for visits at the high cadence. 0, 1 no such child, -1. */
int pg_db_child_set_high_cadence(struct store *st, int64_t child_id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, child_id);
    int n = run_changes(st, "UPDATE child SET high_cadence = 1 WHERE id = $1", &a);
    if (n < 0) return -1;
    return n == 1 ? 0 : 1;
}

/* Records check-in c at now; *id (may be NULL) gets its id. 0 or -1. */
int pg_db_checkin_insert(struct store *st, const struct db_checkin *c, int64_t now, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, c->guardian_id);
    pg_arg_int(&a, c->child_id);
    pg_arg_int(&a, c->status);
    pg_arg_text(&a, c->return_date);
    pg_arg_text(&a, c->note);
    pg_arg_int_or_null(&a, c->inbox_id);
    pg_arg_int(&a, now);
    return run_insert_id(st,
                         "INSERT INTO checkin(guardian_id, child_id, status, return_date, note, inbox_id, created_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                         &a, id);
}

/* ---- reporters ---------------------------------------------------------------- */

/* Reporter id by E.164 phone. 0, 1 none, -1. */
int pg_db_reporter_by_phone(struct store *st, const char *phone, int64_t *id)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT id FROM reporter WHERE phone = $1", &a, &r);
    if (rc == 0) *id = pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

/* The phone of reporter_id into out (outlen bytes). 0, 1 none, -1. */
int pg_db_reporter_phone(struct store *st, int64_t reporter_id, char *out, size_t outlen)
{
    struct pg_args a = {0};
    pg_arg_int(&a, reporter_id);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT phone FROM reporter WHERE id = $1", &a, &r);
    if (rc == 0) pg_text(r, 0, 0, out, outlen);
    PQclear(r);
    return rc;
}

/* The reporter row of phone, created at now when there is none; *id gets
 * its id. 0 or -1. Another process creating the same reporter at the same
 * moment is not an error: its row is the one (read back after the
 * conflict, which a new statement sees once that process committed). */
int pg_db_reporter_upsert(struct store *st, const char *phone, int64_t now, int64_t *id)
{
    int rc = pg_db_reporter_by_phone(st, phone, id);
    if (rc <= 0) return rc;
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    pg_arg_int(&a, now);
    PGresult *r = pg_run(st,
                         "INSERT INTO reporter(phone, created_at) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING "
                         "RETURNING id",
                         &a);
    if (!r) return -1;
    int inserted = PQntuples(r) == 1;
    if (inserted) *id = pg_int(r, 0, 0);
    PQclear(r);
    if (inserted) return 0;
    return pg_db_reporter_by_phone(st, phone, id) == 0 ? 0 : -1;
}

/* ---- cases ------------------------------------------------------------------ */

/* Takes the next number of the local day of `now`: "YYMMDD" and the day's
 * sequence, zero-padded to 4 digits and longer past 9,999. The counter row
 * is incremented atomically (the statement waits for another process's
 * uncommitted increment of the same day), so no two processes, and no two
 * transactions, ever take the same number. */
static int next_case_number(struct store *st, int64_t now, char *number)
{
    time_t t = (time_t)now;
    struct tm tm;
    char day[16];
    if (!localtime_r(&t, &tm)) return -1;
    snprintf(day, sizeof day, "%02d%02d%02d", (tm.tm_year + 1900) % 100, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    struct pg_args a = {0};
    pg_arg_text(&a, day);
    PGresult *r = pg_run(st,
                         "INSERT INTO case_seq(day, seq) VALUES ($1, 1) "
                         "ON CONFLICT (day) DO UPDATE SET seq = case_seq.seq + 1 RETURNING seq",
                         &a);
    if (!r) return -1;
    int64_t seq = PQntuples(r) == 1 ? pg_int(r, 0, 0) : 0;
    PQclear(r);
    if (seq < 1 || seq > 999999) return -1;
    snprintf(number, DB_CASE_NO_MAX + 1, "%.6s%04d", day, (int)seq);
    return 0;
}

/* Adds the departments of a case (a department named twice counts once). 0 or -1. */
static int add_depts(struct store *st, int64_t case_id, const char *const *depts, int ndepts)
{
    for (int i = 0; i < ndepts; i++) {
        struct pg_args a = {0};
        pg_arg_int(&a, case_id);
        pg_arg_text(&a, depts[i]);
        if (pg_run_done(st, "INSERT INTO case_dept(case_id, department) VALUES ($1, $2) ON CONFLICT DO NOTHING", &a) !=
            0)
            return -1;
    }
    return 0;
}

/* Opens case c at now with the next number of the day: *id and number
 * (DB_CASE_NO_MAX + 1 bytes) get its id and number; its departments and
 * an "opened" event are recorded. 0 or -1. */
int pg_db_case_open(struct store *st, const struct db_case_new *c, int64_t now, int64_t *id, char *number)
{
    char no[DB_CASE_NO_MAX + 1];
    if (c->ndepts < 1 || c->ndepts > DB_CASE_MAX_DEPTS) return -1;
    if (next_case_number(st, now, no) != 0) return -1;
    struct pg_args a = {0};
    pg_arg_text(&a, no);
    pg_arg_int(&a, c->category);
    pg_arg_int(&a, c->classified ? 1 : 0);
    pg_arg_int(&a, c->priority);
    pg_arg_int_or_null(&a, c->child_id);
    pg_arg_int_or_null(&a, c->county_id);
    pg_arg_int_or_null(&a, c->region_id);
    pg_arg_text(&a, c->description);
    pg_arg_int_or_null(&a, c->reporter_id);
    pg_arg_int_or_null(&a, c->inbox_id);
    pg_arg_int(&a, now);
    pg_arg_int(&a, c->inferred ? 1 : 0);
    int64_t case_id = 0;
    if (run_insert_id(st,
                      "INSERT INTO cases(number, category, classified, priority, child_id, county_id, region_id, "
                      "description, reporter_id, inbox_id, opened_at, inferred) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                      &a, &case_id) != 0)
        return -1;
    if (add_depts(st, case_id, c->depts, c->ndepts) != 0) return -1;
    if (pg_db_case_event(st, case_id, "opened", 0, c->event_detail, now) != 0) return -1;
    *id = case_id;
    memcpy(number, no, sizeof no);
    return 0;
}

/* Case by number. 0, 1 not found, -1. */
int pg_db_case_by_number(struct store *st, const char *number, struct db_case *out)
{
    struct pg_args a = {0};
    pg_arg_text(&a, number);
    PGresult *r = NULL;
    int rc = run_one(st,
                     "SELECT id, number, category, classified, priority, status, child_id, county_id, region_id, "
                     "reporter_id, opened_at, acked_at, closed_at, outcome, flood_of, inferred "
                     "FROM cases WHERE number = $1",
                     &a, &r);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->number, sizeof out->number);
        out->category = (int)pg_int(r, 0, 2);
        out->classified = (int)pg_int(r, 0, 3);
        out->priority = (int)pg_int(r, 0, 4);
        pg_text(r, 0, 5, out->status, sizeof out->status);
        out->child_id = pg_int(r, 0, 6);
        out->county_id = pg_int(r, 0, 7);
        out->region_id = pg_int(r, 0, 8);
        out->reporter_id = pg_int(r, 0, 9);
        out->opened_at = pg_int(r, 0, 10);
        out->acked_at = pg_int(r, 0, 11);
        out->closed_at = pg_int(r, 0, 12);
        out->outcome = (int)pg_int(r, 0, 13);
        out->flood_of = pg_int(r, 0, 14);
        out->inferred = (int)pg_int(r, 0, 15);
    }
    PQclear(r);
    return rc;
}

/* The departments of case_id in the order they were added (case_dept.seq,
 * SQLite's rowid); copies at most max, returns the count, or -1. */
int pg_db_case_depts(struct store *st, int64_t case_id, char (*out)[24], int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    PGresult *r = pg_run(st, "SELECT department FROM case_dept WHERE case_id = $1 ORDER BY seq", &a);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) pg_text(r, i, 0, out[i], sizeof out[i]);
    PQclear(r);
    return n;
}

/* 1 when dept is among case_id's departments, 0 when not, -1. */
int pg_db_case_has_dept(struct store *st, int64_t case_id, const char *dept)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    pg_arg_text(&a, dept);
    return run_exists(st, "SELECT 1 FROM case_dept WHERE case_id = $1 AND department = $2", &a);
}

/* Appends an event of kind to case_id's history (staff_id 0: none; detail
 * may be NULL). 0 or -1. */
int pg_db_case_event(struct store *st, int64_t case_id, const char *kind, int64_t staff_id, const char *detail,
                     int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    pg_arg_int(&a, now);
    pg_arg_text(&a, kind);
    pg_arg_int_or_null(&a, staff_id);
    pg_arg_text(&a, detail);
    return pg_run_done(st, "INSERT INTO case_event(case_id, at, kind, staff_id, detail) VALUES ($1, $2, $3, $4, $5)",
                       &a);
}

/* How many cases reporter_id opened after since, and the newest of them
 * that starts a held run (flood_of = itself). 0 or -1. */
int pg_db_reporter_flood(struct store *st, int64_t reporter_id, int64_t since, struct db_flood *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_int(&a, reporter_id);
    pg_arg_int(&a, since);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT count(*) FROM cases WHERE reporter_id = $1 AND opened_at > $2", &a, &r);
    if (rc == 0) out->recent = (int)pg_int(r, 0, 0);
    PQclear(r);
    if (rc != 0) return -1;
    r = NULL;
    rc = run_one(st,
                 "SELECT id, number FROM cases WHERE reporter_id = $1 AND opened_at > $2 AND flood_of = id "
                 "ORDER BY id DESC LIMIT 1",
                 &a, &r);
    if (rc == 0) {
        out->first_id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->first_number, sizeof out->first_number);
    }
    PQclear(r);
    return rc < 0 ? -1 : 0;
}

/* Holds case_id as part of the run that first_id started. 0, 1 no such case, -1. */
int pg_db_case_set_flood(struct store *st, int64_t case_id, int64_t first_id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, first_id);
    pg_arg_int(&a, case_id);
    int n = run_changes(st, "UPDATE cases SET flood_of = $1 WHERE id = $2", &a);
    if (n < 0) return -1;
    return n == 1 ? 0 : 1;
}

/* The run held case_id belongs to: its first case and how many cases its
 * reporter opened after since. 0, 1 not held (or no such case), -1. */
int pg_db_case_flood_run(struct store *st, int64_t case_id, int64_t since, struct db_flood *out)
{
    memset(out, 0, sizeof *out);
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    pg_arg_int(&a, since);
    PGresult *r = NULL;
    int rc = run_one(st,
                     "SELECT F.id, F.number, (SELECT count(*) FROM cases R WHERE "
                     "R.reporter_id = C.reporter_id AND R.opened_at > $2::bigint) "
                     "FROM cases C JOIN cases F ON F.id = C.flood_of WHERE C.id = $1::bigint",
                     &a, &r);
    if (rc == 0) {
        out->first_id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, out->first_number, sizeof out->first_number);
        out->recent = (int)pg_int(r, 0, 2);
    }
    PQclear(r);
    return rc;
}

/* 1 when a message with dedupe_key is in the outbox, 0 when not, -1. */
int pg_db_message_queued(struct store *st, const char *dedupe_key)
{
    struct pg_args a = {0};
    pg_arg_text(&a, dedupe_key);
    return run_exists(st, "SELECT 1 FROM outbox WHERE dedupe_key = $1", &a);
}

/* Acknowledges open case_id by staff_id (0: none) at now, with an event.
 * 0, 1 not open, -1. */
int pg_db_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int_or_null(&a, staff_id);
    pg_arg_int(&a, case_id);
    int n = run_changes(st,
                        "UPDATE cases SET status = 'acknowledged', acked_at = $1, acked_by = $2 "
                        "WHERE id = $3 AND status = 'open'",
                        &a);
    if (n < 0) return -1;
    if (n != 1) return 1;
    return pg_db_case_event(st, case_id, "acknowledged", staff_id, NULL, now);
}

/* Closes case_id (open or acknowledged) by staff_id with outcome and note
 * at now; an unacknowledged case counts as acknowledged then. With an
 * event. 0, 1 closed already or no such case, -1. */
int pg_db_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int_or_null(&a, staff_id);
    pg_arg_int(&a, outcome);
    pg_arg_text(&a, note);
    pg_arg_int(&a, case_id);
    int n = run_changes(st,
                        "UPDATE cases SET status = 'closed', closed_at = $1::bigint, closed_by = $2::bigint, "
                        "outcome = $3, outcome_note = $4, acked_at = coalesce(acked_at, $1::bigint), "
                        "acked_by = coalesce(acked_by, $2::bigint) WHERE id = $5 AND status <> 'closed'",
                        &a);
    if (n < 0) return -1;
    if (n != 1) return 1;
    char detail[24];
    snprintf(detail, sizeof detail, "outcome=%d", outcome);
    return pg_db_case_event(st, case_id, "closed", staff_id, detail, now);
}

/* Sets category, priority and departments of case_id (not closed), which
 * opens it again for acknowledgement and ends its hold; with a
 * "classified" event. *phase (may be NULL) gets how many times it was
 * classified. 0, 1 closed or no such case, -1. */
int pg_db_case_classify(struct store *st, int64_t case_id, int category, int priority, const char *const *depts,
                        int ndepts, int64_t staff_id, const char *detail, int64_t now, int *phase)
{
    if (ndepts < 1 || ndepts > DB_CASE_MAX_DEPTS) return -1;
    struct pg_args a = {0};
    pg_arg_int(&a, category);
    pg_arg_int(&a, priority);
    pg_arg_int(&a, case_id);
    int n = run_changes(st,
                        "UPDATE cases SET category = $1, classified = 1, inferred = 0, priority = $2, "
                        "status = 'open', acked_at = NULL, acked_by = NULL, flood_of = NULL "
                        "WHERE id = $3 AND status <> 'closed'",
                        &a);
    if (n < 0) return -1;
    if (n != 1) return 1;
    struct pg_args id = {0};
    pg_arg_int(&id, case_id);
    if (pg_run_done(st, "DELETE FROM case_dept WHERE case_id = $1", &id) != 0) return -1;
    if (add_depts(st, case_id, depts, ndepts) != 0) return -1;
    if (pg_db_case_event(st, case_id, "classified", staff_id, detail, now) != 0) return -1;
    if (phase) {
        PGresult *r = NULL;
        int rc = run_one(st, "SELECT count(*) FROM case_event WHERE case_id = $1 AND kind = 'classified'", &id, &r);
        *phase = rc == 0 ? (int)pg_int(r, 0, 0) : 0;
        PQclear(r);
        if (rc != 0) return -1;
    }
    return 0;
}

/* The numbers of the open cases whose alert went to phone, most urgent
 * first; copies at most max, returns the count, or -1. */
int pg_db_phone_unacked_cases(struct store *st, const char *phone, char (*out)[DB_CASE_NO_MAX + 1], int max)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    PGresult *r = pg_run(st,
                         "SELECT C.number FROM cases C WHERE C.status = 'open' AND EXISTS ("
                         "SELECT 1 FROM outbox O WHERE O.case_id = C.id AND O.recipient = $1 "
                         "AND O.kind = 'alert') ORDER BY C.priority, C.opened_at, C.id",
                         &a);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) pg_text(r, i, 0, out[i], DB_CASE_NO_MAX + 1);
    PQclear(r);
    return n;
}

/* ---- free text: follow-ups, forwards, replies to reminders ------------------ */

/* The newest case reporter_id opened after since that is not closed.
 * 0, 1 none, -1. */
int pg_db_reporter_open_case(struct store *st, int64_t reporter_id, int64_t since, struct db_case *out)
{
    struct pg_args a = {0};
    pg_arg_int(&a, reporter_id);
    pg_arg_int(&a, since);
    char number[DB_CASE_NO_MAX + 1] = "";
    PGresult *r = NULL;
    int rc = run_one(st,
                     "SELECT number FROM cases WHERE reporter_id = $1 AND opened_at > $2 "
                     "AND status <> 'closed' ORDER BY id DESC LIMIT 1",
                     &a, &r);
    if (rc == 0) pg_text(r, 0, 0, number, sizeof number);
    PQclear(r);
    return rc != 0 ? rc : pg_db_case_by_number(st, number, out);
}

/* The phones case_id's alerts went to, each once, in the order they were
 * first queued; copies at most max, returns the count, or -1. */
int pg_db_case_alerted(struct store *st, int64_t case_id, char (*out)[DB_PHONE_LEN], int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, case_id);
    return phones(pg_run(st,
                         "SELECT recipient FROM outbox WHERE case_id = $1 AND kind = 'alert' "
                         "GROUP BY recipient ORDER BY min(id)",
                         &a),
                  out, max);
}

/* 1 when a check-in reminder to guardian_id was sent (or is queued) after
 * since, 0 when not, -1. */
int pg_db_reminder_since(struct store *st, int64_t guardian_id, int64_t since)
{
    /* The keys "checkin_remind:<id>:<date>" of one guardian sort between
     * "checkin_remind:<id>:" and "checkin_remind:<id>;" (';' follows ':')
     * byte-wise, as SQLite compares: COLLATE "C", since a linguistic
     * collation may ignore the punctuation. */
    char lo[48], hi[48];
    snprintf(lo, sizeof lo, "checkin_remind:%lld:", (long long)guardian_id);
    snprintf(hi, sizeof hi, "checkin_remind:%lld;", (long long)guardian_id);
    struct pg_args a = {0};
    pg_arg_text(&a, lo);
    pg_arg_text(&a, hi);
    pg_arg_int(&a, since);
    return run_exists(st,
                      "SELECT 1 FROM outbox WHERE dedupe_key COLLATE \"C\" >= $1 AND dedupe_key COLLATE \"C\" < $2 "
                      "AND status NOT IN ('suppressed', 'failed') "
                      "AND coalesce(sent_at, created_at) > $3::bigint LIMIT 1",
                      &a);
}

/* The phones of the supervisors nearest above (or at) region_id: only the
 * deepest level that has any, in staff id order; copies at most max,
 * returns the count, or -1. */
int pg_db_region_supervisors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, region_id);
    PGresult *r = pg_run(st,
                         "SELECT S.phone, R.level FROM region V JOIN staff S ON S.role = 'supervisor' "
                         "JOIN region R ON R.id = S.region_id WHERE V.id = $1 AND (V.path = R.path "
                         "OR substr(V.path, 1, length(R.path) + 1) = R.path || '/') "
                         "ORDER BY R.level DESC, S.id",
                         &a);
    if (!r) return -1;
    int n = 0, level = -1, rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        int lv = (int)pg_int(r, i, 1);
        if (level < 0) level = lv;
        if (lv != level) continue; /* a farther level: only the nearest is told */
        if (n < max) pg_text(r, i, 0, out[n], sizeof out[n]);
        n++;
    }
    PQclear(r);
    return n;
}

/* The relation of guardian_id to child_id into out (outlen bytes). 0, 1 not linked, -1. */
int pg_db_guardian_relation(struct store *st, int64_t guardian_id, int64_t child_id, char *out, size_t outlen)
{
    struct pg_args a = {0};
    pg_arg_int(&a, guardian_id);
    pg_arg_int(&a, child_id);
    PGresult *r = NULL;
    int rc = run_one(st, "SELECT relation FROM guardian_child WHERE guardian_id = $1 AND child_id = $2", &a, &r);
    if (rc == 0) pg_text(r, 0, 0, out, outlen);
    PQclear(r);
    return rc;
}

/* Collects (code, name) of every row of r and clears r: copies at most max,
 * returns the count, or -1 when r is NULL. */
static int child_names(PGresult *r, struct db_child_name *out, int max)
{
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < max; i++) {
        pg_text(r, i, 0, out[i].code, sizeof out[i].code);
        pg_text(r, i, 1, out[i].name, sizeof out[i].name);
    }
    PQclear(r);
    return n;
}

/* The codes and names of guardian_id's children, by code; copies at most
 * max, returns the count, or -1. */
int pg_db_guardian_child_names(struct store *st, int64_t guardian_id, struct db_child_name *out, int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, guardian_id);
    return child_names(pg_run(st,
                              "SELECT CH.code, CH.name FROM guardian_child GC JOIN child CH "
                              "ON CH.id = GC.child_id WHERE GC.guardian_id = $1 ORDER BY CH.code COLLATE \"C\"",
                              &a),
                       out, max);
}

/* The codes and names of the children of region_id, by code; copies at
 * most max, returns the count, or -1. */
int pg_db_region_child_names(struct store *st, int64_t region_id, struct db_child_name *out, int max)
{
    struct pg_args a = {0};
    pg_arg_int(&a, region_id);
    return child_names(pg_run(st, "SELECT code, name FROM child WHERE region_id = $1 ORDER BY code COLLATE \"C\"", &a),
                       out, max);
}

/* ---- opt-out -------------------------------------------------------------- */

/* Records that phone opted out at now through channel (may be NULL). 0 or -1. */
int pg_db_optout_set(struct store *st, const char *phone, const char *channel, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    pg_arg_int(&a, now);
    pg_arg_text(&a, channel);
    return pg_run_done(st,
                       "INSERT INTO opt_out(phone, at, channel) VALUES ($1, $2, $3) "
                       "ON CONFLICT (phone) DO UPDATE SET at = excluded.at, channel = excluded.channel",
                       &a);
}

/* Removes phone's opt-out. 0, 1 it had none, -1. */
int pg_db_optout_clear(struct store *st, const char *phone)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    int n = run_changes(st, "DELETE FROM opt_out WHERE phone = $1", &a);
    if (n < 0) return -1;
    return n > 0 ? 0 : 1;
}

/* 1 when phone opted out, 0 when not, -1. */
int pg_db_optout_check(struct store *st, const char *phone)
{
    struct pg_args a = {0};
    pg_arg_text(&a, phone);
    return run_exists(st, "SELECT 1 FROM opt_out WHERE phone = $1", &a);
}
