/* tests/common/harness.h - end-to-end test harness: runs the real
 * bin/gateway on a free port with a temporary database, talks HTTP to it
 * with libcurl, and reads the database it writes: a SQLite file, or, when
 * GATEWAY_TEST_PG names a PostgreSQL test server (make test STORE=postgres),
 * a fresh PostgreSQL database per gwp_init. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GENERIC_SECRET "demo-generic-secret"
#define TWILIO_TOKEN "fake_auth_token_0123456789abcdef"
#define PUBLIC_URL "https://gw.example.com"
/* A send-API URL on loopback where nothing listens (the discard port). */
#define NOWHERE_URL "http://127.0.0.1:9"

struct gw_proc {
    pid_t pid;         /* 0 when not running */
    int port;          /* bound port */
    char dir[256];     /* temporary folder holding the config, database and log */
    char cfg[300];     /* config path */
    char db[300];      /* where the data is: the SQLite file's path or the postgresql:// URL */
    char log[300];     /* the process's stderr */
    long clock_offset; /* seconds the process's clock is shifted (GATEWAY_CLOCK_OFFSET) */
    int shared_db;     /* 1: the store was given (gwp_use_store), not created here: never dropped */
};

/* Creates a temporary folder with a config (listen port 0, both demo
 * channels, max_body 4096, extra_ini appended; the store a SQLite file with
 * synchronous full, or a new PostgreSQL database when GATEWAY_TEST_PG is set
 * and gwp_force_sqlite is off) and, when roster is non-zero, imports
 * examples/roster/ into a migrated database. Returns 0 or -1. */
int gwp_init(struct gw_proc *g, const char *extra_ini, int roster);
/* The same, with the generic and Twilio channels sending to the given
 * send-API base URLs (a stand-in server); NULL leaves a channel without. */
int gwp_init_send(struct gw_proc *g, const char *extra_ini, int roster, const char *generic_url,
                  const char *twilio_url);
/* Starts `gateway serve` and waits (polling) until /healthz answers 200.
 * Returns 0 or -1 (the log is printed to stderr on failure). */
int gwp_start(struct gw_proc *g);
/* Sends sig, waits for the exit; returns the exit status (128+signal for a
 * signal death), -1 on error. */
int gwp_stop(struct gw_proc *g, int sig);
/* Stops it if running, removes the temporary folder and drops its
 * PostgreSQL database (if any). */
void gwp_cleanup(struct gw_proc *g);
/* With on non-zero, the following gwp_init calls use a SQLite file even when
 * GATEWAY_TEST_PG is set: for tests of SQLite-only behaviour (its files,
 * WAL, locks). */
void gwp_force_sqlite(int on);
/* With url non-NULL, the following gwp_init calls configure the PostgreSQL
 * store at url (any libpq URL: another gateway's database, a multi-host URL
 * for failover) instead of creating one; the roster is imported only when
 * asked, and gwp_cleanup leaves the database alone. NULL goes back to the
 * default. */
void gwp_use_store(const char *url);

/* Runs the gateway binary with args (NULL-terminated, without the binary)
 * capturing stdout into out (owned, may be NULL) and returns its exit status. */
int gwp_run(const char *const *args, char **out, char **err);

/* The binary under test: $GATEWAY_BIN or ./bin/gateway. */
const char *gwp_bin(void);

struct http_resp {
    long status;   /* 0 when the request failed at the transport */
    char *body;    /* owned, NUL-terminated */
    size_t len;
    char ctype[128];
    char set_cookie[256]; /* the Set-Cookie header's value, "" when none */
};
/* One HTTP request to the gateway. headers is NULL-terminated "Name: value"
 * lines (may be NULL). Returns 0 when an HTTP answer came back. */
int http_req(int port, const char *method, const char *target, const char *const *headers, const char *body,
             size_t len, struct http_resp *out);
void http_resp_free(struct http_resp *r);

/* POSTs a generic-channel SMS as a form, signed with GENERIC_SECRET. */
int post_generic(int port, const char *id, const char *from, const char *text, struct http_resp *out);
/* POSTs one Africa's Talking USSD step (session, phone, the text typed so
 * far, as AT sends it) to target (the hook with its ?token=). */
int post_at_ussd(int port, const char *target, const char *session, const char *phone, const char *text,
                 struct http_resp *out);
/* POSTs a JSON body to path, signed for the generic channel with
 * GENERIC_SECRET (X-Signature). */
int post_generic_json(int port, const char *path, const char *json, struct http_resp *out);
/* POSTs a form body to path (with its query), signed as Twilio signs
 * (X-Twilio-Signature over PUBLIC_URL + path and the form's fields). */
int post_twilio(int port, const char *path, const char *body, struct http_resp *out);
/* Hex HMAC-SHA256 of data with key; out holds 65 bytes. */
void hmac_sha256_hex(const char *key, const char *data, size_t len, char *out);
/* Form-urlencodes s into out (owned). */
char *form_escape(const char *s);

/* Non-zero when db (a gw_proc's db) is a PostgreSQL URL rather than a file. */
int db_is_pg(const char *db);
/* Runs a query returning one integer on the database (read-only; sql is a
 * sqlite3_mprintf format, so %q/%Q quote for both stores). On PostgreSQL a
 * boolean reads as 1/0, and the test-only SQLite compatibility functions
 * (group_concat...) are on the search path. -1 on error. */
int64_t db_int(const char *db, const char *sql, ...);
/* Runs a query returning one text value; owned result or NULL. */
char *db_text(const char *db, const char *sql, ...);
/* Runs statements that write (a test tampering with or seeding the data);
 * the same format. Returns 0, or -1 with the error printed to stderr. */
int db_exec(const char *db, const char *sql, ...);
/* Makes the store busy from another connection until db_unlock: on SQLite
 * a BEGIN IMMEDIATE transaction (no other writer), on PostgreSQL a
 * transaction holding LOCK TABLE inbox IN EXCLUSIVE MODE (no message can be
 * stored). Returns the lock, or NULL (reason on stderr). */
struct db_lock *db_lock(const char *db);
/* Rolls the lock's transaction back and closes its connection (NULL: no-op). */
void db_unlock(struct db_lock *l);

/* Reads a whole file; owned result or NULL. */
char *read_file(const char *path, size_t *len);

#endif
