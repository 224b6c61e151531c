/* Fuzz target: the hand-written pre-tokenizer scanners against PCRE2 running the same
 * pattern. The first byte picks the pattern (GPT-2, cl100k, o200k); the rest is text,
 * made valid UTF-8 as the encoder does. Texts with a code point whose classes differ
 * between libutf8proc (the scanners) and PCRE2's tables (a Unicode version
 * difference, not a scanner bug) are skipped. Any other difference aborts. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "tokenize/tok_pretok.h"
#include "tokenize/tok_unicode.h"

static tok_pretok *fast[3], *ref[3];
static tok_pretok_md *mfast[3], *mref[3];
static pcre2_code *cls[5];
static pcre2_match_data *cmd;

static void init(void) {
  const char *pats[3] = {TOK_PAT_GPT2, TOK_PAT_CL100K, TOK_PAT_O200K};
  al_err err;
  for (int i = 0; i < 3; i++) {
    fast[i] = tok_pretok_new(pats[i], strlen(pats[i]), false, &err);
    ref[i] = tok_pretok_new(pats[i], strlen(pats[i]), true, &err);
    mfast[i] = tok_pretok_md_new(fast[i]);
    mref[i] = tok_pretok_md_new(ref[i]);
  }
  const char *classes[5] = {"\\p{L}", "\\p{N}", "\\s", "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]",
                            "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"};
  int ec;
  PCRE2_SIZE off;
  for (int i = 0; i < 5; i++)
    cls[i] = pcre2_compile((PCRE2_SPTR)classes[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &ec, &off, NULL);
  cmd = pcre2_match_data_create(4, NULL);
}

/* True when PCRE2 and the scanners' table agree on the classes of every code point. */
static bool same_tables(const unsigned char *s, size_t n) {
  static const unsigned bits[5] = {TOK_PC_L, TOK_PC_N, TOK_PC_WS, TOK_PC_UP, TOK_PC_LO};
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t l = tok_utf8_next(s + i, &cp);
    unsigned c = tok_pretok_class(cp);
    for (int k = 0; k < 5; k++) {
      bool p = pcre2_match(cls[k], s + i, l, 0, PCRE2_NO_UTF_CHECK, cmd, NULL) >= 0;
      if (p != ((c & bits[k]) != 0)) return false;
    }
    i += l;
  }
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cmd) init();
  if (size < 1) return 0;
  int k = data[0] % 3;
  size_t n;
  char *text = al_tok_decode_utf8_replace((const char *)data + 1, size - 1, false, &n);
  const unsigned char *s = (const unsigned char *)text;
  if (same_tables(s, n)) {
    size_t pa = 0, pb = 0, as, ae, bs, be;
    for (;;) {
      bool a = tok_pretok_next(fast[k], mfast[k], s, n, pa, &as, &ae);
      bool b = tok_pretok_next(ref[k], mref[k], s, n, pb, &bs, &be);
      if (a != b || (a && (as != bs || ae != be))) {
        fprintf(stderr, "pattern %d: scanner %d %zu-%zu, pcre2 %d %zu-%zu at %zu\n", k, a, as, ae, b, bs, be, pa);
        abort();
      }
      if (!a) break;
      pa = ae;
      pb = be;
    }
  }
  free(text);
  return 0;
}
