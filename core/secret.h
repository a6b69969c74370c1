/* core/secret.h - sealing a short personal value (a national ID number) for
 * storage: AES-256-GCM over OpenSSL libcrypto's EVP interface, a fresh
 * random 12-byte nonce per value, the result as text
 * "v1:" + base64(nonce | ciphertext | 16-byte tag). Anyone holding the
 * stored text without the key learns only the value's length; a changed
 * byte, or another key, makes opening fail. Pure functions of their input
 * (and the random generator); thread-safe.
 *
 * The key is 32 bytes, written in the configuration as 64 hex digits
 * ([privacy] id_key). Callers keep plaintexts and keys off logs and wipe
 * them with gw_secret_wipe when done.
 */
#ifndef GW_SECRET_H
#define GW_SECRET_H

#include <stddef.h>

#define GW_SECRET_KEY_LEN   32  /* AES-256 key bytes */
#define GW_SECRET_PLAIN_MAX 128 /* longest value sealed, bytes */
#define GW_SECRET_TEXT_MAX  256 /* sealed text of the longest value, NUL included */

/* Reads a key written as exactly 64 hex digits (either case) into key.
 * Returns 0, or -1 (key zeroed) for anything else. */
int gw_secret_key_parse(const char *hex, unsigned char key[GW_SECRET_KEY_LEN]);

/* Seals plain (a NUL-terminated string of at most GW_SECRET_PLAIN_MAX
 * bytes) with key into out (outlen bytes; GW_SECRET_TEXT_MAX is enough):
 * "v1:" and the base64 of nonce, ciphertext and tag. Returns 0, or -1 (out
 * "") when the value is too long, out too small or libcrypto fails. */
int gw_secret_seal(const unsigned char key[GW_SECRET_KEY_LEN], const char *plain, char *out, size_t outlen);

/* Opens a value sealed by gw_secret_seal into out (outlen bytes, NUL
 * included). Returns 0, or -1 (out "") when the text is not a sealed value,
 * was changed, or was sealed with another key. */
int gw_secret_open(const unsigned char key[GW_SECRET_KEY_LEN], const char *sealed, char *out, size_t outlen);

/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void gw_secret_wipe(void *p, size_t n);

#endif
