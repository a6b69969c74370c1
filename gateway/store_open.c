/* gateway/store_open.c - opens the configured store (store_open.h). */
#include "store_open.h"

#include "../core/clock.h"
#include "../db/pg.h"
#include "../db/sqlite.h"

/* Opens cfg's store; sync_full as [store] synchronous says, or 0. */
static int open_store(const struct gw_config *cfg, int sync_full, struct store **out, char *err, size_t errlen)
{
    if (cfg->store_backend == GW_STORE_POSTGRES) return pg_store_open(cfg->store_url, out, err, errlen);
    return sqlite_store_open(cfg->store_path, sync_full, out, err, errlen);
}

int gw_store_open(const struct gw_config *cfg, struct store **out, char *err, size_t errlen)
{
    return open_store(cfg, cfg->sync_full, out, err, errlen);
}

int gw_store_open_relaxed(const struct gw_config *cfg, struct store **out, char *err, size_t errlen)
{
    return open_store(cfg, 0, out, err, errlen);
}

int gw_store_is_sqlite(const struct gw_config *cfg) { return cfg->store_backend != GW_STORE_POSTGRES; }

const char *gw_store_name(const struct gw_config *cfg)
{
    return cfg->store_backend == GW_STORE_POSTGRES ? "PostgreSQL" : cfg->store_path;
}

int gw_store_recover_due(const struct gw_config *cfg, double *last)
{
    if (gw_store_is_sqlite(cfg)) return 0;
    double now = gw_clock_mono();
    if (*last && now - *last < GW_RECOVER_EVERY) return 0;
    *last = now;
    return 1;
}
