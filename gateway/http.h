/* gateway/http.h - the HTTP server: webhooks, health and metrics on
 * libmicrohttpd (http_mhd.c). The server speaks HTTP; the route table
 * (routes.h) decides what a request means and what is answered; providers
 * translate; the store writer stores. A webhook is answered only after its
 * messages are committed (its connection is suspended meanwhile, so no
 * HTTP thread waits on a disk). */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include "../core/config.h"
#include "metrics.h"
#include "writer.h"

struct http_server;

/* Starts listening on cfg->listen_host:listen_port (port 0 picks a free
 * port), with one client address limited to max_connections_per_ip
 * connections and every request to request_timeout seconds to arrive
 * whole. Raises the process's open-file soft limit to its hard limit (each
 * connection is a descriptor). Returns 0 and *out, or -1 with err. */
int http_start(const struct gw_config *cfg, struct writer *w, struct metrics *m, struct http_server **out, char *err,
               size_t errlen);
int http_port(const struct http_server *s);
/* From now on new requests are answered 503 (providers retry); requests
 * in progress go on. */
void http_quiesce(struct http_server *s);
/* Requests received and not yet answered. */
int http_active(struct http_server *s);
/* Stops the server, writes the log summaries still pending and frees it.
 * Every suspended request must have been resumed (stop the writer's intake
 * and drain it first). NULL is a no-op. */
void http_stop(struct http_server *s);

#endif
