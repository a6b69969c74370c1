/* core/store_session.h - (the office API's store operations; see docs/ARCHITECTURE.md).
 * Included by store.h; same conventions. */
#ifndef GW_STORE_SESSION_H
#define GW_STORE_SESSION_H

#include <stdint.h>

struct store;

#endif
