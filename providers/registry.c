/* providers/registry.c - the static list of providers and lookup by name.
 *
 * Adding a provider is one line here plus its own file; nothing else picks
 * providers by name. The array is const and shared by every thread.
 */
#include <string.h>

#include "provider.h"

extern const struct provider_ops prov_generic;
extern const struct provider_ops prov_twilio;

const struct provider_ops *const prov_registry[] = {
    &prov_generic,
    &prov_twilio,
    NULL,
};

const struct provider_ops *prov_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; prov_registry[i]; i++)
        if (!strcmp(prov_registry[i]->name, name)) return prov_registry[i];
    return NULL;
}
