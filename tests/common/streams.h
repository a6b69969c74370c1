/* tests/common/streams.h - stdout and stderr stand-ins for a CLI command's
 * function under test: two memory streams read back as strings. */
#ifndef TEST_STREAMS_H
#define TEST_STREAMS_H

#include <stddef.h>
#include <stdio.h>

struct streams {
    char *out, *err; /* what was written, NUL-terminated after streams_close */
    size_t outn, errn;
    FILE *o, *e; /* pass these as the command's stdout and stderr */
};

void streams_open(struct streams *s);
void streams_close(struct streams *s); /* flushes: out and err are readable */
void streams_free(struct streams *s);

#endif
