/* Drives a hiredis async context from a libuv loop with one uv_poll_t.
 *
 * Why not hiredis 0.14's adapters/libuv.h: its poll callback ignores a non-zero
 * status, and libuv reports a socket error (for instance ECONNREFUSED on a
 * non-blocking connect) as exactly that, with the handle stopped. hiredis then never
 * looks at the socket, and a refused connection hangs until some timeout. Here an
 * error status is turned into the events we were waiting for, so hiredis reads the
 * socket error itself (connect callback with "Connection refused", or a disconnect).
 *
 * Ownership: redis_uv_attach allocates the glue; hiredis calls the cleanup hook when
 * the context is freed, which closes the poll handle; the glue is freed in its close
 * callback (so the loop must run once more before it is gone). */
#ifndef AL_STORE_REDIS_UV_H
#define AL_STORE_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Returns 0, or a negative libuv error code (the context is left unattached; the
 * caller frees it with redisAsyncFree). */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
