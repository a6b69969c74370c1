/* core/store_token.h - bearer tokens for integrations, stored hashed.
 * Included by store.h; same conventions. */
#ifndef GW_STORE_TOKEN_H
#define GW_STORE_TOKEN_H

#include <stdint.h>

struct store;

#endif
