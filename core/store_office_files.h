/* core/store_office_files.h - (the office API's store operations; see docs/ARCHITECTURE.md).
 * Included by store.h; same conventions. */
#ifndef GW_STORE_OFFICE_FILES_H
#define GW_STORE_OFFICE_FILES_H

#include <stdint.h>

struct store;

#endif
