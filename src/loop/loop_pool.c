/* A component-owned thread pool reporting on a uv_loop (see loop_pool.h). */
#include "loop/loop_pool.h"

#include <stdlib.h>
#include <string.h>

static void *thread_main(void *arg) {
  loop_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->queued && !p->quit) pthread_cond_wait(&p->cv, &p->mu);
    if (!p->queued) break; /* quit and nothing left */
    loop_pool_job *j = p->queued;
    p->queued = j->next;
    if (!p->queued) p->queued_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    j->work(j);
    pthread_mutex_lock(&p->mu);
    j->next = p->done;
    p->done = j;
    uv_async_send(&p->async); /* coalesced by libuv: one callback may collect many */
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Loop thread: runs done() of every finished job, oldest first. */
static void on_async(uv_async_t *a) {
  loop_pool *p = a->data;
  pthread_mutex_lock(&p->mu);
  loop_pool_job *l = p->done;
  p->done = NULL;
  pthread_mutex_unlock(&p->mu);
  loop_pool_job *rev = NULL; /* the list is newest first */
  while (l) {
    loop_pool_job *n = l->next;
    l->next = rev;
    rev = l;
    l = n;
  }
  while (rev) {
    loop_pool_job *n = rev->next;
    rev->next = NULL;
    p->outstanding--;
    rev->done(rev);
    rev = n;
  }
}

int loop_pool_init(loop_pool *p, uv_loop_t *loop, unsigned threads, al_err *err) {
  memset(p, 0, sizeof *p);
  if (threads == 0 || threads > LOOP_POOL_MAX_THREADS)
    return al_err_set(err, AL_E_FAILED, "thread pool: %u threads asked, 1-%d allowed", threads, LOOP_POOL_MAX_THREADS);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->threads = al_xcalloc(threads, sizeof *p->threads);
  for (unsigned i = 0; i < threads; i++) {
    int rc = pthread_create(&p->threads[i], NULL, thread_main, p);
    if (rc != 0) {
      pthread_mutex_lock(&p->mu);
      p->quit = 1;
      pthread_cond_broadcast(&p->cv);
      pthread_mutex_unlock(&p->mu);
      for (unsigned k = 0; k < i; k++) pthread_join(p->threads[k], NULL);
      free(p->threads);
      pthread_cond_destroy(&p->cv);
      pthread_mutex_destroy(&p->mu);
      return al_err_set(err, AL_E_FAILED, "thread pool: cannot start thread %u of %u: %s", i + 1, threads, strerror(rc));
    }
    p->n_threads++;
  }
  uv_async_init(loop, &p->async, on_async);
  p->async.data = p;
  return 0;
}

void loop_pool_submit(loop_pool *p, loop_pool_job *j) {
  j->next = NULL;
  p->outstanding++;
  pthread_mutex_lock(&p->mu);
  if (p->queued_tail) p->queued_tail->next = j;
  else p->queued = j;
  p->queued_tail = j;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

static void async_closed(uv_handle_t *h) {
  loop_pool *p = h->data;
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  if (p->on_closed) p->on_closed(p);
}

void loop_pool_close(loop_pool *p, void (*on_closed)(loop_pool *p)) {
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
  free(p->threads);
  p->threads = NULL;
  p->n_threads = 0;
  p->on_closed = on_closed;
  uv_close((uv_handle_t *)&p->async, async_closed);
}
