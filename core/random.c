/* core/random.c - random bytes over libcrypto's RAND_bytes (see random.h). */
#include "random.h"

#include <limits.h>
#include <string.h>

#include <openssl/rand.h>

int gw_random_bytes(void *buf, size_t n)
{
    if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1) {
        memset(buf, 0, n);
        return -1;
    }
    return 0;
}
