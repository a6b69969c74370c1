/* core/config.c - look-ups over the frozen configuration. */
#include "config.h"

#include <string.h>

const struct gw_channel *gw_config_channel(const struct gw_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (!strcmp(cfg->channels[i].name, name)) return &cfg->channels[i];
    return NULL;
}

const char *gw_channel_key(const struct gw_channel *ch, const char *key)
{
    for (size_t i = 0; i < ch->nkeys; i++)
        if (!strcmp(ch->keys[i].key, key)) return ch->keys[i].value;
    return NULL;
}

const struct gw_template *gw_config_template(const struct gw_config *cfg, const char *name)
{
    if (!cfg) return NULL;
    for (size_t i = 0; i < cfg->ntemplates; i++)
        if (!strcmp(cfg->templates[i].name, name)) return &cfg->templates[i];
    return NULL;
}
