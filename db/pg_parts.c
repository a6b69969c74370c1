/* db/pg_parts.c - PostgreSQL implementation of store_parts.h. Runs on the
 * store writer's connection, inside its batch transaction.
 *
 * Parts of one message may reach different gateway processes. A part
 * another process has not committed yet is not seen: the group is then put
 * together by the process that stores its last part after the others are
 * committed, or by the stale sweep; a group assembled twice gives the same
 * provider id ("concat:<first part's id>"), which the inbox stores once.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

#define MAX_PARTS 16

/* Stores part m: 0 stored, 1 when (channel, provider_id) was already
 * stored (the insert meets the key without failing the transaction), -1. */
int pg_store_part_insert(struct store *st, const struct gw_msg *m, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, m->channel);
    pg_arg_text(&a, m->provider_id);
    pg_arg_text(&a, m->from);
    pg_arg_text(&a, m->to);
    pg_arg_text(&a, m->concat_ref);
    pg_arg_int(&a, m->concat_total);
    pg_arg_int(&a, m->concat_part);
    pg_arg_text(&a, m->text ? m->text : "");
    pg_arg_int(&a, m->received_at ? m->received_at : now);
    PGresult *r = pg_run(st,
                         "INSERT INTO sms_part(channel, provider_id, sender, recipient, ref, total, part, text, "
                         "received_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
                         "ON CONFLICT (channel, provider_id) DO NOTHING",
                         &a);
    if (!r) return -1;
    int stored = atoi(PQcmdTuples(r)) == 1;
    PQclear(r);
    return stored ? 0 : 1;
}

/* Fills whole from texts[1..total] (missing parts "[…]"), the first
 * part's provider id, recipient `to` and time. */
static void put_together(struct gw_msg *whole, const char *channel, const char *sender, int total, char **texts,
                         const char *first_id, const char *to, int64_t first_at)
{
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
}

/* Puts the group (channel, sender, ref, total) together into whole when
 * every part not yet assembled is there or the oldest is older than
 * stale_before: 0, 1 when still incomplete, -1 on error. */
int pg_store_part_assemble(struct store *st, const char *channel, const char *sender, const char *ref, int total,
                           int64_t stale_before, struct gw_msg *whole)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_text(&a, sender);
    pg_arg_text(&a, ref);
    pg_arg_int(&a, total);
    PGresult *r = pg_run(st,
                         "SELECT part, text, provider_id, received_at, recipient FROM sms_part "
                         "WHERE channel = $1 AND sender = $2 AND ref = $3 AND total = $4 AND inbox_id IS NULL "
                         "ORDER BY part, id",
                         &a);
    if (!r) return -1;
    char *texts[MAX_PARTS + 1] = {0};
    char first_id[160] = "", to[40] = "";
    int64_t first_at = 0;
    int have = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        int part = (int)pg_int(r, i, 0);
        if (part < 1 || part > total || part > MAX_PARTS || texts[part]) continue;
        texts[part] = gw_strdup(PQgetvalue(r, i, 1));
        int64_t at = pg_int(r, i, 3);
        if (!first_at || at < first_at) {
            first_at = at;
            pg_text(r, i, 2, first_id, sizeof first_id);
            pg_text(r, i, 4, to, sizeof to);
        }
        have++;
    }
    PQclear(r);
    int result = 1;
    if (have > 0 && (have == total || first_at < stale_before)) {
        put_together(whole, channel, sender, total, texts, first_id, to, first_at);
        result = 0;
    }
    for (int p = 0; p <= MAX_PARTS; p++) free(texts[p]);
    return result;
}

/* Marks the group's parts as assembled into inbox row inbox_id. 0 or -1. */
int pg_store_part_done(struct store *st, const char *channel, const char *sender, const char *ref, int64_t inbox_id)
{
    struct pg_args a = {0};
    pg_arg_int(&a, inbox_id);
    pg_arg_text(&a, channel);
    pg_arg_text(&a, sender);
    pg_arg_text(&a, ref);
    return pg_run_done(st,
                       "UPDATE sms_part SET inbox_id = $1 WHERE channel = $2 AND sender = $3 AND ref = $4 "
                       "AND inbox_id IS NULL",
                       &a);
}

/* Calls fn for each incomplete group whose first part is older than
 * stale_before, at most 64 a call, in the order of their keys (bytewise,
 * as SQLite's GROUP BY gives them). 0 or -1. */
int pg_store_part_stale(struct store *st, int64_t stale_before,
                        void (*fn)(void *arg, const char *channel, const char *sender, const char *ref, int total),
                        void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, stale_before);
    PGresult *r = pg_run(st,
                         "SELECT channel, sender, ref, total FROM sms_part WHERE inbox_id IS NULL "
                         "GROUP BY channel, sender, ref, total HAVING min(received_at) < $1 "
                         "ORDER BY channel COLLATE \"C\", sender COLLATE \"C\", ref COLLATE \"C\", total LIMIT 64",
                         &a);
    if (!r) return -1;
    /* The rows are read before fn runs: fn stores (part_done) on this
     * connection. */
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), (int)pg_int(r, i, 3));
    PQclear(r);
    return 0;
}
