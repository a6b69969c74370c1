/* tests/common/streams.c - memory streams standing in for stdout and stderr. */
#include "streams.h"

#include <stdlib.h>
#include <string.h>

void streams_open(struct streams *s)
{
    memset(s, 0, sizeof *s);
    s->o = open_memstream(&s->out, &s->outn);
    s->e = open_memstream(&s->err, &s->errn);
}

void streams_close(struct streams *s)
{
    fclose(s->o);
    fclose(s->e);
}

void streams_free(struct streams *s)
{
    free(s->out);
    free(s->err);
}
