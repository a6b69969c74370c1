/* handlers/broadcast.c - broadcasts: audiences, who may create, approve
 * and cancel one, and the queueing of its messages (broadcast.h). */
#include "broadcast.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/store.h"
#include "../core/utf8.h"
#include "../core/util.h"
#include "audit.h"
#include "templates.h"

#define SMS_UNITS 70 /* UCS-2 units of one SMS */

/* The child categories a guardians: audience may name. */
static const char *const categories[] = {"left_behind", "difficulty", "orphan", "unsupported", "single_parent", NULL};

/* An audience, read. */
struct audience {
    enum store_audience who;
    char category[32];        /* STORE_AUD_GUARDIANS only */
    char path[DB_PATH_MAX];   /* the region, as registered */
    char county[DB_PATH_MAX]; /* its county's path */
};

/* ---- audiences ------------------------------------------------------------------- */

/* Reads text into *a and checks its region exists. 0, 1 refused (err), -1. */
static int audience_parse(struct store *st, const char *text, struct audience *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    const char *rest = NULL;
    if (!strncmp(text, "directors:", 10)) {
        a->who = STORE_AUD_DIRECTORS;
        rest = text + 10;
    } else if (!strncmp(text, "away_parents:", 13)) {
        a->who = STORE_AUD_AWAY;
        rest = text + 13;
    } else if (!strncmp(text, "guardians:", 10)) {
        a->who = STORE_AUD_GUARDIANS;
        const char *cat = text + 10, *colon = strchr(cat, ':');
        size_t n = colon ? (size_t)(colon - cat) : 0;
        int known = 0;
        for (int i = 0; categories[i] && n; i++) known |= strlen(categories[i]) == n && !memcmp(categories[i], cat, n);
        if (!known) {
            gw_err(err, errlen,
                   "audience %s: guardians:<category>:<region path>, the category one of "
                   "left_behind|difficulty|orphan|unsupported|single_parent",
                   text);
            return 1;
        }
        snprintf(a->category, sizeof a->category, "%.*s", (int)n, cat);
        rest = colon + 1;
    } else {
        gw_err(err, errlen,
               "audience %s: expected directors:<region path>, away_parents:<region path> or "
               "guardians:<category>:<region path>",
               text);
        return 1;
    }
    struct db_region r;
    int rc = *rest ? db_region_by_path(st, rest, &r) : 1;
    if (rc < 0) return -1;
    if (rc == 1) {
        gw_err(err, errlen, "audience %s: no region %s in the roster", text, *rest ? rest : "(none given)");
        return 1;
    }
    gw_strlcpy(a->path, r.path, sizeof a->path);
    size_t clen = strcspn(r.path, "/");
    snprintf(a->county, sizeof a->county, "%.*s", (int)clen, r.path);
    return 0;
}

/* The audience's phones, each once. */
struct phones {
    char (*v)[DB_PHONE_LEN];
    size_t n, cap;
};

static int phone_add(void *arg, const char *phone)
{
    struct phones *p = arg;
    if (!*phone || (p->n && !strcmp(p->v[p->n - 1], phone))) return 0; /* read in order: a repeat follows */
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = gw_realloc(p->v, p->cap * sizeof *p->v);
    }
    gw_strlcpy(p->v[p->n++], phone, sizeof p->v[0]);
    return 0;
}

/* Reads the audience's phones into *p and marks the opted-out ones: out[i]
 * = 1 when p->v[i] opted out (*opted counts them). 0, -1. Caller frees
 * p->v and *out. */
static int resolve(struct store *st, const struct audience *a, struct phones *p, char **out, long *opted)
{
    memset(p, 0, sizeof *p);
    *out = NULL;
    *opted = 0;
    if (store_audience_each(st, a->who, a->category, a->path, phone_add, p) != 0) return -1;
    *out = gw_calloc(p->n ? p->n : 1, 1);
    for (size_t i = 0; i < p->n; i++) {
        int rc = db_optout_check(st, p->v[i]);
        if (rc < 0) return -1;
        (*out)[i] = (char)rc;
        *opted += rc;
    }
    return 0;
}

/* ---- people -------------------------------------------------------------------------- */

/* The staff member with phone by into *who, when they may `verb` a
 * broadcast to a: a county officer whose region holds it, or an admin.
 * 0, 1 refused (err), -1. */
static int officer(struct store *st, const char *by, const struct audience *a, const char *verb, struct db_staff *who,
                   char *err, size_t errlen)
{
    int rc = by && *by ? db_staff_by_phone(st, by, who) : 1;
    if (rc < 0) return -1;
    if (rc == 1) {
        gw_err(err, errlen, "%s is not a staff member in the roster", by && *by ? by : "(no phone)");
        return 1;
    }
    if (strcmp(who->role, "county") != 0 && strcmp(who->role, "admin") != 0) {
        gw_err(err, errlen, "only a county officer or an admin may %s a broadcast (%s is a %s)", verb, by, who->role);
        return 1;
    }
    if (!strcmp(who->role, "county") && !db_path_under(a->path, who->region.path)) {
        gw_err(err, errlen, "the audience's region %s lies outside %s's region %s", a->path, by, who->region.path);
        return 1;
    }
    return 0;
}

/* Appends the audit row of act (e.g. "broadcast create") on broadcast id. 0, -1. */
static int audit(struct store *st, const struct db_staff *who, const char *client, const char *act, int64_t id,
                 int64_t now)
{
    char actor[32], records[40];
    snprintf(actor, sizeof actor, "staff:%lld", (long long)who->id);
    snprintf(records, sizeof records, "broadcast:%lld", (long long)id);
    return audit_record(st, actor, who->role, client ? client : "cli", act, records, "", now);
}

/* ---- templates and their variables -------------------------------------------------- */

/* 1 when name is one of the comma-separated names in list. */
static int declared(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !memcmp(p, name, n)) return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* How many names the comma-separated list holds. */
static int declared_count(const char *list)
{
    int n = *list ? 1 : 0;
    for (const char *p = list; *p; p++) n += *p == ',';
    return n;
}

/* Checks a value given to a broadcast: no control character, valid UTF-8,
 * no risk category, no link, no registered child of county named. 0, 1
 * refused (err), -1. */
static int check_value(struct store *st, const struct bc_var *v, const char *county, char *err, size_t errlen)
{
    const char *s = v->value ? v->value : "";
    if (!*s) return gw_err(err, errlen, "%s is empty", v->name), 1;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return gw_err(err, errlen, "%s holds a control character", v->name), 1;
    if (!utf8_valid(s, strlen(s))) return gw_err(err, errlen, "%s is not valid UTF-8", v->name), 1;
    if (tmpl_category_word(s))
        return gw_err(err, errlen, "%s names a risk category ('%s'): an SMS is read by whoever holds the phone",
                      v->name, tmpl_category_word(s)),
               1;
    if (strstr(s, "http://") || strstr(s, "https://") || strstr(s, "www.") || strstr(s, "【") || strstr(s, "】"))
        return gw_err(err, errlen, "%s must carry no link and no 【】", v->name), 1;
    struct db_child c;
    int rc = db_child_named_in(st, s, county, &c);
    if (rc < 0) return -1;
    if (rc == 0 || rc == 2) return gw_err(err, errlen, "%s names a registered child: no SMS names a child", v->name), 1;
    return 0;
}

/* Checks tmpl is a broadcast template given exactly its variables, each a
 * value a broadcast may carry. 0, 1 refused (err), -1. */
static int check_template(struct store *st, const char *tmpl, const struct bc_var *vars, int nvars, const char *county,
                          char *err, size_t errlen)
{
    const struct tmpl_def *def = tmpl && !strncmp(tmpl, "broadcast_", 10) ? tmpl_find(tmpl) : NULL;
    if (!def) {
        struct gw_buf names = {0};
        size_t n;
        const struct tmpl_def *all = tmpl_builtin(&n);
        for (size_t i = 0; i < n; i++)
            if (!strncmp(all[i].name, "broadcast_", 10))
                gw_buf_printf(&names, "%s%s", names.len ? ", " : "", all[i].name);
        gw_err(err, errlen, "no broadcast template %s (one of %s)", tmpl ? tmpl : "(none)", gw_buf_cstr(&names));
        gw_buf_free(&names);
        return 1;
    }
    if (nvars > BC_MAX_VARS) return gw_err(err, errlen, "at most %d variables", BC_MAX_VARS), 1;
    for (int i = 0; i < nvars; i++) {
        if (!vars[i].name || !declared(def->vars, vars[i].name))
            return gw_err(err, errlen, "template %s takes no variable %s (it takes: %s)", tmpl,
                          vars[i].name ? vars[i].name : "", def->vars[0] ? def->vars : "none"),
                   1;
        for (int k = 0; k < i; k++)
            if (!strcmp(vars[k].name, vars[i].name)) return gw_err(err, errlen, "%s given twice", vars[i].name), 1;
        int rc = check_value(st, &vars[i], county, err, errlen);
        if (rc != 0) return rc;
    }
    if (nvars != declared_count(def->vars))
        return gw_err(err, errlen, "template %s takes exactly: %s", tmpl, def->vars[0] ? def->vars : "no variables"), 1;
    return 0;
}

/* Renders tmpl with vars into body, which must fit one SMS. 0, 1 refused (err). */
static int render(const struct gw_config *cfg, const char *tmpl, const struct bc_var *vars, int nvars,
                  struct gw_buf *body, char *err, size_t errlen)
{
    struct h_var hv[BC_MAX_VARS];
    if (nvars > BC_MAX_VARS) return gw_err(err, errlen, "at most %d variables", BC_MAX_VARS), 1;
    for (int i = 0; i < nvars; i++) {
        hv[i].name = vars[i].name;
        if (strlen(vars[i].value) >= sizeof hv[i].value)
            return gw_err(err, errlen, "%s is too long: %zu characters at most", vars[i].name,
                          (sizeof hv[i].value - 1) / 3),
                   1;
        gw_strlcpy(hv[i].value, vars[i].value, sizeof hv[i].value);
    }
    char why[160];
    if (tmpl_render(cfg, tmpl, hv, nvars, body, why, sizeof why) != 0) return gw_err(err, errlen, "%s", why), 1;
    size_t units = tmpl_ucs2_len(gw_buf_cstr(body));
    if (units > SMS_UNITS)
        return gw_err(err, errlen, "the text is %zu characters; one SMS holds %d: shorten it by %zu", units, SMS_UNITS,
                      units - SMS_UNITS),
               1;
    return 0;
}

/* vars[0..nvars) as a JSON object (owned), or NULL. */
static char *vars_json(const struct bc_var *vars, int nvars)
{
    json_t *o = json_object();
    for (int i = 0; i < nvars; i++) json_object_set_new(o, vars[i].name, json_string(vars[i].value));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* ---- the acts -------------------------------------------------------------------------- */

int bc_create(struct store *st, const struct gw_config *cfg, const char *by, const char *client, const char *tmpl,
              const char *audience, const struct bc_var *vars, int nvars, int64_t now, struct bc_outcome *out)
{
    memset(out, 0, sizeof *out);
    struct audience a;
    struct db_staff who;
    int rc = audience_parse(st, audience ? audience : "", &a, out->err, sizeof out->err);
    if (rc == 0) rc = officer(st, by, &a, "create", &who, out->err, sizeof out->err);
    if (rc == 0) rc = check_template(st, tmpl, vars, nvars, a.county, out->err, sizeof out->err);
    if (rc != 0) return rc;
    struct gw_buf body = {0};
    rc = render(cfg, tmpl, vars, nvars, &body, out->err, sizeof out->err);
    gw_buf_free(&body);
    if (rc != 0) return rc;
    struct phones p;
    char *opted = NULL;
    if (resolve(st, &a, &p, &opted, &out->opted_out) != 0) {
        free(p.v);
        free(opted);
        return -1;
    }
    out->recipients = (long)p.n - out->opted_out;
    size_t members = p.n;
    free(p.v);
    free(opted);
    if (!members) return gw_err(out->err, sizeof out->err, "nobody in the audience %s", audience), 1;
    char *json = vars_json(vars, nvars);
    if (!json) return gw_err(out->err, sizeof out->err, "the variables cannot be written"), 1;
    rc = store_broadcast_insert(st, tmpl, json, audience, who.id, now, &out->id);
    free(json);
    if (rc != 0) return -1;
    return audit(st, &who, client, "broadcast create", out->id, now) == 0 ? 0 : -1;
}

/* Reads a broadcast's stored variables into vars (pointing into *root,
 * which the caller frees with json_decref). Returns how many, or -1. */
static int vars_read(const char *json, json_t **root, struct bc_var *vars)
{
    *root = json_loads(json && *json ? json : "{}", 0, NULL);
    if (!json_is_object(*root)) return -1;
    int n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(*root, key, v)
    {
        if (n == BC_MAX_VARS || !json_is_string(v)) return -1;
        vars[n].name = key;
        vars[n].value = json_string_value(v);
        n++;
    }
    return n;
}

/* Queues one row per phone not opted out, counting them in out. 0, -1. */
static int queue_rows(struct store *st, const struct store_broadcast *b, const char *body, const struct phones *p,
                      const char *opted, int64_t now, struct bc_outcome *out)
{
    for (size_t i = 0; i < p->n; i++) {
        if (opted[i]) continue;
        char key[80];
        snprintf(key, sizeof key, "broadcast:%lld:%s", (long long)b->id, p->v[i]);
        struct store_broadcast_msg m = {
            .broadcast_id = b->id,
            .recipient = p->v[i],
            .tmpl = b->tmpl,
            .vars_json = b->vars_json,
            .body = body,
            .kind = BC_KIND,
            .priority = BC_PRIORITY,
            .dedupe_key = key,
        };
        int64_t id;
        int rc = store_broadcast_queue(st, &m, now, &id);
        if (rc < 0) return -1;
        if (rc == 0) out->recipients++;
    }
    return 0;
}

int bc_approve(struct store *st, const struct gw_config *cfg, int64_t id, const char *by, const char *client,
               int64_t now, struct bc_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    struct store_broadcast b;
    int rc = store_broadcast_get(st, id, &b);
    if (rc != 0) return rc < 0 ? -1 : (gw_err(out->err, sizeof out->err, "no broadcast %lld", (long long)id), 1);
    if (strcmp(b.status, "pending") != 0)
        return gw_err(out->err, sizeof out->err, "broadcast %lld is %s: only a pending one can be approved",
                      (long long)id, b.status),
               1;
    struct audience a;
    struct db_staff who;
    rc = audience_parse(st, b.audience, &a, out->err, sizeof out->err);
    if (rc == 0) rc = officer(st, by, &a, "approve", &who, out->err, sizeof out->err);
    if (rc != 0) return rc;
    if (who.id == b.created_by)
        return gw_err(out->err, sizeof out->err, "a second person must approve: %s created broadcast %lld", by,
                      (long long)id),
               1;
    struct bc_var vars[BC_MAX_VARS];
    json_t *root = NULL;
    int nvars = vars_read(b.vars_json, &root, vars);
    struct gw_buf body = {0};
    rc = nvars < 0
             ? (gw_err(out->err, sizeof out->err, "broadcast %lld: its variables cannot be read", (long long)id), 1)
             : render(cfg, b.tmpl, vars, nvars, &body, out->err, sizeof out->err);
    json_decref(root);
    struct phones p = {0};
    char *opted = NULL;
    if (rc == 0) rc = resolve(st, &a, &p, &opted, &out->opted_out) != 0 ? -1 : 0;
    if (rc == 0) rc = queue_rows(st, &b, gw_buf_cstr(&body), &p, opted, now, out);
    gw_buf_free(&body);
    free(p.v);
    free(opted);
    if (rc != 0) return rc;
    rc = store_broadcast_approve(st, id, who.id, out->recipients, out->opted_out, now);
    if (rc == 1) gw_err(out->err, sizeof out->err, "broadcast %lld is no longer pending", (long long)id);
    if (rc != 0) return rc;
    return audit(st, &who, client, "broadcast approve", id, now) == 0 ? 0 : -1;
}

int bc_cancel(struct store *st, int64_t id, const char *by, const char *client, int64_t now, struct bc_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    struct store_broadcast b;
    int rc = store_broadcast_get(st, id, &b);
    if (rc != 0) return rc < 0 ? -1 : (gw_err(out->err, sizeof out->err, "no broadcast %lld", (long long)id), 1);
    if (!strcmp(b.status, "cancelled"))
        return gw_err(out->err, sizeof out->err, "broadcast %lld is cancelled already", (long long)id), 1;
    struct audience a;
    struct db_staff who;
    rc = audience_parse(st, b.audience, &a, out->err, sizeof out->err);
    if (rc == 0) rc = officer(st, by, &a, "cancel", &who, out->err, sizeof out->err);
    if (rc != 0) return rc;
    int64_t unsent = 0;
    rc = store_broadcast_cancel(st, id, now, &unsent);
    if (rc != 0) return rc;
    out->unsent = (long)unsent;
    return audit(st, &who, client, "broadcast cancel", id, now) == 0 ? 0 : -1;
}
