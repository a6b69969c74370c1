/* handlers/session.c - staff sign-in codes and sessions (see session.h). */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "../core/random.h"
#include "../core/util.h"

#define SALT_BYTES   16
#define SECRET_BYTES 32

int session_hash_equal(const char *a, const char *b)
{
    if (!a || !b) return 0;
    size_t n = strlen(a);
    if (n != strlen(b)) return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

int session_secret_hash(const char *secret, char hash[GW_SHA256_HEX])
{
    return gw_sha256_hex(secret, strlen(secret), hash);
}

/* A uniformly drawn 6-digit code into out (7 bytes). 0, or -1. */
static int new_code(char out[7])
{
    for (;;) {
        unsigned char b[4];
        if (gw_random_bytes(b, sizeof b) != 0) return -1;
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (v >= 4294000000u) continue; /* the top of the range would favour low codes */
        snprintf(out, 7, "%06u", (unsigned)(v % 1000000u));
        return 0;
    }
}

/* "<salt hex>$<SHA-256 hex of salt hex and code>" of code with salt (hex)
 * into out (STORE_LOGIN_HASH bytes). 0, or -1. */
static int code_hash(const char *salt, const char *code, char *out)
{
    char msg[2 * SALT_BYTES + 16];
    char digest[GW_SHA256_HEX];
    snprintf(msg, sizeof msg, "%s%s", salt, code);
    if (gw_sha256_hex(msg, strlen(msg), digest) != 0) return -1;
    snprintf(out, STORE_LOGIN_HASH, "%s$%s", salt, digest);
    return 0;
}

/* 32 random bytes in hex into out (SESSION_SECRET_LEN bytes). 0, or -1. */
static int new_secret(char out[SESSION_SECRET_LEN])
{
    unsigned char raw[SECRET_BYTES];
    if (gw_random_bytes(raw, sizeof raw) != 0) return -1;
    gw_hex(raw, sizeof raw, out);
    memset(raw, 0, sizeof raw);
    return 0;
}

/* Seconds until a window that holds n >= limit requests, the oldest at
 * oldest, lets one more count (at least 1). */
static int64_t wait_for(int64_t oldest, int64_t now)
{
    int64_t w = oldest + SESSION_RATE_WINDOW - now;
    return w > 0 ? w : 1;
}

int session_login(struct store *st, const char *phone, const char *client, int64_t now, struct h_reply *sms, int *send,
                  int64_t *retry_after)
{
    *send = 0;
    *retry_after = 0;
    struct store_login_counts c;
    if (store_login_code_counts(st, phone, client, now - SESSION_RATE_WINDOW + 1, &c) != 0) return -1;
    if (c.phone >= SESSION_RATE_PHONE || c.client >= SESSION_RATE_CLIENT) {
        int64_t a = c.phone >= SESSION_RATE_PHONE ? wait_for(c.phone_oldest, now) : 0;
        int64_t b = c.client >= SESSION_RATE_CLIENT ? wait_for(c.client_oldest, now) : 0;
        *retry_after = a > b ? a : b;
        return 1;
    }
    struct store_login_code_row row;
    memset(&row, 0, sizeof row);
    gw_strlcpy(row.phone, phone, sizeof row.phone);
    gw_strlcpy(row.client, client, sizeof row.client);
    row.created_at = now;
    row.expires_at = now + SESSION_CODE_TTL;
    struct db_staff staff;
    int rc = phone[0] ? db_staff_by_phone(st, phone, &staff) : 1;
    if (rc < 0) return -1;
    char code[7] = "";
    if (rc == 0) {
        unsigned char raw[SALT_BYTES];
        char salt[2 * SALT_BYTES + 1];
        if (gw_random_bytes(raw, sizeof raw) != 0 || new_code(code) != 0) return -1;
        gw_hex(raw, sizeof raw, salt);
        if (code_hash(salt, code, row.hash) != 0) return -1;
    }
    if (store_login_code_insert(st, &row, NULL) != 0) return -1;
    if (rc == 0) {
        memset(sms, 0, sizeof *sms);
        sms->tmpl = "login_code";
        gw_strlcpy(sms->to, phone, sizeof sms->to);
        sms->kind = H_ALERT;
        h_var_set(sms, "code", "%s", code);
        *send = 1;
    }
    memset(code, 0, sizeof code);
    return 0;
}

/* Opens a session for the staff member of phone from client at now. 0,
 * 2 when the phone is no longer a staff member's, -1. */
static int open_session(struct store *st, const char *phone, const char *client, int64_t now, struct session_new *out)
{
    struct db_staff staff;
    int rc = db_staff_by_phone(st, phone, &staff);
    if (rc != 0) return rc < 0 ? -1 : 2;
    if (auth_staff_principal(staff.id, staff.role, staff.region.id, staff.region.level, staff.region.path,
                             staff.department, &out->who) != 0)
        return 2;
    struct store_session_row row;
    memset(&row, 0, sizeof row);
    if (new_secret(out->cookie) != 0 || new_secret(out->csrf) != 0) return -1;
    if (session_secret_hash(out->cookie, row.hash) != 0 || session_secret_hash(out->csrf, row.csrf_hash) != 0)
        return -1;
    row.staff_id = staff.id;
    gw_strlcpy(row.client, client, sizeof row.client);
    row.created_at = now;
    row.last_seen_at = now;
    row.expires_at = now + AUTH_SESSION_MAX_AGE;
    out->max_age = AUTH_SESSION_MAX_AGE;
    /* A hash taken is 2^-256 away; answer as a refusal rather than loop. */
    rc = store_session_insert(st, &row, NULL);
    return rc == 0 ? 0 : rc == 1 ? 2 : -1;
}

int session_verify(struct store *st, const char *phone, const char *code, const char *client, int64_t now,
                   struct session_new *out)
{
    memset(out, 0, sizeof *out);
    struct store_login_code_row row;
    int rc = store_login_code_last(st, phone, &row);
    if (rc != 0) return rc < 0 ? -1 : 2;
    if (row.used_at || now >= row.expires_at || row.tries >= SESSION_CODE_TRIES) return 2;
    const char *dollar = strchr(row.hash, '$');
    char salt[2 * SALT_BYTES + 1], want[STORE_LOGIN_HASH];
    size_t n = dollar ? (size_t)(dollar - row.hash) : 0;
    if (n != 2 * SALT_BYTES) return 2; /* not a hash this code wrote */
    memcpy(salt, row.hash, n);
    salt[n] = '\0';
    int well_formed = code && strlen(code) == 6 && strspn(code, "0123456789") == 6;
    if (code_hash(salt, well_formed ? code : "", want) != 0) return -1;
    if (!well_formed || !session_hash_equal(want, row.hash)) return store_login_code_try(st, row.id) < 0 ? -1 : 1;
    if (store_login_code_use(st, row.id, now) < 0) return -1;
    rc = open_session(st, phone, client, now, out);
    if (rc != 0) memset(out, 0, sizeof *out);
    return rc;
}

int session_end(struct store *st, const char *hash, int64_t now) { return store_session_end(st, hash, now); }

int session_purge(struct store *st, int64_t now)
{
    return store_sign_in_purge(st, now - SESSION_KEEP, now - SESSION_KEEP);
}
