/* loop_pool: a fixed set of threads owned by one component, running blocking work and
 * reporting completion on its uv_loop. Prefix: loop_.
 *
 * Why not uv_queue_work: libuv's pool is process-wide and sized once from the
 * UV_THREADPOOL_SIZE environment variable, so a component needing N concurrent slots
 * would have to setenv() in its host's process (and share the pool with everything
 * else on it). A loop_pool is sized by its owner, explicitly, and belongs to it.
 *
 * Life cycle (loop thread only, except work()): loop_pool_init -> loop_pool_submit ... ->
 * loop_pool_close once no submitted job is outstanding -> on_closed fires from the async
 * handle's close callback, after which the owner may free the struct. Jobs run in
 * submission order on the first idle thread; done() runs on the loop thread. The queue
 * is bounded by the owner (it submits at most as many jobs as it has slots). */
#ifndef AL_LOOP_LOOP_POOL_H
#define AL_LOOP_LOOP_POOL_H

#include <pthread.h>
#include <uv.h>

#include "common/al.h"

#define LOOP_POOL_MAX_THREADS 1024

typedef struct loop_pool_job {
  void (*work)(struct loop_pool_job *j); /* on a pool thread */
  void (*done)(struct loop_pool_job *j); /* on the loop thread, after work() returned */
  struct loop_pool_job *next;            /* the pool's */
  void *data;                            /* owner's pointer */
} loop_pool_job;

typedef struct loop_pool {
  uv_async_t async;            /* wakes the loop when jobs are done */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  loop_pool_job *queued, *queued_tail, *done; /* guarded by mu */
  pthread_t *threads;
  unsigned n_threads;
  unsigned outstanding;        /* submitted, done() not yet called (loop thread) */
  int quit;                    /* guarded by mu */
  void (*on_closed)(struct loop_pool *p);
  void *data;                  /* owner's pointer */
} loop_pool;

/* Starts threads (1..LOOP_POOL_MAX_THREADS) and the async handle on loop. Returns 0, or
 * -1 with err (nothing left to close). The struct is the caller's (embedded). */
int loop_pool_init(loop_pool *p, uv_loop_t *loop, unsigned threads, al_err *err);
/* Queues j (borrowed until its done() runs). */
void loop_pool_submit(loop_pool *p, loop_pool_job *j);
/* Stops and joins the threads (none may hold a job: outstanding must be 0), closes the
 * async handle; on_closed (may be NULL) fires from its close callback. */
void loop_pool_close(loop_pool *p, void (*on_closed)(loop_pool *p));

#endif
