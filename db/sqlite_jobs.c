/* db/sqlite_jobs.c - SQLite implementation of the timed jobs' reads and
 * digest items (store_jobs.h).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once through store_stmt;
 * values travel only through bind calls. The indexes that serve them are
 * the schema's own: cases(status, priority), case_event(case_id, at),
 * visit(child_id, visit_date), staff(region_id), checkin(guardian_id,
 * created_at), cases(county_id, status), the outbox's unique dedupe_key
 * and digest_item's key, both read as a range per child or parent
 * ("visit_due:<code>:" up to "visit_due:<code>;", ';' being the byte
 * after ':').
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- listings ------------------------------------------------------------------- */

/* Runs s row by row through each; returns 0 at the end, fn's non-zero
 * value when it stops, -1 on error. Resets s either way. */
static int each_row(sqlite3_stmt *s, int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
{
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((stop = each(s, ctx)) != 0) break;
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Copies a comma-separated phone list, cut at the last whole phone that fits. */
static void col_phones(sqlite3_stmt *s, int i, char *out, size_t outlen)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    size_t n = v ? strlen(v) : 0;
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && v[n] != ',') n--;
    }
    if (n) memcpy(out, v, n);
    out[n] = '\0';
}

/* ---- acknowledgement deadlines ---------------------------------------------- */

struct case_ctx {
    int (*fn)(void *arg, const struct db_job_case *c);
    void *arg;
};

static int case_row(sqlite3_stmt *s, void *ctx)
{
    struct case_ctx *x = ctx;
    struct db_job_case c;
    memset(&c, 0, sizeof c);
    c.id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, c.number, sizeof c.number);
    c.category = sqlite3_column_int(s, 2);
    c.priority = sqlite3_column_int(s, 3);
    c.opened_at = sqlite3_column_int64(s, 4);
    c.county_id = sqlite3_column_int64(s, 5);
    store_col_text(s, 6, c.county, sizeof c.county);
    store_col_text(s, 7, c.place, sizeof c.place);
    c.place_level = sqlite3_column_int(s, 8);
    c.realerts = sqlite3_column_int(s, 9);
    c.since = sqlite3_column_int64(s, 10);
    c.phase = sqlite3_column_int(s, 11);
    c.triage = sqlite3_column_int(s, 12) != 0;
    return x->fn(x->arg, &c);
}

int sqlite_db_jobs_unacked_cases(struct store *st, int64_t p0_since, int64_t p1_since,
                                 int (*fn)(void *arg, const struct db_job_case *c), void *arg)
{
    /* A classification by triage starts the deadlines afresh: `since` is
     * its time, and only the re-alerts after it (by event id) count. A case
     * opened after both deadlines cannot be due (`since` is never before
     * it opened), so only older cases are read, and only the columns used:
     * the run's memory follows the cases due, not every case open. */
    sqlite3_stmt *s = store_stmt(st, "WITH O AS MATERIALIZED ("
                                     "  SELECT C.id, C.number, C.category, C.priority, C.opened_at, "
                                     "    C.county_id, C.region_id, C.flood_of, "
                                     "    coalesce((SELECT max(E.id) FROM case_event E WHERE E.case_id = C.id "
                                     "      AND E.kind = 'classified'), 0) AS cls_id, "
                                     "    coalesce((SELECT max(E.at) FROM case_event E WHERE E.case_id = C.id "
                                     "      AND E.kind = 'classified'), C.opened_at) AS since, "
                                     "    (SELECT count(*) FROM case_event E WHERE E.case_id = C.id "
                                     "      AND E.kind = 'classified') AS phase, "
                                     "    (C.classified = 0 AND EXISTS (SELECT 1 FROM case_event E "
                                     "      WHERE E.case_id = C.id AND E.kind = 'alerted' "
                                     "      AND E.detail LIKE 'triage%')) AS triage "
                                     "  FROM cases C WHERE C.status = 'open' "
                                     "    AND C.opened_at <= max(?1, ?2)) "
                                     "SELECT O.id, O.number, O.category, O.priority, O.opened_at, "
                                     "coalesce(O.county_id, 0), coalesce(K.path, ''), coalesce(R.path, ''), "
                                     "coalesce(R.level, 0), "
                                     "(SELECT count(*) FROM case_event E WHERE E.case_id = O.id "
                                     "  AND E.kind = 'realerted' AND E.id > O.cls_id) AS n, "
                                     "O.since, O.phase, O.triage "
                                     "FROM O "
                                     "LEFT JOIN region K ON K.id = O.county_id "
                                     "LEFT JOIN region R ON R.id = O.region_id "
                                     "WHERE ((O.priority = 0 AND O.since <= ?1) "
                                     "  OR ((O.priority = 1 OR O.triage) AND O.since <= ?2)) AND n < 2 "
                                     "  AND (O.flood_of IS NULL OR EXISTS (SELECT 1 FROM case_event A "
                                     "    WHERE A.case_id = O.id AND A.kind = 'alerted')) "
                                     "ORDER BY O.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, p0_since);
    sqlite3_bind_int64(s, 2, p1_since);
    struct case_ctx x = {fn, arg};
    return each_row(s, case_row, &x);
}

/* ---- visit cadence ------------------------------------------------------------ */

struct child_ctx {
    int (*fn)(void *arg, const struct db_job_child *c);
    void *arg;
};

static int child_row(sqlite3_stmt *s, void *ctx)
{
    struct child_ctx *x = ctx;
    struct db_job_child c;
    memset(&c, 0, sizeof c);
    c.id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, c.code, sizeof c.code);
    c.high_cadence = sqlite3_column_int(s, 2) != 0;
    c.created_at = sqlite3_column_int64(s, 3);
    store_col_text(s, 4, c.last_visit, sizeof c.last_visit);
    store_col_text(s, 5, c.village, sizeof c.village);
    col_phones(s, 6, c.directors, sizeof c.directors);
    store_col_text(s, 7, c.due_done, sizeof c.due_done);
    store_col_text(s, 8, c.overdue_done, sizeof c.overdue_done);
    store_col_text(s, 9, c.birth_date, sizeof c.birth_date);
    store_col_text(s, 10, c.categories, sizeof c.categories);
    store_col_text(s, 11, c.flags, sizeof c.flags);
    return x->fn(x->arg, &c);
}

int sqlite_db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                                int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg)
{
    /* "visit_due:" is 10 bytes and "visit_overdue:" 14: the item's date
     * starts after the prefix, the code and its ':'. The village's least
     * advanced director decides: a period is done when every director has
     * its item ('' when any has none, and when there is no director). */
    sqlite3_stmt *s =
        store_stmt(st, "WITH K AS MATERIALIZED ("
                       "  SELECT CH.id AS id, CH.code AS code, CH.region_id AS region_id, CH.created_at AS created_at, "
                       "    CH.birth_date AS birth_date, CH.categories AS categories, "
                       "    CH.flags AS flags, CH.high_cadence AS high_cadence, "
                       "    (SELECT V.visit_date FROM visit V WHERE V.child_id = CH.id AND V.result <= 3 "
                       "      ORDER BY V.visit_date DESC LIMIT 1) AS last "
                       "  FROM child CH) "
                       "SELECT K.id, K.code, K.high_cadence, K.created_at, coalesce(K.last, ''), R.path, "
                       "  coalesce((SELECT group_concat(S.phone, ',') FROM (SELECT phone FROM staff "
                       "    WHERE region_id = K.region_id AND role = 'director' ORDER BY phone) S), ''), "
                       "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.code) + 12, 10) "
                       "    FROM digest_item I WHERE I.key > 'visit_due:' || K.code || ':' "
                       "      AND I.key < 'visit_due:' || K.code || ';' AND I.recipient = S.phone), '')) "
                       "    FROM staff S WHERE S.region_id = K.region_id AND S.role = 'director'), ''), "
                       "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.code) + 16, 10) "
                       "    FROM digest_item I WHERE I.key > 'visit_overdue:' || K.code || ':' "
                       "      AND I.key < 'visit_overdue:' || K.code || ';' AND I.recipient = S.phone), '')) "
                       "    FROM staff S WHERE S.region_id = K.region_id AND S.role = 'director'), ''), "
                       "  K.birth_date, K.categories, K.flags "
                       "FROM K JOIN region R ON R.id = K.region_id "
                       "WHERE CASE WHEN K.last IS NULL THEN K.created_at < ?3 "
                       "           ELSE K.last <= max(?1, ?2) END "
                       "ORDER BY K.code");
    if (!s) return -1;
    store_bind_text(s, 1, last_before);
    store_bind_text(s, 2, last_before_high);
    sqlite3_bind_int64(s, 3, created_before);
    struct child_ctx x = {fn, arg};
    return each_row(s, child_row, &x);
}

struct staff_ctx {
    int (*fn)(void *arg, const char *phone, const char *region_path);
    void *arg;
};

static int staff_row(sqlite3_stmt *s, void *ctx)
{
    struct staff_ctx *x = ctx;
    char phone[24], path[DB_PATH_MAX];
    store_col_text(s, 0, phone, sizeof phone);
    store_col_text(s, 1, path, sizeof path);
    return x->fn(x->arg, phone, path);
}

int sqlite_db_jobs_staff(struct store *st, const char *role,
                         int (*fn)(void *arg, const char *phone, const char *region_path), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT S.phone, R.path FROM staff S JOIN region R ON R.id = S.region_id "
                                     "WHERE S.role = ? ORDER BY S.phone");
    if (!s) return -1;
    store_bind_text(s, 1, role);
    struct staff_ctx x = {fn, arg};
    return each_row(s, staff_row, &x);
}

/* ---- parent contact ---------------------------------------------------------- */

struct guardian_ctx {
    int (*fn)(void *arg, const struct db_job_guardian *g);
    void *arg;
};

static int guardian_row(sqlite3_stmt *s, void *ctx)
{
    struct guardian_ctx *x = ctx;
    struct db_job_guardian g;
    memset(&g, 0, sizeof g);
    g.id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, g.phone, sizeof g.phone);
    g.last_contact = sqlite3_column_int64(s, 2);
    store_col_text(s, 3, g.remind_sent, sizeof g.remind_sent);
    store_col_text(s, 4, g.silent_done, sizeof g.silent_done);
    return x->fn(x->arg, &g);
}

int sqlite_db_jobs_silent_guardians(struct store *st, int64_t before,
                                    int (*fn)(void *arg, const struct db_job_guardian *g), void *arg)
{
    /* "checkin_remind:" and "checkin_silent:" are both 15 bytes. */
    sqlite3_stmt *s = store_stmt(
        st, "WITH K AS MATERIALIZED ("
            "  SELECT G.id AS id, G.phone AS phone, "
            "    coalesce((SELECT max(C.created_at) FROM checkin C WHERE C.guardian_id = G.id), G.created_at) "
            "      AS last "
            "  FROM guardian G "
            "  WHERE EXISTS (SELECT 1 FROM guardian_child GC WHERE GC.guardian_id = G.id AND GC.away = 1)) "
            "SELECT K.id, K.phone, K.last, "
            "  coalesce((SELECT substr(max(O.dedupe_key), length(K.id) + 17, 10) FROM outbox O "
            "    WHERE O.dedupe_key > 'checkin_remind:' || K.id || ':' "
            "      AND O.dedupe_key < 'checkin_remind:' || K.id || ';'), ''), "
            "  coalesce((SELECT min(coalesce((SELECT substr(max(I.key), length(K.id) + 17, 10) FROM digest_item I "
            "    WHERE I.key > 'checkin_silent:' || K.id || ':' AND I.key < 'checkin_silent:' || K.id || ';' "
            "      AND I.recipient = S.phone), '')) "
            "    FROM guardian_child GC JOIN child CH ON CH.id = GC.child_id "
            "    JOIN staff S ON S.region_id = CH.region_id AND S.role = 'director' "
            "    WHERE GC.guardian_id = K.id AND GC.away = 1), '') "
            "FROM K WHERE K.last < ?1 ORDER BY K.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, before);
    struct guardian_ctx x = {fn, arg};
    return each_row(s, guardian_row, &x);
}

struct ward_ctx {
    int (*fn)(void *arg, const struct db_job_ward *w);
    void *arg;
};

static int ward_row(sqlite3_stmt *s, void *ctx)
{
    struct ward_ctx *x = ctx;
    struct db_job_ward w;
    memset(&w, 0, sizeof w);
    store_col_text(s, 0, w.code, sizeof w.code);
    store_col_text(s, 1, w.birth_date, sizeof w.birth_date);
    store_col_text(s, 2, w.categories, sizeof w.categories);
    col_phones(s, 3, w.directors, sizeof w.directors);
    return x->fn(x->arg, &w);
}

int sqlite_db_jobs_guardian_wards(struct store *st, int64_t guardian_id,
                                  int (*fn)(void *arg, const struct db_job_ward *w), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT CH.code, CH.birth_date, CH.categories, "
                                     "  coalesce((SELECT group_concat(S.phone, ',') FROM (SELECT phone FROM staff "
                                     "    WHERE region_id = CH.region_id AND role = 'director' ORDER BY phone) S), '') "
                                     "FROM guardian_child GC JOIN child CH ON CH.id = GC.child_id "
                                     "WHERE GC.guardian_id = ? AND GC.away = 1 ORDER BY CH.code");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    struct ward_ctx x = {fn, arg};
    return each_row(s, ward_row, &x);
}

/* ---- digests and the daily cap ------------------------------------------------- */

int sqlite_db_digest_item_exists(struct store *st, const char *key)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM digest_item WHERE key = ?");
    if (!s) return -1;
    store_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_db_digest_item_add(struct store *st, const char *key, const char *recipient, const char *digest, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO digest_item(key, recipient, digest, at) VALUES (?, ?, ?, ?) "
                                     "ON CONFLICT(key) DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, key);
    store_bind_text(s, 2, recipient);
    store_bind_text(s, 3, digest);
    sqlite3_bind_int64(s, 4, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_db_jobs_capped_today(struct store *st, const char *phone, const char *day_iso, int64_t day_start,
                                int64_t day_end)
{
    /* Exact look-ups in the outbox's dedupe index: the digests carry the
     * recipient and the day in their keys; a parent's reminder carries the
     * guardian, found by phone. */
    sqlite3_stmt *s = store_stmt(st, "SELECT (SELECT count(*) FROM outbox WHERE dedupe_key IN ("
                                     "    'visit_digest:' || ?1 || ':' || ?2, 'silent_digest:' || ?1 || ':' || ?2, "
                                     "    'digest:' || ?1 || ':' || ?2, 'triage:' || ?1 || ':' || ?2)) "
                                     "  + (SELECT count(*) FROM guardian G JOIN outbox O "
                                     "    ON O.dedupe_key > 'checkin_remind:' || G.id || ':' "
                                     "    AND O.dedupe_key < 'checkin_remind:' || G.id || ';' "
                                     "    WHERE G.phone = ?1 AND O.created_at >= ?3 AND O.created_at < ?4)");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    store_bind_text(s, 2, day_iso);
    sqlite3_bind_int64(s, 3, day_start);
    sqlite3_bind_int64(s, 4, day_end);
    int n = -1;
    if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return n;
}

/* ---- triage ---------------------------------------------------------------- */

struct count_ctx {
    int (*fn)(void *arg, const char *phone, int count);
    void *arg;
};

static int count_row(sqlite3_stmt *s, void *ctx)
{
    struct count_ctx *x = ctx;
    char phone[24];
    store_col_text(s, 0, phone, sizeof phone);
    return x->fn(x->arg, phone, sqlite3_column_int(s, 1));
}

int sqlite_db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg)
{
    /* A case's county_id is a level-1 region, so a responder whose region
     * is that county is registered at the county. */
    sqlite3_stmt *s = store_stmt(st, "SELECT S.phone, count(*) FROM staff S "
                                     "JOIN cases C ON C.county_id = S.region_id AND C.status = 'open' "
                                     "  AND (C.classified = 0 OR C.priority = 3) "
                                     "WHERE S.role = 'responder' AND S.department = 'civil_affairs' "
                                     "GROUP BY S.phone ORDER BY S.phone");
    if (!s) return -1;
    struct count_ctx x = {fn, arg};
    return each_row(s, count_row, &x);
}
