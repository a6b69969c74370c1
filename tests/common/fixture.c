/* tests/common/fixture.c - the .http fixture loader (format in fixture.h). */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../core/util.h"

/* A cursor over the file's bytes. */
struct cur {
    const char *p;
    size_t len;
    size_t pos;
};

/* Returns the next line (without "\n" / "\r\n") and advances; *eof is set
 * when no line was left. */
static struct gw_str next_line(struct cur *c, int *eof)
{
    struct gw_str s = {c->p + c->pos, 0};
    *eof = c->pos >= c->len;
    if (*eof) return s;
    const char *nl = memchr(s.p, '\n', c->len - c->pos);
    size_t n = nl ? (size_t)(nl - s.p) : c->len - c->pos;
    c->pos += n + (nl ? 1 : 0);
    if (n && s.p[n - 1] == '\r') n--;
    s.len = n;
    return s;
}

static struct gw_str trim(struct gw_str s)
{
    while (s.len && (*s.p == ' ' || *s.p == '\t')) s.p++, s.len--;
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t')) s.len--;
    return s;
}

static int has_nul(struct gw_str s) { return memchr(s.p, '\0', s.len) != NULL; }

/* "# key: value" -> 1 with key and value set; 0 for any other comment. */
static int expectation(struct gw_str line, struct gw_str *key, struct gw_str *value)
{
    if (line.len < 2 || line.p[0] != '#' || line.p[1] != ' ') return 0;
    size_t i = 2;
    while (i < line.len && (line.p[i] == '-' || line.p[i] == '_' || (line.p[i] >= 'a' && line.p[i] <= 'z') ||
                            (line.p[i] >= 'A' && line.p[i] <= 'Z') || (line.p[i] >= '0' && line.p[i] <= '9')))
        i++;
    if (i == 2 || i >= line.len || line.p[i] != ':') return 0;
    key->p = line.p + 2;
    key->len = i - 2;
    value->p = line.p + i + 1;
    value->len = line.len - i - 1;
    if (value->len && value->p[0] == ' ') value->p++, value->len--; /* "key: value" keeps the rest verbatim */
    return 1;
}

static char *read_file(const char *file, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        gw_err(err, errlen, "%s: %s", file, strerror(errno));
        return NULL;
    }
    char *buf = gw_malloc(FIXTURE_MAX_BYTES + 1);
    size_t n = fread(buf, 1, FIXTURE_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > FIXTURE_MAX_BYTES) {
        gw_err(err, errlen, "%s: %s", file, bad ? "read error" : "file too large");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int fixture_load(const char *file, struct fixture *fx, char *err, size_t errlen)
{
    size_t len = 0;
    memset(fx, 0, sizeof *fx);
    char *data = read_file(file, &len, err, errlen);
    if (!data) return -1;
    fx->file = gw_strdup(file);
    struct cur c = {data, len, 0};
    struct gw_str line;
    int eof;

    /* 1. expectations and comments */
    for (;;) {
        size_t at = c.pos;
        line = next_line(&c, &eof);
        if (eof) {
            gw_err(err, errlen, "%s: no request line", file);
            goto fail;
        }
        if (line.len == 0) continue;
        if (line.p[0] != '#') {
            c.pos = at;
            break;
        }
        struct gw_str k, v;
        if (!expectation(line, &k, &v)) continue;
        if (fx->nexpect == FIXTURE_MAX_EXPECT || has_nul(v)) {
            gw_err(err, errlen, "%s: too many expectations or NUL in one", file);
            goto fail;
        }
        fx->expect = gw_realloc(fx->expect, (fx->nexpect + 1) * sizeof *fx->expect);
        fx->expect[fx->nexpect].key = gw_strndup(k.p, k.len);
        fx->expect[fx->nexpect].value = gw_strndup(v.p, v.len);
        fx->nexpect++;
    }

    /* 2. request line */
    line = next_line(&c, &eof);
    const char *sp1 = memchr(line.p, ' ', line.len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', line.len - (size_t)(sp1 + 1 - line.p)) : NULL;
    if (!sp1 || !sp2 || sp1 == line.p || sp2 == sp1 + 1 || sp1[1] != '/' || has_nul(line) ||
        (size_t)(line.p + line.len - sp2 - 1) < 5 || strncmp(sp2 + 1, "HTTP/", 5)) {
        gw_err(err, errlen, "%s: bad request line", file);
        goto fail;
    }
    fx->method = gw_strndup(line.p, (size_t)(sp1 - line.p));
    fx->target = gw_strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    char *q = strchr(fx->target, '?');
    fx->path = gw_strndup(fx->target, q ? (size_t)(q - fx->target) : strlen(fx->target));
    fx->query = gw_strdup(q ? q + 1 : "");

    /* 3. headers up to the empty line (or the end of the file) */
    for (;;) {
        line = next_line(&c, &eof);
        if (eof || line.len == 0) break;
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon || colon == line.p || has_nul(line) || fx->nheaders == FIXTURE_MAX_HEADERS) {
            gw_err(err, errlen, "%s: bad header line", file);
            goto fail;
        }
        struct gw_str v = trim((struct gw_str){colon + 1, line.len - (size_t)(colon + 1 - line.p)});
        fx->headers = gw_realloc(fx->headers, (fx->nheaders + 1) * sizeof *fx->headers);
        fx->headers[fx->nheaders].key = gw_strndup(line.p, (size_t)(colon - line.p));
        fx->headers[fx->nheaders].value = gw_strndup(v.p, v.len);
        fx->nheaders++;
    }

    /* 4. body */
    size_t blen = len - c.pos;
    const char *keep = fixture_expect(fx, "body-trailing-newline");
    if (!(keep && !strcmp(keep, "yes")) && blen && data[c.pos + blen - 1] == '\n') {
        blen--;
        if (blen && data[c.pos + blen - 1] == '\r') blen--;
    }
    fx->body = gw_malloc(blen + 1);
    memcpy(fx->body, data + c.pos, blen);
    fx->body[blen] = '\0';
    fx->body_len = blen;

    const char *cl = fixture_header(fx, "Content-Length");
    if (cl) {
        long v;
        if (gw_parse_long(cl, 0, FIXTURE_MAX_BYTES, &v) < 0 || (size_t)v != blen) {
            gw_err(err, errlen, "%s: Content-Length %s does not match the body (%zu bytes)", file, cl, blen);
            goto fail;
        }
    }
    const char *pub = fixture_expect(fx, "public_url");
    struct gw_buf url = {0};
    gw_buf_puts(&url, pub ? pub : FIXTURE_DEFAULT_PUBLIC_URL);
    gw_buf_puts(&url, fx->target);
    fx->url = gw_buf_steal(&url);
    free(data);
    return 0;
fail:
    free(data);
    fixture_free(fx);
    return -1;
}

static void free_kvs(struct fixture_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void fixture_free(struct fixture *fx)
{
    if (!fx) return;
    free(fx->file);
    free_kvs(fx->expect, fx->nexpect);
    free(fx->method);
    free(fx->target);
    free(fx->path);
    free(fx->query);
    free_kvs(fx->headers, fx->nheaders);
    free(fx->body);
    free(fx->url);
    memset(fx, 0, sizeof *fx);
}

const char *fixture_expect(const struct fixture *fx, const char *key)
{
    for (size_t i = 0; i < fx->nexpect; i++)
        if (!strcmp(fx->expect[i].key, key)) return fx->expect[i].value;
    return NULL;
}

const char *fixture_header(const struct fixture *fx, const char *name)
{
    for (size_t i = 0; i < fx->nheaders; i++)
        if (!strcasecmp(fx->headers[i].key, name)) return fx->headers[i].value;
    return NULL;
}

static const char *request_header(const struct prov_request *req, const char *name)
{
    return fixture_header(req->impl, name);
}

void fixture_request(const struct fixture *fx, struct prov_request *req)
{
    memset(req, 0, sizeof *req);
    req->method = fx->method;
    req->url = fx->url;
    req->query = fx->query;
    req->content_type = fixture_header(fx, "Content-Type");
    req->body = fx->body;
    req->body_len = fx->body_len;
    req->header = request_header;
    req->impl = (void *)fx;
    req->now = FIXTURE_NOW;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int fixture_list(const char *dir, char ***out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        gw_err(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".http")) continue;
        struct gw_buf b = {0};
        gw_buf_printf(&b, "%s/%s", dir, e->d_name);
        *out = gw_realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = gw_buf_steal(&b);
    }
    closedir(d);
    if (*n > 1) qsort(*out, *n, sizeof **out, cmp_str);
    return 0;
}

void fixture_list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

const char *fixture_root(void)
{
    const char *d = getenv("FIXTURE_DIR");
    return d && *d ? d : "tests/fixtures";
}
