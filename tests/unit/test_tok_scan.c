/* The encoder's word split: the 64-byte block scanner must find exactly the words the
 * character-by-character scanner finds, on texts built to hit its edges (runs of 63,
 * 64 and 65 bytes, words running into non-ASCII letters, non-ASCII and control
 * whitespace, text ends inside a block), from every start offset and with batch sizes
 * that end a batch anywhere. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "support.h"
#include "tokenize/tok_cpu.h"
#include "tokenize/tok_scan.h"

static const char *PIECES[] = {
    "the", "of", "Word", "x", "a_b", "123", "_", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
    "\xc3\x9f", "e\xcc\x81", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8", "\x1c", "\x1f", "\x0b",
    "\x0c", "\r\n", "\t", " ", " ", " ", "  ", ".", ",", "!", "\xe2\x80\x94", "\x01", "\x7f",
    "\xef\xbf\xbd", "\xd9\xa3\xd9\xa4", "(", ")", "\"", "'", "-", "=", "\x1b", "\x0e", "\x08"};

static unsigned long long RNG = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) { return ts_rand(&RNG, n); }

static void build_text(al_buf *b, size_t target) {
  b->len = 0;
  while (b->len < target) {
    uint32_t r = rnd(20);
    if (r == 0) { /* a long ASCII run around the block size */
      size_t len = 60 + rnd(10);
      for (size_t k = 0; k < len; k++) al_buf_append(b, rnd(5) ? "q" : "7", 1);
    } else if (r == 1) { /* an ASCII run ending in a non-ASCII letter */
      size_t len = 1 + rnd(70);
      for (size_t k = 0; k < len; k++) al_buf_append(b, "z", 1);
      al_buf_append(b, "\xc3\xa9", 2);
    } else {
      const char *p = PIECES[rnd(sizeof PIECES / sizeof *PIECES)];
      al_buf_append(b, p, strlen(p));
    }
    if (rnd(2)) al_buf_append(b, rnd(4) ? " " : "\n", 1);
  }
}

static size_t scan_all(size_t (*fn)(const unsigned char *, size_t, size_t *, tok_span *, size_t),
                       const unsigned char *p, size_t n, size_t from, size_t batch,
                       tok_span *out, size_t cap) {
  size_t pos = from, total = 0;
  for (;;) {
    size_t want = batch < cap - total ? batch : cap - total;
    if (!want) break;
    size_t got = fn(p, n, &pos, out + total, want);
    if (!got) break;
    total += got;
  }
  return total;
}

static void test_block_equals_scalar(void) {
  al_buf text = {0};
  size_t cap = 1 << 20;
  tok_span *a = al_xcalloc(cap, sizeof *a), *b = al_xcalloc(cap, sizeof *b);
  size_t compared = 0, words = 0;
  for (int round = 0; round < 1000; round++) {
    build_text(&text, 200 + rnd(3000));
    const unsigned char *p = (const unsigned char *)text.data;
    size_t n = text.len;
    /* start at a word boundary the scalar scanner reached, or at 0 */
    size_t batch = 1 + rnd(40);
    /* the v3 build of the block scanner where the CPU has it, every other round */
    size_t (*block)(const unsigned char *, size_t, size_t *, tok_span *, size_t) =
        round % 2 && tok_cpu_has_v3() ? tok_scan_words_v3 : tok_scan_words;
    size_t na = scan_all(block, p, n, 0, batch, a, cap);
    size_t nb = scan_all(tok_scan_words_scalar, p, n, 0, 1 + rnd(40), b, cap);
    CHECK_MSG(na == nb, "round %d: %zu words vs %zu", round, na, nb);
    size_t m = na < nb ? na : nb;
    for (size_t k = 0; k < m; k++) {
      if (a[k].off != b[k].off || a[k].len != b[k].len) {
        CHECK_MSG(0, "round %d word %zu: block (%u,%u) scalar (%u,%u)", round, k, a[k].off,
                  a[k].len, b[k].off, b[k].len);
        break;
      }
    }
    /* resuming after any word gives the same remaining words */
    if (m > 2) {
      size_t k = rnd((uint32_t)m);
      size_t from = b[k].off + b[k].len;
      size_t ra = scan_all(block, p, n, from, 1 + rnd(40), a, cap);
      CHECK_MSG(ra == m - k - 1, "round %d: resume after word %zu: %zu words, want %zu", round,
                k, ra, m - k - 1);
      for (size_t q = 0; q < ra && q + k + 1 < m; q++)
        if (a[q].off != b[q + k + 1].off || a[q].len != b[q + k + 1].len) {
          CHECK_MSG(0, "round %d: resume mismatch at %zu", round, q);
          break;
        }
    }
    compared++;
    words += m;
  }
  CHECK(compared == 1000);
  CHECK_MSG(words > 100000, "only %zu words compared", words);
  free(a);
  free(b);
  al_buf_free(&text);
}

/* Fixed cases with known answers, including runs of exactly 64 bytes. */
static void test_known_splits(void) {
  al_buf t = {0};
  for (int k = 0; k < 64; k++) al_buf_append(&t, "a", 1);
  al_buf_append(&t, " b,c\xc2\xa0" "d", 7);
  for (int k = 0; k < 70; k++) al_buf_append(&t, " ", 1);
  const unsigned char *p = (const unsigned char *)t.data;
  tok_span s[8];
  size_t pos = 0;
  size_t got = tok_scan_words(p, t.len, &pos, s, 8);
  CHECK_EQ_INT(got, 5);
  CHECK_EQ_INT(s[0].off, 0);
  CHECK_EQ_INT(s[0].len, 64);
  CHECK_EQ_INT(s[1].off, 65); /* b */
  CHECK_EQ_INT(s[2].off, 66); /* , */
  CHECK_EQ_INT(s[2].len, 1);
  CHECK_EQ_INT(s[3].off, 67); /* c: NBSP is whitespace */
  CHECK_EQ_INT(s[4].off, 70); /* d */
  CHECK_EQ_INT(tok_scan_words(p, t.len, &pos, s, 8), 0);
  al_buf_free(&t);
}

int main(void) {
  RUN(test_known_splits);
  RUN(test_block_equals_scalar);
  return TEST_REPORT();
}
