/* Fuzz target: loading a text tokenizer directory (vocab.json, merges.txt,
 * config.json), which comes from users and may be corrupt. The input is split on the
 * byte sequence "\n--8<--\n" into the three files; a loaded tokenizer also encodes a
 * short text, so the tables it built are exercised. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"

static char dir[64];

static void write_part(const char *name, const uint8_t *p, size_t n) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  if (n) fwrite(p, 1, n, f);
  fclose(f);
}

static const uint8_t *find_sep(const uint8_t *p, size_t n) {
  static const char sep[] = "\n--8<--\n";
  size_t k = sizeof sep - 1;
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(p + i, sep, k) == 0) return p + i;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/al-fuzz-tokload-%d", (int)getpid());
    mkdir(dir, 0700);
  }
  static const char *names[3] = {"vocab.json", "merges.txt", "config.json"};
  const uint8_t *p = data, *end = data + size;
  for (int i = 0; i < 3; i++) {
    const uint8_t *s = i < 2 ? find_sep(p, (size_t)(end - p)) : NULL;
    size_t n = s ? (size_t)(s - p) : (size_t)(end - p);
    write_part(names[i], p, n);
    p = s ? s + 8 : end;
  }
  al_err err;
  al_tok_bpe *t = al_tok_bpe_load(dir, &err);
  if (t) {
    al_tok_encoder *e = al_tok_encoder_new(t, 64);
    al_tok_ids ids = {0};
    static const char text[] = "hello world, caf\xc3\xa9 data_1 \xf0\x9f\x98\x80";
    al_tok_encode(e, text, sizeof text - 1, true, TOK_NO_LIMIT, &ids, &err);
    al_tok_ids_free(&ids);
    al_tok_encoder_free(e);
    al_tok_bpe_free(t);
  }
  return 0;
}
