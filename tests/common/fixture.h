/* tests/common/fixture.h - load provider fixtures: one real HTTP request per .http file.
 *
 * Unit tests feed a fixture to a provider through fixture_request; the
 * end-to-end tests send the same file over a socket to the running
 * gateway. A fixture file is, in order:
 *
 *   1. optional expectation lines "# key: value" (a line starting with '#'
 *      that is not of that shape is a plain comment; blank lines are
 *      skipped). Keys used so far:
 *        status        HTTP status the gateway answers (200, 400, 403)
 *        id, from, to, text   the parsed message (text may be empty: "# text:")
 *        ignored       "yes": well-formed but not a message (200, nothing stored)
 *        verify        "ok": the signature is valid although the status is 400
 *        reason        a substring of the error reason for 4xx
 *        public_url    the gateway's public URL for signatures
 *                      (default FIXTURE_DEFAULT_PUBLIC_URL)
 *        secret, auth_token, ...   channel keys the request was signed with
 *        duplicate_of  file name of the request this one repeats (same id)
 *        e2e           "skip": not meant for the end-to-end run (another
 *                      host, path or token, e.g. Twilio's published vectors)
 *        note          free text
 *        body-trailing-newline  "yes": keep the body's final newline
 *        kind          "sms" (the default), "status", "ussd" or "voice":
 *                      which hook the request is for; its path is
 *                      /hooks/<provider>/sms, /status, /ussd or
 *                      /voice[/<step>] accordingly (USSD fixtures may
 *                      also name session_id, phone, service_code)
 *      Status fixtures (kind: status) describe the parsed receipts; with
 *      several receipts in one request each value lists them in order,
 *      separated by '|', and "-" stands for an absent (NULL) field:
 *        receipts      how many receipts (default 1 when the status is 200
 *                      and the request is not ignored)
 *        msg_id        the provider's message id
 *        status_code   queued | sent | delivered | failed | unknown
 *        raw_status    the provider's own status word
 *        ref           our outbox reference (Twilio's ?ref=), "-" when none
 *        error         the provider's error code or reason
 *        phone         the recipient as the provider wrote it
 *        opted_out     "yes" | "no": the provider says the recipient opted out
 *      Channel keys follow the provider's key names, e.g. "token" for
 *      Africa's Talking (the URL token, "?token=..." in the target).
 *   2. the request line "METHOD TARGET HTTP/1.1", TARGET = path["?"query];
 *   3. header lines "Name: value" (no Content-Length: senders compute it
 *      from body_len; if one is written it must match);
 *   4. an empty line, then the body verbatim up to the end of the file.
 *      Because editors add a final newline, one trailing "\n" (or "\r\n")
 *      is removed from the body unless "# body-trailing-newline: yes".
 *
 * Lines before the body may end in "\n" or "\r\n". Files are at most
 * FIXTURE_MAX_BYTES. Nothing here is thread-safe or meant for production.
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <stddef.h>

#include "../../providers/provider.h"

#define FIXTURE_MAX_BYTES          (1024 * 1024)
#define FIXTURE_MAX_HEADERS        64
#define FIXTURE_MAX_EXPECT         64
#define FIXTURE_DEFAULT_PUBLIC_URL "https://gw.example.com"
#define FIXTURE_NOW                1767225600LL /* 2026-01-01T00:00:00Z, the fixed clock of fixture_request */

struct fixture_kv {
    char *key;   /* owned */
    char *value; /* owned, never NULL (may be "") */
};

struct fixture {
    char *file;                /* owned copy of the path it was loaded from */
    struct fixture_kv *expect; /* owned; "# key: value" lines in file order */
    size_t nexpect;
    char *method;               /* owned, e.g. "POST" */
    char *target;               /* owned, path + optional "?query", as written */
    char *path;                 /* owned, target up to '?' */
    char *query;                /* owned, raw query after '?', "" when none */
    struct fixture_kv *headers; /* owned; file order, values without surrounding blanks */
    size_t nheaders;
    char *body; /* owned; body[body_len] == '\0' */
    size_t body_len;
    char *url; /* owned, public_url + target: what a provider signed */
};

/* Loads file into *fx (overwritten, not freed). Returns 0, or -1 with
 * "file: reason" in err (then *fx is empty). Free with fixture_free. */
int fixture_load(const char *file, struct fixture *fx, char *err, size_t errlen);

/* Frees everything *fx owns and zeroes it; NULL is a no-op. */
void fixture_free(struct fixture *fx);

/* The first expectation named key (exact), or NULL. Borrowed from fx. */
const char *fixture_expect(const struct fixture *fx, const char *key);

/* The first header named name (case-insensitive), or NULL. Borrowed. */
const char *fixture_header(const struct fixture *fx, const char *name);

/* Fills *req with a view of fx (method, url, query, Content-Type, body, a
 * header lookup over fx's headers, now = FIXTURE_NOW). Every pointer is
 * borrowed from fx, which must outlive req. */
void fixture_request(const struct fixture *fx, struct prov_request *req);

/* Lists the *.http files of dir as "dir/name", sorted byte-wise by name.
 * Returns 0 with an owned array in *out (n entries, freed with
 * fixture_list_free), or -1 with err when dir cannot be read. */
int fixture_list(const char *dir, char ***out, size_t *n, char *err, size_t errlen);
void fixture_list_free(char **list, size_t n);

/* The fixture root: $FIXTURE_DIR, else "tests/fixtures" (tests run from
 * the repository root). */
const char *fixture_root(void);

#endif
