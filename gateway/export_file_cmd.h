/* gateway/export_file_cmd.h - export file CODE: one child's whole file as JSON or printable HTML. */
#ifndef GW_EXPORT_FILE_CMD_H
#define GW_EXPORT_FILE_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_config;

/* Runs `gateway export file CODE [--format json|html]`; the exit status. */
int export_file_cmd(struct store *st, const struct gw_config *cfg, const char *code, const char *format, int64_t now,
                    FILE *out, FILE *err);

#endif
