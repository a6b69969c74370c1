/* db/sqlite_roster.c - SQLite implementation of roster import and CSV export
 * (store_roster.h).
 *
 * Import reads the file in blocks, cuts each block at '\n' and feeds the
 * pieces to libcsv, so the physical line of every piece is known: a row
 * starts on the first non-blank line after the previous row ended (a
 * quoted value may carry it over several lines). libcsv's callbacks fill a
 * fixed array of bounded fields; at each row end the row is checked and,
 * while the file is clean so far, written through upserts inside the one
 * transaction that the import holds. The first bad row stops the writes
 * (validation goes on, so every bad row is reported) and the transaction
 * is rolled back at the end. Keys already seen in the file live in a small
 * hash set owned by the import, for the "repeats line N" errors.
 *
 * Runs on the thread that owns the store (a CLI command).
 */
#include <csv.h>
#include "../core/utf8.h"
#include "../core/calendar.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../core/message.h"
#include "../core/util.h"
#include "../core/damm.h"
#include "store_int.h"

#define MAX_COLS   8     /* documented columns of any kind, plus slack */
#define READ_BLOCK 65536 /* bytes read from the file at a time */
#define SHOW_MAX   48    /* bytes of a value quoted back in a reason */
#define CSV_OPTS   (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

/* ---- names ------------------------------------------------------------------ */

static const char *const kind_names[] = {"regions", "staff", "children", "guardians"};

int store_roster_kind_parse(const char *name, enum store_roster_kind *out)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, kind_names[i]) == 0) {
            *out = (enum store_roster_kind)i;
            return 0;
        }
    return -1;
}

const char *store_roster_kind_name(enum store_roster_kind kind) { return (unsigned)kind < 4 ? kind_names[kind] : "?"; }

int store_export_what_parse(const char *name, enum store_export_what *out)
{
    static const char *const names[] = {"visits", "checkins", "cases", "outbox", "coverage"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (enum store_export_what)i;
            return 0;
        }
    return -1;
}

/* Column names of each kind, in a fixed order the validators index by. */
enum { C_PATH = 0 };
enum { S_PHONE = 0, S_NAME, S_ROLE, S_REGION, S_DEPT };
enum { K_CODE = 0, K_NAME, K_SEX, K_BIRTH, K_REGION, K_CATS, K_FLAGS };
enum { G_PHONE = 0, G_NAME, G_RELATION, G_CHILD, G_AWAY };

static const char *const cols_regions[] = {"path", NULL};
static const char *const cols_staff[] = {"phone", "name", "role", "region", "department", NULL};
static const char *const cols_children[] = {"code", "name", "sex", "birth_date", "region", "categories", "flags", NULL};
static const char *const cols_guardians[] = {"phone", "name", "relation", "child_code", "away", NULL};
static const char *const *const kind_cols[] = {cols_regions, cols_staff, cols_children, cols_guardians};
static const char *const kind_header[] = {"path", "phone,name,role,region,department",
                                          "code,name,sex,birth_date,region,categories,flags",
                                          "phone,name,relation,child_code,away"};

/* Departments: English code (stored) and the Chinese name accepted too. */
static const char *const depts[][2] = {
    {"police", "公安"},     {"civil_affairs", "民政"}, {"education", "教育"}, {"health", "卫健"},
    {"cyberspace", "网信"}, {"women", "妇联"},         {"youth", "团委"},
};
#define NDEPTS    (sizeof depts / sizeof depts[0])
#define DEPT_LIST "公安|民政|教育|卫健|网信|妇联|团委 or police|civil_affairs|education|health|cyberspace|women|youth"

static const char *const categories[] = {"left_behind", "difficulty", "orphan", "unsupported", NULL};
static const char *const flag_names[] = {"parent_disabled", "child_disabled", "psych", NULL};

/* ---- small text helpers ------------------------------------------------------- */

static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) return 1;
    return 0;
}

/* Trims ASCII spaces and tabs and U+3000 (ideographic space) at both ends. */
static void trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    for (;;) {
        if (len && (s[0] == ' ' || s[0] == '\t'))
            s++, len--;
        else if (len >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0)
            s += 3, len -= 3;
        else
            break;
    }
    for (;;) {
        if (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        else if (len >= 3 && memcmp(s + len - 3, "\xE3\x80\x80", 3) == 0)
            len -= 3;
        else
            break;
    }
    *p = s;
    *n = len;
}

/* A printable, bounded copy of a value for a reason: invalid bytes and
 * control characters become '?', long values end in "...". */
static const char *show(const char *v, char out[SHOW_MAX + 8])
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v), o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (o + (k ? k : 1) > SHOW_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (!k || p[i] < 0x20 || p[i] == 0x7F) {
            out[o++] = '?';
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    return out;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

/* Strict YYYY-MM-DD; fills y/m/d. 0 or -1. */
static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    if (*y < 1 || *m < 1 || *m > 12 || *d < 1) return -1;
    int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    int max = mdays[*m - 1] + (*m == 2 && leap);
    return *d <= max ? 0 : -1;
}

/* Local midnight starting day y-m-d (+ add days), as unix seconds. */
static int64_t local_midnight(int y, int m, int d, int add)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + add;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

static void local_day(int64_t t, char out[11])
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    char b[48];
    snprintf(b, sizeof b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    gw_strlcpy(out, b, 11);
}

/* ISO 8601 local time with offset: 2024-05-01T09:30:00+08:00. */
static void iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    char b[96];
    snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, sign, (off / 3600) % 100, (off / 60) % 60);
    gw_strlcpy(out, b, 32);
}

/* ---- the set of keys seen in one file ----------------------------------------- */

struct seen_ent {
    char *key; /* owned; NULL = empty slot */
    long line; /* line where the key first appeared */
    char *aux; /* owned, may be NULL: a value remembered with the key (a guardian's name) */
};

struct seen {
    struct seen_ent *v; /* cap slots, open addressing, linear probing */
    size_t cap;         /* power of two, 0 before the first insert */
    size_t n;           /* used slots, kept under cap / 2 */
};

static size_t hash(const char *s)
{
    size_t h = 14695981039346656037u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Returns the entry for key: found (*fresh = 0) or newly added with line and
 * aux (*fresh = 1). */
static struct seen_ent *seen_put(struct seen *s, const char *key, long line, const char *aux, int *fresh)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct seen_ent *v = gw_calloc(cap, sizeof *v);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i].key) continue;
            size_t j = hash(s->v[i].key) & (cap - 1);
            while (v[j].key) j = (j + 1) & (cap - 1);
            v[j] = s->v[i];
        }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    size_t j = hash(key) & (s->cap - 1);
    while (s->v[j].key) {
        if (strcmp(s->v[j].key, key) == 0) {
            *fresh = 0;
            return &s->v[j];
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j].key = gw_strdup(key);
    s->v[j].line = line;
    s->v[j].aux = gw_strdup(aux);
    s->n++;
    *fresh = 1;
    return &s->v[j];
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->v[i].key);
        free(s->v[i].aux);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- import state --------------------------------------------------------------- */

struct field {
    char v[STORE_ROSTER_FIELD_MAX + 1]; /* trimmed value, NUL-terminated, cut at the cap */
    int too_long;                       /* the value was longer than the cap */
    int bad_utf8;                       /* not valid UTF-8 */
    int control;                        /* holds control characters (or NUL) */
};

struct import {
    struct store *st;
    enum store_roster_kind kind;
    const struct store_import_opts *opts;
    const char *cc; /* country code digits */
    char today[11]; /* local YYYY-MM-DD of opts->now */
    int64_t now;
    struct store_import_result res;

    long line;                /* physical line being fed, 1-based */
    long row_line;            /* line where the current row started */
    int in_row;               /* a row has started and not yet ended */
    size_t row_bytes;         /* bytes of the current row fed so far */
    struct field f[MAX_COLS]; /* the current row's first MAX_COLS values */
    int nf;                   /* values in the current row (may exceed MAX_COLS) */
    int extra_nonempty;       /* a value beyond MAX_COLS was not empty */

    int header_done;
    int ncols;         /* named columns in the header */
    int col[MAX_COLS]; /* documented column i is the row's value col[i] */
    int stop;          /* stop reading (bad header, cap reached) */
    int row_bad;       /* the current row has been reported */
    int dberr;         /* a database call failed: the import fails with -1 */
    int read_errno;    /* errno of a failed read, 0 = none */

    struct seen keys;  /* the kind's key -> first line */
    struct seen names; /* guardians: phone -> first line and name */
};

static void vreport(struct import *im, long line, const char *fmt, va_list ap)
{
    char reason[STORE_ROSTER_REASON_MAX];
    vsnprintf(reason, sizeof reason, fmt, ap);
    if (im->opts->on_error) im->opts->on_error(im->opts->arg, line, reason);
}

/* Reports a problem at a line without counting it (a header has several). */
static void report_at(struct import *im, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_at(struct import *im, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(im, line, fmt, ap);
    va_end(ap);
}

/* Reports a problem with the current row (the row is counted once). */
static void bad(struct import *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct import *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(im, im->row_line, fmt, ap);
    va_end(ap);
    if (!im->row_bad) im->res.bad_rows++;
    im->row_bad = 1;
}

/* A file-level problem that ends the reading (bad header, caps, an open quote). */
static void fatal(struct import *im, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fatal(struct import *im, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(im, line, fmt, ap);
    va_end(ap);
    im->res.bad_rows++;
    im->stop = 1;
}

static const char *val(struct import *im, int c) { return im->f[im->col[c]].v; }

/* Writes happen only while the file is clean so far. */
static int writing(struct import *im) { return !im->row_bad && im->res.bad_rows == 0 && !im->dberr; }

static void db_failed(struct import *im) { im->dberr = 1; }

static void count(struct import *im, int existed, int changed)
{
    if (!existed)
        im->res.inserted++;
    else if (changed)
        im->res.updated++;
    else
        im->res.unchanged++;
}

/* ---- value parsers ------------------------------------------------------------- */

/* Canonical region path: levels trimmed, joined with '/'. Returns the depth
 * (1-3) or 0 with *why. */
static int canon_path(const char *raw, char *out, size_t outlen, const char **why)
{
    int depth = 0;
    size_t o = 0;
    const char *p = raw;
    if (!*raw) {
        *why = "is empty";
        return 0;
    }
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        const char *seg = p;
        trim(&seg, &n);
        if (n == 0) {
            *why = "has an empty level (write 县/镇/村)";
            return 0;
        }
        if (++depth > 3) {
            *why = "has more than 3 levels (write 县/镇/村)";
            return 0;
        }
        if (o + n + 2 > outlen) {
            *why = "is too long";
            return 0;
        }
        if (depth > 1) out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
        out[o] = '\0';
        if (!slash) break;
        p = slash + 1;
    }
    return depth;
}

/* Normalises a phone to E.164 and checks it is plausible. 0 or -1 with *why. */
static int norm_phone(const char *raw, const char *cc, char *out, size_t outlen, const char **why)
{
    if (!*raw) {
        *why = "is empty";
        return -1;
    }
    if (gw_phone_e164(raw, cc, out, outlen) != 0) {
        *why = "is not a phone number";
        return -1;
    }
    size_t n = strlen(out + 1);
    if (n < 8 || n > 15) {
        *why = "is not a valid phone number (8 to 15 digits with the country code)";
        return -1;
    }
    if (strncmp(out, "+86", 3) == 0 && (strlen(out + 3) != 11 || out[3] != '1')) {
        *why = "is not a mobile number (11 digits starting with 1)";
        return -1;
    }
    return 0;
}

static const char *parse_dept(const char *v)
{
    for (size_t i = 0; i < NDEPTS; i++)
        if (ascii_ieq(v, depts[i][0]) || strcmp(v, depts[i][1]) == 0) return depts[i][0];
    return NULL;
}

/* Parses a '|'-separated list of names from `allowed` into a canonical
 * (deduplicated, in `allowed` order) list in out. Returns the number of
 * names, or -1 with the first unknown name copied into unknown. */
static int parse_set(const char *v, const char *const *allowed, char *out, size_t outlen, char *unknown,
                     size_t unknownlen)
{
    unsigned bits = 0;
    const char *p = v;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        const char *item = p;
        trim(&item, &n);
        if (n) {
            char name[STORE_ROSTER_FIELD_MAX + 1];
            memcpy(name, item, n);
            name[n] = '\0';
            int k = 0;
            while (allowed[k] && !ascii_ieq(name, allowed[k])) k++;
            if (!allowed[k]) {
                gw_strlcpy(unknown, name, unknownlen);
                return -1;
            }
            bits |= 1u << k;
        }
        if (!bar) break;
        p = bar + 1;
    }
    int count_names = 0;
    out[0] = '\0';
    size_t o = 0;
    for (int k = 0; allowed[k]; k++) {
        if (!(bits & (1u << k))) continue;
        int w = snprintf(out + o, outlen - o, "%s%s", count_names ? "|" : "", allowed[k]);
        if (w < 0 || (size_t)w >= outlen - o) break;
        o += (size_t)w;
        count_names++;
    }
    return count_names;
}

/* Child code checks with a reason. 0 or -1 with *why. */
static int check_code(const char *v, const char **why)
{
    size_t n = strlen(v);
    int digits = n == 7;
    for (size_t i = 0; digits && i < n; i++)
        if (v[i] < '0' || v[i] > '9') digits = 0;
    if (!digits) {
        *why = "must be 7 digits";
        return -1;
    }
    if (!cb_child_code_valid(v)) {
        *why = "has a wrong check digit (a digit is mistyped or two are swapped)";
        return -1;
    }
    return 0;
}

/* ---- database lookups and writes ------------------------------------------------ */

/* Region by canonical path: 0 with id/level, 1 not found, -1. */
static int region_find(struct import *im, const char *path, int64_t *id, int *level)
{
    sqlite3_stmt *s = store_stmt(im->st, "SELECT id, level FROM region WHERE path = ?");
    if (!s) return -1;
    store_bind_text(s, 1, path);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        if (level) *level = sqlite3_column_int(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* Region path given in a staff or child row: 0 with id/level, 1 reported
 * (bad path or unknown), -1 database error. */
static int region_of_row(struct import *im, const char *raw, int64_t *id, int *level)
{
    char path[STORE_ROSTER_FIELD_MAX + 1], sh[SHOW_MAX + 8];
    const char *why;
    if (!canon_path(raw, path, sizeof path, &why)) {
        bad(im, "region '%s' %s", show(raw, sh), why);
        return 1;
    }
    int rc = region_find(im, path, id, level);
    if (rc == 1) bad(im, "unknown region '%s' (import it with the regions first)", show(path, sh));
    return rc;
}

static const char *level_name(int level)
{
    return level == 1 ? "a county" : level == 2 ? "a town" : level == 3 ? "a village" : "a region";
}

/* Creates the path's missing ancestors and itself. */
static int region_write(struct import *im, const char *path, int depth)
{
    int64_t parent = 0;
    int created = 0;
    size_t plen = 0;
    for (int d = 1; d <= depth; d++) {
        /* the prefix of path holding d levels, and its last level's name */
        const char *slash = strchr(path + plen + (d > 1), '/');
        plen = slash ? (size_t)(slash - path) : strlen(path);
        char prefix[STORE_ROSTER_FIELD_MAX + 1];
        memcpy(prefix, path, plen);
        prefix[plen] = '\0';
        const char *name = strrchr(prefix, '/');
        name = name ? name + 1 : prefix;

        int64_t id;
        int rc = region_find(im, prefix, &id, NULL);
        if (rc < 0) return -1;
        if (rc == 1) {
            sqlite3_stmt *s = store_stmt(im->st, "INSERT INTO region(parent_id, name, path, level) VALUES (?,?,?,?)");
            if (!s) return -1;
            if (parent) sqlite3_bind_int64(s, 1, parent);
            store_bind_text(s, 2, name);
            store_bind_text(s, 3, prefix);
            sqlite3_bind_int(s, 4, d);
            rc = sqlite3_step(s);
            sqlite3_reset(s);
            if (rc != SQLITE_DONE) return -1;
            id = sqlite3_last_insert_rowid(im->st->db);
            im->res.inserted++;
            if (d == depth) created = 1;
        }
        parent = id;
    }
    if (!created) im->res.unchanged++;
    return 0;
}

static int exists_by_text(struct import *im, const char *sql, const char *v)
{
    sqlite3_stmt *s = store_stmt(im->st, sql);
    if (!s) return -1;
    store_bind_text(s, 1, v);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- one row of each kind ------------------------------------------------------- */

static void row_region(struct import *im)
{
    char path[STORE_ROSTER_FIELD_MAX + 1], sh[SHOW_MAX + 8];
    const char *why;
    const char *raw = val(im, C_PATH);
    int depth = canon_path(raw, path, sizeof path, &why);
    if (!depth) {
        bad(im, "path '%s' %s", show(raw, sh), why);
        return;
    }
    int fresh;
    struct seen_ent *e = seen_put(&im->keys, path, im->row_line, NULL, &fresh);
    if (!fresh) {
        bad(im, "path '%s' repeats line %ld", show(path, sh), e->line);
        return;
    }
    if (writing(im) && region_write(im, path, depth) != 0) db_failed(im);
}

static void row_staff(struct import *im)
{
    char phone[24], sh[SHOW_MAX + 8];
    const char *why;
    const char *raw = val(im, S_PHONE);
    int phone_ok = norm_phone(raw, im->cc, phone, sizeof phone, &why) == 0;
    if (!phone_ok) bad(im, "phone '%s' %s", show(raw, sh), why);
    if (!*val(im, S_NAME)) bad(im, "name is empty");

    static const char *const roles[] = {"director", "supervisor", "responder", "admin", NULL};
    const char *role = NULL;
    for (int i = 0; roles[i]; i++)
        if (ascii_ieq(val(im, S_ROLE), roles[i])) role = roles[i];
    if (!role) bad(im, "role '%s' is not one of director|supervisor|responder|admin", show(val(im, S_ROLE), sh));

    const char *dept = NULL;
    if (*val(im, S_DEPT)) {
        dept = parse_dept(val(im, S_DEPT));
        if (!dept) bad(im, "department '%s' is not one of %s", show(val(im, S_DEPT), sh), DEPT_LIST);
    } else if (role && strcmp(role, "responder") == 0) {
        bad(im, "department is required for a responder (%s)", DEPT_LIST);
    }

    int64_t region_id = 0;
    int level = 0;
    int rrc = 1;
    if (!*val(im, S_REGION))
        bad(im, "region is empty");
    else
        rrc = region_of_row(im, val(im, S_REGION), &region_id, &level);
    if (rrc < 0) {
        db_failed(im);
        return;
    }
    if (rrc == 0 && role) {
        if (strcmp(role, "director") == 0 && level != 3)
            bad(im, "a director belongs to a village, but region '%s' is %s", show(val(im, S_REGION), sh),
                level_name(level));
        if (strcmp(role, "supervisor") == 0 && level == 3)
            bad(im, "a supervisor belongs to a town or a county, but region '%s' is a village",
                show(val(im, S_REGION), sh));
    }
    if (phone_ok) {
        int fresh;
        struct seen_ent *e = seen_put(&im->keys, phone, im->row_line, NULL, &fresh);
        if (!fresh) bad(im, "phone %s repeats line %ld", phone, e->line);
    }
    if (!writing(im)) return;

    int existed = exists_by_text(im, "SELECT 1 FROM staff WHERE phone = ?", phone);
    sqlite3_stmt *s = existed < 0 ? NULL
                                  : store_stmt(im->st, "INSERT INTO staff(phone, name, role, region_id, department, "
                                                       "created_at) VALUES (?,?,?,?,?,?) "
                                                       "ON CONFLICT(phone) DO UPDATE SET name = excluded.name, "
                                                       "role = excluded.role, region_id = excluded.region_id, "
                                                       "department = excluded.department "
                                                       "WHERE staff.name IS NOT excluded.name "
                                                       "OR staff.role IS NOT excluded.role "
                                                       "OR staff.region_id IS NOT excluded.region_id "
                                                       "OR staff.department IS NOT excluded.department");
    if (!s) {
        db_failed(im);
        return;
    }
    store_bind_text(s, 1, phone);
    store_bind_text(s, 2, val(im, S_NAME));
    store_bind_text(s, 3, role);
    sqlite3_bind_int64(s, 4, region_id);
    store_bind_text(s, 5, dept);
    sqlite3_bind_int64(s, 6, im->now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        db_failed(im);
        return;
    }
    count(im, existed, sqlite3_changes(im->st->db) > 0);
}

static void row_child(struct import *im)
{
    char sh[SHOW_MAX + 8];
    const char *why;
    const char *code = val(im, K_CODE);
    int code_ok = check_code(code, &why) == 0;
    if (!code_ok) bad(im, "code '%s' %s", show(code, sh), why);
    if (!*val(im, K_NAME)) bad(im, "name is empty");

    const char *sexv = val(im, K_SEX), *sex = NULL;
    if (ascii_ieq(sexv, "M") || strcmp(sexv, "男") == 0)
        sex = "M";
    else if (ascii_ieq(sexv, "F") || strcmp(sexv, "女") == 0)
        sex = "F";
    else
        bad(im, "sex '%s' is not one of M|F|男|女", show(sexv, sh));

    const char *birth = val(im, K_BIRTH);
    int y, m, d;
    if (parse_ymd(birth, &y, &m, &d) != 0)
        bad(im, "birth_date '%s' is not a real date written YYYY-MM-DD", show(birth, sh));
    else if (strcmp(birth, im->today) > 0)
        bad(im, "birth_date %s is in the future", birth);
    else if (y < 1900)
        bad(im, "birth_date %s is before 1900", birth);

    char cats[96], flags[96], unknown[STORE_ROSTER_FIELD_MAX + 1];
    int ncats = parse_set(val(im, K_CATS), categories, cats, sizeof cats, unknown, sizeof unknown);
    if (ncats < 0)
        bad(im, "category '%s' is not one of left_behind|difficulty|orphan|unsupported", show(unknown, sh));
    else if (ncats == 0)
        bad(im, "categories is empty (at least one of left_behind|difficulty|orphan|unsupported)");
    int nflags = parse_set(val(im, K_FLAGS), flag_names, flags, sizeof flags, unknown, sizeof unknown);
    if (nflags < 0) bad(im, "flag '%s' is not one of parent_disabled|child_disabled|psych", show(unknown, sh));

    int64_t region_id = 0;
    int level = 0, rrc = 1;
    if (!*val(im, K_REGION))
        bad(im, "region is empty");
    else
        rrc = region_of_row(im, val(im, K_REGION), &region_id, &level);
    if (rrc < 0) {
        db_failed(im);
        return;
    }
    if (rrc == 0 && level != 3)
        bad(im, "a child belongs to a village, but region '%s' is %s", show(val(im, K_REGION), sh), level_name(level));
    if (code_ok) {
        int fresh;
        struct seen_ent *e = seen_put(&im->keys, code, im->row_line, NULL, &fresh);
        if (!fresh) bad(im, "code %s repeats line %ld", code, e->line);
    }
    if (!writing(im)) return;

    int existed = exists_by_text(im, "SELECT 1 FROM child WHERE code = ?", code);
    /* An XL visit keeps a child on the high cadence whatever the flags say. */
    sqlite3_stmt *s =
        existed < 0
            ? NULL
            : store_stmt(im->st, "INSERT INTO child(code, name, sex, birth_date, region_id, categories, flags, "
                                 "high_cadence, created_at) VALUES (?,?,?,?,?,?,?,?,?) "
                                 "ON CONFLICT(code) DO UPDATE SET name = excluded.name, sex = excluded.sex, "
                                 "birth_date = excluded.birth_date, region_id = excluded.region_id, "
                                 "categories = excluded.categories, flags = excluded.flags, "
                                 "high_cadence = (excluded.high_cadence OR EXISTS (SELECT 1 FROM visit v "
                                 "WHERE v.child_id = child.id AND instr('|' || v.problems || '|', '|XL|') > 0)) "
                                 "WHERE child.name IS NOT excluded.name OR child.sex IS NOT excluded.sex "
                                 "OR child.birth_date IS NOT excluded.birth_date "
                                 "OR child.region_id IS NOT excluded.region_id "
                                 "OR child.categories IS NOT excluded.categories "
                                 "OR child.flags IS NOT excluded.flags "
                                 "OR child.high_cadence IS NOT (excluded.high_cadence OR EXISTS (SELECT 1 "
                                 "FROM visit v WHERE v.child_id = child.id "
                                 "AND instr('|' || v.problems || '|', '|XL|') > 0))");
    if (!s) {
        db_failed(im);
        return;
    }
    store_bind_text(s, 1, code);
    store_bind_text(s, 2, val(im, K_NAME));
    store_bind_text(s, 3, sex);
    store_bind_text(s, 4, birth);
    sqlite3_bind_int64(s, 5, region_id);
    store_bind_text(s, 6, cats);
    store_bind_text(s, 7, flags);
    sqlite3_bind_int(s, 8, nflags > 0);
    sqlite3_bind_int64(s, 9, im->now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        db_failed(im);
        return;
    }
    count(im, existed, sqlite3_changes(im->st->db) > 0);
}

/* Upserts the guardian and the link; counts the row. */
static int guardian_write(struct import *im, const char *phone, int64_t child_id, int away)
{
    const char *name = val(im, G_NAME), *relation = val(im, G_RELATION);
    int64_t gid = 0;
    int changed = 0, rc;
    sqlite3_stmt *s = store_stmt(im->st, "SELECT id, name FROM guardian WHERE phone = ?");
    if (!s) return -1;
    store_bind_text(s, 1, phone);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        gid = sqlite3_column_int64(s, 0);
        changed = strcmp((const char *)sqlite3_column_text(s, 1), name) != 0;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    if (!gid) {
        s = store_stmt(im->st, "INSERT INTO guardian(phone, name, created_at) VALUES (?,?,?)");
        if (!s) return -1;
        store_bind_text(s, 1, phone);
        store_bind_text(s, 2, name);
        sqlite3_bind_int64(s, 3, im->now);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
        gid = sqlite3_last_insert_rowid(im->st->db);
    } else if (changed) {
        s = store_stmt(im->st, "UPDATE guardian SET name = ? WHERE id = ?");
        if (!s) return -1;
        store_bind_text(s, 1, name);
        sqlite3_bind_int64(s, 2, gid);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
    }

    s = store_stmt(im->st, "SELECT relation, away FROM guardian_child WHERE guardian_id = ? AND child_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, gid);
    sqlite3_bind_int64(s, 2, child_id);
    rc = sqlite3_step(s);
    int linked = rc == SQLITE_ROW;
    int link_changed =
        linked && (strcmp((const char *)sqlite3_column_text(s, 0), relation) != 0 || sqlite3_column_int(s, 1) != away);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    if (!linked || link_changed) {
        s = store_stmt(im->st, "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (?,?,?,?) "
                               "ON CONFLICT(guardian_id, child_id) DO UPDATE SET relation = excluded.relation, "
                               "away = excluded.away");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, gid);
        sqlite3_bind_int64(s, 2, child_id);
        store_bind_text(s, 3, relation);
        sqlite3_bind_int(s, 4, away);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
    }
    count(im, linked, changed || link_changed);
    return 0;
}

static void row_guardian(struct import *im)
{
    char phone[24], sh[SHOW_MAX + 8], sh2[SHOW_MAX + 8];
    const char *why;
    const char *raw = val(im, G_PHONE), *name = val(im, G_NAME);
    int phone_ok = norm_phone(raw, im->cc, phone, sizeof phone, &why) == 0;
    if (!phone_ok) bad(im, "phone '%s' %s", show(raw, sh), why);
    if (!*name) bad(im, "name is empty");
    if (!*val(im, G_RELATION)) bad(im, "relation is empty (e.g. 父亲, 母亲, 祖母)");

    const char *awayv = val(im, G_AWAY);
    int away = -1;
    if (ascii_ieq(awayv, "yes") || strcmp(awayv, "是") == 0 || strcmp(awayv, "1") == 0)
        away = 1;
    else if (ascii_ieq(awayv, "no") || strcmp(awayv, "否") == 0 || strcmp(awayv, "0") == 0)
        away = 0;
    else
        bad(im, "away '%s' is not one of yes|no|是|否|1|0", show(awayv, sh));

    const char *code = val(im, G_CHILD);
    int64_t child_id = 0;
    int code_ok = check_code(code, &why) == 0;
    if (!code_ok) {
        bad(im, "child_code '%s' %s", show(code, sh), why);
    } else {
        sqlite3_stmt *s = store_stmt(im->st, "SELECT id FROM child WHERE code = ?");
        if (!s) {
            db_failed(im);
            return;
        }
        store_bind_text(s, 1, code);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) child_id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            db_failed(im);
            return;
        }
        if (!child_id) bad(im, "unknown child_code %s (import the children first)", code);
    }

    if (phone_ok && code_ok) {
        char key[40];
        snprintf(key, sizeof key, "%s %s", phone, code);
        int fresh;
        struct seen_ent *e = seen_put(&im->keys, key, im->row_line, NULL, &fresh);
        if (!fresh) bad(im, "phone %s with child_code %s repeats line %ld", phone, code, e->line);
    }
    if (phone_ok && *name) {
        int fresh;
        struct seen_ent *e = seen_put(&im->names, phone, im->row_line, name, &fresh);
        if (!fresh && strcmp(e->aux, name) != 0)
            bad(im, "phone %s is named '%s' here but '%s' on line %ld", phone, show(name, sh), show(e->aux, sh2),
                e->line);
    }
    if (!writing(im)) return;
    if (guardian_write(im, phone, child_id, away) != 0) db_failed(im);
}

/* ---- rows and the header --------------------------------------------------------- */

static void header(struct import *im)
{
    const char *const *cols = kind_cols[im->kind];
    const char *expected = kind_header[im->kind];
    int ncols = 0, bad_header = 0;
    char sh[SHOW_MAX + 8];
    for (int c = 0; c < MAX_COLS; c++) im->col[c] = -1;
    im->res.bad_header = 1; /* until proven good */
    if (im->nf > MAX_COLS || im->extra_nonempty) {
        fatal(im, im->row_line, "the header has %d columns; expected %s", im->nf, expected);
        return;
    }
    for (int i = 0; i < im->nf; i++)
        if (im->f[i].v[0]) ncols = i + 1; /* empty names at the end are spreadsheet padding */
    for (int i = 0; i < ncols; i++) {
        const struct field *f = &im->f[i];
        if (f->bad_utf8) {
            fatal(im, im->row_line, "the file is not UTF-8 (save it as \"CSV UTF-8\")");
            return;
        }
        if (!f->v[0]) {
            report_at(im, im->row_line, "header column %d has no name", i + 1);
            bad_header = 1;
            continue;
        }
        int c = 0;
        while (cols[c] && !ascii_ieq(f->v, cols[c])) c++;
        if (!cols[c]) {
            report_at(im, im->row_line, "unknown column '%s' in the header", show(f->v, sh));
            bad_header = 1;
        } else if (im->col[c] >= 0) {
            report_at(im, im->row_line, "column '%s' appears twice in the header", cols[c]);
            bad_header = 1;
        } else {
            im->col[c] = i;
        }
    }
    for (int c = 0; cols[c]; c++)
        if (im->col[c] < 0) {
            report_at(im, im->row_line, "missing column '%s' in the header", cols[c]);
            bad_header = 1;
        }
    if (bad_header) {
        fatal(im, im->row_line, "a %s file starts with the header %s (any order)", kind_names[im->kind], expected);
        return;
    }
    im->res.bad_header = 0;
    im->ncols = ncols;
    im->header_done = 1;
}

static void row(struct import *im)
{
    int blank = !im->extra_nonempty;
    for (int i = 0; blank && i < im->nf && i < MAX_COLS; i++)
        if (im->f[i].v[0] || im->f[i].too_long) blank = 0;
    if (blank) return; /* ",,,," rows: spreadsheet padding */
    if (!im->header_done) {
        header(im);
        return;
    }
    if (++im->res.rows > STORE_ROSTER_ROWS_MAX) {
        fatal(im, im->row_line, "more than %d rows; split the file", STORE_ROSTER_ROWS_MAX);
        return;
    }
    im->row_bad = 0;
    int extra_ok = !im->extra_nonempty;
    for (int i = im->ncols; extra_ok && i < im->nf && i < MAX_COLS; i++)
        if (im->f[i].v[0]) extra_ok = 0;
    if (im->nf < im->ncols || !extra_ok) {
        bad(im, "expected %d values, found %d", im->ncols, im->nf);
        return;
    }
    const char *const *cols = kind_cols[im->kind];
    for (int c = 0; cols[c]; c++) {
        const struct field *f = &im->f[im->col[c]];
        if (f->too_long)
            bad(im, "%s is longer than %d bytes", cols[c], STORE_ROSTER_FIELD_MAX);
        else if (f->bad_utf8)
            bad(im, "%s is not valid UTF-8 (save the file as \"CSV UTF-8\")", cols[c]);
        else if (f->control)
            bad(im, "%s holds control characters or a line break", cols[c]);
    }
    if (im->row_bad) return;
    switch (im->kind) {
    case STORE_ROSTER_REGIONS: row_region(im); break;
    case STORE_ROSTER_STAFF: row_staff(im); break;
    case STORE_ROSTER_CHILDREN: row_child(im); break;
    case STORE_ROSTER_GUARDIANS: row_guardian(im); break;
    }
}

/* libcsv callbacks. */
static void on_field(void *s, size_t len, void *data)
{
    struct import *im = data;
    if (im->stop) return;
    int i = im->nf++;
    const char *p = s ? s : "";
    trim(&p, &len);
    if (i >= MAX_COLS) {
        if (len) im->extra_nonempty = 1;
        return;
    }
    struct field *f = &im->f[i];
    f->bad_utf8 = !utf8_valid(p, len);
    f->control = has_control(p, len);
    f->too_long = len > STORE_ROSTER_FIELD_MAX;
    if (f->too_long) len = STORE_ROSTER_FIELD_MAX;
    memcpy(f->v, p, len);
    f->v[len] = '\0';
}

static void on_row(int c, void *data)
{
    struct import *im = data;
    (void)c;
    if (!im->stop) row(im);
    im->nf = 0;
    im->extra_nonempty = 0;
    im->in_row = 0;
    im->row_bytes = 0;
}

static int blank_piece(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return 0;
    return 1;
}

/* Reads the whole file through libcsv. 0, or -1 on a read error. */
static int read_csv(struct import *im, FILE *in)
{
    struct csv_parser p;
    char *buf = NULL;
    int first = 1, skip_line = 0, rc = 0;
    size_t n;
    if (csv_init(&p, CSV_OPTS) != 0) return -1;
    buf = gw_malloc(READ_BLOCK);
    im->line = 1;
    while (!im->stop && (n = fread(buf, 1, READ_BLOCK, in)) > 0) {
        const char *q = buf;
        if (first) {
            first = 0;
            if (n >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0) q += 3, n -= 3;
        }
        while (n > 0 && !im->stop) {
            const char *nl = memchr(q, '\n', n);
            size_t k = nl ? (size_t)(nl - q) + 1 : n;
            if (!skip_line) {
                if (!im->in_row && !blank_piece(q, k)) {
                    im->in_row = 1;
                    im->row_line = im->line;
                    im->row_bytes = 0;
                }
                if (im->in_row && (im->row_bytes += k) > STORE_ROSTER_LINE_MAX) {
                    fatal(im, im->row_line, "row longer than %d bytes (a quote left open?)", STORE_ROSTER_LINE_MAX);
                    break;
                }
                size_t used = csv_parse(&p, q, k, on_field, on_row, im);
                if (used < k && !im->stop) {
                    /* Strict mode: a stray quote. Report, then start over on the next line. */
                    if (!im->header_done) {
                        im->res.bad_header = 1;
                        fatal(im, im->line, "the header has a misplaced quote");
                        break;
                    }
                    im->res.rows++;
                    report_at(im, im->row_line,
                              "misplaced quote (a quote inside an unquoted value, or text after a closing quote)");
                    im->res.bad_rows++;
                    csv_free(&p);
                    if (csv_init(&p, CSV_OPTS) != 0) {
                        rc = -1;
                        goto done;
                    }
                    im->nf = 0;
                    im->extra_nonempty = 0;
                    im->in_row = 0;
                    skip_line = !nl;
                }
            }
            if (nl) {
                im->line++;
                skip_line = 0;
            }
            q += k;
            n -= k;
        }
    }
    if (ferror(in)) {
        im->read_errno = errno;
        rc = -1;
        goto done;
    }
    if (!im->stop && csv_fini(&p, on_field, on_row, im) != 0 && !im->stop)
        fatal(im, im->row_line, "a quoted value is never closed");
done:
    csv_free(&p);
    free(buf);
    return rc;
}

int store_import(struct store *st, enum store_roster_kind kind, FILE *in, const struct store_import_opts *opts,
                 struct store_import_result *res, char *err, size_t errlen)
{
    static const struct store_import_opts defaults = {0};
    struct import *im = gw_calloc(1, sizeof *im);
    int rc = -1, in_tx = 0;
    if (!opts) opts = &defaults;
    im->st = st;
    im->kind = kind;
    im->opts = opts;
    im->cc = opts->country_code && *opts->country_code ? opts->country_code : "86";
    im->now = opts->now ? opts->now : (int64_t)time(NULL);
    local_day(im->now, im->today);
    if ((unsigned)kind >= 4) {
        gw_err(err, errlen, "unknown roster kind");
        goto out;
    }
    if (store_begin(st) != 0) {
        gw_err(err, errlen, "begin: %s", store_errmsg(st));
        goto out;
    }
    in_tx = 1;
    if (read_csv(im, in) != 0) {
        gw_err(err, errlen, "read error: %s", im->read_errno ? strerror(im->read_errno) : "out of memory");
        goto out;
    }
    if (im->dberr) {
        gw_err(err, errlen, "database: %s", store_errmsg(st));
        goto out;
    }
    if (!im->header_done && !im->res.bad_rows) {
        report_at(im, 1, "the file is empty; a %s file starts with the header %s", kind_names[kind], kind_header[kind]);
        im->res.bad_rows++;
        im->res.bad_header = 1;
    }
    if (im->res.bad_rows) {
        rc = 1;
        goto out;
    }
    if (store_commit(st) != 0) {
        gw_err(err, errlen, "commit: %s", store_errmsg(st));
        goto out;
    }
    in_tx = 0;
    rc = 0;
out:
    if (in_tx) store_rollback(st);
    if (res) *res = im->res;
    seen_free(&im->keys);
    seen_free(&im->names);
    free(im);
    return rc;
}

/* ---- export ---------------------------------------------------------------------- */

struct out {
    FILE *f;
    int first; /* no field written on this line yet */
};

/* Writes one field, quoted only when it must be. A free-text field starting
 * like a formula gets a leading '. */
static void put(struct out *o, const char *s, int free_text)
{
    if (!s) s = "";
    if (!o->first) fputc(',', o->f);
    o->first = 0;
    size_t n = strlen(s);
    int formula = free_text && n && strchr("=+-@\t\r", s[0]);
    int quote = formula || strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, o->f);
        return;
    }
    if (formula) {
        struct gw_buf b = {0};
        gw_buf_putc(&b, '\'');
        gw_buf_puts(&b, s);
        csv_fwrite(o->f, b.p, b.len);
        gw_buf_free(&b);
    } else {
        csv_fwrite(o->f, s, n);
    }
}

static void put_col(struct out *o, sqlite3_stmt *s, int i, int free_text)
{
    put(o, (const char *)sqlite3_column_text(s, i), free_text);
}

static void put_int(struct out *o, sqlite3_stmt *s, int i)
{
    char b[24] = "";
    if (sqlite3_column_type(s, i) != SQLITE_NULL) snprintf(b, sizeof b, "%lld", sqlite3_column_int64(s, i));
    put(o, b, 0);
}

static void put_time(struct out *o, sqlite3_stmt *s, int i)
{
    char b[32] = "";
    if (sqlite3_column_type(s, i) != SQLITE_NULL) iso_time(sqlite3_column_int64(s, i), b);
    put(o, b, 0);
}

static void put_phone(struct out *o, sqlite3_stmt *s, int i)
{
    char b[GW_MASK_LEN] = "";
    const char *p = (const char *)sqlite3_column_text(s, i);
    put(o, p ? gw_mask_phone(p, b) : "", 0);
}

static void end_line(struct out *o)
{
    fputc('\n', o->f);
    o->first = 1;
}

static void put_header(struct out *o, const char *h)
{
    fputs(h, o->f);
    fputc('\n', o->f);
}

int store_export(struct store *st, enum store_export_what what, const char *from, const char *to, FILE *out, long *rows,
                 char *err, size_t errlen)
{
    int fy = 0, fm = 0, fd = 0, ty = 0, tm = 0, td = 0;
    if (what == STORE_EXPORT_COVERAGE)
        return store_export_coverage(st, NULL, gw_clock_now(), from, to, out, rows, err, errlen);
    if (from && parse_ymd(from, &fy, &fm, &fd) != 0) {
        gw_err(err, errlen, "--from '%s' is not a date written YYYY-MM-DD", from);
        return -1;
    }
    if (to && parse_ymd(to, &ty, &tm, &td) != 0) {
        gw_err(err, errlen, "--to '%s' is not a date written YYYY-MM-DD", to);
        return -1;
    }
    if (from && to && strcmp(from, to) > 0) {
        gw_err(err, errlen, "--from %s is after --to %s", from, to);
        return -1;
    }
    /* Day bounds for visit_date, unix bounds [lo, hi) for creation times. */
    const char *dlo = from ? from : "0000-01-01", *dhi = to ? to : "9999-12-31";
    int64_t lo = from ? local_midnight(fy, fm, fd, 0) : INT64_MIN;
    int64_t hi = to ? local_midnight(ty, tm, td, 1) : INT64_MAX;

    struct out o = {out, 1};
    sqlite3_stmt *s = NULL;
    long n = 0;
    switch (what) {
    case STORE_EXPORT_VISITS:
        s = store_stmt(st, "SELECT v.id, v.visit_date, c.code, r.path, v.result, v.problems, v.note, s.phone, "
                           "v.created_at FROM visit v JOIN child c ON c.id = v.child_id "
                           "LEFT JOIN region r ON r.id = c.region_id LEFT JOIN staff s ON s.id = v.staff_id "
                           "WHERE v.visit_date >= ? AND v.visit_date <= ? ORDER BY v.visit_date, v.id");
        if (!s) goto dbfail;
        store_bind_text(s, 1, dlo);
        store_bind_text(s, 2, dhi);
        put_header(&o, "id,visit_date,child_code,region,result,problems,note,recorded_by,recorded_at");
        break;
    case STORE_EXPORT_CHECKINS:
        s = store_stmt(st, "SELECT k.id, k.created_at, c.code, r.path, k.status, k.return_date, k.note, g.phone, "
                           "gc.relation FROM checkin k JOIN child c ON c.id = k.child_id "
                           "LEFT JOIN region r ON r.id = c.region_id LEFT JOIN guardian g ON g.id = k.guardian_id "
                           "LEFT JOIN guardian_child gc ON gc.guardian_id = k.guardian_id "
                           "AND gc.child_id = k.child_id "
                           "WHERE k.created_at >= ? AND k.created_at < ? ORDER BY k.created_at, k.id");
        if (!s) goto dbfail;
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        put_header(&o, "id,checkin_date,child_code,region,status,return_date,note,guardian,relation,recorded_at");
        break;
    case STORE_EXPORT_CASES:
        /* Nothing about the reporter, the report's text or the outcome note. */
        s = store_stmt(st, "SELECT x.number, x.opened_at, x.category, x.classified, x.priority, x.status, "
                           "(SELECT group_concat(department, '|') FROM (SELECT d.department FROM case_dept d "
                           "WHERE d.case_id = x.id ORDER BY d.rowid)), "
                           "c.code, r.path, k.path, x.acked_at, x.closed_at, x.outcome "
                           "FROM cases x LEFT JOIN child c ON c.id = x.child_id "
                           "LEFT JOIN region r ON r.id = x.region_id LEFT JOIN region k ON k.id = x.county_id "
                           "WHERE x.opened_at >= ? AND x.opened_at < ? ORDER BY x.opened_at, x.id");
        if (!s) goto dbfail;
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        put_header(&o, "case_number,opened_at,category,classified,priority,status,departments,child_code,region,"
                       "county,acknowledged_at,closed_at,outcome");
        break;
    case STORE_EXPORT_OUTBOX:
        /* Numbers masked; the text itself stays in the database. */
        s = store_stmt(st, "SELECT id, created_at, kind, priority, channel, recipient, template, provider_msg_id, "
                           "status, attempts, last_error, sent_at, done_at FROM outbox "
                           "WHERE created_at >= ? AND created_at < ? ORDER BY id");
        if (!s) goto dbfail;
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        put_header(&o, "id,created_at,kind,priority,channel,recipient,template,provider_msg_id,status,attempts,"
                       "last_error,sent_at,done_at");
        break;
    default: gw_err(err, errlen, "unknown export"); return -1;
    }

    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char day[11], pr[4];
        switch (what) {
        case STORE_EXPORT_VISITS:
            put_int(&o, s, 0);
            put_col(&o, s, 1, 0);
            put_col(&o, s, 2, 0);
            put_col(&o, s, 3, 0);
            put_int(&o, s, 4);
            put_col(&o, s, 5, 0);
            put_col(&o, s, 6, 1);
            put_phone(&o, s, 7);
            put_time(&o, s, 8);
            break;
        case STORE_EXPORT_CHECKINS:
            put_int(&o, s, 0);
            local_day(sqlite3_column_int64(s, 1), day);
            put(&o, day, 0);
            put_col(&o, s, 2, 0);
            put_col(&o, s, 3, 0);
            put_int(&o, s, 4);
            put_col(&o, s, 5, 0);
            put_col(&o, s, 6, 1);
            put_phone(&o, s, 7);
            put_col(&o, s, 8, 0);
            put_time(&o, s, 1);
            break;
        case STORE_EXPORT_CASES:
            put_col(&o, s, 0, 0);
            put_time(&o, s, 1);
            put_int(&o, s, 2);
            put_int(&o, s, 3);
            snprintf(pr, sizeof pr, "P%d", sqlite3_column_int(s, 4) & 7);
            put(&o, pr, 0);
            put_col(&o, s, 5, 0);
            put_col(&o, s, 6, 0);
            put_col(&o, s, 7, 0);
            put_col(&o, s, 8, 0);
            put_col(&o, s, 9, 0);
            put_time(&o, s, 10);
            put_time(&o, s, 11);
            put_int(&o, s, 12);
            break;
        case STORE_EXPORT_OUTBOX:
            put_int(&o, s, 0);
            put_time(&o, s, 1);
            put_col(&o, s, 2, 0);
            put_int(&o, s, 3);
            put_col(&o, s, 4, 0);
            put_phone(&o, s, 5);
            put_col(&o, s, 6, 0);
            put_col(&o, s, 7, 1);
            put_col(&o, s, 8, 0);
            put_int(&o, s, 9);
            put_col(&o, s, 10, 1);
            put_time(&o, s, 11);
            put_time(&o, s, 12);
            break;
        case STORE_EXPORT_COVERAGE: /* handled above */ break;
        }
        end_line(&o);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) goto dbfail;
    if (fflush(out) != 0 || ferror(out)) {
        gw_err(err, errlen, "write error");
        return -1;
    }
    if (rows) *rows = n;
    return 0;
dbfail:
    gw_err(err, errlen, "database: %s", store_errmsg(st));
    return -1;
}

/* ---- children by name -------------------------------------------------------------- */

/* Columns of a child look-up, in the order read_named reads them; R is the
 * child's village, C its county. */
#define NAMED_COLS "CH.id, CH.code, CH.flags, CH.high_cadence, R.id, R.level, R.path, C.id"
#define NAMED_FROM                                                                                                     \
    " FROM child CH JOIN region R ON R.id = CH.region_id"                                                              \
    " LEFT JOIN region C ON C.level = 1 AND C.path = substr(R.path, 1, instr(R.path || '/', '/') - 1)"
/* R lies at or under the region whose path is bound as ?2. */
#define UNDER_PATH " (R.path = ?2 OR substr(R.path, 1, length(?2) + 1) = ?2 || '/')"

static void read_named(sqlite3_stmt *s, struct db_child *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->code, sizeof out->code);
    store_col_text(s, 2, out->flags, sizeof out->flags);
    out->high_cadence = sqlite3_column_int(s, 3);
    out->region.id = sqlite3_column_int64(s, 4);
    out->region.level = sqlite3_column_int(s, 5);
    store_col_text(s, 6, out->region.path, sizeof out->region.path);
    out->region.county_id = sqlite3_column_int64(s, 7);
}

int db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out)
{
    if (!name || !*name || !under || !*under) return 1;
    sqlite3_stmt *s =
        store_stmt(st, "SELECT " NAMED_COLS NAMED_FROM " WHERE CH.name = ?1 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2");
    if (!s) return -1;
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, under);
    int n = 0, rc;
    struct db_child first;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) read_named(s, &first);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    if (n == 1) *out = first;
    return n == 0 ? 1 : n == 1 ? 0 : 2;
}

int db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out)
{
    if (!text || !*text || !under || !*under) return 1;
    /* length() counts characters: a one-character "name" would match too much. */
    sqlite3_stmt *s = store_stmt(st, "SELECT " NAMED_COLS NAMED_FROM " WHERE length(CH.name) >= 2 AND"
                                     " instr(?1, CH.name) > 0 AND" UNDER_PATH " ORDER BY CH.id LIMIT 2");
    if (!s) return -1;
    store_bind_text(s, 1, text);
    store_bind_text(s, 2, under);
    int n = 0, rc;
    struct db_child first;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) read_named(s, &first);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    if (n == 1) *out = first;
    return n == 0 ? 1 : n == 1 ? 0 : 2;
}

/* ---- the visit-due rule ------------------------------------------------------------ */

int64_t store_visit_due_day(const struct gw_policy *pol, int high, int64_t last_visit_day, int64_t registered_day)
{
    int visit_days = pol && pol->visit_days > 0 ? pol->visit_days : 30;
    int visit_days_high = pol && pol->visit_days_high > 0 ? pol->visit_days_high : 14;
    int first = pol ? pol->first_visit_days : 5;
    unsigned work_days = pol ? pol->work_days : 0x1F;
    int cadence = high ? visit_days_high : visit_days;
    if (last_visit_day != STORE_NO_DAY) return last_visit_day + cadence;
    if (registered_day == STORE_NO_DAY) return STORE_NO_DAY;
    if (first <= 0) return registered_day + cadence;
    int64_t day = registered_day;
    for (int n = first; n > 0;) {
        day++;
        int wd = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday; 0 = Monday */
        if (!(work_days & 0x7F) || (work_days & (1u << wd))) n--;
    }
    return day;
}
