/* tests/bench/mix.h - the bench's message mix, shared by load.c (over
 * HTTP) and writer.c (straight into the pipeline): the roster's
 * director/child and guardian/child pairs read from a gateway's SQLite
 * file, and message i of the mix (5 visits, 3 check-ins and 2 reports in
 * every 10). Header-only: each bench program is one file. */
#ifndef BENCH_MIX_H
#define BENCH_MIX_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

struct pair {
    char a[32], b[16];
};
static struct pair *visits, *guardians;
static int nvisits, nguardians;

static int load_pairs(sqlite3 *db, const char *sql, struct pair **out)
{
    sqlite3_stmt *s;
    int n = 0, cap = 256;
    *out = malloc(sizeof **out * (size_t)cap);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) *out = realloc(*out, sizeof **out * (size_t)(cap *= 2));
        snprintf((*out)[n].a, sizeof(*out)[n].a, "%s", sqlite3_column_text(s, 0));
        snprintf((*out)[n].b, sizeof(*out)[n].b, "%s", sqlite3_column_text(s, 1));
        n++;
    }
    sqlite3_finalize(s);
    return n;
}

/* Reads the roster's pairs from the SQLite file dbpath into visits and
 * guardians; exits (naming who, the program) when it holds none. */
static void load_roster(const char *who, const char *dbpath)
{
    sqlite3 *db;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot open %s\n", who, dbpath);
        exit(1);
    }
    nvisits = load_pairs(db, "SELECT s.phone, c.code FROM staff s JOIN child c ON c.region_id = s.region_id "
                             "WHERE s.role = 'director'", &visits);
    nguardians = load_pairs(db, "SELECT g.phone, c.code FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id "
                                "JOIN child c ON c.id = gc.child_id", &guardians);
    sqlite3_close(db);
    if (nvisits == 0 || nguardians == 0) {
        fprintf(stderr, "%s: the database holds no roster\n", who);
        exit(1);
    }
}

/* Message i of the mix: its sender into from (32 bytes) and its text into
 * text (160 bytes). */
static void mix_message(int i, char *from, char *text)
{
    static const char *const reports[] = {"BG 2 孩子身上有伤", "BG 3 孩子一个人在家好几天", "BG 7 学校有人欺负他",
                                          "BG 9 想了解帮扶政策", "村东头那家孩子没人管"};
    static const char *const results[] = {"1", "2 XL", "1 一切正常", "3", "2 JK 生活", "4"};
    int kind = i % 10; /* 5 visits, 3 check-ins, 2 reports in every 10 */
    if (kind < 5) {
        struct pair *p = &visits[(i / 10 * 5 + kind) % nvisits];
        snprintf(from, 32, "%s", p->a);
        snprintf(text, 160, "ZF %s %s", p->b, results[i % 6]);
    } else if (kind < 8) {
        struct pair *p = &guardians[(i / 10 * 3 + kind) % nguardians];
        snprintf(from, 32, "%s", p->a);
        snprintf(text, 160, "QD %s %s", p->b, kind == 7 ? "1 视频了很开心" : "");
    } else {
        snprintf(from, 32, "+86137%08d", i % 100000000);
        snprintf(text, 160, "%s", reports[i % 5]);
    }
}

#endif
