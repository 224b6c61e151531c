/* The second-level piece cache of byte-level BPE encoders (tok_hf_store.h): what is put
 * comes back byte for byte, what is over the limits is not stored, and the store empties
 * when its slots or its arena are full instead of growing. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tokenize/tok_hf_store.h"
#include "tokenize/tok_internal.h"

/* Piece i: "p<i>" padded with 'x' to len bytes; ids: i, i+1, ... (nids of them). */
static size_t piece(unsigned i, size_t len, unsigned char *buf) {
  int k = snprintf((char *)buf, len + 1, "p%u", i);
  for (size_t j = (size_t)k; j < len; j++) buf[j] = 'x';
  return len;
}

static bool has(const tok_hf_store *s, unsigned i, size_t len, size_t nids) {
  unsigned char b[TOK_HF_STORE_KEY + 1];
  size_t n = piece(i, len, b), got = 0;
  const int32_t *ids = tok_hf_store_get(s, tok_hash_bytes(b, n), b, n, &got);
  if (!ids || got != nids) return false;
  for (size_t j = 0; j < nids; j++)
    if (ids[j] != (int32_t)(i + j)) return false;
  return true;
}

static void put(tok_hf_store *s, unsigned i, size_t len, size_t nids) {
  unsigned char b[TOK_HF_STORE_KEY + 1];
  int32_t ids[TOK_HF_STORE_IDS + 1];
  size_t n = piece(i, len, b);
  for (size_t j = 0; j < nids; j++) ids[j] = (int32_t)(i + j);
  tok_hf_store_put(s, tok_hash_bytes(b, n), b, n, nids ? ids : NULL, nids);
}

static void test_put_get(void) {
  tok_hf_store s = {0};
  CHECK(!has(&s, 1, 10, 1)); /* empty, nothing allocated */
  put(&s, 1, 10, 3);
  put(&s, 2, 200, 40);
  put(&s, 3, 5, 0); /* a piece that gives no ids is remembered as such */
  CHECK(has(&s, 1, 10, 3));
  CHECK(has(&s, 2, 200, 40));
  CHECK(has(&s, 3, 5, 0));
  CHECK(!has(&s, 1, 11, 3)); /* same prefix, other length */
  CHECK(!has(&s, 4, 10, 1));
  put(&s, 5, TOK_HF_STORE_KEY + 1, 1); /* over the limits: not stored */
  put(&s, 6, 20, TOK_HF_STORE_IDS + 1);
  CHECK(!has(&s, 5, TOK_HF_STORE_KEY + 1, 1));
  CHECK(!has(&s, 6, 20, TOK_HF_STORE_IDS + 1));
  CHECK_EQ_INT((long)s.used, 3);
  tok_hf_store_free(&s);
  CHECK(s.slots == NULL && s.arena == NULL && s.used == 0);
}

/* Short pieces: the slots fill first; the store empties and keeps the newest. */
static void test_slots_full(void) {
  tok_hf_store s = {0};
  unsigned max_used = TOK_HF_STORE_SLOTS / 4 * 3;
  for (unsigned i = 0; i < max_used; i++) put(&s, i, 12, 1);
  CHECK_EQ_INT((long)s.used, (long)max_used);
  bool all = true;
  for (unsigned i = 0; i < max_used; i++) all = all && has(&s, i, 12, 1);
  CHECK(all);
  put(&s, max_used, 12, 2);
  CHECK_EQ_INT((long)s.used, 1);
  CHECK(!has(&s, 0, 12, 1));
  CHECK(has(&s, max_used, 12, 2));
  tok_hf_store_free(&s);
}

/* Long pieces with many ids: the arena fills first and is never exceeded. */
static void test_arena_full(void) {
  tok_hf_store s = {0};
  size_t entry = (TOK_HF_STORE_IDS * 4 + TOK_HF_STORE_KEY + 3) & ~(size_t)3;
  unsigned fit = (unsigned)(TOK_HF_STORE_ARENA / entry);
  for (unsigned i = 0; i < fit; i++) put(&s, i, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS);
  CHECK_EQ_INT((long)s.used, (long)fit);
  CHECK(s.arena_cap <= TOK_HF_STORE_ARENA);
  CHECK(has(&s, 0, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS));
  CHECK(has(&s, fit - 1, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS));
  put(&s, fit, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS);
  CHECK_EQ_INT((long)s.used, 1);
  CHECK(s.arena_cap <= TOK_HF_STORE_ARENA);
  CHECK(!has(&s, 0, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS));
  CHECK(has(&s, fit, TOK_HF_STORE_KEY, TOK_HF_STORE_IDS));
  tok_hf_store_free(&s);
}

int main(void) {
  RUN(test_put_get);
  RUN(test_slots_full);
  RUN(test_arena_full);
  return TEST_REPORT();
}
