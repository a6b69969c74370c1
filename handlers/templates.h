/* handlers/templates.h - outbound message templates: built-in zh-CN texts
 * with ${var} placeholders, overridable by [template NAME] in the config. */
#ifndef TEMPLATES_H
#define TEMPLATES_H

#include <stddef.h>

#include "../core/config.h"
#include "../core/util.h"
#include "handler.h"

struct tmpl_def {
    const char *name; /* template name */
    const char *vars; /* comma-separated variable names it uses */
    const char *text; /* built-in zh-CN text with ${var} */
};

/* The built-in templates (static array of *n entries). */
const struct tmpl_def *tmpl_builtin(size_t *n);
const struct tmpl_def *tmpl_find(const char *name);

/* Renders template `name` (config override first, else built-in; cfg may be
 * NULL for built-ins only) with vars
 * into out. Returns 0, or -1 with err when the template is unknown or uses a
 * variable not given. */
int tmpl_render(const struct gw_config *cfg, const char *name, const struct h_var *vars, int nvars, struct gw_buf *out,
                char *err, size_t errlen);

/* The longest realistic value of every template variable (static array of
 * *n entries): what the start-up lint and the tests render with. */
const struct h_var *tmpl_longest_values(int *n);

/* The first word in text that names a risk category (性侵, 家暴, 溺水...:
 * the code book's category words, less the generic 危险 and 其他, plus a
 * few synonyms), or NULL when there is none. No outbound text may carry
 * one: an SMS is read by whoever holds the phone. */
const char *tmpl_category_word(const char *text);

/* Number of UTF-16 code units in s (what an SMS segment counts). */
size_t tmpl_ucs2_len(const char *s);

#endif
