/* core/damm.h - Damm check digits for child codes: 6 digits and a check
 * digit that catches every single-digit error and every transposition of
 * adjacent digits. Pure functions; every layer may use them. */
#ifndef GW_DAMM_H
#define GW_DAMM_H

#include <stddef.h>

/* Returns the check digit ('0'..'9') for a string of ASCII digits of length
 * n, or '\0' when digits holds anything but ASCII digits. */
char cb_damm_digit(const char *digits, size_t n);
/* Returns 1 when s is exactly 7 ASCII digits whose Damm check is valid, else 0. */
int cb_child_code_valid(const char *s);

#endif
