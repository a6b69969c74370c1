/* core/random.h - cryptographically strong random bytes (OpenSSL
 * libcrypto underneath) for the layers that may include only core/:
 * the secrets the gateway hands out (API tokens). Thread-safe. */
#ifndef GW_RANDOM_H
#define GW_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes from libcrypto's generator. Returns 0, or
 * -1 when it could not (buf is then all zeros: never use it as a secret). */
int gw_random_bytes(void *buf, size_t n);

#endif
