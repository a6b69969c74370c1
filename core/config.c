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

struct gw_policy gw_policy_defaults(void)
{
    struct gw_policy p = {
        .visit_days = 30,
        .visit_days_high = 14,
        .checkin_days = 7,
        .checkin_escalate_days = 14,
        .ack_minutes_p0 = 15,
        .ack_minutes_p1 = 30,
        .first_visit_days = 5,
        .overdue_days = 7,
        .flood_reports = 3,
        .flood_window = 600,
        .reply_window_days = 3,
        .followup_hours = 24,
        .work_start = 8 * 60 + 30,
        .work_end = 17 * 60 + 30,
        .work_days = 0x1F,
        .digest_minute = 8 * 60,
        .daily_cap = 3,
        .age_left_behind = 16, /* 国发〔2016〕13号: a left-behind child is under 16 */
        .age_difficulty = 18,  /* children in difficulty, orphans, unsupported children: minors */
    };
    return p;
}
