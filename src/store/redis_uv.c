/* hiredis <-> libuv glue; see redis_uv.h for why this is not the bundled adapter. */
#include "store/redis_uv.h"

#include <stdlib.h>

#include "common/al.h"

typedef struct redis_uv {
  uv_poll_t poll;
  redisAsyncContext *ac; /* NULL once hiredis has let go of the context */
  int events;            /* UV_READABLE | UV_WRITABLE wanted by hiredis */
} redis_uv;

static void on_poll(uv_poll_t *h, int status, int events) {
  redis_uv *g = h->data;
  /* An error status means the socket has a pending error; hand hiredis the events it
   * asked for so that its own read/write path collects and reports that error. */
  if (status < 0) events = g->events ? g->events : UV_READABLE;
  if (g->ac && (events & UV_READABLE)) redisAsyncHandleRead(g->ac);
  /* the read may have freed the context (cleanup clears g->ac) */
  if (g->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(g->ac);
}

static void update(redis_uv *g) {
  if (uv_is_closing((uv_handle_t *)&g->poll)) return;
  if (g->events)
    uv_poll_start(&g->poll, g->events, on_poll);
  else
    uv_poll_stop(&g->poll);
}

static void add_read(void *p) {
  redis_uv *g = p;
  g->events |= UV_READABLE;
  update(g);
}
static void del_read(void *p) {
  redis_uv *g = p;
  g->events &= ~UV_READABLE;
  update(g);
}
static void add_write(void *p) {
  redis_uv *g = p;
  g->events |= UV_WRITABLE;
  update(g);
}
static void del_write(void *p) {
  redis_uv *g = p;
  g->events &= ~UV_WRITABLE;
  update(g);
}

static void on_closed(uv_handle_t *h) { free(h->data); }

static void cleanup(void *p) {
  redis_uv *g = p;
  g->ac = NULL;
  g->events = 0;
  uv_close((uv_handle_t *)&g->poll, on_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop) {
  redis_uv *g = al_xcalloc(1, sizeof *g);
  int rc = uv_poll_init(loop, &g->poll, ac->c.fd);
  if (rc != 0) {
    free(g);
    return rc;
  }
  g->poll.data = g;
  g->ac = ac;
  ac->ev.data = g;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  return 0;
}
