/* gateway/config_load.h - loading the INI configuration into core/config.h's
 * types: gw_config_load reads the file with inih, resolves "env:NAME"
 * values, checks every section, key and value, and refuses unknown ones
 * with "file:line: reason". */
#ifndef GW_CONFIG_LOAD_H
#define GW_CONFIG_LOAD_H

#include <stddef.h>

#include "../core/config.h"

/* Loads and validates path. Returns 0 and a new config in *out, or -1 with
 * "path:line: reason" (or "path: reason") in err. The caller frees *out
 * with gw_config_free. */
int gw_config_load(const char *path, struct gw_config **out, char *err, size_t errlen);
void gw_config_free(struct gw_config *cfg); /* NULL is a no-op */

#endif
