/* handlers/audit.c - the audit trail's chain rule (audit.h): the hash of a
 * row, appending a row chained to the newest, and checking the chain. */
#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../core/sha256.h"
#include "../core/store.h"
#include "../core/util.h"

static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* Appends one field as "<length>:<bytes>,". */
static void field(struct gw_buf *b, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    gw_buf_printf(b, "%zu:", n);
    gw_buf_append(b, s, n);
    gw_buf_putc(b, ',');
}

int audit_row_hash(const struct store_audit_row *r, char hex[AUDIT_HASH_HEX])
{
    char id[24], at[24];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(at, sizeof at, "%" PRId64, r->at);
    struct gw_buf b = {0};
    gw_buf_puts(&b, "gw-audit-1");
    const char *fields[] = {id, at, r->actor, r->role, r->client, r->action, r->records, r->purpose, r->prev};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) field(&b, fields[i]);
    int rc = gw_sha256_hex(b.p, b.len, hex);
    gw_buf_free(&b);
    return rc;
}

int audit_record(struct store *st, const char *actor, const char *role, const char *client, const char *action,
                 const char *records, const char *purpose, int64_t now)
{
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int64_t last_id = 0;
    int rc = store_audit_last(st, prev, &last_id);
    if (rc < 0) return -1;
    if (rc == 1) gw_strlcpy(prev, zeros, sizeof prev);
    struct store_audit_row r = {
        .id = last_id + 1,
        .at = now,
        .actor = actor ? actor : "",
        .role = role ? role : "",
        .client = client ? client : "",
        .action = action ? action : "",
        .records = records ? records : "",
        .purpose = purpose ? purpose : "",
        .prev = prev,
        .hash = hash,
    };
    if (audit_row_hash(&r, hash) != 0) return -1;
    return store_audit_append(st, &r);
}

struct walk {
    struct audit_problem *bad;
    long rows;
    int64_t last_id;
    char last_hash[AUDIT_HASH_HEX];
};

/* Sets the problem of row r and returns 1 (stops the walk). */
static int fault(struct walk *w, const struct store_audit_row *r, enum audit_fault f, const char *what)
{
    w->bad->id = r->id;
    w->bad->fault = f;
    gw_strlcpy(w->bad->what, what, sizeof w->bad->what);
    return 1;
}

static int check_row(void *arg, const struct store_audit_row *r)
{
    struct walk *w = arg;
    char what[160], hash[AUDIT_HASH_HEX];
    const char *want_prev = w->rows ? w->last_hash : zeros;
    if (r->id != w->last_id + 1) {
        if (r->id == w->last_id + 2)
            snprintf(what, sizeof what, "row %" PRId64 " is missing (deleted)", w->last_id + 1);
        else
            snprintf(what, sizeof what, "rows %" PRId64 "-%" PRId64 " are missing (deleted)", w->last_id + 1,
                     r->id - 1);
        return fault(w, r, AUDIT_GAP, what);
    }
    if (strcmp(r->prev, want_prev) != 0) {
        if (w->rows)
            snprintf(what, sizeof what,
                     "prev does not match the hash of row %" PRId64 " (a row deleted, reordered "
                     "or rewritten)",
                     w->last_id);
        else
            snprintf(what, sizeof what, "prev of the first row is not 64 zeros (rows before it deleted)");
        return fault(w, r, AUDIT_PREV, what);
    }
    if (audit_row_hash(r, hash) != 0) return -1;
    if (strcmp(r->hash, hash) != 0) return fault(w, r, AUDIT_HASH, "hash does not match its content (row edited)");
    w->rows++;
    w->last_id = r->id;
    gw_strlcpy(w->last_hash, r->hash, sizeof w->last_hash);
    return 0;
}

int audit_verify(struct store *st, struct audit_problem *bad, long *rows, char last_hash[AUDIT_HASH_HEX])
{
    struct audit_problem scratch = {0};
    struct walk w = {.bad = bad ? bad : &scratch};
    memset(w.bad, 0, sizeof *w.bad);
    int rc = store_audit_each(st, 0, check_row, &w);
    if (rows) *rows = w.rows;
    if (last_hash) gw_strlcpy(last_hash, w.last_hash, AUDIT_HASH_HEX);
    return rc < 0 ? -1 : rc;
}
