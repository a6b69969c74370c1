/* handlers/roster_import.c - roster import (roster_import.h): the CSV read
 * and checked row by row, the rows written through the store's upserts.
 *
 * The file is read in blocks, each block cut at '\n' and the pieces fed to
 * libcsv, so the physical line of every piece is known: a row starts on the
 * first non-blank line after the previous row ended (a quoted value may
 * carry it over several lines). libcsv's callbacks fill a fixed array of
 * bounded fields; at each row end the row is checked and, while the file is
 * clean so far, written through the store's row operations inside the one
 * transaction that the import holds. The first bad row stops the writes
 * (validation goes on, so every bad row is reported) and the transaction is
 * rolled back at the end. Keys already seen in the file live in a small
 * hash set owned by the import, for the "repeats line N" errors.
 *
 * Runs on the thread that owns the store (a CLI command).
 */
#include "roster_import.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/damm.h"
#include "../core/message.h"
#include "../core/secret.h"
#include "../core/store.h"
#include "../core/utf8.h"
#include "../core/util.h"
#include "routing.h"

#define MAX_COLS   20    /* documented columns of any kind (required and optional), plus slack */
#define READ_BLOCK 65536 /* bytes read from the file at a time */
#define SHOW_MAX   48    /* bytes of a value quoted back in a reason */
#define CSV_OPTS   (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

/* ---- names ------------------------------------------------------------------ */

static const char *const kind_names[] = {"regions", "staff", "children", "guardians"};

int roster_kind_parse(const char *name, enum roster_kind *out)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, kind_names[i]) == 0) {
            *out = (enum roster_kind)i;
            return 0;
        }
    return -1;
}

const char *roster_kind_name(enum roster_kind kind) { return (unsigned)kind < 4 ? kind_names[kind] : "?"; }

/* Column names of each kind, in a fixed order the validators index by. */
enum { C_PATH = 0 };
enum { S_PHONE = 0, S_NAME, S_ROLE, S_REGION, S_DEPT };
enum { K_CODE = 0, K_NAME, K_SEX, K_BIRTH, K_REGION, K_CATS, K_FLAGS };
/* children's optional columns, after the required ones */
enum {
    K_ID = K_FLAGS + 1,
    K_HUKOU,
    K_SCHOOL,
    K_CARER_NAME,
    K_CARER_PHONE,
    K_CARER_RELATION,
    K_AGREEMENT,
    K_AGREEMENT_DATE,
    K_GUARDIANSHIP,
};
enum { G_PHONE = 0, G_NAME, G_RELATION, G_CHILD, G_AWAY };

static const char *const cols_regions[] = {"path", NULL};
static const char *const cols_staff[] = {"phone", "name", "role", "region", "department", NULL};
static const char *const cols_children[] = {
    "code", "name", "sex", "birth_date", "region", "categories", "flags", "id_number", STORE_CHILD_RECORD_FIELDS, NULL};
static const char *const cols_guardians[] = {"phone", "name", "relation", "child_code", "away", NULL};
static const char *const *const kind_cols[] = {cols_regions, cols_staff, cols_children, cols_guardians};
/* How many of each kind's columns are required (the rest are optional). */
static const int kind_required[] = {1, 5, 7, 5};
/* The optional columns, for the header's error message. */
static const char *const kind_optional[] = {
    "", "",
    "id_number,hukou,school,carer_name,carer_phone,carer_relation,care_agreement,care_agreement_date,guardianship", ""};
static const char *const kind_header[] = {"path", "phone,name,role,region,department",
                                          "code,name,sex,birth_date,region,categories,flags",
                                          "phone,name,relation,child_code,away"};

/* Departments: the routing table's (handlers/routing.h), by English code
 * (stored, any case) or Chinese name. */
#define DEPT_LIST "公安|民政|教育|卫健|网信|妇联|团委 or police|civil_affairs|education|health|cyberspace|women|youth"

static const char *const categories[] = {"left_behind", "difficulty", "orphan", "unsupported", "single_parent", NULL};
#define CATEGORY_LIST "left_behind|difficulty|orphan|unsupported|single_parent"
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
    char v[ROSTER_FIELD_MAX + 1]; /* trimmed value, NUL-terminated, cut at the cap */
    int too_long;                 /* the value was longer than the cap */
    int bad_utf8;                 /* not valid UTF-8 */
    int control;                  /* holds control characters (or NUL) */
};

struct import {
    struct store *st;
    enum roster_kind kind;
    const struct roster_import_opts *opts;
    const char *cc; /* country code digits */
    char today[11]; /* local YYYY-MM-DD of now */
    int64_t now;
    struct roster_import_result res;

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
    char reason[ROSTER_REASON_MAX];
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

/* Column c's value in the current row; "" for an optional column the file lacks. */
static const char *val(struct import *im, int c) { return im->col[c] >= 0 ? im->f[im->col[c]].v : ""; }

/* 1 when the file has column c. */
static int has_col(const struct import *im, int c) { return im->col[c] >= 0; }

/* Writes happen only while the file is clean so far. */
static int writing(struct import *im) { return !im->row_bad && im->res.bad_rows == 0 && !im->dberr; }

static void db_failed(struct import *im) { im->dberr = 1; }

/* Counts a written row by what the store did (an enum store_upsert), or
 * marks the import failed. */
static void count(struct import *im, int outcome)
{
    if (outcome == STORE_INSERTED)
        im->res.inserted++;
    else if (outcome == STORE_UPDATED)
        im->res.updated++;
    else if (outcome == STORE_UNCHANGED)
        im->res.unchanged++;
    else
        db_failed(im);
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
    char low[32];
    size_t n = 0;
    for (; v[n] && n + 1 < sizeof low; n++) low[n] = v[n] >= 'A' && v[n] <= 'Z' ? (char)(v[n] + 32) : v[n];
    if (v[n]) return NULL; /* longer than any department */
    low[n] = '\0';
    return routing_dept_code(low);
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
            char name[ROSTER_FIELD_MAX + 1];
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

/* Region path given in a staff or child row: 0 with id/level, 1 reported
 * (bad path or unknown), -1 database error. */
static int region_of_row(struct import *im, const char *raw, int64_t *id, int *level)
{
    char path[ROSTER_FIELD_MAX + 1], sh[SHOW_MAX + 8];
    const char *why;
    if (!canon_path(raw, path, sizeof path, &why)) {
        bad(im, "region '%s' %s", show(raw, sh), why);
        return 1;
    }
    int rc = store_region_find(im->st, path, id, level);
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
        char prefix[ROSTER_FIELD_MAX + 1];
        memcpy(prefix, path, plen);
        prefix[plen] = '\0';
        const char *name = strrchr(prefix, '/');
        name = name ? name + 1 : prefix;

        int64_t id;
        int rc = store_region_find(im->st, prefix, &id, NULL);
        if (rc < 0) return -1;
        if (rc == 1) {
            if (store_region_insert(im->st, parent, name, prefix, d, &id) != 0) return -1;
            im->res.inserted++;
            if (d == depth) created = 1;
        }
        parent = id;
    }
    if (!created) im->res.unchanged++;
    return 0;
}

/* ---- one row of each kind ------------------------------------------------------- */

static void row_region(struct import *im)
{
    char path[ROSTER_FIELD_MAX + 1], sh[SHOW_MAX + 8];
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

    static const char *const roles[] = {"director", "supervisor", "responder", "admin", "county", "auditor", NULL};
    const char *role = NULL;
    for (int i = 0; roles[i]; i++)
        if (ascii_ieq(val(im, S_ROLE), roles[i])) role = roles[i];
    if (!role)
        bad(im, "role '%s' is not one of director|supervisor|responder|admin|county|auditor",
            show(val(im, S_ROLE), sh));

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
        if (strcmp(role, "county") == 0 && level != 1)
            bad(im, "a county officer belongs to a county, but region '%s' is %s", show(val(im, S_REGION), sh),
                level_name(level));
    }
    if (phone_ok) {
        int fresh;
        struct seen_ent *e = seen_put(&im->keys, phone, im->row_line, NULL, &fresh);
        if (!fresh) bad(im, "phone %s repeats line %ld", phone, e->line);
    }
    if (!writing(im)) return;

    struct store_staff_row r = {phone, val(im, S_NAME), role, region_id, dept};
    count(im, store_staff_upsert(im->st, &r, im->now));
}

/* A mainland ID number (GB 11643): 17 digits and a check digit (0-9 or X,
 * weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 -> "10X98765432"),
 * the birth date YYYYMMDD at 7-14. Copies it (x upper-cased) into id and the
 * birth date as YYYY-MM-DD into born. Returns NULL, or the reason, which
 * never repeats the number. */
static const char *id_check(const char *v, const char *today, char id[19], char born[11])
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char checks[] = "10X98765432";
    if (strlen(v) != 18) return "must be 18 characters (17 digits and a check digit 0-9 or X)";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (v[i] < '0' || v[i] > '9') return "must be 17 digits followed by a check digit 0-9 or X";
        sum += (v[i] - '0') * weights[i];
        id[i] = v[i];
    }
    id[17] = v[17] == 'x' ? 'X' : v[17];
    id[18] = '\0';
    if (!((id[17] >= '0' && id[17] <= '9') || id[17] == 'X'))
        return "must be 17 digits followed by a check digit 0-9 or X";
    if (id[17] != checks[sum % 11]) return "has a wrong check digit (a digit is mistyped or two are swapped)";
    snprintf(born, 11, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
    if (cal_date_valid(born) != 0 || strcmp(born, "1900") < 0 || strcmp(born, today) > 0)
        return "holds no plausible birth date (digits 7-14 are YYYYMMDD)";
    return NULL;
}

/* The child's optional columns, checked and ready for the store. */
struct child_extra {
    unsigned given;  /* STORE_CF_* */
    char id[19];     /* the number in clear ("" none); wiped after use */
    char masked[19]; /* 210102********123X */
    char phone[24];  /* carer_phone in E.164 ("" none) */
    int agreement;   /* 1, 0, -1 unknown */
    char sealed[GW_SECRET_TEXT_MAX];
};

/* Checks the ID number column against the row's birth date (NULL when that
 * is bad: then only the number itself is checked). */
static void child_id(struct import *im, const char *birth, struct child_extra *x)
{
    const char *v = val(im, K_ID), *why;
    char born[11];
    if (!*v) return;
    if ((why = id_check(v, im->today, x->id, born)) != NULL) {
        bad(im, "id_number %s", why);
        x->id[0] = '\0';
        return;
    }
    if (birth && strcmp(born, birth) != 0)
        bad(im, "id_number holds the birth date %s but birth_date is %s", born, birth);
    if (!im->opts->id_key) bad(im, "id_number needs [privacy] id_key (the key it is stored encrypted with)");
    snprintf(x->masked, sizeof x->masked, "%.6s********%.4s", x->id, x->id + 14);
}

/* Checks the optional columns the file has into *x. birth is the row's
 * birth date when it is good, else NULL. */
static void child_extra(struct import *im, const char *birth, struct child_extra *x)
{
    static const struct {
        int col;
        unsigned bit;
    } bits[] = {
        {K_ID, STORE_CF_ID},
        {K_HUKOU, STORE_CF_HUKOU},
        {K_SCHOOL, STORE_CF_SCHOOL},
        {K_CARER_NAME, STORE_CF_CARER_NAME},
        {K_CARER_PHONE, STORE_CF_CARER_PHONE},
        {K_CARER_RELATION, STORE_CF_CARER_RELATION},
        {K_AGREEMENT, STORE_CF_CARE_AGREEMENT},
        {K_AGREEMENT_DATE, STORE_CF_CARE_AGREEMENT_DATE},
        {K_GUARDIANSHIP, STORE_CF_GUARDIANSHIP},
    };
    char sh[SHOW_MAX + 8];
    const char *why;
    memset(x, 0, sizeof *x);
    x->agreement = -1;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (has_col(im, bits[i].col)) x->given |= bits[i].bit;
    child_id(im, birth, x);
    const char *phone = val(im, K_CARER_PHONE);
    if (*phone && norm_phone(phone, im->cc, x->phone, sizeof x->phone, &why) != 0)
        bad(im, "carer_phone '%s' %s", show(phone, sh), why);
    const char *ag = val(im, K_AGREEMENT);
    if (ascii_ieq(ag, "yes") || strcmp(ag, "是") == 0 || strcmp(ag, "1") == 0)
        x->agreement = 1;
    else if (ascii_ieq(ag, "no") || strcmp(ag, "否") == 0 || strcmp(ag, "0") == 0)
        x->agreement = 0;
    else if (*ag)
        bad(im, "care_agreement '%s' is not one of yes|no|是|否|1|0 (or empty: unknown)", show(ag, sh));
    const char *day = val(im, K_AGREEMENT_DATE);
    if (*day && cal_date_valid(day) != 0)
        bad(im, "care_agreement_date '%s' is not a real date written YYYY-MM-DD", show(day, sh));
    else if (*day && strcmp(day, im->today) > 0)
        bad(im, "care_agreement_date %s is in the future", day);
}

/* Seals the row's ID number for the store: the stored text again when it
 * holds the same number (so that a re-import changes nothing), else a new
 * seal. 0, or -1 on a database or cipher error. */
static int child_seal(struct import *im, const char *code, struct child_extra *x)
{
    char stored[GW_SECRET_TEXT_MAX], clear[GW_SECRET_PLAIN_MAX + 1];
    if (!x->id[0]) return 0;
    int rc = store_child_sealed_id(im->st, code, stored, sizeof stored);
    if (rc < 0) return -1;
    int same = rc == 0 && stored[0] && gw_secret_open(im->opts->id_key, stored, clear, sizeof clear) == 0 &&
               strcmp(clear, x->id) == 0;
    gw_secret_wipe(clear, sizeof clear);
    if (same) {
        memcpy(x->sealed, stored, sizeof x->sealed);
        return 0;
    }
    return gw_secret_seal(im->opts->id_key, x->id, x->sealed, sizeof x->sealed);
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
    int birth_ok = 0;
    if (cal_date_valid(birth) != 0)
        bad(im, "birth_date '%s' is not a real date written YYYY-MM-DD", show(birth, sh));
    else if (strcmp(birth, im->today) > 0)
        bad(im, "birth_date %s is in the future", birth);
    else if (strcmp(birth, "1900") < 0)
        bad(im, "birth_date %s is before 1900", birth);
    else
        birth_ok = 1;

    char cats[96], flags[96], unknown[ROSTER_FIELD_MAX + 1];
    int ncats = parse_set(val(im, K_CATS), categories, cats, sizeof cats, unknown, sizeof unknown);
    if (ncats < 0)
        bad(im, "category '%s' is not one of " CATEGORY_LIST, show(unknown, sh));
    else if (ncats == 0)
        bad(im, "categories is empty (at least one of " CATEGORY_LIST ")");
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
    struct child_extra x;
    child_extra(im, birth_ok ? birth : NULL, &x);
    if (writing(im)) {
        if (child_seal(im, code, &x) != 0) {
            db_failed(im);
        } else {
            struct store_child_row r = {
                .code = code,
                .name = val(im, K_NAME),
                .sex = sex,
                .birth_date = birth,
                .region_id = region_id,
                .categories = cats,
                .flags = flags,
                .high_cadence = nflags > 0,
                .given = x.given,
                .id_number = x.sealed[0] ? x.sealed : NULL,
                .id_masked = x.masked[0] ? x.masked : NULL,
                .hukou = val(im, K_HUKOU),
                .school = val(im, K_SCHOOL),
                .carer_name = val(im, K_CARER_NAME),
                .carer_phone = x.phone,
                .carer_relation = val(im, K_CARER_RELATION),
                .care_agreement = x.agreement,
                .care_agreement_date = val(im, K_AGREEMENT_DATE),
                .guardianship = val(im, K_GUARDIANSHIP),
            };
            count(im, store_child_upsert(im->st, &r, im->now));
        }
    }
    gw_secret_wipe(&x, sizeof x);
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
        if (store_child_id(im->st, code, &child_id) < 0) {
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
    struct store_guardian_row r = {phone, name, val(im, G_RELATION), child_id, away};
    count(im, store_guardian_upsert(im->st, &r, im->now));
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
    for (int c = 0; c < kind_required[im->kind]; c++)
        if (im->col[c] < 0) {
            report_at(im, im->row_line, "missing column '%s' in the header", cols[c]);
            bad_header = 1;
        }
    if (bad_header) {
        if (*kind_optional[im->kind])
            fatal(im, im->row_line, "a %s file starts with the header %s (any order; optional: %s)",
                  kind_names[im->kind], expected, kind_optional[im->kind]);
        else
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
    if (++im->res.rows > ROSTER_ROWS_MAX) {
        fatal(im, im->row_line, "more than %d rows; split the file", ROSTER_ROWS_MAX);
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
        if (!has_col(im, c)) continue;
        const struct field *f = &im->f[im->col[c]];
        if (f->too_long)
            bad(im, "%s is longer than %d bytes", cols[c], ROSTER_FIELD_MAX);
        else if (f->bad_utf8)
            bad(im, "%s is not valid UTF-8 (save the file as \"CSV UTF-8\")", cols[c]);
        else if (f->control)
            bad(im, "%s holds control characters or a line break", cols[c]);
    }
    if (im->row_bad) return;
    switch (im->kind) {
    case ROSTER_REGIONS: row_region(im); break;
    case ROSTER_STAFF: row_staff(im); break;
    case ROSTER_CHILDREN: row_child(im); break;
    case ROSTER_GUARDIANS: row_guardian(im); break;
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
    f->too_long = len > ROSTER_FIELD_MAX;
    if (f->too_long) len = ROSTER_FIELD_MAX;
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
                if (im->in_row && (im->row_bytes += k) > ROSTER_LINE_MAX) {
                    fatal(im, im->row_line, "row longer than %d bytes (a quote left open?)", ROSTER_LINE_MAX);
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

int roster_import(struct store *st, enum roster_kind kind, FILE *in, int64_t now, const struct roster_import_opts *opts,
                  struct roster_import_result *res, char *err, size_t errlen)
{
    static const struct roster_import_opts defaults = {0};
    struct import *im = gw_calloc(1, sizeof *im);
    int rc = -1, in_tx = 0;
    if (!opts) opts = &defaults;
    im->st = st;
    im->kind = kind;
    im->opts = opts;
    im->cc = opts->country_code && *opts->country_code ? opts->country_code : "86";
    im->now = now;
    cal_date_iso(cal_local_day(im->now), im->today, sizeof im->today);
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
    gw_secret_wipe(im->f, sizeof im->f); /* the last row's values, an ID number among them */
    free(im);
    return rc;
}
