/* gateway/api_session.c - staff sign-in endpoints (see api_session.h).
 *
 * They run on the store writer like every endpoint. Neither answer of
 * POST /api/v1/login tells whether the phone is a staff member's; the
 * code travels only in the outbox row's SMS, never in a log line.
 */
#include "api_session.h"

#include <stdio.h>
#include <string.h>

#include "../core/message.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "../handlers/session.h"
#include "pipeline.h"

/* The string member key of the JSON object in in's body into out: 0, or
 * -1 (reason set) when the body is no object or key no string. */
static int body_string(const struct api_in *in, const char *key, char *out, size_t outlen, char *reason,
                       size_t reasonlen)
{
    json_error_t e;
    json_t *body = json_loadb(in->body, in->body_len, 0, &e);
    const char *v = json_is_object(body) ? json_string_value(json_object_get(body, key)) : NULL;
    if (v) gw_strlcpy(out, v, outlen);
    json_decref(body);
    if (v) return 0;
    snprintf(reason, reasonlen, "a JSON object with \"%s\" (a string) is required", key);
    return -1;
}

/* The E.164 phone of in's body's "phone": 0, or -1 (reason set). */
static int body_phone(const struct api_in *in, char *phone, size_t len, char *reason, size_t reasonlen)
{
    char raw[64];
    if (body_string(in, "phone", raw, sizeof raw, reason, reasonlen) != 0) return -1;
    if (gw_phone_e164(raw, in->cfg->policy.country_code, phone, len) != 0 || strlen(phone) < 8) {
        snprintf(reason, reasonlen, "\"phone\" is not a phone number");
        return -1;
    }
    return 0;
}

/* POST /api/v1/login: a code for a staff member's phone. */
static int run_login(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    char phone[DB_PHONE_LEN];
    if (body_phone(in, phone, sizeof phone, reason, reasonlen) != 0) return 400;
    struct h_reply sms;
    int send = 0;
    int64_t retry = 0;
    int rc = session_login(in->st, phone, in->client, in->now, &sms, &send, &retry);
    if (rc < 0) return -1;
    if (rc == 1) {
        in->extra->retry_after = retry;
        snprintf(reason, reasonlen, "too many login codes asked for, retry later");
        return 429;
    }
    if (send) rc = pipeline_queue(in->st, in->cfg, &sms, in->now);
    memset(&sms, 0, sizeof sms);
    if (rc < 0) return -1;
    json_object_set_new(out, "sent", json_true());
    return 202;
}

/* The Set-Cookie value of a session cookie value lasting max_age seconds
 * (0 clears it), Secure when the gateway is reached over https. */
static void set_cookie(const struct api_in *in, const char *value, int64_t max_age)
{
    const char *url = in->cfg->public_url ? in->cfg->public_url : "";
    snprintf(in->extra->set_cookie, sizeof in->extra->set_cookie,
             SESSION_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld%s", value, (long long)max_age,
             strncmp(url, "https://", 8) == 0 ? "; Secure" : "");
}

/* A JSON string, or null for "". */
static json_t *string_or_null(const char *s) { return s && s[0] ? json_string(s) : json_null(); }

/* POST /api/v1/login/verify: the code opens a session. */
static int run_verify(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    char phone[DB_PHONE_LEN], code[16];
    if (body_phone(in, phone, sizeof phone, reason, reasonlen) != 0 ||
        body_string(in, "code", code, sizeof code, reason, reasonlen) != 0)
        return 400;
    struct session_new s;
    int rc = session_verify(in->st, phone, code, in->client, in->now, &s);
    memset(code, 0, sizeof code);
    if (rc < 0) return -1;
    if (rc != 0) {
        snprintf(reason, reasonlen, rc == 1 ? "wrong code" : "code expired or used up");
        return 401;
    }
    char actor[AUTH_NAME_MAX + 8];
    auth_actor(&s.who, actor, sizeof actor);
    if (audit_record(in->st, actor, auth_role_name(s.who.role), in->client, "sign in", "", "", in->now) != 0) {
        memset(&s, 0, sizeof s);
        return -1;
    }
    set_cookie(in, s.cookie, s.max_age);
    json_object_set_new(out, "csrf", json_string(s.csrf));
    json_object_set_new(out, "role", json_string(auth_role_name(s.who.role)));
    json_object_set_new(out, "region", string_or_null(s.who.region));
    json_object_set_new(out, "department", string_or_null(s.who.department));
    memset(&s, 0, sizeof s);
    return 200;
}

/* POST /api/v1/logout: ends the caller's session (a token has none). */
static int run_logout(const struct api_in *in, json_t *out, char *reason, size_t reasonlen)
{
    (void)reason;
    (void)reasonlen;
    int ended = 0;
    if (in->session[0]) {
        int rc = session_end(in->st, in->session, in->now);
        if (rc < 0) return -1;
        ended = rc == 0;
        char actor[AUTH_NAME_MAX + 8];
        auth_actor(in->who, actor, sizeof actor);
        if (ended &&
            audit_record(in->st, actor, auth_role_name(in->who->role), in->client, "sign out", "", "", in->now) != 0)
            return -1;
        set_cookie(in, "", 0);
    }
    json_object_set_new(out, "ended", json_boolean(ended));
    return 200;
}

/* Rate-limited, anonymous: the answer never tells whether phone is staff. */
const struct api_endpoint api_login = {.action = AUTH_ME, .anonymous = 1, .run = run_login};
/* Anonymous; a wrong code's try is kept although the answer is 401. */
const struct api_endpoint api_login_verify = {
    .action = AUTH_ME, .anonymous = 1, .keeps_refusals = 1, .run = run_verify};
/* Any signed-in caller. */
const struct api_endpoint api_logout = {.action = AUTH_ME, .run = run_logout};
