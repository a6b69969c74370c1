/* handlers/auth.c - the office API's principals, bearer tokens, role table
 * and region scope (see auth.h). */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/random.h"
#include "../core/util.h"
#include "routing.h"

static const char *const role_names[AUTH_NROLES] = {"admin",     "county",   "supervisor",
                                                    "responder", "director", "auditor"};

static const char *const action_names[AUTH_NACTIONS] = {
    "me", "cases.read", "cases.write", "children.read", "roster.write", "export", "audit.read",
};

/* The role table: a row per action, a column per role in enum order
 * (admin county supervisor responder director auditor). */
static const unsigned char role_table[AUTH_NACTIONS][AUTH_NROLES] = {
    [AUTH_ME] = {1, 1, 1, 1, 1, 1},           [AUTH_CASES_READ] = {1, 1, 1, 1, 1, 0},
    [AUTH_CASES_WRITE] = {1, 1, 1, 1, 0, 0},  [AUTH_CHILDREN_READ] = {1, 1, 1, 0, 1, 0},
    [AUTH_ROSTER_WRITE] = {1, 1, 0, 0, 0, 0}, [AUTH_EXPORT] = {1, 1, 0, 0, 0, 0},
    [AUTH_AUDIT_READ] = {1, 0, 0, 0, 0, 1},
};

/* The region level a scoped role's token names: 1 county, 2 town, 3
 * village; 0 for the roles that are everywhere. */
static const int role_level[AUTH_NROLES] = {0, 1, 2, 1, 3, 0};

const char *auth_role_name(enum auth_role role) { return (unsigned)role < AUTH_NROLES ? role_names[role] : NULL; }

int auth_role_parse(const char *name, enum auth_role *role)
{
    for (int i = 0; name && i < AUTH_NROLES; i++)
        if (!strcmp(name, role_names[i])) {
            *role = (enum auth_role)i;
            return 0;
        }
    return -1;
}

const char *auth_action_name(enum auth_action action)
{
    return (unsigned)action < AUTH_NACTIONS ? action_names[action] : NULL;
}

int auth_allows(enum auth_role role, enum auth_action action)
{
    if ((unsigned)role >= AUTH_NROLES || (unsigned)action >= AUTH_NACTIONS) return 0;
    return role_table[action][role];
}

int auth_in_scope(const struct auth_principal *p, const char *path, const char *department)
{
    if (p->role == AUTH_ADMIN || p->role == AUTH_AUDITOR) return 1;
    if ((unsigned)p->role >= AUTH_NROLES || !p->region[0] || !path || !path[0]) return 0;
    if (!db_path_under(path, p->region)) return 0;
    if (p->role != AUTH_RESPONDER) return 1;
    return department && p->department[0] && !strcmp(department, p->department);
}

/* ---- bearer tokens ------------------------------------------------------------ */

/* base64url without padding of n bytes into out (4 * n / 3 + 2 bytes). */
static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = digits[(v >> 18) & 63];
        out[o++] = digits[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = digits[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = digits[v & 63];
    }
    out[o] = '\0';
}

/* 1 when name is 1-63 of A-Z a-z 0-9 . _ - */
static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < AUTH_NAME_MAX &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Checks spec's role, region and department and fills the row's role,
 * region_id and department. Returns 0, 1 refused (err tells) or -1. */
static int spec_row(struct store *st, const struct auth_token_spec *spec, struct store_token_row *row, char *err,
                    size_t errlen)
{
    static const char *const level_names[] = {"", "a county", "a town", "a village"};
    enum auth_role role;
    if (!name_ok(spec->name)) {
        snprintf(err, errlen, "a token name is 1-63 letters, digits, '.', '_' or '-'");
        return 1;
    }
    if (auth_role_parse(spec->role, &role) != 0) {
        snprintf(err, errlen, "unknown role '%s' (admin|county|supervisor|responder|director|auditor)",
                 spec->role ? spec->role : "");
        return 1;
    }
    gw_strlcpy(row->name, spec->name, sizeof row->name);
    gw_strlcpy(row->role, role_names[role], sizeof row->role);
    int want = role_level[role];
    int has_region = spec->region && spec->region[0];
    int has_dept = spec->department && spec->department[0];
    if (!want) {
        if (has_region || has_dept) {
            snprintf(err, errlen, "%s tokens are not scoped: no --region or --department", role_names[role]);
            return 1;
        }
        return 0;
    }
    if (!has_region) {
        snprintf(err, errlen, "%s tokens need --region (%s)", role_names[role], level_names[want]);
        return 1;
    }
    struct db_region r;
    int rc = db_region_by_path(st, spec->region, &r);
    if (rc < 0) {
        snprintf(err, errlen, "%s", store_errmsg(st));
        return -1;
    }
    if (rc != 0 || r.level != want) {
        snprintf(err, errlen, "%s tokens need %s: '%s' is %s", role_names[role], level_names[want], spec->region,
                 rc != 0 ? "not a known region" : level_names[r.level >= 1 && r.level <= 3 ? r.level : 0]);
        return 1;
    }
    row->region_id = r.id;
    if (role != AUTH_RESPONDER) {
        if (has_dept) {
            snprintf(err, errlen, "only responder tokens have a department");
            return 1;
        }
        return 0;
    }
    const char *code = has_dept ? routing_dept_code(spec->department) : NULL;
    if (!code) {
        if (has_dept)
            snprintf(err, errlen, "responder tokens need a known department: '%s' is not one", spec->department);
        else
            snprintf(err, errlen, "responder tokens need --department");
        return 1;
    }
    gw_strlcpy(row->department, code, sizeof row->department);
    return 0;
}

int auth_token_create(struct store *st, const struct auth_token_spec *spec, int64_t now, char token[AUTH_TOKEN_LEN],
                      char *err, size_t errlen)
{
    struct store_token_row row;
    memset(&row, 0, sizeof row);
    token[0] = '\0';
    int rc = spec_row(st, spec, &row, err, errlen);
    if (rc != 0) return rc;
    unsigned char raw[AUTH_TOKEN_BYTES];
    if (gw_random_bytes(raw, sizeof raw) != 0) {
        snprintf(err, errlen, "no random bytes from libcrypto");
        return -1;
    }
    memcpy(token, AUTH_TOKEN_PREFIX, sizeof AUTH_TOKEN_PREFIX - 1);
    base64url(raw, sizeof raw, token + sizeof AUTH_TOKEN_PREFIX - 1);
    memset(raw, 0, sizeof raw);
    if (auth_token_hash(token, row.hash) != 0) {
        snprintf(err, errlen, "SHA-256 failed");
        token[0] = '\0';
        return -1;
    }
    rc = store_token_insert(st, &row, now, NULL);
    if (rc == 1) snprintf(err, errlen, "a token named '%s' already exists", spec->name);
    if (rc < 0) snprintf(err, errlen, "%s", store_errmsg(st));
    if (rc != 0) memset(token, 0, AUTH_TOKEN_LEN);
    return rc;
}

int auth_token_hash(const char *token, char hash[GW_SHA256_HEX]) { return gw_sha256_hex(token, strlen(token), hash); }

int auth_bearer(const char *value, const char **token)
{
    if (!value) return -1;
    value += strspn(value, " \t");
    if (strncasecmp(value, "Bearer", 6) != 0 || (value[6] != ' ' && value[6] != '\t')) return -1;
    value += 6;
    value += strspn(value, " \t");
    size_t n = strcspn(value, " \t\r\n");
    if (n == 0 || value[n] != '\0') return -1;
    *token = value;
    return 0;
}

/* Looking a token up by its hash needs no constant-time comparison: what
 * an attacker's guess is compared with (in the index, by SQLite) is the
 * SHA-256 of the guess, not the token, and timing that tells how much of
 * a hash matched does not help find a token whose hash matches more
 * (SHA-256 is preimage resistant). */
int auth_check_hash(struct store *st, const char *hash, int64_t now, struct auth_principal *out)
{
    struct store_token_row row;
    memset(out, 0, sizeof *out);
    int rc = store_token_by_hash(st, hash, &row);
    if (rc != 0) return rc;
    enum auth_role role;
    if (auth_role_parse(row.role, &role) != 0) return 1; /* the schema's CHECK keeps this from happening */
    if (store_token_touch(st, row.id, now) < 0) return -1;
    out->kind = AUTH_TOKEN;
    gw_strlcpy(out->name, row.name, sizeof out->name);
    out->role = role;
    out->region_id = row.region_id;
    gw_strlcpy(out->region, row.region, sizeof out->region);
    gw_strlcpy(out->department, row.department, sizeof out->department);
    return 0;
}

int auth_check_token(struct store *st, const char *token, int64_t now, struct auth_principal *out)
{
    char hash[GW_SHA256_HEX];
    if (!token) return 1;
    if (auth_token_hash(token, hash) != 0) return -1;
    return auth_check_hash(st, hash, now, out);
}

/* ---- staff sessions ------------------------------------------------------------ */

int auth_staff_principal(int64_t staff_id, const char *role, int64_t region_id, int region_level, const char *region,
                         const char *department, struct auth_principal *out)
{
    static const char *const staff_roles[] = {"admin", "county", "supervisor", "responder", "director", "auditor"};
    memset(out, 0, sizeof *out);
    enum auth_role r;
    size_t i = 0;
    while (i < sizeof staff_roles / sizeof staff_roles[0] && strcmp(role, staff_roles[i]) != 0) i++;
    if (i == sizeof staff_roles / sizeof staff_roles[0] || auth_role_parse(role, &r) != 0) return 1;
    if (r == AUTH_SUPERVISOR && region_level == 1) r = AUTH_COUNTY; /* the county's own supervisor */
    out->kind = AUTH_SESSION;
    snprintf(out->name, sizeof out->name, "staff:%lld", (long long)staff_id);
    out->staff_id = staff_id;
    out->role = r;
    if (r != AUTH_ADMIN && r != AUTH_AUDITOR) { /* they reach everywhere, wherever the roster registered them */
        out->region_id = region_id;
        gw_strlcpy(out->region, region, sizeof out->region);
    }
    if (r == AUTH_RESPONDER) gw_strlcpy(out->department, department, sizeof out->department);
    return 0;
}

int auth_check_session(struct store *st, const char *hash, int64_t now, struct auth_principal *out,
                       char csrf_hash[GW_SHA256_HEX])
{
    struct store_session_row row;
    memset(out, 0, sizeof *out);
    if (csrf_hash) csrf_hash[0] = '\0';
    int rc = store_session_by_hash(st, hash, &row);
    if (rc != 0) return rc;
    if (now >= row.expires_at || now - row.last_seen_at > AUTH_SESSION_IDLE) return 1;
    if (auth_staff_principal(row.staff_id, row.role, row.region_id, row.region_level, row.region, row.department,
                             out) != 0)
        return 1;
    gw_strlcpy(out->person, row.name, sizeof out->person);
    if (store_session_touch(st, row.id, now) < 0) return -1;
    if (csrf_hash) gw_strlcpy(csrf_hash, row.csrf_hash, GW_SHA256_HEX);
    return 0;
}

void auth_actor(const struct auth_principal *p, char *out, size_t outlen)
{
    if (p->kind == AUTH_SESSION)
        snprintf(out, outlen, "staff:%lld", (long long)p->staff_id);
    else
        snprintf(out, outlen, "token:%s", p->name);
}
