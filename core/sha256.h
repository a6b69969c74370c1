/* core/sha256.h - SHA-256 (OpenSSL libcrypto underneath) for the layers
 * that may include only core/: the audit trail's hash chain and hashed
 * tokens. Pure functions of their input; thread-safe. */
#ifndef GW_SHA256_H
#define GW_SHA256_H

#include <stddef.h>

#define GW_SHA256_LEN 32                      /* digest bytes */
#define GW_SHA256_HEX (2 * GW_SHA256_LEN + 1) /* lowercase hex digits and the NUL */

/* The SHA-256 digest of msg (len bytes; msg may be NULL when len is 0) into
 * out. Returns 0, or -1 when libcrypto fails (out is then all zeros). */
int gw_sha256(const void *msg, size_t len, unsigned char out[GW_SHA256_LEN]);

/* The same digest as 64 lowercase hex digits and a NUL. Returns 0, or -1
 * (hex is then 64 zeros). */
int gw_sha256_hex(const void *msg, size_t len, char hex[GW_SHA256_HEX]);

#endif
