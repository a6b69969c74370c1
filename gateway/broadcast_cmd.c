/* gateway/broadcast_cmd.c - the broadcast subcommand (broadcast_cmd.h). */
#include "broadcast_cmd.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/config.h"
#include "../core/message.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/broadcast.h"

#define BC_USAGE                                                                                                       \
    "usage: gateway broadcast -c gateway.ini create --by PHONE --template NAME --to AUDIENCE [--var k=v ...]\n"        \
    "       gateway broadcast -c gateway.ini approve ID --by PHONE\n"                                                  \
    "       gateway broadcast -c gateway.ini cancel ID --by PHONE\n"                                                   \
    "       gateway broadcast -c gateway.ini list\n"                                                                   \
    "       gateway broadcast -c gateway.ini show ID\n"                                                                \
    "AUDIENCE: directors:<region path> | away_parents:<region path> | guardians:<category>:<region path>\n"

int broadcast_cmd_parse(int argc, char **argv, struct broadcast_args *a, FILE *err)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            a->config = argv[++i];
        } else if (a->argc < (int)(sizeof a->argv / sizeof a->argv[0])) {
            a->argv[a->argc++] = argv[i];
        } else {
            fputs("broadcast: too many arguments\n", err);
            return -1;
        }
    }
    if (!a->config) {
        fputs("gateway: -c gateway.ini is required\n", err);
        return -1;
    }
    return 0;
}

/* The words of one act: its verb, its id, its options. */
struct words {
    const char *verb;
    const char *id;
    const char *by;
    const char *tmpl;
    const char *to;
    struct bc_var vars[BC_MAX_VARS];
    int nvars;
    char var_names[BC_MAX_VARS][32];
};

/* Reads a's words into w. 0, or -1 with the reason on err. */
static int read_words(const struct broadcast_args *a, struct words *w, FILE *err)
{
    memset(w, 0, sizeof *w);
    for (int i = 0; i < a->argc; i++) {
        const char *arg = a->argv[i];
        const char **slot = !strcmp(arg, "--by")         ? &w->by
                            : !strcmp(arg, "--template") ? &w->tmpl
                            : !strcmp(arg, "--to")       ? &w->to
                                                         : NULL;
        if (slot || !strcmp(arg, "--var")) {
            if (i + 1 >= a->argc) return fprintf(err, "broadcast: %s needs a value\n", arg), -1;
            const char *v = a->argv[++i];
            if (slot) {
                *slot = v;
                continue;
            }
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof w->var_names[0])
                return fprintf(err, "broadcast: --var %s: expected name=value\n", v), -1;
            if (w->nvars == BC_MAX_VARS) return fprintf(err, "broadcast: at most %d --var\n", BC_MAX_VARS), -1;
            snprintf(w->var_names[w->nvars], sizeof w->var_names[0], "%.*s", (int)(eq - v), v);
            w->vars[w->nvars].name = w->var_names[w->nvars];
            w->vars[w->nvars].value = eq + 1;
            w->nvars++;
        } else if (arg[0] == '-' && arg[1]) {
            return fprintf(err, "broadcast: unknown option %s\n" BC_USAGE, arg), -1;
        } else if (!w->verb) {
            w->verb = arg;
        } else if (!w->id) {
            w->id = arg;
        } else {
            return fprintf(err, "broadcast: unexpected %s\n" BC_USAGE, arg), -1;
        }
    }
    if (!w->verb) return fprintf(err, "broadcast: a verb is required\n" BC_USAGE), -1;
    return 0;
}

/* Checks that the verb is known, got what it needs and nothing it does not take. */
static int check_words(const struct words *w, FILE *err)
{
    static const char *const verbs[] = {"create", "approve", "cancel", "list", "show", NULL};
    int known = 0;
    for (int i = 0; verbs[i]; i++) known |= !strcmp(w->verb, verbs[i]);
    if (!known) return fprintf(err, "broadcast: unknown verb %s\n" BC_USAGE, w->verb), -1;
    int create = !strcmp(w->verb, "create"), list = !strcmp(w->verb, "list");
    int needs_id = !create && !list, needs_by = !list && strcmp(w->verb, "show") != 0;
    if (needs_id != !!w->id)
        return fprintf(err, "broadcast %s: %s\n" BC_USAGE, w->verb,
                       w->id ? "takes no id" : "a broadcast id is required"),
               -1;
    if (needs_by != !!w->by)
        return fprintf(err, "broadcast %s: %s\n", w->verb, w->by ? "takes no --by" : "--by PHONE is required"), -1;
    if (create && (!w->tmpl || !w->to))
        return fprintf(err, "broadcast create: --template and --to are required\n" BC_USAGE), -1;
    if (!create && (w->tmpl || w->to || w->nvars))
        return fprintf(err, "broadcast %s: --template, --to and --var are for create\n", w->verb), -1;
    return 0;
}

static int list_row(void *arg, const struct store_broadcast *b)
{
    FILE *out = arg;
    char c[32], a[32];
    fprintf(out, "%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", (long long)b->id, b->tmpl, b->audience, b->status,
            b->created_name, cal_time_text(b->created_at, c, sizeof c), b->approved_name[0] ? b->approved_name : "-",
            cal_time_text(b->approved_at, a, sizeof a));
    if (b->recipients < 0)
        fputs("-\t-\n", out);
    else
        fprintf(out, "%lld\t%lld\n", (long long)b->recipients, (long long)b->opted_out);
    return 0;
}

static int cmd_list(struct store *st, FILE *out, FILE *err)
{
    fputs("id\ttemplate\taudience\tstatus\tcreated_by\tcreated_at\tapproved_by\tapproved_at\trecipients\topted_out\n",
          out);
    if (store_broadcasts_each(st, list_row, out) != 0) return fprintf(err, "broadcast list: %s\n", store_errmsg(st)), 1;
    return 0;
}

static int cmd_show(struct store *st, int64_t id, FILE *out, FILE *err)
{
    struct store_broadcast b;
    struct store_broadcast_progress p;
    int rc = store_broadcast_get(st, id, &b);
    if (rc == 1) return fprintf(err, "broadcast show: no broadcast %lld\n", (long long)id), 1;
    if (rc != 0 || store_broadcast_progress(st, id, &p) != 0)
        return fprintf(err, "broadcast show: %s\n", store_errmsg(st)), 1;
    char c[32], a[32], x[32];
    fprintf(out, "id: %lld\ntemplate: %s\nvariables: %s\naudience: %s\nstatus: %s\ncreated: %s by %s\n",
            (long long)b.id, b.tmpl, b.vars_json, b.audience, b.status, cal_time_text(b.created_at, c, sizeof c),
            b.created_name);
    if (b.approved_by) fprintf(out, "approved: %s by %s\n", cal_time_text(b.approved_at, a, sizeof a), b.approved_name);
    if (b.cancelled_at) fprintf(out, "cancelled: %s\n", cal_time_text(b.cancelled_at, x, sizeof x));
    if (b.recipients >= 0)
        fprintf(out, "recipients: %lld\nopted_out: %lld\n", (long long)b.recipients, (long long)b.opted_out);
    fprintf(out, "queued: %lld\nsent: %lld\ndelivered: %lld\nfailed: %lld\nsuppressed: %lld\n", (long long)p.queued,
            (long long)p.sent, (long long)p.delivered, (long long)p.failed, (long long)p.suppressed);
    return 0;
}

/* Runs one act (create, approve or cancel) in a transaction of its own
 * and prints what it did. */
static int cmd_act(struct store *st, const struct gw_config *cfg, const struct words *w, int64_t id, int64_t now,
                   FILE *out, FILE *err)
{
    char by[32];
    if (gw_phone_e164(w->by, cfg && cfg->policy.country_code ? cfg->policy.country_code : "86", by, sizeof by) != 0)
        return fprintf(err, "broadcast %s: --by %s is not a phone number\n", w->verb, w->by), 2;
    struct bc_outcome o;
    if (store_begin(st) != 0) return fprintf(err, "broadcast %s: %s\n", w->verb, store_errmsg(st)), 1;
    int rc = !strcmp(w->verb, "create")    ? bc_create(st, cfg, by, "cli", w->tmpl, w->to, w->vars, w->nvars, now, &o)
             : !strcmp(w->verb, "approve") ? bc_approve(st, cfg, id, by, "cli", now, &o)
                                           : bc_cancel(st, id, by, "cli", now, &o);
    if (rc != 0 || store_commit(st) != 0) {
        if (rc >= 0 && rc != 1) rc = -1;
        char why[300];
        gw_strlcpy(why, rc == 1 ? o.err : store_errmsg(st), sizeof why);
        store_rollback(st);
        fprintf(err, "broadcast %s: %s\n", w->verb, why);
        return 1;
    }
    if (!strcmp(w->verb, "create"))
        fprintf(out,
                "broadcast %lld created: %ld recipients, %ld opted out; it goes once a second person approves it\n",
                (long long)o.id, o.recipients, o.opted_out);
    else if (!strcmp(w->verb, "approve"))
        fprintf(out, "broadcast %lld approved: %ld messages queued, %ld opted out left out\n", (long long)o.id,
                o.recipients, o.opted_out);
    else
        fprintf(out, "broadcast %lld cancelled: %ld queued messages will not go\n", (long long)o.id, o.unsent);
    return 0;
}

int broadcast_cmd_run(struct store *st, const struct gw_config *cfg, const struct broadcast_args *a, int64_t now,
                      FILE *out, FILE *err)
{
    struct words w;
    if (read_words(a, &w, err) != 0 || check_words(&w, err) != 0) return 2;
    long id = 0;
    if (w.id && gw_parse_long(w.id, 1, LONG_MAX, &id) != 0)
        return fprintf(err, "broadcast %s: %s is not a broadcast id\n", w.verb, w.id), 2;
    if (!strcmp(w.verb, "list")) return cmd_list(st, out, err);
    if (!strcmp(w.verb, "show")) return cmd_show(st, id, out, err);
    return cmd_act(st, cfg, &w, id, now, out, err);
}
