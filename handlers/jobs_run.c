/* handlers/jobs_run.c - jobs_run (see jobs.h): one run of the timed jobs
 * calls each in turn (re-alerts, visit reminders, check-in reminders, the
 * triage digest) with the run's calendar context, then forgets spent
 * sign-in codes and sessions (session_purge). What they share is in
 * jobs.c, below them. */
#include "jobs.h"

#include <stdlib.h>
#include <time.h>

#include "../core/calendar.h"
#include "../core/util.h"
#include "jobs_int.h"
#include "session.h"

int jobs_run(const struct h_env *env, int64_t now, struct h_replies *out, char *err, size_t errlen)
{
    struct jobs_run run = {.env = env, .now = now, .out = out, .err = err, .errlen = errlen};
    if (errlen) err[0] = '\0';
    time_t t = (time_t)now;
    struct tm tm;
    if ((int64_t)t != now || !localtime_r(&t, &tm)) {
        gw_err(err, errlen, "jobs: time %lld out of range", (long long)now);
        return -1;
    }
    run.today = cal_local_day(now);
    run.day_start = cal_local_midnight(run.today);
    run.day_end = cal_local_midnight(run.today + 1);
    run.minute = tm.tm_hour * 60 + tm.tm_min;
    cal_date_iso(run.today, run.today_iso, sizeof run.today_iso);
    run.staff_digests = jobs_staff_digest_time(&run);
    run.tally = jobs_tally_new();
    int rc = jobs_realert(&run) == 0 && jobs_visits(&run) == 0 && jobs_checkins(&run) == 0 && jobs_triage(&run) == 0
                 ? 0
                 : -1;
    if (rc == 0 && session_purge(env->st, now) < 0) rc = jobs_fail(&run, "sign-in purge");
    jobs_tally_free(run.tally);
    return rc;
}
