/* providers/crypto.h - the few hashes, MACs and encodings webhook signatures need.
 *
 * Thin wrappers over OpenSSL libcrypto (HMAC(), EVP_Digest(),
 * EVP_EncodeBlock(), CRYPTO_memcmp()) so providers never call OpenSSL
 * directly and never compare a secret-derived value with memcmp. Every
 * input is pointer + length; nothing here logs, and nothing keeps state, so
 * any thread may call any function.
 */
#ifndef PROV_CRYPTO_H
#define PROV_CRYPTO_H

#include <stddef.h>

#define PC_SHA1_LEN   20 /* bytes in a SHA-1 digest */
#define PC_SHA256_LEN 32 /* bytes in a SHA-256 digest */
/* Characters in the padded base64 of n bytes, without the NUL. */
#define PC_BASE64_LEN(n) (4 * (((n) + 2) / 3))

/* HMAC-SHA1 / HMAC-SHA256 of msg under key, written to out. key and msg
 * may hold any bytes (msg may be empty; a NULL pointer is allowed only with
 * length 0). Returns 0, or -1 when libcrypto fails (out is then zeroed). */
int pc_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA1_LEN]);
int pc_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA256_LEN]);

/* SHA-256 of msg into out. Returns 0, or -1 when libcrypto fails. */
int pc_sha256(const void *msg, size_t msglen, unsigned char out[PC_SHA256_LEN]);

/* Standard padded base64 (RFC 4648 §4, no line breaks) of in[0..n) into out,
 * which must hold PC_BASE64_LEN(n) + 1 bytes; out is NUL-terminated.
 * Returns the number of characters written, or -1 when outlen is too small
 * (out is then "" if outlen > 0). */
int pc_base64(const unsigned char *in, size_t n, char *out, size_t outlen);

/* Constant-time equality of two byte strings. The lengths are not secret
 * (they are compared first, in the open); the contents are compared with
 * CRYPTO_memcmp. Returns 1 when equal, 0 otherwise. */
int pc_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Constant-time comparison of a hex digest we computed (lower case, NUL-
 * terminated) with one the client sent (pointer + length, either case).
 * Returns 1 when they denote the same bytes, 0 otherwise (including a
 * length mismatch or a non-hex character in given). */
int pc_hex_equal(const char *expected_lower, const char *given, size_t given_len);

/* ---- MD5 and HMAC-MD5 / HMAC-SHA512 (Vonage `sig`) ---- */

#define PC_MD5_LEN    16 /* bytes in an MD5 digest */
#define PC_SHA512_LEN 64 /* bytes in a SHA-512 digest */

/* MD5 of msg into out (Vonage's legacy "md5hash" signature; never use it
 * for anything new). Returns 0, or -1 when libcrypto fails (out zeroed). */
int pc_md5(const void *msg, size_t msglen, unsigned char out[PC_MD5_LEN]);

/* HMAC-MD5 / HMAC-SHA512 of msg under key, as pc_hmac_sha1. Returns 0, or
 * -1 when libcrypto fails (out is then zeroed). */
int pc_hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_MD5_LEN]);
int pc_hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA512_LEN]);

/* ---- SHA-1 (Aliyun SmsUp dedupe key) ---- */

/* SHA-1 of msg into out (for dedupe keys, never for signatures we check).
 * Returns 0, or -1 when libcrypto fails (out is then zeroed). */
int pc_sha1(const void *msg, size_t msglen, unsigned char out[PC_SHA1_LEN]);

#endif
