/* loop_tls_filter: a TLS connection (loop_tls.h) as loop_conn's transport filter. Kept apart
 * from loop_tls.c so that the TLS record layer builds without libuv (the blocking client
 * in libauralith-client links loop_tls.c alone). Prefix: loop_.
 *
 * Use: loop_conn_set_filter(conn, &loop_tls_filter, tls); the filter's release frees
 * the TLS state (loop_tls_free) when the connection closes. */
#ifndef AL_LOOP_LOOP_TLS_FILTER_H
#define AL_LOOP_LOOP_TLS_FILTER_H

#include "loop/loop_conn.h"
#include "loop/loop_tls.h"

extern const loop_filter loop_tls_filter;

#endif
