/* The compact short-word merge (tok_bpe16.c) must give exactly the ids of the linked
 * merge path it replaces, in its v3 build (tok_cpu.h) and its SSE4.1 and portable ones, on random
 * texts of ASCII, non-ASCII, astral and unknown characters and words of every length
 * around the short-word limit, for each reference tokenizer. The golden vectors
 * (test_tok_parity) cover only whichever path the machine picks. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "support.h"
#include "tokenize/tok_cpu.h"
#include "tokenize/tok_internal.h"

static const char *PIECES[] = {
    "e", "t", "a", "o", "i", "n", "s", "h", "r", "d", "l", "u", "th", "ing", "tion", "x",
    "z", "q", "E", "T", "0", "7", "_", "aa", "ss", "ll", "ee", "oo", "aaaa", "abab", "caf\xc3\xa9", "\xc3\x9f", "\xc3\xb1",
    "\xe4\xb8\xad\xe6\x96\x87",           /* CJK */
    "\xf0\x9f\x98\x80",                   /* an astral emoji */
    "\xf0\x90\x8c\xb0",                   /* Gothic letter: astral, likely unknown */
    "\xd0\xbf\xd1\x80\xd0\xb8",           /* Cyrillic */
    "\xce\xb1\xce\xb2",                   /* Greek */
    "\xe1\x83\x90",                       /* Georgian */
};

static unsigned long long RNG = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n) { return ts_rand(&RNG, n); }

/* Words of 1 .. 300 bytes (the short-word paths take fewer than TOK_SHORT_WORD
 * characters),
 * separated by spaces and sometimes punctuation. */
static void build_text(al_buf *b, size_t words) {
  b->len = 0;
  for (size_t w = 0; w < words; w++) {
    size_t target = 1 + rnd(rnd(4) ? 14 : rnd(3) ? 60 : 300); /* 300: CJK runs of ~48 chars */
    size_t start = b->len;
    if (!rnd(10)) { /* one repeated character: equal ranks, where leftmost-first matters */
      const char *c = rnd(2) ? "a" : "s";
      while (b->len - start < target) al_buf_append(b, c, 1);
    }
    while (b->len - start < target) {
      const char *p = PIECES[rnd(sizeof PIECES / sizeof *PIECES)];
      al_buf_append(b, p, strlen(p));
    }
    al_buf_append(b, rnd(8) ? " " : ", ", rnd(8) ? 1 : 2);
  }
}

static void encode_with(const al_tok_bpe *t, const al_buf *text, al_tok_ids *out) {
  al_tok_encoder *e = al_tok_encoder_new(t, 0);
  al_err err = {0};
  CHECK_EQ_INT(al_tok_encode(e, text->data, text->len, false, TOK_NO_LIMIT, out, &err), 0);
  al_tok_encoder_free(e);
}

static bool same_ids(const al_tok_ids *a, const al_tok_ids *b) {
  return a->len == b->len && memcmp(a->v, b->v, a->len * sizeof *a->v) == 0;
}

static void check_tokenizer(const char *name) {
  char *dir = ts_data_path(name);
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(dir, &err);
  CHECK_MSG(t != NULL, "%s: %s", name, err.msg);
  free(dir);
  if (!t) return;
  CHECK_MSG(tok_bpe16_usable(t), "%s: the compact path should apply", name);
  bool has_sse41 = tok_cpu_has_sse41(), has_v3 = tok_cpu_has_v3();
  uint32_t *ascii_pairs = t->ascii_pairs;
  al_buf text = {0};
  al_tok_ids v3 = {0}, simd = {0}, portable = {0}, linked = {0};
  size_t ids = 0;
  for (int round = 0; round < 200; round++) {
    build_text(&text, 50 + rnd(200));
    t->cpu_v3 = has_v3; /* the v3 builds of the encoder and the merge, where the CPU has them */
    t->cpu_sse41 = has_sse41;
    encode_with(t, &text, &v3);
    t->cpu_v3 = false;
    encode_with(t, &text, &simd);
    t->cpu_sse41 = false;
    encode_with(t, &text, &portable);
    t->ascii_pairs = NULL; /* tok_bpe16_usable() is now false: the linked path */
    encode_with(t, &text, &linked);
    t->ascii_pairs = ascii_pairs;
    CHECK_MSG(same_ids(&v3, &linked), "%s round %d: v3 path differs (%zu vs %zu ids)", name,
              round, v3.len, linked.len);
    CHECK_MSG(same_ids(&simd, &linked), "%s round %d: SSE4.1 path differs (%zu vs %zu ids)",
              name, round, simd.len, linked.len);
    CHECK_MSG(same_ids(&portable, &linked), "%s round %d: portable path differs (%zu vs %zu)",
              name, round, portable.len, linked.len);
    ids += linked.len;
  }
  CHECK_MSG(ids > 20000, "%s: only %zu ids compared", name, ids);
  t->cpu_sse41 = has_sse41;
  t->cpu_v3 = has_v3;
  al_tok_ids_free(&v3);
  al_tok_ids_free(&simd);
  al_tok_ids_free(&portable);
  al_tok_ids_free(&linked);
  al_buf_free(&text);
  al_tok_bpe_free(t);
}

static void test_full(void) { check_tokenizer("text/tok_full"); }
static void test_lower(void) { check_tokenizer("text/tok_lower"); }
static void test_depth50(void) { check_tokenizer("text/tok_depth50"); }

int main(void) {
  RUN(test_full);
  RUN(test_lower);
  RUN(test_depth50);
  return TEST_REPORT();
}
