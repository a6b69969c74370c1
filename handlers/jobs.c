/* handlers/jobs.c - the policy engine's timed jobs (see jobs.h). */
#include "jobs.h"

int jobs_run(const struct h_env *env, int64_t now, struct h_replies *out, char *err, size_t errlen)
{
    (void)env, (void)now, (void)out, (void)err, (void)errlen;
    return 0;
}
