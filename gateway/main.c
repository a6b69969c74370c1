/* gateway/main.c - the gateway's command line: serve, migrate, import,
 * export, sms, templates, token, audit, report, purge, broadcast,
 * copy-store. One binary, one subcommand per run. */
#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../db/sqlite.h"
#include "../handlers/templates.h"
#include "../providers/provider.h"
#include "audit_cmd.h"
#include "broadcast_cmd.h"
#include "config_load.h"
#include "copy_cmd.h"
#include "export_file_cmd.h"
#include "export_national.h"
#include "fetcher.h"
#include "http.h"
#include "metrics.h"
#include "pipeline.h"
#include "purge_cmd.h"
#include "report_cmd.h"
#include "roster.h"
#include "scheduler.h"
#include "sender.h"
#include "store_open.h"
#include "token_cmd.h"
#include "writer.h"

static void usage(FILE *out)
{
    fputs("usage:\n"
          "  gateway serve     -c gateway.ini                       run the service\n"
          "  gateway migrate   -c gateway.ini                       create or upgrade the database\n"
          "  gateway import    -c gateway.ini KIND file.csv         KIND: regions|staff|children|guardians\n"
          "  gateway export    -c gateway.ini WHAT [--from D --to D] WHAT: visits|checkins|cases|outbox|coverage|"
          "children (CSV)\n"
          "  gateway sms       -c gateway.ini --from PHONE TEXT     inject one message, print its replies\n"
          "  gateway templates -c gateway.ini                       list every outbound template\n"
          "  gateway audit     -c gateway.ini verify                check the audit trail's hash chain\n"
          "  gateway audit     -c gateway.ini list [--from D --to D] the audit trail as CSV\n"
          "  gateway token     -c gateway.ini create NAME --role ROLE [--region PATH] [--department DEPT]\n"
          "                                                         make an API token (printed once)\n"
          "  gateway token     -c gateway.ini list|revoke NAME      list the API tokens, or revoke one\n"
          "  gateway export    -c gateway.ini file CODE [--format json|html]  one child's whole file\n"
          "  gateway export    -c gateway.ini national              children for the national system ([export "
          "national])\n"
          "  gateway report    -c gateway.ini (--year YYYY | --from D --to D) [--region PATH] [--format csv|html]\n"
          "  gateway purge     -c gateway.ini [--dry-run]           apply the retention periods ([retention])\n"
          "  gateway broadcast -c gateway.ini create|approve|cancel|list|show ...  a template to a group\n"
          "  gateway copy-store -c new.ini --from old.db              copy a SQLite store into an empty "
          "PostgreSQL one\n",
          out);
}

/* Parsed command line: -c FILE, --from X, --to X, --id X, --year X,
 * --region X, --format X, --dry-run, positional args. */
struct args {
    const char *config;
    const char *from;
    const char *to;
    const char *id;
    const char *year;
    const char *region;
    const char *format;
    int dry_run;
    const char *pos[8];
    int npos;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config"))
            slot = &a->config;
        else if (!strcmp(argv[i], "--from"))
            slot = &a->from;
        else if (!strcmp(argv[i], "--to"))
            slot = &a->to;
        else if (!strcmp(argv[i], "--id"))
            slot = &a->id;
        else if (!strcmp(argv[i], "--year"))
            slot = &a->year;
        else if (!strcmp(argv[i], "--region"))
            slot = &a->region;
        else if (!strcmp(argv[i], "--format"))
            slot = &a->format;
        if (!strcmp(argv[i], "--dry-run")) {
            a->dry_run = 1;
        } else if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gateway: %s needs a value\n", argv[i]);
                return -1;
            }
            *slot = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
            fprintf(stderr, "gateway: unknown option %s\n", argv[i]);
            return -1;
        } else {
            if (a->npos >= 8) {
                fprintf(stderr, "gateway: too many arguments\n");
                return -1;
            }
            a->pos[a->npos++] = argv[i];
        }
    }
    if (!a->config) {
        fprintf(stderr, "gateway: -c gateway.ini is required\n");
        return -1;
    }
    return 0;
}

static struct gw_config *load_config(const char *path)
{
    struct gw_config *cfg;
    char err[320];
    if (gw_config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        return NULL;
    }
    enum gw_log_level lvl = GW_LOG_INFO;
    gw_log_parse_level(cfg->log_level, &lvl);
    gw_log_set_level(lvl);
    setenv("TZ", cfg->policy.timezone, 1);
    tzset();
    return cfg;
}

/* Opens the store and brings its schema up to date. */
static struct store *open_store(const struct gw_config *cfg)
{
    struct store *st;
    char err[320];
    if (gw_store_open(cfg, &st, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        return NULL;
    }
    int from, to;
    if (store_migrate(st, &from, &to, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        store_close(st);
        return NULL;
    }
    if (from != to) gw_info("store %s: schema version %d -> %d", gw_store_name(cfg), from, to);
    return st;
}

static int cmd_serve(struct gw_config *cfg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Block before any thread starts so only sigwait below sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A long-running process: a large block (a timed job's listing, a big
     * request) is mapped and given back when freed, instead of raising the
     * heap's threshold for good and staying resident. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);

    struct store *st = open_store(cfg);
    if (!st) return 1;
    char err[320];
    /* Refuse what cannot work rather than answer 503 for ever. */
    if (store_check_writable(st, gw_clock_now(), err, sizeof err) != 0) {
        fprintf(stderr, "gateway: cannot serve: %s\n", err);
        store_close(st);
        return 1;
    }
    if (gw_store_is_sqlite(cfg) && sqlite_checkpoint_in_background(st, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        store_close(st);
        return 1;
    }
    struct metrics *m = metrics_new(cfg);
    struct writer *w = NULL;
    struct sender *snd = NULL;
    struct fetcher *fet = NULL;
    struct http_server *http = NULL;
    if (!cfg->sender.enabled) {
        gw_warn("[sender] enabled = no: messages are stored and answered, nothing is sent");
    } else if (sender_start(cfg, m, &snd, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        store_close(st);
        metrics_free(m);
        return 1;
    }
    /* Recordings: a fetcher that cannot start leaves them queued, never lost. */
    if (cfg->sender.enabled && fetcher_start(cfg, m, &fet, err, sizeof err) != 0)
        gw_error("%s: recordings stay queued until a start that can fetch them", err);
    if (writer_start(cfg, st, m, snd ? sender_wake : NULL, snd, &w) != 0) {
        fprintf(stderr, "gateway: cannot start the store writer\n");
        fetcher_stop(fet);
        sender_stop(snd);
        store_close(st);
        metrics_free(m);
        return 1;
    }
    if (http_start(cfg, w, m, &http, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        writer_stop(w);
        fetcher_stop(fet);
        sender_stop(snd);
        metrics_free(m);
        return 1;
    }
    struct scheduler *sched = NULL;
    if (scheduler_start(cfg, w, &sched) != 0) gw_error("timed jobs could not start: reminders and re-alerts are off");
    gw_info("listening on %s:%d (store %s, synchronous=%s, %d threads)", cfg->listen_host, http_port(http),
            gw_store_name(cfg), cfg->sync_full ? "full" : "normal", cfg->threads);

    int sig = 0;
    while (sigwait(&set, &sig) != 0) continue;
    gw_info("signal %d: finishing accepted requests", sig);
    http_quiesce(http);
    /* Let every request already received be stored and answered. */
    double deadline = gw_clock_mono() + 10.0;
    while ((http_active(http) > 0 || writer_pending(w) > 0) && gw_clock_mono() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    http_stop(http);
    scheduler_stop(sched);
    writer_stop(w);
    fetcher_stop(fet);
    sender_stop(snd);
    metrics_free(m);
    gw_info("stopped");
    return 0;
}

static int cmd_migrate(struct gw_config *cfg)
{
    struct store *st;
    char err[320];
    if (gw_store_open(cfg, &st, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        return 1;
    }
    int from, to;
    int rc = store_migrate(st, &from, &to, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "gateway: %s\n", err);
    else if (from == to)
        printf("%s: schema is up to date (version %d)\n", gw_store_name(cfg), to);
    else
        printf("%s: schema version %d -> %d\n", gw_store_name(cfg), from, to);
    store_close(st);
    return rc ? 1 : 0;
}

struct print_ctx {
    const char *to;
    int n;
};

static int print_reply(void *arg, const char *recipient, const char *body)
{
    struct print_ctx *p = arg;
    if (strcmp(recipient, p->to) == 0) {
        printf("%s\n", body);
        p->n++;
    }
    return 0;
}

static int cmd_sms(struct gw_config *cfg, struct args *a)
{
    if (!a->from || a->npos < 1) {
        fprintf(stderr, "gateway: usage: gateway sms -c gateway.ini --from PHONE TEXT\n");
        return 2;
    }
    struct gw_buf text = {0};
    for (int i = 0; i < a->npos; i++) {
        if (i) gw_buf_putc(&text, ' ');
        gw_buf_puts(&text, a->pos[i]);
    }
    struct store *st = open_store(cfg);
    if (!st) {
        gw_buf_free(&text);
        return 1;
    }
    struct pipeline_job job = {.kind = PIPELINE_JOB_SMS};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    char id[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(id, sizeof id, "cli-%lld.%09ld-%d", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
    m->channel = gw_strdup("cli");
    m->provider_id = gw_strdup(a->id ? a->id : id);
    m->from = gw_strdup(a->from);
    m->text = gw_buf_steal(&text);
    m->received_at = gw_clock_now();
    struct pipeline_job *jobs[1] = {&job};
    int64_t last = store_outbox_last_id(st);
    int rc = pipeline_batch(st, cfg, jobs, 1, gw_clock_now());
    if (rc != 0 || !job.ok) {
        fprintf(stderr, "gateway: the message was not stored: %s\n", store_errmsg(st));
        rc = 1;
    } else {
        struct print_ctx p = {.to = m->from};
        /* A message stored before was answered then: its replies may be
         * anywhere in the outbox (read whole). */
        store_outbox_for_inbox(st, job.inbox_ids[0], job.duplicate[0] || last < 0 ? 0 : last, print_reply, &p);
        if (job.duplicate[0]) fprintf(stderr, "gateway: message %s was already stored\n", m->provider_id);
        rc = 0;
    }
    pipeline_job_clear(&job);
    store_close(st);
    return rc;
}

/* One line per template: name, variables, approved codes (one column per
 * provider with a template_key, in registry order; "-" when none), and the
 * text as this config renders it. */
static int cmd_templates(struct gw_config *cfg)
{
    size_t n;
    const struct tmpl_def *defs = tmpl_builtin(&n);
    printf("name\tvariables");
    for (size_t p = 0; prov_registry[p]; p++)
        if (prov_registry[p]->template_key) printf("\t%s", prov_registry[p]->template_key);
    printf("\ttext\n");
    for (size_t i = 0; i < n; i++) {
        const struct gw_template *o = gw_config_template(cfg, defs[i].name);
        const char *text = o && o->text ? o->text : defs[i].text;
        printf("%s\t%s", defs[i].name, defs[i].vars[0] ? defs[i].vars : "-");
        for (size_t p = 0; prov_registry[p]; p++) {
            if (!prov_registry[p]->template_key) continue;
            const char *code = prov_template_code(prov_registry[p], o);
            printf("\t%s", code ? code : "-");
        }
        printf("\t%s\n", text);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    /* Everything the gateway creates (database, WAL, media, exports written
     * to files) holds personal data: its own user only. */
    umask(077);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread starts */
    /* The one way to shift the process's clock (tests, rehearsals). */
    const char *offset = getenv("GATEWAY_CLOCK_OFFSET");
    long off;
    if (offset && *offset) {
        if (gw_parse_long(offset, -100L * 366 * 86400, 100L * 366 * 86400, &off) != 0) {
            fprintf(stderr, "gateway: GATEWAY_CLOCK_OFFSET=%s: expected seconds\n", offset);
            return 2;
        }
        gw_clock_set_offset(off);
    }
    static const char *const known[] = {"serve", "migrate", "import", "export",    "sms",        "templates", "audit",
                                        "token", "report",  "purge",  "broadcast", "copy-store", NULL};
    int ok = 0;
    for (int i = 0; known[i]; i++) ok |= !strcmp(cmd, known[i]);
    if (!ok) {
        fprintf(stderr, "gateway: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    struct args a;
    struct token_args ta;
    struct broadcast_args ba;
    if (!strcmp(cmd, "token")) { /* its own options (--role...) */
        if (token_cmd_parse(argc, argv, &ta, stderr) != 0) return 2;
        memset(&a, 0, sizeof a);
        a.config = ta.config;
    } else if (!strcmp(cmd, "broadcast")) { /* its own options (--template...) */
        if (broadcast_cmd_parse(argc, argv, &ba, stderr) != 0) return 2;
        memset(&a, 0, sizeof a);
        a.config = ba.config;
    } else if (parse_args(argc, argv, &a) != 0) {
        return 2;
    }
    struct gw_config *cfg = load_config(a.config);
    if (!cfg) return 1;
    int rc = 0;
    if (!strcmp(cmd, "serve")) {
        rc = cmd_serve(cfg);
    } else if (!strcmp(cmd, "migrate")) {
        rc = cmd_migrate(cfg);
    } else if (!strcmp(cmd, "sms")) {
        rc = cmd_sms(cfg, &a);
    } else if (!strcmp(cmd, "templates")) {
        rc = cmd_templates(cfg);
    } else if (!strcmp(cmd, "token")) {
        struct store *st = open_store(cfg);
        rc = st ? token_cmd_run(st, &ta, gw_clock_now(), stdout, stderr) : 1;
        store_close(st);
    } else if (!strcmp(cmd, "audit")) {
        struct store *st = a.npos == 1 ? open_store(cfg) : NULL;
        rc = a.npos != 1 ? 2 : !st ? 1 : audit_cmd(st, a.pos[0], a.from, a.to, stdout, stderr);
        if (a.npos != 1) usage(stderr);
        store_close(st);
    } else if (!strcmp(cmd, "broadcast")) {
        struct store *st = open_store(cfg);
        rc = st ? broadcast_cmd_run(st, cfg, &ba, gw_clock_now(), stdout, stderr) : 1;
        store_close(st);
    } else if (!strcmp(cmd, "report")) {
        struct report_args ra = {a.from, a.to, a.year, a.region, a.format};
        struct store *st = a.npos == 0 ? open_store(cfg) : NULL;
        rc = a.npos != 0 ? 2 : !st ? 1 : report_cmd(st, cfg, &ra, gw_clock_now(), stdout, stderr);
        if (a.npos != 0) usage(stderr);
        store_close(st);
    } else if (!strcmp(cmd, "purge")) {
        struct store *st = a.npos == 0 ? open_store(cfg) : NULL;
        rc = a.npos != 0 ? 2 : !st ? 1 : purge_cmd(st, cfg, a.dry_run, gw_clock_now(), stdout, stderr);
        if (a.npos != 0) usage(stderr);
        store_close(st);
    } else if (!strcmp(cmd, "copy-store")) {
        rc = a.npos != 0 ? 2 : copy_store_cmd(cfg, a.from, stdout, stderr);
        if (a.npos != 0) usage(stderr);
    } else if (!strcmp(cmd, "export") && a.npos == 2 && !strcmp(a.pos[0], "file")) {
        struct store *st = open_store(cfg);
        rc = st ? export_file_cmd(st, cfg, a.pos[1], a.format, gw_clock_now(), stdout, stderr) : 1;
        store_close(st);
    } else if (!strcmp(cmd, "export") && a.npos == 1 && !strcmp(a.pos[0], "national")) {
        struct store *st = open_store(cfg);
        rc = st ? export_national_cmd(st, cfg, gw_clock_now(), stdout, stderr) : 1;
        store_close(st);
    } else if (!strcmp(cmd, "import") || !strcmp(cmd, "export")) {
        int is_import = !strcmp(cmd, "import");
        if ((is_import && a.npos != 2) || (!is_import && a.npos != 1)) {
            usage(stderr);
            rc = 2;
        } else {
            struct store *st = open_store(cfg);
            if (!st)
                rc = 1;
            else if (is_import)
                rc = roster_import_cmd(st, cfg, a.pos[0], a.pos[1], stdout, stderr);
            else
                rc = roster_export_cmd(st, cfg, a.pos[0], a.from, a.to, stdout, stderr);
            store_close(st);
        }
    }
    gw_config_free(cfg);
    curl_global_cleanup();
    return rc;
}
