/* Byte-level BPE encode throughput (tokenizer.json or tiktoken rank file), one document
 * per call on THREADS threads (default 1), on a corpus built like bench/lib/corpora.sh
 * (<corpus> plus <corpus>.docs with "<bytes>\t<path>" per document); best of PASSES.
 *
 *   bench_hf TOKENIZERS_DIR CORPUS [PASSES] [THREADS]
 *
 * Prints "RESULT ours_mb_s <MB/s>", "RESULT ours_tokens <ids per pass>" and
 * "RESULT ours_ids_hash <hash>", the same hash bench/peers/hf_speed_peer.js prints, so
 * equal hashes mean identical ids. add_special_tokens is true on both sides. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "common/al.h"

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long l = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)l + 1);
  if (!b || fread(b, 1, (size_t)l, f) != (size_t)l) { fclose(f); free(b); return NULL; }
  fclose(f);
  b[l] = 0;
  *n = (size_t)l;
  return b;
}

/* The documents are handed out one at a time; each thread keeps its own encoder (its
 * piece cache persists over passes, as a worker's does over tasks). */
typedef struct run {
  const al_tok_bpe *t;
  const char *corpus;
  const size_t *len, *off;
  size_t nd;
  al_tok_ids *out; /* one per document */
  atomic_size_t next;
  atomic_int failed;
} run;

typedef struct worker {
  run *r;
  al_tok_encoder *e; /* kept over passes */
} worker;

static void *encode_docs(void *arg) {
  worker *w = arg;
  run *r = w->r;
  al_tok_encoder *e = w->e;
  al_err err = {0};
  for (size_t d; (d = atomic_fetch_add(&r->next, 1)) < r->nd;) {
    /* encoded into this thread's own copy: the length is written for every piece, and
     * neighbouring documents' lengths share cache lines */
    al_tok_ids ids = r->out[d];
    int rc = al_tok_encode(e, r->corpus + r->off[d], r->len[d], true, TOK_NO_LIMIT, &ids, &err);
    r->out[d] = ids;
    if (rc < 0) {
      fprintf(stderr, "%s\n", err.msg);
      atomic_store(&r->failed, 1);
      break;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_hf TOKENIZERS_DIR CORPUS [PASSES] [THREADS]\n");
    return 2;
  }
  int passes = argc > 3 ? atoi(argv[3]) : 1;
  int threads = argc > 4 ? atoi(argv[4]) : 1;
  if (passes < 1 || threads < 1 || threads > 256) {
    fprintf(stderr, "bench_hf: PASSES >= 1 and THREADS in [1, 256]\n");
    return 2;
  }
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(argv[1], &err);
  if (!t) { fprintf(stderr, "%s\n", err.msg); return 1; }
  size_t n, dn;
  char *corpus = slurp(argv[2], &n);
  char *dpath = al_xasprintf("%s.docs", argv[2]);
  char *docs = slurp(dpath, &dn);
  if (!corpus || !docs) { fprintf(stderr, "cannot read %s or %s\n", argv[2], dpath); return 1; }
  size_t *len = NULL, *off = NULL, nd = 0, at = 0;
  for (char *p = docs; *p; ) {
    len = al_xrealloc(len, (nd + 1) * sizeof *len);
    off = al_xrealloc(off, (nd + 1) * sizeof *off);
    len[nd] = strtoull(p, &p, 10);
    off[nd] = at;
    at += len[nd++];
    p = strchr(p, '\n');
    if (!p) break;
    p++;
  }
  if (at > n) { fprintf(stderr, "%s: documents add up to %zu bytes, the corpus has %zu\n", dpath, at, n); return 1; }
  run r = {.t = t, .corpus = corpus, .len = len, .off = off, .nd = nd};
  r.out = al_xcalloc(nd ? nd : 1, sizeof *r.out);
  pthread_t *tid = al_xcalloc((size_t)threads, sizeof *tid);
  worker *w = al_xcalloc((size_t)threads, sizeof *w);
  for (int i = 0; i < threads; i++) w[i] = (worker){&r, al_tok_encoder_new(t, 0)};
  double best = 1e30;
  for (int pass = 0; pass < passes; pass++) {
    atomic_store(&r.next, 0);
    atomic_store(&r.failed, 0);
    double t0 = al_mono_s();
    for (int i = 1; i < threads; i++)
      if (pthread_create(&tid[i], NULL, encode_docs, &w[i]) != 0) { fprintf(stderr, "bench_hf: pthread_create failed\n"); return 1; }
    encode_docs(&w[0]);
    for (int i = 1; i < threads; i++) pthread_join(tid[i], NULL);
    double dt = al_mono_s() - t0;
    if (atomic_load(&r.failed)) return 1;
    if (dt < best) best = dt;
  }
  /* ids in document order, hashed outside the timed passes */
  uint64_t tokens = 0;
  uint32_t hash = 2166136261u;
  for (size_t d = 0; d < nd; d++) {
    tokens += r.out[d].len;
    for (size_t i = 0; i < r.out[d].len; i++) hash = (hash ^ (uint32_t)r.out[d].v[i]) * 16777619u;
    al_tok_ids_free(&r.out[d]);
  }
  printf("RESULT ours_mb_s %.3f\nRESULT ours_tokens %llu\nRESULT ours_ids_hash %08x\nRESULT ours_threads %d\n",
         (double)n / 1e6 / best, (unsigned long long)tokens, hash, threads);
  free(r.out);
  for (int i = 0; i < threads; i++) al_tok_encoder_free(w[i].e);
  free(w);
  free(tid);
  al_tok_bpe_free(t);
  free(len);
  free(off);
  free(corpus);
  free(docs);
  free(dpath);
  return 0;
}
