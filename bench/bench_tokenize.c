/* Encoding throughput of the text tokenizer on a file.
 *
 *   bench_tokenize TOKENIZER_DIR FILE [THREADS] [REPEAT]
 *
 * The file is read as the pipeline reads files (UTF-8 with replacement) and split into
 * THREADS contiguous parts at whitespace; each thread encodes its part through its own
 * encoder over the one shared tokenizer, REPEAT times (best time kept). Prints one
 * Markdown table line: file, MB, merges applied, threads, MB/s total (wall), MB/s per
 * thread (wall), MB/s per thread from thread CPU time (fair on a loaded machine), ids,
 * bytes per id. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auralith/tokenizer.h"
#include "common/al.h"

typedef struct part {
  const al_tok_bpe *t;
  const char *s;
  size_t n;
  int repeat;
  double best;     /* wall seconds of the fastest repetition */
  double best_cpu; /* thread CPU seconds of the fastest repetition */
  size_t ids;
} part;

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run_part(void *arg) {
  part *p = arg;
  al_tok_encoder *e = al_tok_encoder_new(p->t, 0);
  al_tok_ids ids = {0};
  al_err err = {0};
  p->best = p->best_cpu = 1e30;
  for (int r = 0; r < p->repeat; r++) {
    double t0 = al_mono_s(), c0 = cpu_now();
    al_tok_encode(e, p->s, p->n, true, TOK_NO_LIMIT, &ids, &err);
    double dt = al_mono_s() - t0, dc = cpu_now() - c0;
    if (dt < p->best) p->best = dt;
    if (dc < p->best_cpu) p->best_cpu = dc;
  }
  p->ids = ids.len;
  al_tok_ids_free(&ids);
  al_tok_encoder_free(e);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s TOKENIZER_DIR FILE [THREADS] [REPEAT]\n", argv[0]);
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 1;
  int repeat = argc > 4 ? atoi(argv[4]) : 3;
  if (threads < 1 || threads > 256 || repeat < 1) {
    fprintf(stderr, "THREADS must be 1..256 and REPEAT >= 1\n");
    return 2;
  }
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(argv[1], &err);
  if (!t) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  size_t n;
  char *text = al_tok_read_text_file(argv[2], &n, &err);
  if (!text) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  part *parts = al_xcalloc((size_t)threads, sizeof *parts);
  pthread_t *th = al_xcalloc((size_t)threads, sizeof *th);
  size_t start = 0;
  for (int i = 0; i < threads; i++) {
    size_t end = i == threads - 1 ? n : n / (size_t)threads * (size_t)(i + 1);
    while (end < n && text[end] != ' ' && text[end] != '\n') end++;
    if (end < start) end = start;
    parts[i] = (part){t, text + start, end - start, repeat, 0, 0, 0};
    start = end;
  }
  double t0 = al_mono_s();
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, run_part, &parts[i]);
  size_t ids = 0;
  double slowest = 0, slowest_cpu = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    ids += parts[i].ids;
    if (parts[i].best > slowest) slowest = parts[i].best;
    if (parts[i].best_cpu > slowest_cpu) slowest_cpu = parts[i].best_cpu;
  }
  double wall = al_mono_s() - t0;
  (void)wall;
  double mb = (double)n / 1e6;
  int64_t depth = al_tok_bpe_max_merge_depth(t);
  size_t merges = al_tok_bpe_merge_count(t);
  size_t applied = depth < 0 ? 0 : (size_t)depth < merges ? (size_t)depth : merges;
  printf("| %s | %.1f | %zu/%zu | %d | %.1f | %.1f | %.1f | %zu | %.2f |\n", argv[2], mb, applied,
         merges, threads, mb / slowest, mb / slowest / threads, mb / threads / slowest_cpu,
         ids, ids ? (double)n / (double)ids : 0.0);
  free(parts);
  free(th);
  free(text);
  al_tok_bpe_free(t);
  return 0;
}
