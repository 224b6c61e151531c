/* libFuzzer target: arbitrary bytes through UTF-8 replacement decoding, NFC, the word
 * split, lowercasing (final sigma, U+0130), BPE and decode, plus classification of the
 * bytes as a path. The short-word merge (tok_bpe16.c, SSE4.1 and portable) is checked
 * against the linked merge path on every input. Two small tokenizers (cased and lowercase) are trained once from a
 * bundled multilingual corpus and shared by every input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

static const char CORPUS[] =
    "hello world test data the quick brown fox jumps over the lazy dog data_1 x\xc2\xa0y "
    "caf\xc3\xa9 cafe\xcc\x81 na\xc3\xafve \xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xbf\xce\xb4\xce\xbf\xcf\x82 "
    "\xc4\xb0stanbul \xc4\xb1 stra\xc3\x9f" "e \xe4\xbd\xa0\xe5\xa5\xbd \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
    "\xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd \xe2\x80\x8b \xef\xbb\xbf \xef\xbf\xbd hello world hello world "
    "int main(void) { return 0; } def f(x): return x_1 + 2 ";

static al_tok_bpe *TOK[2];
static al_tok_encoder *ENC[2];
/* per merge path (v3, SSE4.1, linked, portable), so each cache holds only its own results */
static al_tok_encoder *DIFF[2][4];

static void rm_tok(const char *dir) {
  const char *files[] = {"vocab.json", "merges.txt", "config.json"};
  for (int i = 0; i < 3; i++) {
    char *p = al_xasprintf("%s/%s", dir, files[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
}

static void setup(void) {
  al_log_set_level(AL_LOG_NONE);
  for (int k = 0; k < 2; k++) {
    char tmpl[] = "/tmp/fuzz_encode_XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) abort();
    al_tok_train_opts o;
    al_tok_train_opts_default(&o);
    o.vocab_size = 400;
    o.min_frequency = 1;
    o.max_merge_depth = k == 0 ? -1 : 20;
    o.lowercase = k == 1;
    al_err err = {0};
    if (al_tok_train(CORPUS, sizeof CORPUS - 1, &o, dir, NULL, NULL, &err) != 0) abort();
    TOK[k] = al_tok_bpe_load(dir, &err);
    if (!TOK[k]) abort();
    ENC[k] = al_tok_encoder_new(TOK[k], 64);
    for (int mode = 0; mode < 4; mode++) DIFF[k][mode] = al_tok_encoder_new(TOK[k], 64);
    rm_tok(dir);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!TOK[0]) setup();
  size_t n;
  char *text = al_tok_decode_utf8_replace((const char *)data, size, true, &n);
  al_tok_ids ids = {0};
  al_err err = {0};
  for (int k = 0; k < 2; k++) {
    /* raw bytes (invalid UTF-8 handled inside) and the decoded text */
    if (al_tok_encode(ENC[k], (const char *)data, size, true, TOK_NO_LIMIT, &ids, &err) != 0) abort();
    size_t n_raw = ids.len;
    for (size_t i = 0; i < ids.len; i++)
      if (ids.v[i] < 0 || ids.v[i] > 100000) abort();
    char *dec = al_tok_decode(TOK[k], ids.v, ids.len, k == 0);
    free(dec);
    if (al_tok_encode(ENC[k], text, n, false, (int64_t)(size % 7) - 2, &ids, &err) != 0) abort();
    if (size % 7 >= 2 && ids.len > size % 7 - 2) abort();
    (void)n_raw;
  }
  /* the one-pass chunk check equals its two-pass definition */
  bool nfc_needed = false;
  bool valid = tok_utf8_check((const char *)data, size, &nfc_needed);
  if (valid != tok_utf8_valid((const char *)data, size)) abort();
  if (valid && nfc_needed != tok_nfc_needed((const char *)data, size)) abort();
  if (!tok_utf8_check(text, n, &nfc_needed) || nfc_needed != tok_nfc_needed(text, n)) abort();
  /* differential: compact merge (as the CPU allows, then portable) against linked */
  for (int k = 0; k < 2; k++) {
    al_tok_bpe *t = TOK[k];
    bool sse41 = t->cpu_sse41;
    uint32_t *ascii_pairs = t->ascii_pairs;
    al_tok_ids ref = {0}, got = {0};
    t->ascii_pairs = NULL; /* the linked path */
    if (al_tok_encode(DIFF[k][2], text, n, false, TOK_NO_LIMIT, &ref, &err) != 0) abort();
    t->ascii_pairs = ascii_pairs;
    bool v3 = t->cpu_v3;
    for (int mode = 0; mode < 3; mode++) { /* v3 and SSE4.1 as the CPU allows, portable */
      t->cpu_v3 = mode == 0 ? v3 : false;
      t->cpu_sse41 = mode <= 1 ? sse41 : false;
      if (al_tok_encode(DIFF[k][mode == 2 ? 3 : mode], text, n, false, TOK_NO_LIMIT, &got, &err) != 0)
        abort();
      if (got.len != ref.len || memcmp(got.v, ref.v, ref.len * sizeof *ref.v) != 0) abort();
    }
    t->cpu_sse41 = sse41;
    t->cpu_v3 = v3;
    al_tok_ids_free(&ref);
    al_tok_ids_free(&got);
  }
  char *path = al_xstrndup((const char *)data, size);
  al_tok_modality m = al_tok_classify(path);
  if (m < TOK_MOD_NONE || m > TOK_MOD_CODE) abort();
  free(path);
  al_tok_sample s = {0};
  al_tok_build_sample_text(ENC[0], TOK_MOD_CODE, text, n, (int64_t)(size % 5), &s, &err);
  if (s.ids.len != s.mask.len) abort();
  al_tok_sample_free(&s);
  al_tok_ids_free(&ids);
  free(text);
  return 0;
}
