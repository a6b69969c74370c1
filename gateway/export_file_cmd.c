/* gateway/export_file_cmd.c - export file CODE (export_file_cmd.h): the
 * child's whole file (gateway/child_file.h) as JSON or a printable page,
 * audited before anything is written. The command line is the admin: it
 * sees every child, phones in full, the national ID masked. */
#include "export_file_cmd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/audit.h"
#include "child_file.h"

/* 1 when s is exactly 7 digits (a child code). */
static int is_code(const char *s) { return strlen(s) == 7 && strspn(s, "0123456789") == 7; }

/* Builds the file of code and records its export in the audit trail, in
 * one transaction: 0 with *file, 1 no such child, -1 on a store error. */
static int build_audited(struct store *st, const struct gw_config *cfg, const char *code, int64_t now, json_t **file)
{
    char records[32];
    snprintf(records, sizeof records, "child:%s", code);
    if (store_begin(st) != 0) return -1;
    /* A file on paper or disk shows the national ID masked, to anyone. */
    int rc = child_file_build(st, cfg ? &cfg->policy : NULL, code, "", 1, NULL, now, file);
    if (rc == 0 && audit_record(st, "cli", "admin", "cli", "export file", records, "", now) != 0) rc = -1;
    if (rc == 0 && store_commit(st) != 0) rc = -1;
    if (rc != 0) {
        store_rollback(st);
        if (rc < 0 && *file) json_decref(*file);
        *file = NULL;
    }
    return rc;
}

int export_file_cmd(struct store *st, const struct gw_config *cfg, const char *code, const char *format, int64_t now,
                    FILE *out, FILE *err)
{
    int html = format && !strcmp(format, "html");
    if (format && !html && strcmp(format, "json") != 0) {
        fprintf(err, "export file: --format is json or html, not '%s'\n", format);
        return 2;
    }
    json_t *file = NULL;
    int rc = is_code(code) ? build_audited(st, cfg, code, now, &file) : 1;
    if (rc == 1) {
        fprintf(err, "export file: no child with code '%s'\n", code);
        return 1;
    }
    if (rc < 0) {
        fprintf(err, "export file: cannot read the file or record it in the audit trail (%s); nothing exported\n",
                store_errmsg(st));
        return 1;
    }
    if (html) {
        struct gw_buf b = {0};
        child_file_html(file, &b);
        fwrite(gw_buf_cstr(&b), 1, b.len, out);
        gw_buf_free(&b);
    } else {
        json_dumpf(file, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
    }
    json_decref(file);
    return fflush(out) == 0 ? 0 : 1;
}
