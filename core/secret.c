/* core/secret.c - AES-256-GCM sealing of short values over libcrypto's EVP
 * interface (see secret.h). */
#include "secret.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "random.h"

#define NONCE_LEN 12
#define TAG_LEN   16
#define PREFIX    "v1:"
#define PREFIX_N  3
/* nonce, the longest ciphertext and the tag */
#define RAW_MAX (NONCE_LEN + GW_SECRET_PLAIN_MAX + TAG_LEN)

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int gw_secret_key_parse(const char *hex, unsigned char key[GW_SECRET_KEY_LEN])
{
    memset(key, 0, GW_SECRET_KEY_LEN);
    if (!hex || strlen(hex) != 2 * GW_SECRET_KEY_LEN) return -1;
    for (int i = 0; i < GW_SECRET_KEY_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            gw_secret_wipe(key, GW_SECRET_KEY_LEN);
            return -1;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

void gw_secret_wipe(void *p, size_t n)
{
    if (p && n) OPENSSL_cleanse(p, n);
}

/* Encrypts n bytes of plain under key and nonce into ct, the tag into tag.
 * 0 or -1. */
static int gcm_encrypt(const unsigned char *key, const unsigned char *nonce, const unsigned char *plain, int n,
                       unsigned char *ct, unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0,
        ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
             EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1 && EVP_EncryptUpdate(c, ct, &len, plain, n) == 1 &&
             EVP_EncryptFinal_ex(c, ct + len, &fin) == 1 && len + fin == n &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* Decrypts n bytes of ct under key and nonce into plain, checking tag.
 * 0, or -1 when the tag does not match (or libcrypto fails). */
static int gcm_decrypt(const unsigned char *key, const unsigned char *nonce, const unsigned char *ct, int n,
                       const unsigned char *tag, unsigned char *plain)
{
    unsigned char t[TAG_LEN];
    memcpy(t, tag, TAG_LEN);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0,
        ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
             EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) == 1 && EVP_DecryptUpdate(c, plain, &len, ct, n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, t) == 1 &&
             EVP_DecryptFinal_ex(c, plain + len, &fin) == 1 && len + fin == n;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int gw_secret_seal(const unsigned char key[GW_SECRET_KEY_LEN], const char *plain, char *out, size_t outlen)
{
    unsigned char raw[RAW_MAX];
    size_t n = plain ? strlen(plain) : 0;
    size_t rawlen = NONCE_LEN + n + TAG_LEN;
    size_t need = PREFIX_N + 4 * ((rawlen + 2) / 3) + 1;
    if (outlen) out[0] = '\0';
    if (!plain || n > GW_SECRET_PLAIN_MAX || outlen < need) return -1;
    if (gw_random_bytes(raw, NONCE_LEN) != 0 ||
        gcm_encrypt(key, raw, (const unsigned char *)plain, (int)n, raw + NONCE_LEN, raw + NONCE_LEN + n) != 0) {
        gw_secret_wipe(raw, sizeof raw);
        return -1;
    }
    memcpy(out, PREFIX, PREFIX_N);
    EVP_EncodeBlock((unsigned char *)out + PREFIX_N, raw, (int)rawlen);
    gw_secret_wipe(raw, sizeof raw);
    return 0;
}

int gw_secret_open(const unsigned char key[GW_SECRET_KEY_LEN], const char *sealed, char *out, size_t outlen)
{
    unsigned char raw[RAW_MAX + 3], plain[GW_SECRET_PLAIN_MAX];
    if (outlen) out[0] = '\0';
    if (!sealed || strncmp(sealed, PREFIX, PREFIX_N) != 0) return -1;
    const char *b64 = sealed + PREFIX_N;
    size_t blen = strlen(b64);
    if (blen == 0 || blen % 4 != 0 || blen / 4 * 3 > sizeof raw) return -1;
    int got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
    if (got < 0) return -1;
    size_t rawlen = (size_t)got - (b64[blen - 1] == '=') - (b64[blen - 2] == '=');
    if (rawlen < NONCE_LEN + TAG_LEN) return -1;
    /* Only the one canonical text of these bytes (base64 leaves spare bits
     * in the last character): a changed character never opens. */
    char again[GW_SECRET_TEXT_MAX];
    if (blen >= sizeof again) return -1;
    EVP_EncodeBlock((unsigned char *)again, raw, (int)rawlen);
    if (strcmp(again, b64) != 0) return -1;
    size_t n = rawlen - NONCE_LEN - TAG_LEN;
    int rc = -1;
    if (n <= GW_SECRET_PLAIN_MAX && n < outlen &&
        gcm_decrypt(key, raw, raw + NONCE_LEN, (int)n, raw + NONCE_LEN + n, plain) == 0) {
        memcpy(out, plain, n);
        out[n] = '\0';
        rc = 0;
    }
    gw_secret_wipe(plain, sizeof plain);
    gw_secret_wipe(raw, sizeof raw);
    return rc;
}
