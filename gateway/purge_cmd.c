/* gateway/purge_cmd.c - the purge subcommand (purge_cmd.h). */
#include "purge_cmd.h"

#include "../core/calendar.h"
#include "../core/config.h"
#include "../core/store.h"
#include "../handlers/audit.h"

#define DAY 86400

/* The time `days` before now, or 0 (nothing is old enough) for 0 days. */
static int64_t cutoff(int64_t now, int days) { return days > 0 ? now - (int64_t)days * DAY : 0; }

/* Prints one kind's line: its count and, when there are any, the oldest local day. */
static void kind_line(FILE *out, const char *what, long n, int64_t oldest, int days)
{
    char day[16] = "";
    if (days == 0) {
        fprintf(out, "  %-34s kept forever (0 days)\n", what);
        return;
    }
    if (n > 0) cal_date_iso(cal_local_day(oldest), day, sizeof day);
    fprintf(out, "  %-34s %ld%s%s%s\n", what, n, n > 0 ? " (oldest " : "", day, n > 0 ? ")" : "");
}

/* Prints the counts of c under a heading. */
static void report(FILE *out, const char *heading, const struct gw_retention *r, const struct store_purge_counts *c)
{
    fprintf(out, "%s (reporter_days = %d, message_days = %d)\n", heading, r->reporter_days, r->message_days);
    kind_line(out, "closed cases' reporter contacts:", c->cases, c->oldest_case, r->reporter_days);
    kind_line(out, "inbound messages anonymised:", c->inbox, c->oldest_inbox, r->message_days);
    kind_line(out, "outbound messages anonymised:", c->outbox, c->oldest_outbox, r->message_days);
}

/* The purge and its audit row in one transaction: 0 or -1 (rolled back). */
static int purge_audited(struct store *st, const struct gw_retention *r, int64_t now, struct store_purge_counts *c)
{
    char records[128], purpose[64];
    if (store_begin(st) != 0) return -1;
    int rc = store_retention_purge(st, cutoff(now, r->reporter_days), cutoff(now, r->message_days), now, c);
    snprintf(records, sizeof records, "cases:%ld inbox:%ld outbox:%ld reporters:%ld", c->cases, c->inbox, c->outbox,
             c->reporters);
    snprintf(purpose, sizeof purpose, "retention reporter_days=%d message_days=%d", r->reporter_days, r->message_days);
    if (rc == 0) rc = audit_record(st, "cli", "admin", "cli", "purge", records, purpose, now);
    if (rc == 0) rc = store_commit(st);
    if (rc != 0) store_rollback(st);
    return rc == 0 ? 0 : -1;
}

int purge_cmd(struct store *st, const struct gw_config *cfg, int dry_run, int64_t now, FILE *out, FILE *err)
{
    struct gw_retention r = cfg ? cfg->retention : (struct gw_retention){1095, 1095};
    struct store_purge_counts c;
    if (dry_run) {
        if (store_retention_count(st, cutoff(now, r.reporter_days), cutoff(now, r.message_days), &c) != 0) {
            fprintf(err, "purge: cannot count (%s)\n", store_errmsg(st));
            return 1;
        }
        report(out, "purge --dry-run: would remove, changing nothing now", &r, &c);
        return 0;
    }
    if (purge_audited(st, &r, now, &c) != 0) {
        fprintf(err, "purge: failed, nothing removed (%s)\n", store_errmsg(st));
        return 1;
    }
    report(out, "purge: removed", &r, &c);
    fprintf(out, "  %-34s %ld\n", "reporter rows deleted:", c.reporters);
    int scrub = store_retention_scrub(st);
    if (scrub == 1)
        fprintf(err, "purge: the store's WAL still holds older copies of the removed texts (the gateway was writing); "
                     "they go when it is written over, or run purge again when the gateway is quiet\n");
    else if (scrub != 0)
        fprintf(err, "purge: the store's WAL could not be cleared of older copies (%s)\n", store_errmsg(st));
    return 0;
}
