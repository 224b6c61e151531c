/* Byte-level BPE encode throughput (tokenizer.json or tiktoken rank file), one thread,
 * one document per call, on a corpus built like bench/lib/corpora.sh (<corpus> plus
 * <corpus>.docs with "<bytes>\t<path>" per document).
 *
 *   bench_hf TOKENIZERS_DIR CORPUS [PASSES]
 *
 * Prints "RESULT ours_mb_s <MB/s>", "RESULT ours_tokens <ids per pass>" and
 * "RESULT ours_ids_hash <hash>", the same hash bench/peers/hf_speed_peer.js prints, so
 * equal hashes mean identical ids. add_special_tokens is true on both sides. */
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

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_hf TOKENIZERS_DIR CORPUS [PASSES]\n");
    return 2;
  }
  int passes = argc > 3 ? atoi(argv[3]) : 1;
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(argv[1], &err);
  if (!t) { fprintf(stderr, "%s\n", err.msg); return 1; }
  size_t n, dn;
  char *corpus = slurp(argv[2], &n);
  char *dpath = al_xasprintf("%s.docs", argv[2]);
  char *docs = slurp(dpath, &dn);
  if (!corpus || !docs) { fprintf(stderr, "cannot read %s or %s\n", argv[2], dpath); return 1; }
  size_t *len = NULL, nd = 0;
  for (char *p = docs; *p; ) {
    len = al_xrealloc(len, (nd + 1) * sizeof *len);
    len[nd++] = strtoull(p, &p, 10);
    p = strchr(p, '\n');
    if (!p) break;
    p++;
  }
  al_tok_encoder *e = al_tok_encoder_new(t, 0);
  al_tok_ids ids = {0};
  uint64_t tokens = 0;
  uint32_t hash = 2166136261u;
  double best = 1e30;
  for (int pass = 0; pass < passes; pass++) {
    double t0 = al_mono_s();
    size_t off = 0;
    tokens = 0;
    hash = 2166136261u;
    for (size_t d = 0; d < nd; d++) {
      if (al_tok_encode(e, corpus + off, len[d], true, TOK_NO_LIMIT, &ids, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
      off += len[d];
      tokens += ids.len;
      for (size_t i = 0; i < ids.len; i++) hash = (hash ^ (uint32_t)ids.v[i]) * 16777619u;
    }
    double dt = al_mono_s() - t0;
    if (dt < best) best = dt;
  }
  printf("RESULT ours_mb_s %.3f\nRESULT ours_tokens %llu\nRESULT ours_ids_hash %08x\n", (double)n / 1e6 / best,
         (unsigned long long)tokens, hash);
  al_tok_ids_free(&ids);
  al_tok_encoder_free(e);
  al_tok_bpe_free(t);
  free(len);
  free(corpus);
  free(docs);
  free(dpath);
  return 0;
}
