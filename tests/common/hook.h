/* tests/common/hook.h - one webhook request through its channel's provider,
 * in-process, exactly as the server's route does (routes_hook_input, then
 * routes_render on 200), with what came out kept for the test to check. */
#ifndef TEST_HOOK_H
#define TEST_HOOK_H

#include "../../gateway/pipeline.h"
#include "../../providers/provider.h"

struct hook_outcome {
    int verify_rc;             /* verify's return */
    int parse_rc;              /* the parser's return (only when verify passed) */
    int status;                /* 200, 400 or 403 */
    char err[256];             /* reason of the failing (or ignoring) step */
    struct gw_msgv msgs;       /* parsed messages (SMS hook) */
    struct prov_statusv sts;   /* parsed receipts (status hook) */
    struct prov_response resp; /* the answer when status is 200 */
};

/* Runs req on ch's hook of the given kind (PIPELINE_JOB_SMS or _STATUS) and
 * fills o (zeroed first). */
void hook_run(enum pipeline_job_kind kind, const struct gw_channel *ch, const struct prov_request *req,
              struct hook_outcome *o);
/* Frees what hook_run kept; o may be run again. */
void hook_outcome_free(struct hook_outcome *o);

#endif
