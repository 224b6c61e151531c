/* Lists the workers and jobs of a running coordinator through the installed client
 * library.
 *
 *   cc list_workers.c -o list_workers $(pkg-config --cflags --libs auralith)
 *   ./list_workers 127.0.0.1:8080
 *
 * The address defaults to $AURALITH_COORDINATOR, then 127.0.0.1:8080; an auth token is
 * taken from $AURALITH_AUTH_TOKEN. Exits 1 with one line on stderr on any error. */
#include <stdio.h>

#include <auralith/client.h>

int main(int argc, char **argv) {
  const char *address = argc > 1 ? argv[1] : NULL;
  al_err err;
  al_client *c = al_connect(address, AL_ROLE_ADMIN, NULL, 5.0, &err);
  if (!c) {
    fprintf(stderr, "list_workers: %s\n", err.msg);
    return 1;
  }
  al_worker_list workers;
  if (al_list_workers(c, &workers, &err) != 0) {
    fprintf(stderr, "list_workers: %s\n", err.msg);
    al_close(c);
    return 1;
  }
  printf("%zu worker(s) on %s (%s)\n", workers.n, al_address(c), al_server_version(c));
  for (size_t i = 0; i < workers.n; i++) {
    const al_worker *w = &workers.v[i];
    printf("  %s: %s, %u/%u slots busy, CPU=%.1f%% Memory=%.1f%%\n", w->id, w->state, w->running, w->slots,
           w->cpu_percent, w->mem_percent);
  }
  al_worker_list_free(&workers);

  al_job_list jobs;
  if (al_list_jobs(c, 10, &jobs, &err) == 0) {
    for (size_t i = 0; i < jobs.n; i++) {
      al_metrics m;
      al_metrics_from_job(&jobs.v[i], &m);
      printf("  job %s: %s, %.1f%% done, %llu failed\n", jobs.v[i].id, jobs.v[i].status, m.throughput,
             (unsigned long long)m.failed_tasks);
    }
    al_job_list_free(&jobs);
  }
  al_close(c);
  return 0;
}
