/* db/sqlite_audit.c - SQLite implementation of the audit trail's rows
 * (store_audit.h): append, the newest row, every row in id order. The
 * chain rule is the domain's; this file stores and reads what it is given.
 */
#include <stdint.h>
#include <string.h>

#include "store_int.h"

int sqlite_store_audit_append(struct store *st, const struct store_audit_row *r)
{
    sqlite3_stmt *s =
        store_stmt(st, "INSERT INTO audit(at, actor, role, client, action, records, purpose, prev, hash, id) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, r->at);
    store_bind_text(s, 2, r->actor);
    store_bind_text(s, 3, r->role);
    store_bind_text(s, 4, r->client);
    store_bind_text(s, 5, r->action);
    store_bind_text(s, 6, r->records);
    store_bind_text(s, 7, r->purpose);
    store_bind_text(s, 8, r->prev);
    store_bind_text(s, 9, r->hash);
    sqlite3_bind_int64(s, 10, r->id);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_audit_last(struct store *st, char *hash, int64_t *id)
{
    hash[0] = '\0';
    *id = 0;
    sqlite3_stmt *s = store_stmt(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    if (!s) return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, hash, 65);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* Column i as text, "" for NULL; valid until the next step. */
static const char *col(sqlite3_stmt *s, int i)
{
    const unsigned char *p = sqlite3_column_text(s, i);
    return p ? (const char *)p : "";
}

int sqlite_store_audit_each(struct store *st, int64_t from_id, int (*fn)(void *arg, const struct store_audit_row *r),
                            void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, at, actor, role, client, action, records, purpose, prev, hash "
                                     "FROM audit WHERE id >= ? ORDER BY id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_audit_row r = {
            .id = sqlite3_column_int64(s, 0),
            .at = sqlite3_column_int64(s, 1),
            .actor = col(s, 2),
            .role = col(s, 3),
            .client = col(s, 4),
            .action = col(s, 5),
            .records = col(s, 6),
            .purpose = col(s, 7),
            .prev = col(s, 8),
            .hash = col(s, 9),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
