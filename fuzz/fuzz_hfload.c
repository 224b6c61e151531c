/* Fuzz target: byte-level BPE tokenizer files from users, which may be corrupt. The
 * first byte picks the kind: even = tokenizer.json (the rest of the input), odd = a
 * tiktoken rank file and its config.json split on "\n--8<--\n". A loaded tokenizer
 * encodes and decodes a short text, so the tables it built are exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"

static const uint8_t *find_sep(const uint8_t *p, size_t n) {
  static const char sep[] = "\n--8<--\n";
  for (size_t i = 0; i + 8 <= n; i++)
    if (memcmp(p + i, sep, 8) == 0) return p + i;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  al_err err = {0};
  struct tok_hf *h;
  if ((data[0] & 1) == 0) {
    h = tok_hf_parse_json((const char *)data + 1, size - 1, "fuzz.json", &err);
  } else {
    const uint8_t *p = data + 1, *s = find_sep(p, size - 1);
    size_t nr = s ? (size_t)(s - p) : size - 1;
    const char *cfg = s ? (const char *)s + 8 : "{\"pattern\":\"cl100k_base\"}";
    size_t nc = s ? (size_t)(data + size - (s + 8)) : strlen(cfg);
    h = tok_hf_parse_tiktoken((const char *)p, nr, cfg, nc, "fuzz.tiktoken", &err);
  }
  if (h) {
    tok_hf_enc *e = tok_hf_enc_new(h);
    al_tok_ids ids = {0};
    static const char text[] = "Hello world, it's 2026!\n\tcaf\xc3\xa9 <|endoftext|> \xf0\x9f\x98\x80 \xff";
    tok_hf_encode(e, text, sizeof text - 1, true, TOK_NO_LIMIT, &ids, &err);
    free(tok_hf_decode(h, ids.v, ids.len, true));
    al_tok_ids_free(&ids);
    tok_hf_enc_free(e);
    tok_hf_free(h);
  }
  return 0;
}
