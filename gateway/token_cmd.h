/* gateway/token_cmd.h - the `token` subcommand: make, list and revoke the
 * bearer tokens integrations use on the office API. The rules (roles,
 * regions, the token's form and hash) are handlers/auth.h's; this is the
 * command line and the lines an operator reads.
 */
#ifndef GW_TOKEN_CMD_H
#define GW_TOKEN_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;

/* `gateway token -c CFG VERB [NAME] [--role R] [--region PATH] [--department D]`. */
struct token_args {
    const char *config;     /* -c / --config */
    const char *verb;       /* create|list|revoke */
    const char *name;       /* create, revoke */
    const char *role;       /* create */
    const char *region;     /* create, may be NULL */
    const char *department; /* create, may be NULL */
};

/* Parses argv[2..argc-1] (argv[1] is "token") into a. Returns 0, or -1
 * with the reason on errout (an unknown option or verb, a value missing,
 * a verb's argument missing or extra, no -c). */
int token_cmd_parse(int argc, char **argv, struct token_args *a, FILE *errout);

/* Runs a parsed `token` command on a migrated store at now.
 *   create: prints the token (one line) to out and, to errout, that it
 *           cannot be shown again; refused (err on errout) for an unknown
 *           role, a missing or unknown region or one of the wrong level for
 *           the role, a missing or unknown department for a responder, a
 *           name taken.
 *   list:   one tab-separated line per token, by name, after a header:
 *           name, role, region, department, created, last used, revoked
 *           (region "everywhere" when unscoped; local times, "-" when
 *           none); never the hash.
 *   revoke: revokes the token; "no token named NAME" when there is none.
 * Returns 0, 1 when refused or unknown or on a store error, 2 on a usage
 * error. */
int token_cmd_run(struct store *st, const struct token_args *a, int64_t now, FILE *out, FILE *errout);

#endif
