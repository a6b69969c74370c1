/* gateway/export_national.c - export national (export_national.h). */
#include "export_national.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/calendar.h"
#include "../core/config.h"
#include "../core/secret.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"

static const char *const FIELDS[] = {"code",
                                     "name",
                                     "sex",
                                     "birth_date",
                                     "region",
                                     "county",
                                     "town",
                                     "village",
                                     "categories",
                                     "flags",
                                     "id_number",
                                     "id_masked",
                                     STORE_CHILD_RECORD_FIELDS,
                                     "guardian_name",
                                     "guardian_phone",
                                     "guardian_relation",
                                     NULL};

int national_field_known(const char *field)
{
    for (size_t i = 0; FIELDS[i]; i++)
        if (!strcmp(FIELDS[i], field)) return 1;
    return 0;
}

/* The export in progress: the rows in the output encoding, the first error. */
struct national {
    const struct gw_config *cfg;
    iconv_t cd; /* UTF-8 to GB18030, or (iconv_t)-1 for UTF-8 */
    struct gw_buf csv;
    long rows;
    char err[256];
};

/* The code table of field, or NULL. */
static const struct gw_code_map *map_of(const struct gw_national_cfg *x, const char *field)
{
    for (size_t i = 0; i < x->nmaps; i++)
        if (!strcmp(x->maps[i].field, field)) return &x->maps[i];
    return NULL;
}

/* Appends code through map m (unchanged when m or its entry is missing). */
static void put_mapped(struct gw_buf *b, const struct gw_code_map *m, const char *code, size_t n)
{
    for (size_t i = 0; m && i < m->npairs; i++)
        if (strlen(m->pairs[i].from) == n && !strncmp(m->pairs[i].from, code, n)) {
            gw_buf_puts(b, m->pairs[i].to);
            return;
        }
    gw_buf_append(b, code, n);
}

/* Appends the '|' list s, each item through m, joined with "、". */
static void put_list(struct gw_buf *b, const struct gw_code_map *m, const char *s)
{
    int first = 1;
    while (s && *s) {
        size_t n = strcspn(s, "|");
        if (n) {
            if (!first) gw_buf_puts(b, "、");
            put_mapped(b, m, s, n);
            first = 0;
        }
        s += n;
        if (*s == '|') s++;
    }
}

/* Appends a YYYY-MM-DD date in the configured format (as given when it is not one). */
static void put_date(struct gw_buf *b, const char *fmt, const char *date)
{
    struct tm tm = {0};
    char out[16];
    if (!date) return;
    if (strlen(date) != 10 || sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
        gw_buf_puts(b, date);
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    gw_buf_puts(b, strftime(out, sizeof out, fmt, &tm) ? out : date);
}

/* Appends a phone without the country's prefix ("+8613800000001" -> "13800000001"). */
static void put_phone(struct gw_buf *b, const char *cc, const char *phone)
{
    size_t n = cc ? strlen(cc) : 0;
    if (phone && phone[0] == '+' && n && !strncmp(phone + 1, cc, n)) phone += 1 + n;
    if (phone) gw_buf_puts(b, phone);
}

/* Appends segment i (0 county, 1 town, 2 village) of a region path. */
static void put_segment(struct gw_buf *b, const char *path, int i)
{
    while (path && i-- > 0 && (path = strchr(path, '/')) != NULL) path++;
    if (path) gw_buf_append(b, path, strcspn(path, "/"));
}

/* Appends the opened national ID of r: 0, or -1 with the error. */
static int put_id_number(struct national *x, struct gw_buf *b, const struct store_child_record *r)
{
    char plain[GW_SECRET_PLAIN_MAX + 1];
    if (!r->id_number) return 0;
    if (!x->cfg->privacy.has_id_key) {
        snprintf(x->err, sizeof x->err, "child %s: id_number needs the [privacy] id_key", r->code);
        return -1;
    }
    if (gw_secret_open(x->cfg->privacy.id_key, r->id_number, plain, sizeof plain) != 0) {
        snprintf(x->err, sizeof x->err, "child %s: the national ID does not open with the [privacy] id_key", r->code);
        return -1;
    }
    gw_buf_puts(b, plain);
    gw_secret_wipe(plain, sizeof plain);
    return 0;
}

/* The text of a plain field of r, or NULL. */
static const char *plain_field(const struct store_child_record *r, const char *f)
{
    const char *const names[] = {
        "code",       "name",           "sex",          "region",        "id_masked",         "hukou", "school",
        "carer_name", "carer_relation", "guardianship", "guardian_name", "guardian_relation", NULL};
    const char *const values[] = {r->code,           r->name,         r->sex,           r->region,
                                  r->id_masked,      r->hukou,        r->school,        r->carer_name,
                                  r->carer_relation, r->guardianship, r->guardian_name, r->guardian_relation};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], f)) return values[i];
    return NULL;
}

/* Appends source field f of r, through its code table: 0, or -1 with the error. */
static int put_field(struct national *x, struct gw_buf *b, const struct store_child_record *r, const char *f)
{
    const struct gw_national_cfg *n = &x->cfg->national;
    const struct gw_code_map *m = map_of(n, f);
    const char *cc = x->cfg->policy.country_code;
    if (!strcmp(f, "id_number")) return put_id_number(x, b, r);
    if (!strcmp(f, "categories") || !strcmp(f, "flags")) {
        put_list(b, m, !strcmp(f, "flags") ? r->flags : r->categories);
    } else if (!strcmp(f, "birth_date") || !strcmp(f, "care_agreement_date")) {
        put_date(b, n->date_format, f[0] == 'b' ? r->birth_date : r->care_agreement_date);
    } else if (!strcmp(f, "carer_phone") || !strcmp(f, "guardian_phone")) {
        put_phone(b, cc, f[0] == 'c' ? r->carer_phone : r->guardian_phone);
    } else if (!strcmp(f, "county") || !strcmp(f, "town") || !strcmp(f, "village")) {
        struct gw_buf seg = {0};
        put_segment(&seg, r->region, f[0] == 'c' ? 0 : f[0] == 't' ? 1 : 2);
        if (seg.len) put_mapped(b, m, gw_buf_cstr(&seg), seg.len);
        gw_buf_free(&seg);
    } else if (!strcmp(f, "care_agreement")) {
        if (r->care_agreement >= 0) put_mapped(b, m, r->care_agreement ? "1" : "0", 1);
    } else {
        const char *v = plain_field(r, f);
        if (v) put_mapped(b, m, v, strlen(v));
    }
    return 0;
}

/* Appends one CSV field, quoted when it must be (RFC 4180). */
static void csv_field(struct gw_buf *b, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++) quote |= s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        gw_buf_append(b, s, n);
        return;
    }
    gw_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') gw_buf_putc(b, '"');
        gw_buf_putc(b, s[i]);
    }
    gw_buf_putc(b, '"');
}

/* Converts the UTF-8 text [s, s + n) to GB18030, appended to out: 0, or -1
 * (a character that cannot be encoded, or text that is not UTF-8). */
static int to_gb18030(iconv_t cd, const char *s, size_t n, struct gw_buf *out)
{
    char *in = (char *)s, chunk[1024];
    size_t left = n;
    iconv(cd, NULL, NULL, NULL, NULL);
    while (left > 0) {
        char *o = chunk;
        size_t room = sizeof chunk;
        size_t rc = iconv(cd, &in, &left, &o, &room);
        gw_buf_append(out, chunk, (size_t)(o - chunk));
        gw_secret_wipe(chunk, sizeof chunk);
        if (rc == (size_t)-1 && errno != E2BIG) return -1;
    }
    return 0;
}

/* Appends one UTF-8 line to the output in its encoding: 0, or -1. */
static int emit(struct national *x, const struct gw_buf *line)
{
    if (x->cd == (iconv_t)-1) {
        gw_buf_append(&x->csv, gw_buf_cstr(line), line->len);
        return 0;
    }
    return to_gb18030(x->cd, gw_buf_cstr(line), line->len, &x->csv);
}

/* Frees a buffer that may hold personal data, wiped first. */
static void wipe_free(struct gw_buf *b)
{
    if (b->p) gw_secret_wipe(b->p, b->cap);
    gw_buf_free(b);
}

/* The header row: 0, or -1 with the error. */
static int national_header(struct national *x)
{
    const struct gw_national_cfg *n = &x->cfg->national;
    struct gw_buf line = {0};
    for (size_t i = 0; i < n->ncols; i++) {
        if (i) gw_buf_putc(&line, ',');
        csv_field(&line, n->cols[i].name, strlen(n->cols[i].name));
    }
    gw_buf_puts(&line, "\r\n");
    int rc = emit(x, &line);
    if (rc != 0) snprintf(x->err, sizeof x->err, "a column name cannot be encoded in GB18030");
    gw_buf_free(&line);
    return rc;
}

/* One child's row; stops (1) at the first error. */
static int national_row(void *arg, const struct store_child_record *r)
{
    struct national *x = arg;
    const struct gw_national_cfg *n = &x->cfg->national;
    struct gw_buf v = {0}, line = {0};
    int rc = 0;
    for (size_t i = 0; i < n->ncols && rc == 0; i++) {
        gw_buf_reset(&v);
        rc = put_field(x, &v, r, n->cols[i].field);
        if (i) gw_buf_putc(&line, ',');
        csv_field(&line, gw_buf_cstr(&v), v.len);
    }
    gw_buf_puts(&line, "\r\n");
    if (rc == 0 && (rc = emit(x, &line)) != 0)
        snprintf(x->err, sizeof x->err, "child %s: a value cannot be encoded in GB18030", r->code);
    wipe_free(&v);
    wipe_free(&line);
    if (rc != 0) return 1;
    x->rows++;
    return 0;
}

/* Records the export in the audit trail in its own transaction: 0 or -1. */
static int audit_national(struct store *st, long rows, int64_t now)
{
    char records[32];
    snprintf(records, sizeof records, "children:%ld", rows);
    if (store_begin(st) != 0) return -1;
    if (audit_record(st, "cli", "admin", "cli", "export national", records, "", now) != 0 || store_commit(st) != 0) {
        store_rollback(st);
        return -1;
    }
    return 0;
}

int export_national_cmd(struct store *st, const struct gw_config *cfg, int64_t now, FILE *out, FILE *err)
{
    if (!cfg || cfg->national.ncols == 0) {
        fputs("export national: the configuration has no [export national] columns (see examples/national.ini)\n", err);
        return 2;
    }
    struct national x = {.cfg = cfg, .cd = (iconv_t)-1};
    if (cfg->national.gb18030 && (x.cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1) {
        fputs("export national: GB18030 is not available (iconv)\n", err);
        return 1;
    }
    if (!cfg->national.gb18030) gw_buf_puts(&x.csv, "\xEF\xBB\xBF");
    int rc = national_header(&x);
    if (rc == 0 && (rc = store_child_records_each(st, NULL, national_row, &x)) < 0)
        snprintf(x.err, sizeof x.err, "cannot read the children (%s)", store_errmsg(st));
    if (rc == 0 && audit_national(st, x.rows, now) != 0) {
        snprintf(x.err, sizeof x.err, "cannot record it in the audit trail (%s)", store_errmsg(st));
        rc = -1;
    }
    if (rc == 0) {
        fwrite(gw_buf_cstr(&x.csv), 1, x.csv.len, out);
        rc = fflush(out) == 0 ? 0 : -1;
        if (rc == 0) fprintf(err, "export national: %ld children\n", x.rows);
    } else {
        fprintf(err, "export national: %s; nothing exported\n", x.err);
    }
    if (x.cd != (iconv_t)-1) iconv_close(x.cd);
    wipe_free(&x.csv);
    return rc == 0 ? 0 : 1;
}
