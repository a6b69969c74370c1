/* providers/crypto.c - libcrypto wrappers for webhook signatures (see crypto.h). */
#include "crypto.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* libcrypto refuses NULL buffers in places; always hand it a real pointer. */
static const unsigned char empty[1];

/* The HMAC implementation, fetched once: HMAC() fetches it again on every
 * call, a lock and a search of the provider store per webhook. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void) { hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL); }

/* out = HMAC with the digest named digest (an OpenSSL name, "SHA256") of
 * msg under key; outlen is the digest's length. 0, or -1 with out zeroed. */
static int hmac(const char *digest, const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char *out,
                size_t outlen)
{
    pthread_once(&hmac_once, hmac_fetch);
    EVP_MAC_CTX *ctx = hmac_impl ? EVP_MAC_CTX_new(hmac_impl) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
                           OSSL_PARAM_construct_end()};
    size_t len = 0;
    int ok = ctx && EVP_MAC_init(ctx, key ? key : empty, keylen, params) &&
             EVP_MAC_update(ctx, msg ? msg : empty, msglen) && EVP_MAC_final(ctx, out, &len, outlen) && len == outlen;
    EVP_MAC_CTX_free(ctx);
    if (!ok) memset(out, 0, outlen);
    return ok ? 0 : -1;
}

int pc_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA1_LEN])
{
    return hmac("SHA1", key, keylen, msg, msglen, out, PC_SHA1_LEN);
}

int pc_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA256_LEN])
{
    return hmac("SHA256", key, keylen, msg, msglen, out, PC_SHA256_LEN);
}

int pc_sha256(const void *msg, size_t msglen, unsigned char out[PC_SHA256_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(msg ? msg : empty, msglen, out, &len, EVP_sha256(), NULL) || len != PC_SHA256_LEN) {
        memset(out, 0, PC_SHA256_LEN);
        return -1;
    }
    return 0;
}

int pc_base64(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    /* EVP_EncodeBlock takes an int length; our inputs are digests. */
    if (n > 3 * (size_t)0x1fffffff || outlen < PC_BASE64_LEN(n) + 1) {
        if (outlen) out[0] = '\0';
        return -1;
    }
    int w = EVP_EncodeBlock((unsigned char *)out, in ? in : empty, (int)n);
    out[w] = '\0';
    return w;
}

int pc_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) return 0;
    if (alen == 0) return 1;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

int pc_hex_equal(const char *expected_lower, const char *given, size_t given_len)
{
    size_t n = strlen(expected_lower);
    if (n == 0 || n != given_len || n > 128) return 0; /* digests only: SHA-512 is 128 hex characters */
    char folded[128];
    for (size_t i = 0; i < n; i++) {
        char c = given[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
        folded[i] = c;
    }
    return CRYPTO_memcmp(expected_lower, folded, n) == 0;
}

int pc_md5(const void *msg, size_t msglen, unsigned char out[PC_MD5_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(msg ? msg : empty, msglen, out, &len, EVP_md5(), NULL) || len != PC_MD5_LEN) {
        memset(out, 0, PC_MD5_LEN);
        return -1;
    }
    return 0;
}

int pc_hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_MD5_LEN])
{
    return hmac("MD5", key, keylen, msg, msglen, out, PC_MD5_LEN);
}

int pc_hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[PC_SHA512_LEN])
{
    return hmac("SHA512", key, keylen, msg, msglen, out, PC_SHA512_LEN);
}

int pc_sha1(const void *msg, size_t msglen, unsigned char out[PC_SHA1_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(msg ? msg : empty, msglen, out, &len, EVP_sha1(), NULL) || len != PC_SHA1_LEN) {
        memset(out, 0, PC_SHA1_LEN);
        return -1;
    }
    return 0;
}
