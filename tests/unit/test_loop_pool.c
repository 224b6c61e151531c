/* src/loop thread pool on a real libuv loop: every job's work() runs off the loop
 * thread, done() runs on it in submission order per thread, more jobs than threads
 * queue, close joins the threads and fires on_closed from the close callback, and the
 * bad thread counts are refused with a message. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "loop/loop_pool.h"

#define N_JOBS 64

typedef struct job {
  loop_pool_job pj;
  int idx;
  pthread_t ran_on;
  int done_on_loop;
} job;

static pthread_t loop_thread;
static atomic_int running, max_running;
static int n_done, closed;
static int done_order[N_JOBS];

static void work(loop_pool_job *pj) {
  job *j = pj->data;
  int r = atomic_fetch_add(&running, 1) + 1;
  int m = atomic_load(&max_running);
  while (r > m && !atomic_compare_exchange_weak(&max_running, &m, r)) {
  }
  j->ran_on = pthread_self();
  usleep(2000);
  atomic_fetch_sub(&running, 1);
}

static void done(loop_pool_job *pj) {
  job *j = pj->data;
  j->done_on_loop = pthread_equal(pthread_self(), loop_thread);
  done_order[n_done++] = j->idx;
}

static void on_closed(loop_pool *p) {
  closed++;
  free(p);
}

static void test_jobs_and_close(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  loop_thread = pthread_self();
  loop_pool *p = malloc(sizeof *p); /* freed in on_closed, as an owner would */
  al_err err;
  al_err_clear(&err);
  CHECK(loop_pool_init(p, &loop, 3, &err) == 0);
  static job jobs[N_JOBS];
  for (int i = 0; i < N_JOBS; i++) {
    jobs[i] = (job){.idx = i};
    jobs[i].pj = (loop_pool_job){.work = work, .done = done, .data = &jobs[i]};
    loop_pool_submit(p, &jobs[i].pj);
  }
  CHECK_EQ_INT(p->outstanding, N_JOBS);
  while (n_done < N_JOBS) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(p->outstanding, 0);
  CHECK(atomic_load(&max_running) >= 2); /* jobs overlapped */
  CHECK(atomic_load(&max_running) <= 3); /* never more than the threads */
  int seen[N_JOBS] = {0};
  for (int i = 0; i < N_JOBS; i++) {
    CHECK(jobs[i].done_on_loop);
    CHECK(!pthread_equal(jobs[i].ran_on, loop_thread));
    seen[done_order[i]]++;
  }
  for (int i = 0; i < N_JOBS; i++) CHECK_EQ_INT(seen[i], 1);
  loop_pool_close(p, on_closed);
  CHECK_EQ_INT(closed, 0); /* only from the close callback */
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(closed, 1);
  CHECK_EQ_INT(uv_loop_close(&loop), 0); /* no handle left behind */
}

static void test_bad_sizes(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  loop_pool p;
  al_err err;
  al_err_clear(&err);
  CHECK(loop_pool_init(&p, &loop, 0, &err) == -1);
  CHECK_CONTAINS(err.msg, "thread pool: 0 threads asked, 1-1024 allowed");
  CHECK(loop_pool_init(&p, &loop, LOOP_POOL_MAX_THREADS + 1, &err) == -1);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void) {
  RUN(test_jobs_and_close);
  RUN(test_bad_sizes);
  return TEST_REPORT();
}
