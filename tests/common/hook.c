/* tests/common/hook.c - one webhook request through its provider, in-process. */
#include "hook.h"

#include <string.h>

#include "../../gateway/routes.h"
#include "fixture.h"

void hook_run(enum pipeline_job_kind kind, const struct gw_channel *ch, const struct prov_request *req,
              struct hook_outcome *o)
{
    memset(o, 0, sizeof *o);
    struct routes_call call = {0};
    o->status = routes_hook_input(ch, kind, req, &call, o->err, sizeof o->err);
    o->verify_rc = call.verify_rc;
    o->parse_rc = call.parse_rc;
    if (o->status == 200) routes_render(FIXTURE_DEFAULT_PUBLIC_URL, &call, &o->resp);
    o->msgs = call.job.msgs;
    o->sts = call.job.statuses;
    call.job.msgs = (struct gw_msgv){0};
    call.job.statuses = (struct prov_statusv){0};
    routes_call_clear(&call);
}

void hook_outcome_free(struct hook_outcome *o)
{
    gw_msgv_free(&o->msgs);
    prov_statusv_free(&o->sts);
    gw_buf_free(&o->resp.body);
}
