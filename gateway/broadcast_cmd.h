/* gateway/broadcast_cmd.h - the broadcast subcommand: a template to a group, approved by a second user.
 *
 *   gateway broadcast -c gateway.ini create --by PHONE --template NAME --to AUDIENCE [--var k=v ...]
 *   gateway broadcast -c gateway.ini approve ID --by PHONE
 *   gateway broadcast -c gateway.ini cancel ID --by PHONE
 *   gateway broadcast -c gateway.ini list
 *   gateway broadcast -c gateway.ini show ID
 *
 * The rules are the domain's (handlers/broadcast.h); this reads the words,
 * runs each act in one transaction and prints what it did.
 */
#ifndef GW_BROADCAST_CMD_H
#define GW_BROADCAST_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_config;

/* What `gateway broadcast ...` was asked (filled by broadcast_cmd_parse). */
struct broadcast_args {
    const char *config;
    const char *argv[32]; /* the words after "broadcast", -c and its value left out */
    int argc;
};

/* Reads argv (the whole command line); 0, or -1 with the reason on err. */
int broadcast_cmd_parse(int argc, char **argv, struct broadcast_args *a, FILE *err);
/* Runs it; the exit status: 0 done, 1 refused or a database error, 2 a
 * usage error. */
int broadcast_cmd_run(struct store *st, const struct gw_config *cfg, const struct broadcast_args *a, int64_t now,
                      FILE *out, FILE *err);

#endif
