/* core/damm.c - Damm check digits for child codes.
 *
 * A child code is 6 digits and a Damm check digit. The table is the
 * totally anti-symmetric quasigroup of order 10 published by H. Michael
 * Damm (2004): it catches every single-digit error and every transposition
 * of adjacent digits, and a valid code checks to 0 over all its digits.
 */
#include "damm.h"

#include <string.h>

static const unsigned char damm_table[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

/* Returns '0'..'9', or '\0' when digits holds anything but ASCII digits. */
char cb_damm_digit(const char *digits, size_t n)
{
    unsigned interim = 0;
    if (!digits && n) return '\0';
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9') return '\0';
        interim = damm_table[interim][digits[i] - '0'];
    }
    return (char)('0' + interim);
}

int cb_child_code_valid(const char *s)
{
    if (!s) return 0;
    for (int i = 0; i < 7; i++)
        if (s[i] < '0' || s[i] > '9') return 0; /* also stops at the NUL of a short string */
    return s[7] == '\0' && cb_damm_digit(s, 7) == '0';
}
