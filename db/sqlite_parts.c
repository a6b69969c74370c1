/* db/sqlite_parts.c - SQLite implementation of store_parts.h. Runs on the
 * store writer's connection, inside its batch transaction. */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

#define MAX_PARTS 16

int sqlite_store_part_insert(struct store *st, const struct gw_msg *m, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO sms_part(channel, provider_id, sender, recipient, ref, total, part, "
                                     "text, received_at) VALUES (?,?,?,?,?,?,?,?,?) "
                                     "ON CONFLICT(channel, provider_id) DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, m->channel);
    store_bind_text(s, 2, m->provider_id);
    store_bind_text(s, 3, m->from);
    store_bind_text(s, 4, m->to);
    store_bind_text(s, 5, m->concat_ref);
    sqlite3_bind_int(s, 6, m->concat_total);
    sqlite3_bind_int(s, 7, m->concat_part);
    store_bind_text(s, 8, m->text ? m->text : "");
    sqlite3_bind_int64(s, 9, m->received_at ? m->received_at : now);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_store_part_assemble(struct store *st, const char *channel, const char *sender, const char *ref, int total,
                               int64_t stale_before, struct gw_msg *whole)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT part, text, provider_id, received_at, recipient FROM sms_part "
                                     "WHERE channel = ? AND sender = ? AND ref = ? AND total = ? AND inbox_id IS NULL "
                                     "ORDER BY part, id");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, sender);
    store_bind_text(s, 3, ref);
    sqlite3_bind_int(s, 4, total);
    char *texts[MAX_PARTS + 1] = {0};
    char first_id[160] = "", to[40] = "";
    int64_t first_at = 0;
    int have = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int part = sqlite3_column_int(s, 0);
        if (part < 1 || part > total || part > MAX_PARTS || texts[part]) continue;
        texts[part] = gw_strdup((const char *)sqlite3_column_text(s, 1));
        int64_t at = sqlite3_column_int64(s, 3);
        if (!first_at || at < first_at) {
            first_at = at;
            store_col_text(s, 2, first_id, sizeof first_id);
            store_col_text(s, 4, to, sizeof to);
        }
        have++;
    }
    sqlite3_reset(s);
    int result = 1;
    if (rc != SQLITE_DONE)
        result = -1;
    else if (have > 0 && (have == total || first_at < stale_before)) {
        struct gw_buf b = {0};
        for (int p = 1; p <= total && p <= MAX_PARTS; p++) gw_buf_puts(&b, texts[p] ? texts[p] : "[…]");
        memset(whole, 0, sizeof *whole);
        whole->channel = gw_strdup(channel);
        whole->from = gw_strdup(sender);
        whole->to = to[0] ? gw_strdup(to) : NULL;
        struct gw_buf id = {0};
        gw_buf_printf(&id, "concat:%s", first_id);
        whole->provider_id = gw_buf_steal(&id);
        whole->text = gw_buf_steal(&b);
        whole->received_at = first_at;
        result = 0;
    }
    for (int p = 0; p <= MAX_PARTS; p++) free(texts[p]);
    return result;
}

int sqlite_store_part_done(struct store *st, const char *channel, const char *sender, const char *ref, int64_t inbox_id)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE sms_part SET inbox_id = ? WHERE channel = ? AND sender = ? AND ref = ? "
                                     "AND inbox_id IS NULL");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, inbox_id);
    store_bind_text(s, 2, channel);
    store_bind_text(s, 3, sender);
    store_bind_text(s, 4, ref);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_part_stale(struct store *st, int64_t stale_before,
                            void (*fn)(void *arg, const char *channel, const char *sender, const char *ref, int total),
                            void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT channel, sender, ref, total FROM sms_part WHERE inbox_id IS NULL "
                                     "GROUP BY channel, sender, ref, total HAVING min(received_at) < ? LIMIT 64");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, stale_before);
    struct {
        char channel[64], sender[40], ref[64];
        int total;
    } groups[64];
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 64) {
        store_col_text(s, 0, groups[n].channel, sizeof groups[n].channel);
        store_col_text(s, 1, groups[n].sender, sizeof groups[n].sender);
        store_col_text(s, 2, groups[n].ref, sizeof groups[n].ref);
        groups[n].total = sqlite3_column_int(s, 3);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return -1;
    for (int i = 0; i < n; i++) fn(arg, groups[i].channel, groups[i].sender, groups[i].ref, groups[i].total);
    return 0;
}
