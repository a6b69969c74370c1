/* gateway/config.c - load and validate the INI configuration.
 *
 * inih calls back once per key; a reader wrapper counts lines so every
 * error names file:line. Values "env:NAME" are read from the environment.
 * Every section and key is checked here, once, at start-up: nothing later
 * in the process has to cope with a bad value.
 */
#include "config_load.h"

#include "../handlers/routing.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/message.h"
#include "../core/secret.h"
#include "../core/util.h"
#include "../handlers/lexicon.h"
#include "../handlers/templates.h"
#include "../providers/provider.h"
#include "export_national.h"

#define MAX_CHANNELS  64
#define MAX_TEMPLATES 128
#define MAX_COUNTIES  512 /* [routing COUNTY] / [county COUNTY] sections */
#define MAX_LINE      199 /* inih's line buffer is 200 bytes including the NUL */

struct loader {
    struct gw_config *cfg;
    const char *path;
    FILE *fp;
    int line;      /* line being parsed (1-based) */
    char err[256]; /* first error, "path:line: reason" */
    int chan_line[MAX_CHANNELS];
    /* Contact numbers, normalised once the whole file (and so the country
     * code) is read: which county entry, which field, and its line. */
    struct contact_ref {
        size_t county;
        int field; /* -2 duty_contact, -1 city_contact, else a department index */
        int line;
    } * contacts; /* owned, freed when loading ends */
    size_t ncontacts;
};

static char *reader(char *str, int num, void *stream)
{
    struct loader *l = stream;
    char *r = fgets(str, num, l->fp);
    if (r) {
        size_t n = strlen(r);
        if (n == (size_t)num - 1 && r[n - 1] != '\n' && !l->err[0])
            snprintf(l->err, sizeof l->err,
                     "%s:%d: line too long (at most %d bytes); continue a long value on an "
                     "indented next line",
                     l->path, l->line + 1, MAX_LINE - 1);
        if (n && r[n - 1] == '\n')
            l->line++;
        else if (feof(l->fp))
            l->line++;
    }
    return r;
}

static int fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct loader *l, const char *fmt, ...)
{
    if (l->err[0]) return 0;
    int n = snprintf(l->err, sizeof l->err, "%s:%d: ", l->path, l->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err + n, sizeof l->err - (size_t)n, fmt, ap);
    va_end(ap);
    return 0;
}

/* Resolves env:NAME. Returns an owned string or NULL (error recorded). */
static char *resolve(struct loader *l, const char *name, const char *value)
{
    if (strncmp(value, "env:", 4) != 0) return gw_strdup(value);
    const char *v = getenv(value + 4);
    if (!v || !*v) {
        fail(l, "%s = %s: environment variable %s is not set", name, value, value + 4);
        return NULL;
    }
    return gw_strdup(v);
}

static int parse_int(struct loader *l, const char *name, const char *value, long min, long max, int *out)
{
    long v;
    if (gw_parse_long(value, min, max, &v) != 0)
        return fail(l, "%s = %s: expected a whole number from %ld to %ld", name, value, min, max);
    *out = (int)v;
    return 1;
}

static int parse_bool(struct loader *l, const char *name, const char *value, int *out)
{
    if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
        *out = 1;
    else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
        *out = 0;
    else
        return fail(l, "%s = %s: expected yes or no", name, value);
    return 1;
}

static void set_str(char **slot, char *v)
{
    free(*slot);
    *slot = v;
}

static int server_key(struct loader *l, const char *name, const char *value)
{
    struct gw_config *c = l->cfg;
    if (!strcmp(name, "listen")) {
        const char *colon = strrchr(value, ':');
        if (!colon || colon == value) return fail(l, "listen = %s: expected HOST:PORT", value);
        int port = 0;
        if (!parse_int(l, "listen port", colon + 1, 0, 65535, &port)) return 0;
        set_str(&c->listen_host, gw_strndup(value, (size_t)(colon - value)));
        c->listen_port = port;
        return 1;
    }
    if (!strcmp(name, "public_url")) {
        if (strncmp(value, "https://", 8) && strncmp(value, "http://", 7))
            return fail(l, "public_url = %s: expected an http:// or https:// URL", value);
        char *v = gw_strdup(value);
        size_t n = strlen(v);
        while (n > 0 && v[n - 1] == '/') v[--n] = '\0';
        set_str(&c->public_url, v);
        return 1;
    }
    if (!strcmp(name, "max_body")) {
        int v = 0;
        if (!parse_int(l, name, value, 256, 16 * 1024 * 1024, &v)) return 0;
        c->max_body = (size_t)v;
        return 1;
    }
    if (!strcmp(name, "threads")) return parse_int(l, name, value, 1, 64, &c->threads);
    if (!strcmp(name, "max_connections_per_ip"))
        return parse_int(l, name, value, 0, 100000, &c->max_connections_per_ip);
    if (!strcmp(name, "request_timeout")) return parse_int(l, name, value, 1, 3600, &c->request_timeout);
    if (!strcmp(name, "job_interval")) return parse_int(l, name, value, 1, 3600, &c->job_interval);
    if (!strcmp(name, "log_level")) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") && strcmp(value, "error"))
            return fail(l, "log_level = %s: expected debug, info, warn or error", value);
        set_str(&c->log_level, gw_strdup(value));
        return 1;
    }
    return fail(l, "unknown key '%s' in [server]", name);
}

static int store_key(struct loader *l, const char *name, const char *value)
{
    struct gw_config *c = l->cfg;
    if (!strcmp(name, "path")) {
        if (!*value) return fail(l, "path: must not be empty");
        set_str(&c->store_path, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "synchronous")) {
        if (!strcmp(value, "full"))
            c->sync_full = 1;
        else if (!strcmp(value, "normal"))
            c->sync_full = 0;
        else
            return fail(l, "synchronous = %s: expected full or normal", value);
        return 1;
    }
    if (!strcmp(name, "batch_max")) return parse_int(l, name, value, 1, 10000, &c->batch_max);
    if (!strcmp(name, "backend")) {
        if (!strcmp(value, "sqlite"))
            c->store_backend = GW_STORE_SQLITE;
        else if (!strcmp(value, "postgres"))
            c->store_backend = GW_STORE_POSTGRES;
        else
            return fail(l, "backend = %s: expected sqlite or postgres", value);
        return 1;
    }
    if (!strcmp(name, "url")) {
        char *url = resolve(l, name, value);
        if (!url) return 0;
        if (!*url) {
            free(url);
            return fail(l, "url: must not be empty");
        }
        set_str(&c->store_url, url);
        return 1;
    }
    return fail(l, "unknown key '%s' in [store]", name);
}

/* lexicon = PATH ([policy] and [county COUNTY]): the file's own entries,
 * read now so that its errors name its lines; finish() lays them over the
 * built-in. A relative path is read beside the configuration file. */
static int lexicon_key(struct loader *l, struct lexicon **slot, const char *name, const char *value)
{
    if (!*value) return fail(l, "%s: expected a file of danger words (handlers/lexicon.h)", name);
    struct gw_buf path = {0};
    const char *slash = strrchr(l->path, '/');
    if (value[0] != '/' && slash) gw_buf_append(&path, l->path, (size_t)(slash - l->path + 1));
    gw_buf_puts(&path, value);
    char err[200];
    struct lexicon *lx = lex_load(gw_buf_cstr(&path), err, sizeof err);
    gw_buf_free(&path);
    if (!lx) return fail(l, "%s = %s: %s", name, value, err);
    lex_free(*slot);
    *slot = lx;
    return 1;
}

static int policy_key(struct loader *l, const char *name, const char *value)
{
    struct gw_policy *p = &l->cfg->policy;
    static const struct {
        const char *name;
        size_t off;
        long min, max;
    } ints[] = {
        {"visit_days", offsetof(struct gw_policy, visit_days), 1, 366},
        {"visit_days_high", offsetof(struct gw_policy, visit_days_high), 1, 366},
        {"checkin_days", offsetof(struct gw_policy, checkin_days), 1, 366},
        {"checkin_escalate_days", offsetof(struct gw_policy, checkin_escalate_days), 1, 366},
        {"ack_minutes_p0", offsetof(struct gw_policy, ack_minutes_p0), 1, 1440},
        {"ack_minutes_p1", offsetof(struct gw_policy, ack_minutes_p1), 1, 1440},
        {"first_visit_days", offsetof(struct gw_policy, first_visit_days), 0, 60},
        {"overdue_days", offsetof(struct gw_policy, overdue_days), 1, 90},
        {"flood_reports", offsetof(struct gw_policy, flood_reports), 0, 1000},
        {"flood_window", offsetof(struct gw_policy, flood_window), 1, 86400},
        {"daily_cap", offsetof(struct gw_policy, daily_cap), 0, 100},
        {"age_left_behind", offsetof(struct gw_policy, age_left_behind), 1, 18},
        {"age_difficulty", offsetof(struct gw_policy, age_difficulty), 1, 18},
        {"reply_window_days", offsetof(struct gw_policy, reply_window_days), 0, 30},
        {"followup_hours", offsetof(struct gw_policy, followup_hours), 0, 720},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (!strcmp(name, ints[i].name))
            return parse_int(l, name, value, ints[i].min, ints[i].max, (int *)((char *)p + ints[i].off));
    if (!strcmp(name, "timezone")) {
        char zpath[512];
        struct stat sb;
        snprintf(zpath, sizeof zpath, "/usr/share/zoneinfo/%s", value);
        if (!*value || strstr(value, "..") || stat(zpath, &sb) != 0 || !S_ISREG(sb.st_mode))
            return fail(l, "timezone = %s: unknown time zone (install tzdata; e.g. Asia/Shanghai)", value);
        set_str(&p->timezone, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "work_hours")) {
        int h1, m1, h2, m2;
        char tail;
        if (sscanf(value, "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 || h1 > 24 || m1 < 0 ||
            m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2 || h2 * 60 + m2 > 1440)
            return fail(l, "work_hours = %s: expected HH:MM-HH:MM, e.g. 08:30-17:30", value);
        p->work_start = h1 * 60 + m1;
        p->work_end = h2 * 60 + m2;
        return 1;
    }
    if (!strcmp(name, "work_days")) {
        /* "1-5", "1,2,3,4,5", "1-6": 1 is Monday, 7 Sunday. */
        unsigned mask = 0;
        const char *q = value;
        while (*q) {
            int a = *q - '0', b;
            if (a < 1 || a > 7) return fail(l, "work_days = %s: expected days 1-7 (1 is Monday), e.g. 1-5", value);
            q++;
            b = a;
            if (*q == '-') {
                b = q[1] - '0';
                if (b < a || b > 7) return fail(l, "work_days = %s: expected days 1-7 (1 is Monday), e.g. 1-5", value);
                q += 2;
            }
            for (int d = a; d <= b; d++) mask |= 1u << (d - 1);
            if (*q == ',')
                q++;
            else if (*q)
                return fail(l, "work_days = %s: expected days 1-7 (1 is Monday), e.g. 1-5", value);
        }
        if (!mask) return fail(l, "work_days = %s: no day given", value);
        p->work_days = mask;
        return 1;
    }
    if (!strcmp(name, "digest_time")) {
        int h, m;
        char tail;
        if (sscanf(value, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
            return fail(l, "digest_time = %s: expected HH:MM, e.g. 08:00", value);
        p->digest_minute = h * 60 + m;
        return 1;
    }
    if (!strcmp(name, "hotline")) {
        size_t n = strlen(value);
        if (n < 3 || n > 20 || strspn(value, "+0123456789") != n)
            return fail(l, "hotline = %s: expected a phone number, e.g. 12355 or +8613800000000", value);
        set_str(&p->hotline, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "media_dir")) {
        if (!*value) return fail(l, "media_dir: must not be empty");
        set_str(&p->media_dir, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "default_region")) {
        set_str(&p->default_region, *value ? gw_strdup(value) : NULL);
        return 1;
    }
    if (!strcmp(name, "country_code")) {
        size_t n = strlen(value);
        if (n < 1 || n > 3 || strspn(value, "0123456789") != n || value[0] == '0')
            return fail(l, "country_code = %s: expected 1 to 3 digits, e.g. 86", value);
        set_str(&p->country_code, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "lexicon")) return lexicon_key(l, &p->lexicon, name, value);
    return fail(l, "unknown key '%s' in [policy]", name);
}

static int sender_key(struct loader *l, const char *name, const char *value)
{
    struct gw_sender_cfg *sc = &l->cfg->sender;
    if (!strcmp(name, "enabled")) return parse_bool(l, name, value, &sc->enabled);
    if (!strcmp(name, "max_attempts")) return parse_int(l, name, value, 1, 100, &sc->max_attempts);
    if (!strcmp(name, "max_age")) return parse_int(l, name, value, 60, 30 * 86400, &sc->max_age);
    if (!strcmp(name, "backoff")) return parse_int(l, name, value, 1, 3600, &sc->backoff);
    if (!strcmp(name, "backoff_max")) return parse_int(l, name, value, 1, 86400, &sc->backoff_max);
    if (!strcmp(name, "timeout")) return parse_int(l, name, value, 1, 300, &sc->timeout);
    if (!strcmp(name, "max_in_flight")) return parse_int(l, name, value, 1, 10000, &sc->max_in_flight);
    return fail(l, "unknown key '%s' in [sender]", name);
}

/* [broadcast] tps: broadcast messages per second per channel. */
static int broadcast_key(struct loader *l, const char *name, const char *value)
{
    if (!strcmp(name, "tps")) return parse_int(l, name, value, 1, 100000, &l->cfg->broadcast.tps);
    return fail(l, "unknown key '%s' in [broadcast]", name);
}

static int in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (!strcmp(*list, name)) return 1;
    return 0;
}

static struct gw_channel *channel_for(struct loader *l, const char *cname)
{
    struct gw_config *c = l->cfg;
    for (size_t i = 0; i < c->nchannels; i++)
        if (!strcmp(c->channels[i].name, cname)) return &c->channels[i];
    if (c->nchannels >= MAX_CHANNELS) {
        fail(l, "too many channels (at most %d)", MAX_CHANNELS);
        return NULL;
    }
    for (const char *p = cname; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            fail(l, "[channel %s]: a channel name may hold only letters, digits, '-' and '_'", cname);
            return NULL;
        }
    if (!*cname || !strcmp(cname, "cli")) {
        fail(l, "[channel %s]: invalid channel name", cname);
        return NULL;
    }
    c->channels = gw_realloc(c->channels, (c->nchannels + 1) * sizeof *c->channels);
    struct gw_channel *ch = &c->channels[c->nchannels];
    memset(ch, 0, sizeof *ch);
    ch->name = gw_strdup(cname);
    ch->tps = 10;
    l->chan_line[c->nchannels] = l->line;
    c->nchannels++;
    return ch;
}

#define MAX_MEDIA_HOSTS 16

/* media_hosts = host ... (spaces or commas between): exact host names or
 * IP literals, or "*.domain" for any name under domain; "none" for no
 * host at all. Stored lower-case, NULL-terminated. */
static int media_hosts_key(struct loader *l, struct gw_channel *ch, const char *value)
{
    char **list = gw_calloc(MAX_MEDIA_HOSTS + 1, sizeof *list);
    size_t n = 0;
    int none = 0;
    for (const char *p = value; *p;) {
        size_t len = strcspn(p, " \t,");
        if (!len) {
            p++;
            continue;
        }
        char *h = gw_strndup(p, len);
        p += len;
        for (char *c = h; *c; c++) *c = (char)tolower((unsigned char)*c);
        const char *name = !strncmp(h, "*.", 2) ? h + 2 : h;
        size_t nl = strlen(name);
        int ok = nl > 0 && nl <= 253;
        if (ok && name[0] == '[')
            ok = name[nl - 1] == ']' && strspn(name + 1, "0123456789abcdef:.") == nl - 2 && name == h;
        else if (ok)
            ok = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") == nl && name[0] != '.' &&
                 name[nl - 1] != '.' && !strstr(name, "..");
        if (!strcmp(h, "none")) {
            none = 1;
            ok = 1;
            free(h);
        } else if (!ok || n == MAX_MEDIA_HOSTS) {
            for (size_t i = 0; i < n; i++) free(list[i]);
            free(list);
            fail(l, "media_hosts: '%s': %s", h,
                 ok ? "too many hosts (at most 16)" : "expected a host name, an IP literal or *.domain");
            free(h);
            return 0;
        } else {
            list[n++] = h;
        }
    }
    if ((none && n) || (!none && !n)) {
        for (size_t i = 0; i < n; i++) free(list[i]);
        free(list);
        return fail(l, "media_hosts = %s: expected host names, or none", value);
    }
    if (ch->media_hosts) {
        for (char **h = ch->media_hosts; *h; h++) free(*h);
        free(ch->media_hosts);
    }
    ch->media_hosts = list;
    return 1;
}

static int channel_key(struct loader *l, const char *cname, const char *name, const char *value)
{
    struct gw_channel *ch = channel_for(l, cname);
    if (!ch) return 0;
    if (!strcmp(name, "provider")) {
        const struct provider_ops *ops = prov_find(value);
        if (!ops) return fail(l, "provider = %s: unknown provider", value);
        if (ch->ops) return fail(l, "[channel %s]: provider given twice", cname);
        ch->ops = ops;
        ch->provider = gw_strdup(value);
        return 1;
    }
    if (!strcmp(name, "url")) {
        if (strncmp(value, "https://", 8) && strncmp(value, "http://", 7))
            return fail(l, "url = %s: expected an http:// or https:// URL", value);
        set_str(&ch->url, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "tps")) return parse_int(l, name, value, 1, 100000, &ch->tps);
    if (!strcmp(name, "route")) {
        if (value[0] != '+' || strspn(value + 1, "0123456789") != strlen(value + 1))
            return fail(l, "route = %s: expected a '+' and digits, e.g. +86", value);
        set_str(&ch->route, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "default")) return parse_bool(l, name, value, &ch->is_default);
    if (!strcmp(name, "max_in_flight")) return parse_int(l, name, value, 1, 10000, &ch->max_in_flight);
    if (!strcmp(name, "media_hosts")) return media_hosts_key(l, ch, value);
    if (!strcmp(name, "media_allow_local_for_tests")) return parse_bool(l, name, value, &ch->media_test_local);
    if (!ch->ops) return fail(l, "[channel %s]: set provider before the provider's keys", cname);
    if (!in_list(ch->ops->required_keys, name) && !in_list(ch->ops->optional_keys, name))
        return fail(l, "unknown key '%s' for provider %s", name, ch->provider);
    for (size_t i = 0; i < ch->nkeys; i++)
        if (!strcmp(ch->keys[i].key, name)) return fail(l, "[channel %s]: %s given twice", cname, name);
    char *v = resolve(l, name, value);
    if (!v) return 0;
    ch->keys = gw_realloc(ch->keys, (ch->nkeys + 1) * sizeof *ch->keys);
    ch->keys[ch->nkeys].key = gw_strdup(name);
    ch->keys[ch->nkeys].value = v;
    ch->nkeys++;
    return 1;
}

/* Sets t's approved code under a provider's template_key (a later line
 * replaces an earlier one, as for every other key). */
static void template_code_set(struct gw_template *t, const char *key, const char *value)
{
    for (size_t i = 0; i < t->ncodes; i++)
        if (!strcmp(t->codes[i].key, key)) {
            set_str(&t->codes[i].value, gw_strdup(value));
            return;
        }
    t->codes = gw_realloc(t->codes, (t->ncodes + 1) * sizeof *t->codes);
    t->codes[t->ncodes].key = gw_strdup(key);
    t->codes[t->ncodes].value = gw_strdup(value);
    t->ncodes++;
}

static int template_key(struct loader *l, const char *tname, const char *name, const char *value)
{
    struct gw_config *c = l->cfg;
    if (!tmpl_find(tname)) return fail(l, "[template %s]: no such template (see 'gateway templates')", tname);
    struct gw_template *t = NULL;
    for (size_t i = 0; i < c->ntemplates; i++)
        if (!strcmp(c->templates[i].name, tname)) t = &c->templates[i];
    if (!t) {
        if (c->ntemplates >= MAX_TEMPLATES) return fail(l, "too many templates");
        c->templates = gw_realloc(c->templates, (c->ntemplates + 1) * sizeof *c->templates);
        t = &c->templates[c->ntemplates++];
        memset(t, 0, sizeof *t);
        t->name = gw_strdup(tname);
    }
    if (!strcmp(name, "text")) {
        /* inih hands continuation lines over as the same key again: append. */
        if (t->text) {
            size_t a = strlen(t->text), b = strlen(value);
            t->text = gw_realloc(t->text, a + b + 1);
            memcpy(t->text + a, value, b + 1);
        } else {
            t->text = gw_strdup(value);
        }
        return 1;
    }
    if (prov_find_template_key(name)) {
        template_code_set(t, name, value);
        return 1;
    }
    return fail(l, "unknown key '%s' in [template %s]", name, tname);
}

/* ---- [routing], [routing COUNTY], [county COUNTY] ------------------------- */

/* The entry for a county (NULL: the all-counties [routing]), created on
 * first use. `what` is the section kind for messages. NULL on error. */
static struct gw_county *county_for(struct loader *l, const char *what, const char *raw)
{
    struct gw_policy *p = &l->cfg->policy;
    char name[128] = "";
    if (raw) {
        while (*raw == ' ' || *raw == '\t') raw++;
        size_t n = strlen(raw);
        while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t')) n--;
        if (n == 0 || n >= sizeof name) {
            fail(l, "[%s %s]: expected a county, e.g. [%s 示例县]", what, raw, what);
            return NULL;
        }
        memcpy(name, raw, n);
        name[n] = '\0';
        if (strchr(name, '/')) {
            fail(l, "[%s %s]: routing is set per county: name the county alone, e.g. [%s 示例县]", what, name, what);
            return NULL;
        }
    }
    for (size_t i = 0; i < p->ncounties; i++) {
        const char *c = p->counties[i].county;
        if (raw ? c && !strcmp(c, name) : !c) return &p->counties[i];
    }
    if (p->ncounties >= MAX_COUNTIES) {
        fail(l, "too many county sections (at most %d)", MAX_COUNTIES);
        return NULL;
    }
    p->counties = gw_realloc(p->counties, (p->ncounties + 1) * sizeof *p->counties);
    struct gw_county *c = &p->counties[p->ncounties++];
    memset(c, 0, sizeof *c);
    c->county = raw ? gw_strdup(name) : NULL;
    return c;
}

/* Splits value into words at spaces, tabs, ',' and the Chinese '，' and '、'.
 * Returns the number of words (at most max), each copied into words[i]; -1
 * when there are more than max, -2 when one is longer than a word holds. */
static int split_words(const char *value, char (*words)[32], int max)
{
    int n = 0;
    const char *p = value;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!strncmp(p, "，", 3) || !strncmp(p, "、", 3)) {
            p += 3;
            continue;
        }
        if (!*p) return n;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',' && strncmp(p, "，", 3) && strncmp(p, "、", 3)) p++;
        size_t len = (size_t)(p - start);
        if (len >= sizeof words[0]) return -2;
        if (n >= max) return -1;
        memcpy(words[n], start, len);
        words[n][len] = '\0';
        n++;
    }
}

#define DEPT_HINT "公安 民政 教育 卫健 网信 妇联 团委, or police civil_affairs education health cyberspace women youth"

/* category_N = P1 公安 民政: the priority, then the departments in order. */
static int routing_category(struct loader *l, struct gw_county *c, const char *sect, int cat, const char *name,
                            const char *value)
{
    char words[ROUTING_MAX_DEPTS + 2][32];
    int n = split_words(value, words, ROUTING_MAX_DEPTS + 1);
    if (c->routed & (1u << (cat - 1))) return fail(l, "[%s]: %s given twice", sect, name);
    if (n == -1) return fail(l, "%s = %s: at most %d departments", name, value, ROUTING_MAX_DEPTS);
    if (n < 0) return fail(l, "%s = %s: unknown department (%s)", name, value, DEPT_HINT);
    if (n < 2 || (words[0][0] != 'P' && words[0][0] != 'p') || words[0][1] < '0' || words[0][1] > '3' || words[0][2])
        return fail(l, "%s = %s: expected a priority P0-P3 and then departments, e.g. P1 公安 民政", name, value);
    struct routing_rule *r = &c->rules[cat - 1];
    memset(r, 0, sizeof *r);
    r->category = cat;
    r->priority = words[0][1] - '0';
    for (int i = 1; i < n; i++) {
        const char *code = routing_dept_code(words[i]);
        if (!code) return fail(l, "%s = %s: unknown department '%s' (%s)", name, value, words[i], DEPT_HINT);
        for (int k = 0; k < r->ndepts; k++)
            if (r->depts[k] == code) return fail(l, "%s = %s: department '%s' given twice", name, value, words[i]);
        r->depts[r->ndepts++] = code;
    }
    c->routed |= 1u << (cat - 1);
    return 1;
}

static int routing_key(struct loader *l, const char *county, const char *name, const char *value)
{
    char sect[160] = "routing";
    if (county) snprintf(sect, sizeof sect, "routing %s", county);
    struct gw_county *c = county_for(l, "routing", county);
    if (!c) return 0;
    if (!strncmp(name, "category_", 9) && name[9] >= '1' && name[9] <= '9' && !name[10])
        return routing_category(l, c, sect, name[9] - '0', name, value);
    if (!strcmp(name, "village_excluded")) {
        char words[10][32];
        int n = split_words(value, words, 10);
        unsigned mask = 0;
        if (c->village_excluded_set) return fail(l, "[%s]: %s given twice", sect, name);
        if (n == 1 && !strcmp(words[0], "none")) n = 0;
        for (int i = 0; n >= 0 && i < n; i++) {
            if (words[i][0] < '1' || words[i][0] > '9' || words[i][1]) {
                n = -1;
                break;
            }
            mask |= 1u << (words[i][0] - '1');
        }
        if (n < 0) return fail(l, "village_excluded = %s: expected categories 1-9 (e.g. 1 2), or none", value);
        c->village_excluded = mask;
        c->village_excluded_set = 1;
        return 1;
    }
    return fail(l, "unknown key '%s' in [%s] (category_1 ... category_9, village_excluded)", name, sect);
}

static int county_key(struct loader *l, const char *county, const char *name, const char *value)
{
    struct gw_county *c = county_for(l, "county", county);
    if (!c) return 0;
    char **slot = NULL;
    int field = 0;
    if (!strcmp(name, "lexicon")) {
        if (c->lexicon) return fail(l, "[county %s]: %s given twice", c->county, name);
        return lexicon_key(l, &c->lexicon, name, value);
    }
    if (!strcmp(name, "duty_contact")) {
        slot = &c->duty_contact;
        field = -2;
    } else if (!strcmp(name, "city_contact")) {
        slot = &c->city_contact;
        field = -1;
    } else if (!strncmp(name, "duty_", 5) && routing_dept_index(name + 5) >= 0) {
        field = routing_dept_index(name + 5);
        slot = &c->dept_duty[field];
    } else {
        return fail(l,
                    "unknown key '%s' in [county %s] (duty_contact, city_contact, duty_police, "
                    "duty_civil_affairs, duty_education, duty_health, duty_cyberspace, duty_women, duty_youth, "
                    "lexicon)",
                    name, c->county);
    }
    if (*slot) return fail(l, "[county %s]: %s given twice", c->county, name);
    char *v = resolve(l, name, value);
    if (!v) return 0;
    *slot = v;
    l->contacts = gw_realloc(l->contacts, (l->ncontacts + 1) * sizeof *l->contacts);
    l->contacts[l->ncontacts].county = (size_t)(c - l->cfg->policy.counties);
    l->contacts[l->ncontacts].field = field;
    l->contacts[l->ncontacts].line = l->line;
    l->ncontacts++;
    return 1;
}

/* Every contact number to E.164 with the (now final) country code. */
static int normalise_contacts(struct loader *l)
{
    struct gw_policy *p = &l->cfg->policy;
    for (size_t i = 0; i < l->ncontacts; i++) {
        struct gw_county *c = &p->counties[l->contacts[i].county];
        int f = l->contacts[i].field;
        char **slot = f == -2 ? &c->duty_contact : f == -1 ? &c->city_contact : &c->dept_duty[f];
        char key[40];
        if (f < 0)
            snprintf(key, sizeof key, "%s", f == -2 ? "duty_contact" : "city_contact");
        else
            snprintf(key, sizeof key, "duty_%s", routing_dept_at(f));
        char e164[40];
        size_t digits = 0;
        int rc = gw_phone_e164(*slot, p->country_code, e164, sizeof e164);
        if (rc == 0) digits = strspn(e164 + 1, "0123456789");
        if (rc != 0 || digits < 8 || digits > 15 || e164[1 + digits]) {
            l->line = l->contacts[i].line;
            return fail(l, "%s = %s: expected a phone number, e.g. +8613800000001", key, *slot);
        }
        set_str(slot, gw_strdup(e164));
    }
    return 1;
}

/* [privacy] id_key = 64 hex digits, usually env:NAME. A bad key is refused
 * by name; its value is never printed. */
static int privacy_key(struct loader *l, const char *name, const char *value)
{
    struct gw_privacy *p = &l->cfg->privacy;
    if (strcmp(name, "id_key") != 0) return fail(l, "unknown key '%s' in [privacy]", name);
    char *v = resolve(l, name, value);
    if (!v) return 0;
    int bad = gw_secret_key_parse(v, p->id_key) != 0;
    gw_secret_wipe(v, strlen(v));
    free(v);
    p->has_id_key = !bad;
    if (bad) return fail(l, "id_key: expected 64 hex digits (a 32-byte key); the value is not shown");
    return 1;
}

/* ---- [export national], [retention] ---------------------------------------- */

/* The item [p, p + n) trimmed of spaces, split at its first (or, with last,
 * its last) ':' into owned *a and *b: 1, or 0 when either side is empty. */
static int pair_split(const char *p, size_t n, int last, char **a, char **b)
{
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ':' && (last || !colon)) colon = p + i;
    if (!colon || colon == p || colon == p + n - 1) return 0;
    *a = gw_strndup(p, (size_t)(colon - p));
    *b = gw_strndup(colon + 1, (size_t)(p + n - colon - 1));
    return 1;
}

/* columns = NAME:FIELD,...: appends each column (a continuation line adds more). */
static int national_columns(struct loader *l, const char *value)
{
    struct gw_national_cfg *x = &l->cfg->national;
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ",");
        char *col, *field;
        if (!pair_split(p, n, 1, &col, &field))
            return fail(l, "columns: '%.*s' is not COLUMN:FIELD (e.g. 姓名:name)", (int)n, p);
        x->cols = gw_realloc(x->cols, (x->ncols + 1) * sizeof *x->cols);
        x->cols[x->ncols++] = (struct gw_national_col){col, field};
        if (!national_field_known(field)) return fail(l, "columns: unknown source field '%s'", field);
        p += n;
        if (*p == ',') p++;
    }
    return 1;
}

/* FIELD_map = FROM:TO,...: appends each pair to field's code table. */
static int national_map(struct loader *l, const char *name, const char *value)
{
    struct gw_national_cfg *x = &l->cfg->national;
    char field[64];
    snprintf(field, sizeof field, "%.*s", (int)(strlen(name) - 4), name);
    if (!strcmp(field, "category")) gw_strlcpy(field, "categories", sizeof field);
    if (!strcmp(field, "flag")) gw_strlcpy(field, "flags", sizeof field);
    if (!national_field_known(field)) return fail(l, "%s: unknown source field '%s'", name, field);
    struct gw_code_map *m = NULL;
    for (size_t i = 0; i < x->nmaps; i++)
        if (!strcmp(x->maps[i].field, field)) m = &x->maps[i];
    if (!m) {
        x->maps = gw_realloc(x->maps, (x->nmaps + 1) * sizeof *x->maps);
        m = &x->maps[x->nmaps++];
        *m = (struct gw_code_map){.field = gw_strdup(field)};
    }
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ",");
        char *from, *to;
        if (!pair_split(p, n, 0, &from, &to)) return fail(l, "%s: '%.*s' is not CODE:VALUE", name, (int)n, p);
        m->pairs = gw_realloc(m->pairs, (m->npairs + 1) * sizeof *m->pairs);
        m->pairs[m->npairs++] = (struct gw_code_pair){from, to};
        p += n;
        if (*p == ',') p++;
    }
    return 1;
}

static int national_key(struct loader *l, const char *name, const char *value)
{
    struct gw_national_cfg *x = &l->cfg->national;
    size_t n = strlen(name);
    if (!strcmp(name, "columns")) return national_columns(l, value);
    if (n > 4 && !strcmp(name + n - 4, "_map")) return national_map(l, name, value);
    if (!strcmp(name, "date_format")) {
        if (strcmp(value, "%Y-%m-%d") && strcmp(value, "%Y%m%d") && strcmp(value, "%Y/%m/%d"))
            return fail(l, "date_format = %s: expected %%Y-%%m-%%d, %%Y%%m%%d or %%Y/%%m/%%d", value);
        set_str(&x->date_format, gw_strdup(value));
        return 1;
    }
    if (!strcmp(name, "encoding")) {
        if (strcmp(value, "utf-8-bom") && strcmp(value, "gb18030"))
            return fail(l, "encoding = %s: expected utf-8-bom or gb18030", value);
        x->gb18030 = !strcmp(value, "gb18030");
        return 1;
    }
    return fail(l, "unknown key '%s' in [export national] (columns, date_format, encoding, <field>_map)", name);
}

static int retention_key(struct loader *l, const char *name, const char *value)
{
    struct gw_retention *r = &l->cfg->retention;
    if (!strcmp(name, "reporter_days")) return parse_int(l, name, value, 0, 36500, &r->reporter_days);
    if (!strcmp(name, "message_days")) return parse_int(l, name, value, 0, 36500, &r->message_days);
    return fail(l, "unknown key '%s' in [retention] (reporter_days, message_days)", name);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *l = user;
    if (l->err[0]) return 0;
    if (!name) return 1; /* a section header alone */
    if (!strcmp(section, "server")) return server_key(l, name, value);
    if (!strcmp(section, "store")) return store_key(l, name, value);
    if (!strcmp(section, "policy")) return policy_key(l, name, value);
    if (!strcmp(section, "sender")) return sender_key(l, name, value);
    if (!strcmp(section, "broadcast")) return broadcast_key(l, name, value);
    if (!strcmp(section, "privacy")) return privacy_key(l, name, value);
    if (!strcmp(section, "export national")) return national_key(l, name, value);
    if (!strcmp(section, "retention")) return retention_key(l, name, value);
    if (!strncmp(section, "channel ", 8)) return channel_key(l, section + 8, name, value);
    if (!strncmp(section, "template ", 9)) return template_key(l, section + 9, name, value);
    if (!strcmp(section, "routing")) return routing_key(l, NULL, name, value);
    if (!strncmp(section, "routing ", 8)) return routing_key(l, section + 8, name, value);
    if (!strncmp(section, "county ", 7)) return county_key(l, section + 7, name, value);
    if (!strcmp(section, "county")) return fail(l, "[county]: name the county, e.g. [county 示例县]");
    if (!*section) return fail(l, "key '%s' outside any section", name);
    return fail(l, "unknown section [%s]", section);
}

static void defaults(struct gw_config *c)
{
    c->listen_host = gw_strdup("127.0.0.1");
    c->listen_port = 8080;
    c->public_url = gw_strdup("http://127.0.0.1:8080");
    c->max_body = 65536;
    c->threads = 2;
    c->max_connections_per_ip = 256;
    c->request_timeout = 30;
    c->job_interval = 60;
    c->log_level = gw_strdup("info");
    c->store_path = gw_strdup("var/gateway.db");
    c->sync_full = 1;
    c->batch_max = 256;
    c->policy = gw_policy_defaults();
    c->policy.timezone = gw_strdup("Asia/Shanghai");
    c->policy.country_code = gw_strdup("86");
    c->sender.enabled = 1;
    c->sender.max_attempts = 10;
    c->sender.max_age = 86400;
    c->sender.backoff = 2;
    c->sender.backoff_max = 600;
    c->sender.timeout = 15;
    c->sender.max_in_flight = 64;
    c->broadcast.tps = 1;
    c->national.date_format = gw_strdup("%Y-%m-%d");
    c->retention.reporter_days = 1095;
    c->retention.message_days = 1095;
}

/* The template as this config renders it: override text, else built-in. */
static const char *template_text(const struct gw_config *c, const struct tmpl_def *d, const struct gw_template **o)
{
    *o = gw_config_template(c, d->name);
    return *o && (*o)->text ? (*o)->text : d->text;
}

/* Start-up template lint: every template renders within one SMS (70 UCS-2
 * units) with its longest realistic values, carries no 【】 (the provider
 * adds the signature), no link and no risk-category word, uses only its declared variables, and
 * has an approved code for every template-only channel. */
static int lint_templates(struct loader *l)
{
    struct gw_config *c = l->cfg;
    size_t n;
    const struct tmpl_def *defs = tmpl_builtin(&n);
    for (size_t i = 0; i < n; i++) {
        const struct gw_template *o;
        const char *text = template_text(c, &defs[i], &o);
        if (strstr(text, "【") || strstr(text, "】"))
            return fail(l, "[template %s]: text must not contain 【】 (the provider adds the signature)", defs[i].name),
                   -1;
        if (strstr(text, "http://") || strstr(text, "https://") || strstr(text, "www."))
            return fail(l, "[template %s]: text must not carry a link", defs[i].name), -1;
        if (tmpl_category_word(text))
            return fail(l,
                        "[template %s]: text must not name a risk category ('%s'): an SMS is read by whoever "
                        "holds the phone",
                        defs[i].name, tmpl_category_word(text)),
                   -1;
        struct gw_buf b = {0};
        char err[160];
        int nv;
        const struct h_var *longest = tmpl_longest_values(&nv);
        if (tmpl_render(c, defs[i].name, longest, nv, &b, err, sizeof err) != 0) {
            gw_buf_free(&b);
            return fail(l, "[template %s]: %s", defs[i].name, err), -1;
        }
        size_t units = tmpl_ucs2_len(gw_buf_cstr(&b));
        gw_buf_free(&b);
        if (units > 70)
            return fail(l, "[template %s]: renders to %zu characters with its longest values; one SMS holds 70",
                        defs[i].name, units),
                   -1;
        for (size_t k = 0; k < c->nchannels; k++) {
            const struct gw_channel *ch = &c->channels[k];
            if (!ch->ops || !ch->ops->template_only) continue;
            if (!prov_template_code(ch->ops, o))
                return fail(l, "[channel %s] sends only approved templates: [template %s] needs %s", ch->name,
                            defs[i].name, ch->ops->template_key ? ch->ops->template_key : "a template key"),
                       -1;
        }
    }
    return 0;
}

/* The lexicon files were read as their own entries; each becomes a whole
 * lexicon: [policy]'s over the built-in, a county's over that. */
static void lay_lexicons(struct gw_policy *p)
{
    if (p->lexicon) {
        struct lexicon *whole = lex_over(NULL, p->lexicon);
        lex_free(p->lexicon);
        p->lexicon = whole;
    }
    for (size_t i = 0; i < p->ncounties; i++) {
        struct gw_county *k = &p->counties[i];
        if (!k->lexicon) continue;
        struct lexicon *whole = lex_over(p->lexicon, k->lexicon);
        lex_free(k->lexicon);
        k->lexicon = whole;
    }
}

/* Checks that need the whole file: required provider keys, one default. */
static int finish(struct loader *l)
{
    struct gw_config *c = l->cfg;
    int ndefault = 0;
    if (c->store_backend == GW_STORE_POSTGRES && !c->store_url)
        return fail(l, "[store] backend = postgres needs url = postgresql://...");
    for (size_t i = 0; i < c->nchannels; i++) {
        struct gw_channel *ch = &c->channels[i];
        l->line = l->chan_line[i];
        if (!ch->ops) return fail(l, "[channel %s]: provider is required", ch->name);
        for (const char *const *k = ch->ops->required_keys; k && *k; k++)
            if (!gw_channel_key(ch, *k))
                return fail(l, "[channel %s]: %s is required for provider %s", ch->name, *k, ch->provider);
        char perr[160];
        if (ch->ops->check_config && ch->ops->check_config(ch, perr, sizeof perr) != 0)
            return fail(l, "[channel %s]: %s", ch->name, perr);
        ndefault += ch->is_default;
    }
    if (ndefault > 1) {
        l->line = 0;
        return fail(l, "more than one channel has default = yes");
    }
    if (!normalise_contacts(l)) return 0;
    if (!c->policy.media_dir) {
        /* Recordings live beside the database unless told otherwise. */
        const char *slash = strrchr(c->store_path, '/');
        struct gw_buf b = {0};
        if (slash) gw_buf_append(&b, c->store_path, (size_t)(slash - c->store_path + 1));
        gw_buf_puts(&b, "media");
        c->policy.media_dir = gw_buf_steal(&b);
    }
    lay_lexicons(&c->policy);
    l->line = 0;
    if (lint_templates(l) != 0) return 0;
    if (c->policy.checkin_escalate_days < c->policy.checkin_days) {
        l->line = 0;
        return fail(l, "checkin_escalate_days must not be less than checkin_days");
    }
    return 1;
}

int gw_config_load(const char *path, struct gw_config **out, char *err, size_t errlen)
{
    struct loader l = {0};
    l.path = path;
    l.cfg = gw_calloc(1, sizeof *l.cfg);
    l.cfg->path = gw_strdup(path);
    defaults(l.cfg);
    l.fp = fopen(path, "r");
    if (!l.fp) {
        gw_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    int rc = ini_parse_stream(reader, &l, on_key, &l);
    fclose(l.fp);
    if (!l.err[0] && rc > 0) snprintf(l.err, sizeof l.err, "%s:%d: syntax error", path, rc);
    if (!l.err[0] && rc < 0) snprintf(l.err, sizeof l.err, "%s: cannot read", path);
    if (!l.err[0]) finish(&l);
    free(l.contacts);
    if (l.err[0]) {
        /* A whole-file check has no line: drop the ":0". */
        char *z = strstr(l.err, ":0: ");
        if (z) memmove(z, z + 2, strlen(z + 2) + 1);
        gw_err(err, errlen, "%s", l.err);
        goto fail;
    }
    *out = l.cfg;
    return 0;
fail:
    gw_config_free(l.cfg);
    return -1;
}

/* Frees what [export national] holds. */
static void national_free(struct gw_national_cfg *x)
{
    for (size_t i = 0; i < x->ncols; i++) {
        free(x->cols[i].name);
        free(x->cols[i].field);
    }
    free(x->cols);
    for (size_t i = 0; i < x->nmaps; i++) {
        for (size_t k = 0; k < x->maps[i].npairs; k++) {
            free(x->maps[i].pairs[k].from);
            free(x->maps[i].pairs[k].to);
        }
        free(x->maps[i].pairs);
        free(x->maps[i].field);
    }
    free(x->maps);
    free(x->date_format);
}

void gw_config_free(struct gw_config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nchannels; i++) {
        struct gw_channel *ch = &c->channels[i];
        free(ch->name);
        free(ch->provider);
        free(ch->url);
        free(ch->route);
        for (char **h = ch->media_hosts; h && *h; h++) free(*h);
        free(ch->media_hosts);
        for (size_t k = 0; k < ch->nkeys; k++) {
            free(ch->keys[k].key);
            free(ch->keys[k].value);
        }
        free(ch->keys);
    }
    free(c->channels);
    for (size_t i = 0; i < c->ntemplates; i++) {
        free(c->templates[i].name);
        free(c->templates[i].text);
        for (size_t k = 0; k < c->templates[i].ncodes; k++) {
            free(c->templates[i].codes[k].key);
            free(c->templates[i].codes[k].value);
        }
        free(c->templates[i].codes);
    }
    free(c->templates);
    free(c->path);
    free(c->listen_host);
    free(c->public_url);
    free(c->log_level);
    free(c->store_path);
    free(c->store_url);
    free(c->policy.timezone);
    free(c->policy.default_region);
    free(c->policy.country_code);
    free(c->policy.hotline);
    free(c->policy.media_dir);
    lex_free(c->policy.lexicon);
    for (size_t i = 0; i < c->policy.ncounties; i++) {
        struct gw_county *k = &c->policy.counties[i];
        free(k->county);
        free(k->duty_contact);
        free(k->city_contact);
        for (int d = 0; d < ROUTING_NDEPTS; d++) free(k->dept_duty[d]);
        lex_free(k->lexicon);
    }
    free(c->policy.counties);
    national_free(&c->national);
    gw_secret_wipe(&c->privacy, sizeof c->privacy);
    free(c);
}
