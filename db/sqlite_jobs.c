/* db/sqlite_jobs.c - SQLite implementation of the timed jobs' reads
 * (store_jobs.h).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Every statement is a static string prepared once through store_stmt;
 * values travel only through bind calls. The indexes that serve them are
 * the schema's own: cases(status, priority), case_event(case_id, at),
 * visit(child_id, visit_date), staff(region_id), checkin(guardian_id,
 * created_at), cases(county_id, status), and the outbox's unique
 * dedupe_key, read as a range per child ("visit_due:<code>:" up to
 * "visit_due:<code>;", ';' being the byte after ':').
 */
#include <string.h>

#include "store_int.h"

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
    return x->fn(x->arg, &c);
}

int db_jobs_unacked_cases(struct store *st, int64_t p0_opened_before, int64_t p1_opened_before,
                          int (*fn)(void *arg, const struct db_job_case *c), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT C.id, C.number, C.category, C.priority, C.opened_at, "
                                     "coalesce(C.county_id, 0), coalesce(K.path, ''), coalesce(R.path, ''), "
                                     "coalesce(R.level, 0), "
                                     "(SELECT count(*) FROM case_event E WHERE E.case_id = C.id "
                                     "  AND E.kind = 'realerted') AS n "
                                     "FROM cases C "
                                     "LEFT JOIN region K ON K.id = C.county_id "
                                     "LEFT JOIN region R ON R.id = C.region_id "
                                     "WHERE C.status = 'open' AND ((C.priority = 0 AND C.opened_at <= ?1) "
                                     "  OR (C.priority = 1 AND C.opened_at <= ?2)) AND n < 2 "
                                     "  AND (C.flood_of IS NULL OR EXISTS (SELECT 1 FROM case_event A "
                                     "    WHERE A.case_id = C.id AND A.kind = 'alerted')) "
                                     "ORDER BY C.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, p0_opened_before);
    sqlite3_bind_int64(s, 2, p1_opened_before);
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
    c.high = sqlite3_column_int(s, 2) != 0;
    c.created_at = sqlite3_column_int64(s, 3);
    store_col_text(s, 4, c.last_visit, sizeof c.last_visit);
    store_col_text(s, 5, c.village, sizeof c.village);
    col_phones(s, 6, c.directors, sizeof c.directors);
    store_col_text(s, 7, c.due_sent, sizeof c.due_sent);
    store_col_text(s, 8, c.overdue_sent, sizeof c.overdue_sent);
    return x->fn(x->arg, &c);
}

int db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                         int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg)
{
    /* "visit_due:" is 10 bytes and "visit_overdue:" 14: the key's date
     * starts after the prefix, the code and its ':'. */
    sqlite3_stmt *s =
        store_stmt(st, "WITH K AS MATERIALIZED ("
                       "  SELECT CH.id AS id, CH.code AS code, CH.region_id AS region_id, CH.created_at AS created_at, "
                       "    (CH.flags <> '' OR CH.high_cadence <> 0) AS high, "
                       "    (SELECT max(V.visit_date) FROM visit V WHERE V.child_id = CH.id AND V.result <= 3) AS last "
                       "  FROM child CH) "
                       "SELECT K.id, K.code, K.high, K.created_at, coalesce(K.last, ''), R.path, "
                       "  coalesce((SELECT group_concat(S.phone, ',') FROM (SELECT phone FROM staff "
                       "    WHERE region_id = K.region_id AND role = 'director' ORDER BY phone) S), ''), "
                       "  coalesce((SELECT substr(max(O.dedupe_key), length(K.code) + 12, 10) FROM outbox O "
                       "    WHERE O.dedupe_key > 'visit_due:' || K.code || ':' "
                       "      AND O.dedupe_key < 'visit_due:' || K.code || ';'), ''), "
                       "  coalesce((SELECT substr(max(O.dedupe_key), length(K.code) + 16, 10) FROM outbox O "
                       "    WHERE O.dedupe_key > 'visit_overdue:' || K.code || ':' "
                       "      AND O.dedupe_key < 'visit_overdue:' || K.code || ';'), '') "
                       "FROM K JOIN region R ON R.id = K.region_id "
                       "WHERE CASE WHEN K.last IS NULL THEN K.created_at < ?3 "
                       "           WHEN K.high THEN K.last <= ?2 ELSE K.last <= ?1 END "
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

int db_jobs_staff(struct store *st, const char *role, int (*fn)(void *arg, const char *phone, const char *region_path),
                  void *arg)
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
    store_col_text(s, 4, g.silent_sent, sizeof g.silent_sent);
    return x->fn(x->arg, &g);
}

int db_jobs_silent_guardians(struct store *st, int64_t before, int (*fn)(void *arg, const struct db_job_guardian *g),
                             void *arg)
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
            "  coalesce((SELECT substr(max(O.dedupe_key), length(K.id) + 17, 10) FROM outbox O "
            "    WHERE O.dedupe_key > 'checkin_silent:' || K.id || ':' "
            "      AND O.dedupe_key < 'checkin_silent:' || K.id || ';'), '') "
            "FROM K WHERE K.last < ?1 ORDER BY K.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, before);
    struct guardian_ctx x = {fn, arg};
    return each_row(s, guardian_row, &x);
}

struct pair_ctx {
    int (*fn)(void *arg, const char *a, const char *b);
    void *arg;
};

static int pair_row(sqlite3_stmt *s, void *ctx)
{
    struct pair_ctx *x = ctx;
    char a[24], b[24];
    store_col_text(s, 0, a, sizeof a);
    store_col_text(s, 1, b, sizeof b);
    return x->fn(x->arg, a, b);
}

int db_jobs_guardian_directors(struct store *st, int64_t guardian_id,
                               int (*fn)(void *arg, const char *director, const char *code), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT S.phone, CH.code FROM guardian_child GC "
                                     "JOIN child CH ON CH.id = GC.child_id "
                                     "JOIN staff S ON S.region_id = CH.region_id AND S.role = 'director' "
                                     "WHERE GC.guardian_id = ? AND GC.away = 1 ORDER BY S.phone, CH.code");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, guardian_id);
    struct pair_ctx x = {fn, arg};
    return each_row(s, pair_row, &x);
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

int db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg)
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
