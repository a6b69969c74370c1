/* tests/bench/bare.c - the yardstick for `make bench`: a bare
 * libmicrohttpd responder with the gateway's threading model (internal
 * polling, a pool of 2 threads) that reads each body and answers 200 at
 * once, storing nothing. The gateway's throughput is reported as a ratio
 * of this one's on the same machine in the same run. Its answer also
 * passes for a send API's (generic "id", Twilio "sid"), so the outbound
 * benchmark delivers to it. */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
    size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*con_cls) {
        *con_cls = calloc(1, sizeof(struct body));
        return MHD_YES;
    }
    struct body *b = *con_cls;
    if (*size) {
        b->len += *size;
        *size = 0;
        return MHD_YES;
    }
    static const char ok[] = "{\"ok\":true,\"id\":\"bare-1\",\"sid\":\"SMbare\"}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof ok - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    free(*con_cls);
    *con_cls = NULL;
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
                                            on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                                            MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_LIMIT, 4000u,
                                            MHD_OPTION_END);
    if (!d) return 1;
    printf("listening on 127.0.0.1:%u\n", MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
