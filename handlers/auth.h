/* handlers/auth.h - who calls the office API and what they may do: the
 * principal (a bearer token of an integration, later a staff session),
 * making and checking bearer tokens, the role table (role x action) and
 * the region scope of each role.
 *
 * A token is "gwt_" and 43 base64url characters (32 random bytes), shown
 * once when made; the store keeps only its SHA-256 in hex
 * (core/store_token.h). The rules are pure functions; the functions that
 * take a store run on the thread that owns it, inside the caller's
 * transaction when there is one.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/sha256.h"
#include "../core/store.h"

/* The six roles, in the order of the role table. */
enum auth_role {
    AUTH_ADMIN = 0,  /* runs the system: roster, tokens; everywhere */
    AUTH_COUNTY,     /* the county's child-welfare office; their county */
    AUTH_SUPERVISOR, /* a town's supervisor; their town */
    AUTH_RESPONDER,  /* a department's responder; their county, their department's cases */
    AUTH_DIRECTOR,   /* a village's children's director; their village */
    AUTH_AUDITOR,    /* reads the audit trail; everywhere, no personal data */
    AUTH_NROLES
};

/* What a request does; each API route names one. */
enum auth_action {
    AUTH_ME = 0,        /* who am I: allowed to every role */
    AUTH_CASES_READ,    /* read cases */
    AUTH_CASES_WRITE,   /* acknowledge, update, close cases */
    AUTH_CHILDREN_READ, /* read children and their visits */
    AUTH_ROSTER_WRITE,  /* change regions, staff, children, guardians */
    AUTH_EXPORT,        /* bulk exports of personal data */
    AUTH_AUDIT_READ,    /* read the audit trail */
    AUTH_NACTIONS
};

enum auth_kind {
    AUTH_TOKEN = 0, /* an integration's bearer token */
    AUTH_SESSION,   /* a staff member's session (handlers/session.h) */
};

#define AUTH_NAME_MAX 64 /* bytes of a principal's name, NUL included */
#define AUTH_PATH_MAX 256

/* Who is calling. */
struct auth_principal {
    enum auth_kind kind;
    char name[AUTH_NAME_MAX]; /* the token's name; a session's "staff:<id>" */
    int64_t staff_id;         /* a session's staff member; 0 for a token */
    enum auth_role role;
    int64_t region_id;          /* 0: everywhere */
    char region[AUTH_PATH_MAX]; /* the region's path, "" when everywhere */
    char department[24];        /* responders: canonical department code; "" otherwise */
    char person[64];            /* a session's staff member's name, shown to them; "" for a token */
};

/* The role's name ("admin", ...), NULL outside the range. */
const char *auth_role_name(enum auth_role role);
/* The role named name: 0 with *role, -1 when unknown. */
int auth_role_parse(const char *name, enum auth_role *role);
/* The action's name ("me", "cases.read", ...), NULL outside the range. */
const char *auth_action_name(enum auth_action action);

/* The role table: 1 when role may do action, else 0 (also outside the ranges). */
int auth_allows(enum auth_role role, enum auth_action action);

/* Region scope: 1 when p may see a record of region path (its most precise
 * region, "" or NULL when it has none) and department (canonical code, NULL
 * when the record belongs to none). admin and auditor: everything; county:
 * records under their county; supervisor: under their town; director: their
 * village; responder: under their county and of their department. */
int auth_in_scope(const struct auth_principal *p, const char *path, const char *department);

/* ---- bearer tokens ------------------------------------------------------------ */

#define AUTH_TOKEN_PREFIX "gwt_"
#define AUTH_TOKEN_BYTES  32 /* random bytes behind a token */
#define AUTH_TOKEN_LEN    48 /* "gwt_", 43 base64url characters, the NUL */

/* What a new token is for. region and department may be NULL. */
struct auth_token_spec {
    const char *name;       /* 1-63 of A-Z a-z 0-9 . _ - */
    const char *role;       /* a role name */
    const char *region;     /* a region path: required for county (a county), supervisor (a town), director (a
                               village), responder (a county); refused for admin and auditor */
    const char *department; /* responders only, required: a department code or Chinese name */
};

/* Makes a token for spec at now: checks it, stores its hash and writes the
 * token (shown once, never stored) to token. Returns 0; 1 when refused
 * (unknown role, a bad or missing region or department, a name taken), err
 * telling why; -1 on a store or random-generator error (err tells). */
int auth_token_create(struct store *st, const struct auth_token_spec *spec, int64_t now, char token[AUTH_TOKEN_LEN],
                      char *err, size_t errlen);

/* The SHA-256 in hex of a presented token (what the store keeps). 0 or -1. */
int auth_token_hash(const char *token, char hash[GW_SHA256_HEX]);

/* The token in an Authorization header value ("Bearer <token>", the scheme
 * case-insensitive): 0 with token pointing into value, -1 when the value is
 * NULL, of another scheme or empty. */
int auth_bearer(const char *value, const char **token);

/* Checks a presented token by its hash at now: 0 with *out filled (and the
 * token's last use recorded), 1 when no token in use has that hash
 * (unknown or revoked), -1 on a store error. */
int auth_check_hash(struct store *st, const char *hash, int64_t now, struct auth_principal *out);

/* auth_check_hash of the hash of token. */
int auth_check_token(struct store *st, const char *token, int64_t now, struct auth_principal *out);

/* ---- staff sessions ------------------------------------------------------------ */

#define AUTH_SESSION_IDLE    (30 * 60)      /* seconds without a request that end a session */
#define AUTH_SESSION_MAX_AGE (12 * 60 * 60) /* seconds a session lasts at most */

/* Checks a session cookie by its hash (SHA-256 hex) at now: 0 with *out
 * filled (kind AUTH_SESSION, name "staff:<id>", role from the staff row:
 * admin, supervisor, responder, director; a supervisor registered at a
 * county acts as county) and csrf_hash (may be NULL) the SHA-256 hex of
 * its CSRF token, its last request set to now; 1 when no session in use
 * has that hash (unknown, ended, idle past AUTH_SESSION_IDLE, older than
 * its expiry, or its staff member gone); -1 on a store error. */
int auth_check_session(struct store *st, const char *hash, int64_t now, struct auth_principal *out,
                       char csrf_hash[GW_SHA256_HEX]);

/* The principal of staff member staff_id with role (a staff row's role
 * name), region (id, level, path) and department into *out, as
 * auth_check_session fills it. 0, or 1 when role is none of the staff roles. */
int auth_staff_principal(int64_t staff_id, const char *role, int64_t region_id, int region_level, const char *region,
                         const char *department, struct auth_principal *out);

/* The audit trail's actor for p: "token:<name>", or "staff:<id>" for a
 * session. */
void auth_actor(const struct auth_principal *p, char *out, size_t outlen);

#endif
