/* db/store_domain.h - store functions for the domain: regions, staff,
 * children, guardians, visits, check-ins, cases, opt-outs, roster import
 * and export. Included by store.h; same conventions. */
#ifndef STORE_DOMAIN_H
#define STORE_DOMAIN_H

#include <stdint.h>

struct store;

#endif
