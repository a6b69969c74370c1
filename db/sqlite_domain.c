/* db/sqlite_domain.c - SQLite implementation of the domain store functions
 * (store_domain.h): who a phone belongs to, children and their regions,
 * visits, check-ins, reporters, cases (and a reporter's recent ones, for
 * the flood rule), opt-outs, and whether a message was queued already;
 * and what free text needs (freetext.c): a reporter's open case, who a
 * case's alerts went to, a guardian's recent reminder, the supervisors
 * above a village, and children's names to take out of forwarded words.
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once through store_stmt;
 * values travel only through bind calls. A region's county is found by
 * path (the first component of "县/镇/村"), not by walking parent_id, so
 * the answer depends only on the path column the roster guarantees.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "store_int.h"

/* The columns every region look-up returns, in this order: id, level,
 * path, county id. `R` is the region alias; the county is joined as C. */
#define REGION_COLS "R.id, R.level, R.path, C.id"
#define COUNTY_JOIN " LEFT JOIN region C ON C.level = 1 AND C.path = substr(R.path, 1, instr(R.path || '/', '/') - 1)"

static void read_region(sqlite3_stmt *s, int col, struct db_region *out)
{
    out->id = sqlite3_column_int64(s, col);
    out->level = sqlite3_column_int(s, col + 1);
    store_col_text(s, col + 2, out->path, sizeof out->path);
    out->county_id = sqlite3_column_int64(s, col + 3); /* 0 for NULL */
}

/* Steps a statement expected to yield at most one row: 0 row ready, 1 none, -1 error. */
static int step_one(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return 0;
    return rc == SQLITE_DONE ? 1 : -1;
}

static void bind_id_or_null(sqlite3_stmt *s, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* ---- regions ------------------------------------------------------------- */

static int region_by_id_read(struct store *st, int64_t id, struct db_region *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " REGION_COLS " FROM region R" COUNTY_JOIN " WHERE R.id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_one(s);
    if (rc == 0) read_region(s, 0, out);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_region_by_id(struct store *st, int64_t id, struct db_region *out)
{
    struct memo *m = memo_of(st);
    int rc;
    if (memo_get(m, MEMO_REGION_ID, &id, sizeof id, &rc, out, sizeof *out)) return rc;
    rc = region_by_id_read(st, id, out);
    memo_put(m, MEMO_REGION_ID, &id, sizeof id, rc, out, rc == 0 ? sizeof *out : 0);
    return rc;
}

static int region_by_path_read(struct store *st, const char *path, struct db_region *out)
{
    if (!path || !*path) return 1;
    sqlite3_stmt *s = store_stmt(st, "SELECT " REGION_COLS " FROM region R" COUNTY_JOIN " WHERE R.path = ?");
    if (!s) return -1;
    store_bind_text(s, 1, path);
    int rc = step_one(s);
    if (rc == 0) read_region(s, 0, out);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_region_by_path(struct store *st, const char *path, struct db_region *out)
{
    if (!path || !*path) return 1;
    struct memo *m = memo_of(st);
    int rc;
    if (memo_get(m, MEMO_REGION_PATH, path, strlen(path), &rc, out, sizeof *out)) return rc;
    rc = region_by_path_read(st, path, out);
    memo_put(m, MEMO_REGION_PATH, path, strlen(path), rc, out, rc == 0 ? sizeof *out : 0);
    return rc;
}

int sqlite_db_region_only_county(struct store *st, int64_t *county_id)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id FROM region WHERE level = 1 LIMIT 2");
    if (!s) return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n++ == 0) *county_id = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    return n == 1 ? 0 : 1;
}

int sqlite_db_region_under(struct store *st, int64_t a, int64_t b)
{
    struct db_region ra, rb;
    int rc = db_region_by_id(st, a, &ra);
    if (rc != 0) return rc < 0 ? -1 : 0;
    rc = db_region_by_id(st, b, &rb);
    if (rc != 0) return rc < 0 ? -1 : 0;
    return db_path_under(ra.path, rb.path);
}

/* ---- people ---------------------------------------------------------------- */

static int staff_by_phone_read(struct store *st, const char *phone, struct db_staff *out)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT S.id, S.role, coalesce(S.department, ''), " REGION_COLS
                       " FROM staff S JOIN region R ON R.id = S.region_id" COUNTY_JOIN " WHERE S.phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    int rc = step_one(s);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->role, sizeof out->role);
        store_col_text(s, 2, out->department, sizeof out->department);
        read_region(s, 3, &out->region);
    }
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_staff_by_phone(struct store *st, const char *phone, struct db_staff *out)
{
    if (!phone) return staff_by_phone_read(st, phone, out);
    struct memo *m = memo_of(st);
    int rc;
    if (memo_get(m, MEMO_STAFF, phone, strlen(phone), &rc, out, sizeof *out)) return rc;
    rc = staff_by_phone_read(st, phone, out);
    memo_put(m, MEMO_STAFF, phone, strlen(phone), rc, out, rc == 0 ? sizeof *out : 0);
    return rc;
}

/* Collects column 0 of every row as a phone: copies at most max, returns the count or -1. */
static int phones(sqlite3_stmt *s, char (*out)[DB_PHONE_LEN], int max)
{
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) store_col_text(s, 0, out[n], sizeof out[n]);
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

static int county_responders_read(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN],
                                  int max)
{
    /* "Contains": the county's path is the staff region's path or lies
     * under it ('/' after it), as db_path_under decides. */
    sqlite3_stmt *s = store_stmt(st, "SELECT S.phone FROM region C JOIN staff S ON S.role = 'responder'"
                                     " AND S.department = ?2 JOIN region R ON R.id = S.region_id"
                                     " WHERE C.id = ?1 AND (C.path = R.path"
                                     " OR substr(C.path, 1, length(R.path) + 1) = R.path || '/')"
                                     " ORDER BY S.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, county_id);
    store_bind_text(s, 2, dept);
    return phones(s, out, max);
}

int sqlite_db_county_responders(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN],
                                int max)
{
    if (!dept) return county_responders_read(st, county_id, dept, out, max);
    /* key: the county, max and the department */
    char key[64];
    size_t klen = (size_t)snprintf(key, sizeof key, "%lld/%d/%s", (long long)county_id, max, dept);
    struct memo *m = memo_of(st);
    int rc;
    if (klen < sizeof key && memo_get(m, MEMO_RESPONDERS, key, klen, &rc, out, (size_t)max * DB_PHONE_LEN)) return rc;
    rc = county_responders_read(st, county_id, dept, out, max);
    if (klen < sizeof key)
        memo_put(m, MEMO_RESPONDERS, key, klen, rc, out, (size_t)(rc < max ? rc : max) * DB_PHONE_LEN);
    return rc;
}

int sqlite_db_village_directors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT phone FROM staff WHERE role = 'director' AND region_id = ?"
                                     " ORDER BY id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, region_id);
    return phones(s, out, max);
}

static int guardian_by_phone_read(struct store *st, const char *phone, int64_t *guardian_id)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id FROM guardian WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    int rc = step_one(s);
    if (rc == 0) *guardian_id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_guardian_by_phone(struct store *st, const char *phone, int64_t *guardian_id)
{
    if (!phone) return guardian_by_phone_read(st, phone, guardian_id);
    struct memo *m = memo_of(st);
    int rc;
    if (memo_get(m, MEMO_GUARDIAN, phone, strlen(phone), &rc, guardian_id, sizeof *guardian_id)) return rc;
    rc = guardian_by_phone_read(st, phone, guardian_id);
    memo_put(m, MEMO_GUARDIAN, phone, strlen(phone), rc, guardian_id, rc == 0 ? sizeof *guardian_id : 0);
    return rc;
}

#define CHILD_COLS "CH.id, CH.code, CH.flags, CH.high_cadence, " REGION_COLS

static void read_child(sqlite3_stmt *s, struct db_child *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->code, sizeof out->code);
    store_col_text(s, 2, out->flags, sizeof out->flags);
    out->high_cadence = sqlite3_column_int(s, 3);
    read_region(s, 4, &out->region);
}

static int child_by_code_read(struct store *st, const char *code, struct db_child *out)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT " CHILD_COLS " FROM child CH JOIN region R ON R.id = CH.region_id" COUNTY_JOIN
                       " WHERE CH.code = ?");
    if (!s) return -1;
    store_bind_text(s, 1, code);
    int rc = step_one(s);
    if (rc == 0) read_child(s, out);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_child_by_code(struct store *st, const char *code, struct db_child *out)
{
    if (!code) return child_by_code_read(st, code, out);
    struct memo *m = memo_of(st);
    int rc;
    if (memo_get(m, MEMO_CHILD, code, strlen(code), &rc, out, sizeof *out)) return rc;
    rc = child_by_code_read(st, code, out);
    memo_put(m, MEMO_CHILD, code, strlen(code), rc, out, rc == 0 ? sizeof *out : 0);
    return rc;
}

int sqlite_db_guardian_children(struct store *st, int64_t guardian_id, struct db_child *out, int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " CHILD_COLS " FROM guardian_child GC"
                                     " JOIN child CH ON CH.id = GC.child_id"
                                     " JOIN region R ON R.id = CH.region_id" COUNTY_JOIN
                                     " WHERE GC.guardian_id = ? ORDER BY CH.code");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) read_child(s, &out[n]);
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

int sqlite_db_guardian_linked(struct store *st, int64_t guardian_id, int64_t child_id)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM guardian_child WHERE guardian_id = ? AND child_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    sqlite3_bind_int64(s, 2, child_id);
    int rc = step_one(s);
    sqlite3_reset(s);
    return rc < 0 ? -1 : rc == 0;
}

/* ---- visits and check-ins ------------------------------------------------- */

int sqlite_db_visit_insert(struct store *st, const struct db_visit *v, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, note, "
                                     "inbox_id, created_at) VALUES (?,?,?,?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, v->child_id);
    sqlite3_bind_int64(s, 2, v->staff_id);
    store_bind_text(s, 3, v->visit_date);
    sqlite3_bind_int(s, 4, v->result);
    store_bind_text(s, 5, v->problems ? v->problems : "");
    store_bind_text(s, 6, v->note);
    bind_id_or_null(s, 7, v->inbox_id);
    sqlite3_bind_int64(s, 8, now);
    if (store_step_done(s) != 0) return -1;
    if (id) *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

int sqlite_db_child_set_high_cadence(struct store *st, int64_t child_id)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE child SET high_cadence = 1 WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    if (store_step_done(s) != 0) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_db_checkin_insert(struct store *st, const struct db_checkin *c, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO checkin(guardian_id, child_id, status, return_date, note, "
                                     "inbox_id, created_at) VALUES (?,?,?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, c->guardian_id);
    sqlite3_bind_int64(s, 2, c->child_id);
    sqlite3_bind_int(s, 3, c->status);
    store_bind_text(s, 4, c->return_date);
    store_bind_text(s, 5, c->note);
    bind_id_or_null(s, 6, c->inbox_id);
    sqlite3_bind_int64(s, 7, now);
    if (store_step_done(s) != 0) return -1;
    if (id) *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

/* ---- reporters ---------------------------------------------------------------- */

int sqlite_db_reporter_by_phone(struct store *st, const char *phone, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id FROM reporter WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    int rc = step_one(s);
    if (rc == 0) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_reporter_phone(struct store *st, int64_t reporter_id, char *out, size_t outlen)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT phone FROM reporter WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, reporter_id);
    int rc = step_one(s);
    if (rc == 0) store_col_text(s, 0, out, outlen);
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_reporter_upsert(struct store *st, const char *phone, int64_t now, int64_t *id)
{
    int rc = db_reporter_by_phone(st, phone, id);
    if (rc <= 0) return rc;
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO reporter(phone, created_at) VALUES (?, ?)");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    sqlite3_bind_int64(s, 2, now);
    if (store_step_done(s) != 0) return -1;
    *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

/* ---- cases ------------------------------------------------------------------ */

/* Takes the next number of the local day of `now`: "YYMMDD" and the day's
 * sequence, zero-padded to 4 digits and longer past 9,999. */
static int next_case_number(struct store *st, int64_t now, char *number)
{
    time_t t = (time_t)now;
    struct tm tm;
    char day[16];
    if (!localtime_r(&t, &tm)) return -1;
    snprintf(day, sizeof day, "%02d%02d%02d", (tm.tm_year + 1900) % 100, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO case_seq(day, seq) VALUES (?, 1) "
                                     "ON CONFLICT(day) DO UPDATE SET seq = seq + 1 RETURNING seq");
    if (!s) return -1;
    store_bind_text(s, 1, day);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return -1;
    }
    int64_t seq = sqlite3_column_int64(s, 0);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE || seq < 1 || seq > 999999) return -1;
    snprintf(number, DB_CASE_NO_MAX + 1, "%.6s%04d", day, (int)seq);
    return 0;
}

int sqlite_db_case_open(struct store *st, const struct db_case_new *c, int64_t now, int64_t *id, char *number)
{
    char no[DB_CASE_NO_MAX + 1];
    if (c->ndepts < 1 || c->ndepts > DB_CASE_MAX_DEPTS) return -1;
    if (next_case_number(st, now, no) != 0) return -1;
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO cases(number, category, classified, priority, child_id, "
                                     "county_id, region_id, description, reporter_id, inbox_id, opened_at, "
                                     "inferred) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s) return -1;
    store_bind_text(s, 1, no);
    sqlite3_bind_int(s, 2, c->category);
    sqlite3_bind_int(s, 3, c->classified ? 1 : 0);
    sqlite3_bind_int(s, 4, c->priority);
    bind_id_or_null(s, 5, c->child_id);
    bind_id_or_null(s, 6, c->county_id);
    bind_id_or_null(s, 7, c->region_id);
    store_bind_text(s, 8, c->description);
    bind_id_or_null(s, 9, c->reporter_id);
    bind_id_or_null(s, 10, c->inbox_id);
    sqlite3_bind_int64(s, 11, now);
    sqlite3_bind_int(s, 12, c->inferred ? 1 : 0);
    if (store_step_done(s) != 0) return -1;
    int64_t case_id = sqlite3_last_insert_rowid(store_db(st));
    for (int i = 0; i < c->ndepts; i++) {
        s = store_stmt(st, "INSERT OR IGNORE INTO case_dept(case_id, department) VALUES (?, ?)");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, case_id);
        store_bind_text(s, 2, c->depts[i]);
        if (store_step_done(s) != 0) return -1;
    }
    if (db_case_event(st, case_id, "opened", 0, c->event_detail, now) != 0) return -1;
    *id = case_id;
    memcpy(number, no, sizeof no);
    return 0;
}

int sqlite_db_case_by_number(struct store *st, const char *number, struct db_case *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, number, category, classified, priority, status, child_id, "
                                     "county_id, region_id, reporter_id, opened_at, acked_at, closed_at, outcome, "
                                     "flood_of, inferred FROM cases WHERE number = ?");
    if (!s) return -1;
    store_bind_text(s, 1, number);
    int rc = step_one(s);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->number, sizeof out->number);
        out->category = sqlite3_column_int(s, 2);
        out->classified = sqlite3_column_int(s, 3);
        out->priority = sqlite3_column_int(s, 4);
        store_col_text(s, 5, out->status, sizeof out->status);
        out->child_id = sqlite3_column_int64(s, 6);
        out->county_id = sqlite3_column_int64(s, 7);
        out->region_id = sqlite3_column_int64(s, 8);
        out->reporter_id = sqlite3_column_int64(s, 9);
        out->opened_at = sqlite3_column_int64(s, 10);
        out->acked_at = sqlite3_column_int64(s, 11);
        out->closed_at = sqlite3_column_int64(s, 12);
        out->outcome = sqlite3_column_int(s, 13);
        out->flood_of = sqlite3_column_int64(s, 14);
        out->inferred = sqlite3_column_int(s, 15);
    }
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_case_depts(struct store *st, int64_t case_id, char (*out)[24], int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT department FROM case_dept WHERE case_id = ? ORDER BY rowid");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) store_col_text(s, 0, out[n], sizeof out[n]);
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

int sqlite_db_case_has_dept(struct store *st, int64_t case_id, const char *dept)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM case_dept WHERE case_id = ? AND department = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    store_bind_text(s, 2, dept);
    int rc = step_one(s);
    sqlite3_reset(s);
    return rc < 0 ? -1 : rc == 0;
}

int sqlite_db_case_event(struct store *st, int64_t case_id, const char *kind, int64_t staff_id, const char *detail,
                         int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO case_event(case_id, at, kind, staff_id, detail) "
                                     "VALUES (?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, now);
    store_bind_text(s, 3, kind);
    bind_id_or_null(s, 4, staff_id);
    store_bind_text(s, 5, detail);
    return store_step_done(s);
}

int sqlite_db_reporter_flood(struct store *st, int64_t reporter_id, int64_t since, struct db_flood *out)
{
    memset(out, 0, sizeof *out);
    /* One pass over the reporter's recent cases: how many, and the newest
     * that began a flood (its own flood_of); its number only when there is one. */
    sqlite3_stmt *s = store_stmt(st, "SELECT count(*), coalesce(max(CASE WHEN flood_of = id THEN id END), 0) "
                                     "FROM cases WHERE reporter_id = ? AND opened_at > ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, reporter_id);
    sqlite3_bind_int64(s, 2, since);
    int rc = step_one(s);
    if (rc == 0) {
        out->recent = sqlite3_column_int(s, 0);
        out->first_id = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (rc != 0) return -1;
    if (!out->first_id) return 0;
    s = store_stmt(st, "SELECT number FROM cases WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, out->first_id);
    rc = step_one(s);
    if (rc == 0) store_col_text(s, 0, out->first_number, sizeof out->first_number);
    sqlite3_reset(s);
    return rc < 0 ? -1 : 0;
}

int sqlite_db_case_set_flood(struct store *st, int64_t case_id, int64_t first_id)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET flood_of = ? WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, first_id);
    sqlite3_bind_int64(s, 2, case_id);
    if (store_step_done(s) != 0) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_db_case_flood_run(struct store *st, int64_t case_id, int64_t since, struct db_flood *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = store_stmt(st, "SELECT F.id, F.number, (SELECT count(*) FROM cases R WHERE "
                                     "R.reporter_id = C.reporter_id AND R.opened_at > ?2) "
                                     "FROM cases C JOIN cases F ON F.id = C.flood_of WHERE C.id = ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, since);
    int rc = step_one(s);
    if (rc == 0) {
        out->first_id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->first_number, sizeof out->first_number);
        out->recent = sqlite3_column_int(s, 2);
    }
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_message_queued(struct store *st, const char *dedupe_key)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM outbox WHERE dedupe_key = ?");
    if (!s) return -1;
    store_bind_text(s, 1, dedupe_key);
    int rc = step_one(s);
    sqlite3_reset(s);
    return rc < 0 ? -1 : rc == 0;
}

int sqlite_db_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET status = 'acknowledged', acked_at = ?, acked_by = ? "
                                     "WHERE id = ? AND status = 'open'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    bind_id_or_null(s, 2, staff_id);
    sqlite3_bind_int64(s, 3, case_id);
    if (store_step_done(s) != 0) return -1;
    if (sqlite3_changes(store_db(st)) != 1) return 1;
    return db_case_event(st, case_id, "acknowledged", staff_id, NULL, now);
}

int sqlite_db_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note,
                         int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET status = 'closed', closed_at = ?1, closed_by = ?2, "
                                     "outcome = ?3, outcome_note = ?4, acked_at = coalesce(acked_at, ?1), "
                                     "acked_by = coalesce(acked_by, ?2) WHERE id = ?5 AND status <> 'closed'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    bind_id_or_null(s, 2, staff_id);
    sqlite3_bind_int(s, 3, outcome);
    store_bind_text(s, 4, note);
    sqlite3_bind_int64(s, 5, case_id);
    if (store_step_done(s) != 0) return -1;
    if (sqlite3_changes(store_db(st)) != 1) return 1;
    char detail[24];
    snprintf(detail, sizeof detail, "outcome=%d", outcome);
    return db_case_event(st, case_id, "closed", staff_id, detail, now);
}

int sqlite_db_case_classify(struct store *st, int64_t case_id, int category, int priority, const char *const *depts,
                            int ndepts, int64_t staff_id, const char *detail, int64_t now, int *phase)
{
    if (ndepts < 1 || ndepts > DB_CASE_MAX_DEPTS) return -1;
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET category = ?, classified = 1, inferred = 0, priority = ?, "
                                     "status = 'open', acked_at = NULL, acked_by = NULL, flood_of = NULL "
                                     "WHERE id = ? AND status <> 'closed'");
    if (!s) return -1;
    sqlite3_bind_int(s, 1, category);
    sqlite3_bind_int(s, 2, priority);
    sqlite3_bind_int64(s, 3, case_id);
    if (store_step_done(s) != 0) return -1;
    if (sqlite3_changes(store_db(st)) != 1) return 1;
    s = store_stmt(st, "DELETE FROM case_dept WHERE case_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    if (store_step_done(s) != 0) return -1;
    for (int i = 0; i < ndepts; i++) {
        s = store_stmt(st, "INSERT OR IGNORE INTO case_dept(case_id, department) VALUES (?, ?)");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, case_id);
        store_bind_text(s, 2, depts[i]);
        if (store_step_done(s) != 0) return -1;
    }
    if (db_case_event(st, case_id, "classified", staff_id, detail, now) != 0) return -1;
    if (phase) {
        s = store_stmt(st, "SELECT count(*) FROM case_event WHERE case_id = ? AND kind = 'classified'");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, case_id);
        int rc = sqlite3_step(s);
        *phase = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
        sqlite3_reset(s);
        if (rc != SQLITE_ROW) return -1;
    }
    return 0;
}

int sqlite_db_phone_unacked_cases(struct store *st, const char *phone, char (*out)[DB_CASE_NO_MAX + 1], int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT C.number FROM cases C WHERE C.status = 'open' AND EXISTS ("
                                     "SELECT 1 FROM outbox O WHERE O.case_id = C.id AND O.recipient = ? "
                                     "AND O.kind = 'alert') ORDER BY C.priority, C.opened_at, C.id");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) store_col_text(s, 0, out[n], DB_CASE_NO_MAX + 1);
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

/* ---- free text: follow-ups, forwards, replies to reminders ------------------ */

int sqlite_db_reporter_open_case(struct store *st, int64_t reporter_id, int64_t since, struct db_case *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT number FROM cases WHERE reporter_id = ? AND opened_at > ? "
                                     "AND status <> 'closed' ORDER BY id DESC LIMIT 1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, reporter_id);
    sqlite3_bind_int64(s, 2, since);
    char number[DB_CASE_NO_MAX + 1] = "";
    int rc = step_one(s);
    if (rc == 0) store_col_text(s, 0, number, sizeof number);
    sqlite3_reset(s);
    return rc != 0 ? rc : db_case_by_number(st, number, out);
}

int sqlite_db_case_alerted(struct store *st, int64_t case_id, char (*out)[DB_PHONE_LEN], int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT recipient FROM outbox WHERE case_id = ? AND kind = 'alert' "
                                     "GROUP BY recipient ORDER BY min(id)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    return phones(s, out, max);
}

int sqlite_db_reminder_since(struct store *st, int64_t guardian_id, int64_t since)
{
    /* The keys "checkin_remind:<id>:<date>" of one guardian sort between
     * "checkin_remind:<id>:" and "checkin_remind:<id>;" (';' follows ':'). */
    char lo[48], hi[48];
    snprintf(lo, sizeof lo, "checkin_remind:%lld:", (long long)guardian_id);
    snprintf(hi, sizeof hi, "checkin_remind:%lld;", (long long)guardian_id);
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ? "
                                     "AND status NOT IN ('suppressed', 'failed') "
                                     "AND coalesce(sent_at, created_at) > ? LIMIT 1");
    if (!s) return -1;
    store_bind_text(s, 1, lo);
    store_bind_text(s, 2, hi);
    sqlite3_bind_int64(s, 3, since);
    int rc = step_one(s);
    sqlite3_reset(s);
    return rc < 0 ? -1 : rc == 0;
}

int sqlite_db_region_supervisors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT S.phone, R.level FROM region V JOIN staff S ON S.role = 'supervisor' "
                                     "JOIN region R ON R.id = S.region_id WHERE V.id = ? AND (V.path = R.path "
                                     "OR substr(V.path, 1, length(R.path) + 1) = R.path || '/') "
                                     "ORDER BY R.level DESC, S.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, region_id);
    int n = 0, level = -1, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int lv = sqlite3_column_int(s, 1);
        if (level < 0) level = lv;
        if (lv != level) continue; /* a farther level: only the nearest is told */
        if (n < max) store_col_text(s, 0, out[n], sizeof out[n]);
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

int sqlite_db_guardian_relation(struct store *st, int64_t guardian_id, int64_t child_id, char *out, size_t outlen)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT relation FROM guardian_child WHERE guardian_id = ? AND child_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    sqlite3_bind_int64(s, 2, child_id);
    int rc = step_one(s);
    if (rc == 0) store_col_text(s, 0, out, outlen);
    sqlite3_reset(s);
    return rc;
}

static int child_names(sqlite3_stmt *s, struct db_child_name *out, int max)
{
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) {
            store_col_text(s, 0, out[n].code, sizeof out[n].code);
            store_col_text(s, 1, out[n].name, sizeof out[n].name);
        }
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

int sqlite_db_guardian_child_names(struct store *st, int64_t guardian_id, struct db_child_name *out, int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT CH.code, CH.name FROM guardian_child GC JOIN child CH "
                                     "ON CH.id = GC.child_id WHERE GC.guardian_id = ? ORDER BY CH.code");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    return child_names(s, out, max);
}

int sqlite_db_region_child_names(struct store *st, int64_t region_id, struct db_child_name *out, int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT code, name FROM child WHERE region_id = ? ORDER BY code");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, region_id);
    return child_names(s, out, max);
}

/* ---- opt-out -------------------------------------------------------------- */

int sqlite_db_optout_set(struct store *st, const char *phone, const char *channel, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO opt_out(phone, at, channel) VALUES (?,?,?) "
                                     "ON CONFLICT(phone) DO UPDATE SET at = excluded.at, channel = excluded.channel");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    sqlite3_bind_int64(s, 2, now);
    store_bind_text(s, 3, channel);
    return store_step_done(s);
}

int sqlite_db_optout_clear(struct store *st, const char *phone)
{
    sqlite3_stmt *s = store_stmt(st, "DELETE FROM opt_out WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    return store_step_changed(st, s);
}

int sqlite_db_optout_check(struct store *st, const char *phone)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM opt_out WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    int rc = step_one(s);
    sqlite3_reset(s);
    return rc < 0 ? -1 : rc == 0;
}
