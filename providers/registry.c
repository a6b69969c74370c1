/* providers/registry.c - the static list of providers, lookup by name, and
 * the small checks every provider shares.
 *
 * Adding a provider is one line here plus its own file; nothing else picks
 * providers by name. The array is const and shared by every thread.
 */
#include <string.h>

#include "../gateway/util.h"

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

int prov_check_field(const char *name, const char *value, size_t max, int is_ident, char *err, size_t errlen)
{
    if (!value) return 0;
    size_t n = strlen(value);
    if (n > max) {
        gw_err(err, errlen, "field too long: %s", name);
        return -1;
    }
    for (size_t i = 0; is_ident && i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7f) {
            gw_err(err, errlen, "control character in field: %s", name);
            return -1;
        }
    }
    return 0;
}
