/* core/store_rows.c - the store port's functions that need no backend:
 * the region-path rule and the freeing of rows the store handed out. Their
 * contracts are in core/store*.h. */
#include <stdlib.h>
#include <string.h>

#include "store.h"

int db_path_under(const char *path, const char *ancestor)
{
    if (!path || !ancestor || !*ancestor) return 0;
    size_t n = strlen(ancestor);
    if (strncmp(path, ancestor, n) != 0) return 0;
    return path[n] == '\0' || path[n] == '/';
}

void store_send_clear(struct store_send *r)
{
    free(r->channel);
    free(r->recipient);
    free(r->tmpl);
    free(r->vars_json);
    free(r->body);
    free(r->kind);
}

void store_sends_free(struct store_send *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) store_send_clear(&rows[i]);
    free(rows);
}

void store_media_rows_free(struct store_media *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].channel);
        free(rows[i].url);
        free(rows[i].case_number);
    }
    free(rows);
}

void db_call_clear(struct db_call *c)
{
    if (!c) return;
    free(c->last_doc);
    memset(c, 0, sizeof *c);
}
