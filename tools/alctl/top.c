/* alctl top: a live view of workers and jobs, redrawn every interval until Ctrl-C (or
 * --iterations). Each frame is built in memory and written at once so the terminal
 * never shows a half-drawn screen. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alctl.h"
#include "cli/cli_render.h"
#include "common/al.h"

/* Jobs shown per frame (the most recent ones). */
#define TOP_MAX_JOBS 20u

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void frame_text(FILE *f, const alctl_ctx *ctx, const char *now, const al_worker_list *ws,
                       const al_job_list *js, bool tty) {
  if (tty) fputs("\033[H\033[2J", f); /* cursor home, clear screen */
  size_t running = 0;
  for (size_t i = 0; i < js->n; i++) running += strcmp(js->v[i].status, "running") == 0;
  fprintf(f, "auralith top - coordinator %s - %s (every %gs, Ctrl-C quits)\n", al_address(ctx->client), now,
          ctx->interval_s);
  fprintf(f, "Workers: %zu (%zu active)   Jobs shown: %zu (%zu running)\n\n", ws->n, cli_active_workers(ws),
          js->n, running);
  cli_render_workers_table(f, ws);
  fputc('\n', f);
  cli_render_jobs_table(f, js);
  if (!tty) fputc('\n', f);
}

int alctl_top(alctl_ctx *ctx) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  bool tty = isatty(STDOUT_FILENO) && !ctx->json;
  int rc = 0;
  for (long it = 0; !g_stop && (ctx->iterations < 0 || it < ctx->iterations); it++) {
    if (it > 0) { /* sleep the interval, waking at once on a signal */
      double until = al_mono_s() + ctx->interval_s;
      while (!g_stop) {
        double left = until - al_mono_s();
        if (left <= 0) break;
        poll(NULL, 0, (int)(left * 1000.0) + 1);
      }
      if (g_stop) break;
    }
    al_err err;
    al_worker_list ws;
    al_job_list js;
    if (al_list_workers(ctx->client, &ws, &err) != 0) {
      rc = alctl_fail(&err);
      break;
    }
    if (al_list_jobs(ctx->client, TOP_MAX_JOBS, &js, &err) != 0) {
      al_worker_list_free(&ws);
      rc = alctl_fail(&err);
      break;
    }
    char now[48];
    al_iso_now(now, sizeof now);
    if (ctx->json) {
      json_t *o = json_object();
      json_object_set_new(o, "time", json_string(now));
      json_object_set_new(o, "workers", cli_workers_json(&ws));
      json_object_set_new(o, "jobs", cli_jobs_json(&js));
      cli_json_print_line(stdout, o);
    } else {
      char *buf = NULL;
      size_t len = 0;
      FILE *mem = open_memstream(&buf, &len);
      if (mem) {
        frame_text(mem, ctx, now, &ws, &js, tty);
        fclose(mem);
        fwrite(buf, 1, len, stdout);
        free(buf);
      }
    }
    fflush(stdout);
    al_worker_list_free(&ws);
    al_job_list_free(&js);
  }
  return rc;
}
