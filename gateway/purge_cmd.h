/* gateway/purge_cmd.h - the purge subcommand: retention ([retention]
 * reporter_days, message_days; core/store_retention.h says what goes).
 *
 * `gateway purge` removes, in one transaction with its audit row (action
 * "purge"), the reporter contacts of cases closed more than reporter_days
 * ago and the texts and phones of messages older than message_days; 0
 * days keeps that kind forever. `--dry-run` prints the same counts and the
 * oldest date of each kind and changes nothing. Run it daily (cron): the
 * timed jobs do not run it.
 */
#ifndef GW_PURGE_CMD_H
#define GW_PURGE_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_config;

/* Runs `gateway purge [--dry-run]` as of now, the report on out; the exit
 * status (0, or 1 on a store error, told on err). */
int purge_cmd(struct store *st, const struct gw_config *cfg, int dry_run, int64_t now, FILE *out, FILE *err);

#endif
