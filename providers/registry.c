/* providers/registry.c - the static list of providers, lookup by name and
 * by template key (providers/common.c holds what they share).
 *
 * Adding a provider is one line here plus its own file; nothing else picks
 * providers by name. The array is const and shared by every thread.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

#include "provider.h"

extern const struct provider_ops prov_generic;
extern const struct provider_ops prov_twilio;
extern const struct provider_ops prov_africastalking;
extern const struct provider_ops prov_vonage;
extern const struct provider_ops prov_aliyun;
extern const struct provider_ops prov_tencent;

const struct provider_ops *const prov_registry[] = {
    &prov_generic, &prov_twilio, &prov_africastalking, &prov_vonage, &prov_aliyun, &prov_tencent, NULL,
};

const struct provider_ops *prov_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; prov_registry[i]; i++)
        if (!strcmp(prov_registry[i]->name, name)) return prov_registry[i];
    return NULL;
}

const struct provider_ops *prov_find_template_key(const char *key)
{
    if (!key) return NULL;
    for (size_t i = 0; prov_registry[i]; i++)
        if (prov_registry[i]->template_key && !strcmp(prov_registry[i]->template_key, key)) return prov_registry[i];
    return NULL;
}

const char *prov_template_code(const struct provider_ops *ops, const struct gw_template *t)
{
    if (!ops || !ops->template_key || !t) return NULL;
    for (size_t i = 0; i < t->ncodes; i++)
        if (!strcmp(t->codes[i].key, ops->template_key)) return t->codes[i].value;
    return NULL;
}
