/* core/sha256.c - SHA-256 over libcrypto's EVP interface (see sha256.h). */
#include "sha256.h"

#include <string.h>

#include <openssl/evp.h>

int gw_sha256(const void *msg, size_t len, unsigned char out[GW_SHA256_LEN])
{
    static const unsigned char empty[1];
    unsigned int n = 0;
    if ((!msg && len) || !EVP_Digest(msg ? msg : empty, len, out, &n, EVP_sha256(), NULL) || n != GW_SHA256_LEN) {
        memset(out, 0, GW_SHA256_LEN);
        return -1;
    }
    return 0;
}

int gw_sha256_hex(const void *msg, size_t len, char hex[GW_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[GW_SHA256_LEN];
    int rc = gw_sha256(msg, len, d);
    for (int i = 0; i < GW_SHA256_LEN; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * GW_SHA256_LEN] = '\0';
    if (rc != 0) memset(hex, '0', 2 * GW_SHA256_LEN);
    return rc;
}
