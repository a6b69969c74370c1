/* gateway/token_cmd.c - the `token` subcommand (see token_cmd.h). */
#include "token_cmd.h"

#include <string.h>

#include "../core/calendar.h"
#include "../core/store.h"
#include "../handlers/auth.h"

#define TOKEN_USAGE                                                                                                    \
    "usage: gateway token -c gateway.ini create NAME --role ROLE [--region PATH] [--department DEPT]\n"                \
    "       gateway token -c gateway.ini list\n"                                                                       \
    "       gateway token -c gateway.ini revoke NAME\n"

/* The slot of the option argv names, or NULL when it is none. */
static const char **option_slot(struct token_args *a, const char *opt)
{
    if (!strcmp(opt, "-c") || !strcmp(opt, "--config")) return &a->config;
    if (!strcmp(opt, "--role")) return &a->role;
    if (!strcmp(opt, "--region")) return &a->region;
    if (!strcmp(opt, "--department")) return &a->department;
    return NULL;
}

/* Checks the verb and the number of positional arguments it takes. */
static int check_verb(const struct token_args *a, int npos, FILE *errout)
{
    int want = !a->verb                                                   ? -1
               : !strcmp(a->verb, "list")                                 ? 1
               : !strcmp(a->verb, "create") || !strcmp(a->verb, "revoke") ? 2
                                                                          : -1;
    if (want < 0) {
        fprintf(errout, "gateway: token: %s%s\n" TOKEN_USAGE, a->verb ? "unknown verb " : "a verb is required",
                a->verb ? a->verb : "");
        return -1;
    }
    if (npos != want) {
        fprintf(errout, "gateway: token %s: %s\n" TOKEN_USAGE, a->verb,
                npos < want ? "a token name is required" : "too many arguments");
        return -1;
    }
    if (strcmp(a->verb, "create") != 0 && (a->role || a->region || a->department)) {
        fprintf(errout, "gateway: token %s: --role, --region and --department are for create\n", a->verb);
        return -1;
    }
    if (!a->config) {
        fprintf(errout, "gateway: -c gateway.ini is required\n");
        return -1;
    }
    return 0;
}

int token_cmd_parse(int argc, char **argv, struct token_args *a, FILE *errout)
{
    memset(a, 0, sizeof *a);
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        const char **slot = option_slot(a, argv[i]);
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(errout, "gateway: %s needs a value\n", argv[i]);
                return -1;
            }
            *slot = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(errout, "gateway: token: unknown option %s\n" TOKEN_USAGE, argv[i]);
            return -1;
        } else if (npos == 0) {
            a->verb = argv[i];
            npos++;
        } else {
            if (npos == 1) a->name = argv[i];
            npos++;
        }
    }
    return check_verb(a, npos, errout);
}

static int list_row(void *arg, const struct store_token_row *r)
{
    FILE *out = arg;
    char c[32], u[32], v[32];
    fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r->name, r->role, r->region[0] ? r->region : "everywhere",
            r->department[0] ? r->department : "-", cal_time_text(r->created_at, c, sizeof c),
            cal_time_text(r->last_used_at, u, sizeof u), cal_time_text(r->revoked_at, v, sizeof v));
    return 0;
}

static int cmd_create(struct store *st, const struct token_args *a, int64_t now, FILE *out, FILE *errout)
{
    if (!a->role) {
        fprintf(errout, "gateway: token create: --role is required\n" TOKEN_USAGE);
        return 2;
    }
    struct auth_token_spec spec = {.name = a->name, .role = a->role, .region = a->region, .department = a->department};
    char token[AUTH_TOKEN_LEN], err[256] = "";
    int rc = auth_token_create(st, &spec, now, token, err, sizeof err);
    if (rc != 0) {
        fprintf(errout, "gateway: token create: %s\n", err);
        return 1;
    }
    fprintf(out, "%s\n", token);
    fflush(out);
    fprintf(errout, "token %s (%s%s%s) created: this is the only time it is shown; it cannot be shown again\n", a->name,
            a->role, a->region ? ", " : "", a->region ? a->region : "");
    memset(token, 0, sizeof token);
    return 0;
}

int token_cmd_run(struct store *st, const struct token_args *a, int64_t now, FILE *out, FILE *errout)
{
    if (!strcmp(a->verb, "create")) return cmd_create(st, a, now, out, errout);
    if (!strcmp(a->verb, "list")) {
        fprintf(out, "name\trole\tregion\tdepartment\tcreated\tlast_used\trevoked\n");
        if (store_tokens_each(st, list_row, out) != 0) {
            fprintf(errout, "gateway: token list: %s\n", store_errmsg(st));
            return 1;
        }
        return 0;
    }
    int rc = store_token_revoke(st, a->name, now);
    if (rc == 0) fprintf(errout, "token %s revoked\n", a->name);
    if (rc == 1) fprintf(errout, "gateway: token revoke: no token named %s\n", a->name);
    if (rc < 0) fprintf(errout, "gateway: token revoke: %s\n", store_errmsg(st));
    return rc == 0 ? 0 : 1;
}
