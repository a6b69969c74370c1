/* tests/common/seed.c - a test's world through the import and the store port. */
#include "seed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../handlers/roster_import.h"

struct reasons {
    struct gw_buf b;
};

static void on_error(void *arg, long line, const char *reason)
{
    gw_buf_printf(&((struct reasons *)arg)->b, "line %ld: %s; ", line, reason);
}

void seed_roster(struct store *st, const char *kind, const char *csv, int64_t now)
{
    enum roster_kind k;
    if (roster_kind_parse(kind, &k) != 0) fail_msg("seed_roster: unknown kind %s", kind);
    FILE *in = fmemopen((void *)csv, strlen(csv), "r");
    if (!in) fail_msg("seed_roster: fmemopen failed");
    struct reasons r = {{0}};
    struct roster_import_opts opts = {.country_code = "86", .on_error = on_error, .arg = &r};
    struct roster_import_result res;
    char err[256] = "";
    int rc = roster_import(st, k, in, now, &opts, &res, err, sizeof err);
    fclose(in);
    if (rc != 0 || res.bad_rows) fail_msg("seed_roster %s: %s %s", kind, err, gw_buf_cstr(&r.b));
    gw_buf_free(&r.b);
}

int64_t seed_child_id(struct store *st, const char *code)
{
    int64_t id = 0;
    if (store_child_id(st, code, &id) != 0 || !id) fail_msg("seed: no child %s", code);
    return id;
}

int64_t seed_staff_id(struct store *st, const char *phone)
{
    struct db_staff s;
    if (db_staff_by_phone(st, phone, &s) != 0) fail_msg("seed: no staff %s", phone);
    return s.id;
}

int64_t seed_guardian_id(struct store *st, const char *phone)
{
    int64_t id = 0;
    if (db_guardian_by_phone(st, phone, &id) != 0 || !id) fail_msg("seed: no guardian %s", phone);
    return id;
}

int64_t seed_region_id(struct store *st, const char *path)
{
    int64_t id = 0;
    if (store_region_find(st, path, &id, NULL) != 0) fail_msg("seed: no region %s", path);
    return id;
}

int64_t seed_visit(struct store *st, const char *code, const char *phone, const char *date, int result,
                   const char *problems, int64_t at)
{
    struct db_visit v = {.child_id = seed_child_id(st, code),
                         .staff_id = seed_staff_id(st, phone),
                         .result = result,
                         .problems = problems};
    gw_strlcpy(v.visit_date, date, sizeof v.visit_date);
    int64_t id = 0;
    if (db_visit_insert(st, &v, at, &id) != 0) fail_msg("seed_visit %s: %s", code, store_errmsg(st));
    return id;
}

int64_t seed_checkin(struct store *st, const char *phone, const char *code, int status, int64_t at)
{
    struct db_checkin c = {.guardian_id = seed_guardian_id(st, phone), .child_id = seed_child_id(st, code), .status = status};
    int64_t id = 0;
    if (db_checkin_insert(st, &c, at, &id) != 0) fail_msg("seed_checkin %s: %s", code, store_errmsg(st));
    return id;
}
