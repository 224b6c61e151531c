/* The hand-written pre-tokenizer scanners against PCRE2 running the same pattern text:
 * pseudo-random strings over characters that hit every branch of the patterns (case
 * classes, marks, digits of several scripts, each kind of whitespace, apostrophes and
 * U+017F for the case-insensitive contractions, CR/LF, '/', CJK, emoji) must split
 * identically. Also fixed splits of the three patterns. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "tokenize/tok_pretok.h"

static const char *alphabet[] = {
  "a", "b", "s", "t", "d", "m", "l", "e", "r", "v", "S", "T", "L", "E", "R", "V", "D", "M", "X",
  "'", "'", "'", " ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\xc2\xa0", "\xe3\x80\x80",
  "\xe2\x80\xa8", "\xc2\x85", "0", "1", "9", "\xd9\xa3", "\xc2\xb2", "\xe2\x85\xa7", ".", ",", "!", "/",
  "-", "_", "(", "#", "\xc5\xbf", "\xc3\xa9", "\xc3\x89", "\xc7\x85", "\xca\xb0", "\xcc\x81", "\xcc\x8a",
  "\xe0\xa4\x95", "\xe0\xa5\x8d", "\xe4\xbb\x8a", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xe2\x80\x8d",
  "\xef\xb8\x8f", "\xce\xa3", "\xcf\x83", "\xd0\xbf", "\xd0\x9f", "\xea\xb0\x80",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng >> 32);
}

/* The splits of s as "start-end " pairs. */
static void splits(const tok_pretok *p, tok_pretok_md *md, const char *s, size_t n, al_buf *out) {
  out->len = 0;
  size_t pos = 0, ms, me;
  while (tok_pretok_next(p, md, (const unsigned char *)s, n, pos, &ms, &me)) {
    al_buf_printf(out, "%zu-%zu ", ms, me);
    pos = me;
  }
  al_buf_cstr(out);
}

static void compare_pattern(const char *pat) {
  al_err err = {0};
  tok_pretok *fast = tok_pretok_new(pat, strlen(pat), false, &err);
  tok_pretok *ref = tok_pretok_new(pat, strlen(pat), true, &err);
  CHECK(fast && ref);
  if (!fast || !ref) return;
  CHECK(tok_pretok_get_kind(fast) != TOK_PRETOK_PCRE2);
  CHECK(tok_pretok_get_kind(ref) == TOK_PRETOK_PCRE2);
  tok_pretok_md *mf = tok_pretok_md_new(fast), *mr = tok_pretok_md_new(ref);
  al_buf s = {0}, a = {0}, b = {0};
  int bad = 0;
  for (int iter = 0; iter < 20000; iter++) {
    s.len = 0;
    int len = 1 + (int)(next_rand() % 14);
    for (int i = 0; i < len; i++) al_buf_puts(&s, alphabet[next_rand() % AL_ARRAY_LEN(alphabet)]);
    splits(fast, mf, s.data, s.len, &a);
    splits(ref, mr, s.data, s.len, &b);
    if (strcmp(a.data, b.data) != 0 && bad++ < 5)
      fprintf(stderr, "pattern %s\n text [%s]\n fast %s\n pcre2 %s\n", tok_pretok_kind_name(tok_pretok_get_kind(fast)),
              s.data, a.data, b.data);
  }
  CHECK_EQ_INT(bad, 0);
  al_buf_free(&s);
  al_buf_free(&a);
  al_buf_free(&b);
  tok_pretok_md_free(mf);
  tok_pretok_md_free(mr);
  tok_pretok_free(fast);
  tok_pretok_free(ref);
}

static void test_gpt2_vs_pcre2(void) { compare_pattern(TOK_PAT_GPT2); }
static void test_cl100k_vs_pcre2(void) { compare_pattern(TOK_PAT_CL100K); }
static void test_o200k_vs_pcre2(void) { compare_pattern(TOK_PAT_O200K); }

static void expect(const char *pat, const char *text, const char *want) {
  al_err err = {0};
  tok_pretok *p = tok_pretok_new(pat, strlen(pat), false, &err);
  tok_pretok_md *md = tok_pretok_md_new(p);
  al_buf out = {0};
  size_t pos = 0, ms, me, n = strlen(text);
  while (tok_pretok_next(p, md, (const unsigned char *)text, n, pos, &ms, &me)) {
    al_buf_append(&out, text + ms, me - ms);
    al_buf_puts(&out, "|");
    pos = me;
  }
  CHECK_EQ_STR(al_buf_cstr(&out), want);
  al_buf_free(&out);
  tok_pretok_md_free(md);
  tok_pretok_free(p);
}

static void test_known_splits(void) {
  expect(TOK_PAT_GPT2, "It's  a test 123!\n", "It|'s| | a| test| 123|!|\n|");
  expect(TOK_PAT_GPT2, "I'M x", "I|'|M| x|");
  expect(TOK_PAT_CL100K, "I'M 12345 x\r\n\ny", "I|'M| |123|45| x|\r\n\n|y|");
  expect(TOK_PAT_CL100K, "a   b", "a|  | b|");
  expect(TOK_PAT_O200K, "HTTPServer's path/to\n", "HTTPServer's| path|/to|\n|");
  expect(TOK_PAT_O200K, "iPhone McDonald", "i|Phone| Mc|Donald|");
}

static void test_pcre2_errors(void) {
  al_err err = {0};
  CHECK(tok_pretok_new("(unclosed", 9, false, &err) == NULL);
  CHECK_CONTAINS(err.msg, "regex at offset 9");
  /* an empty match yields no piece and does not loop */
  tok_pretok *p = tok_pretok_new("x*", 2, false, &err);
  tok_pretok_md *md = tok_pretok_md_new(p);
  size_t ms, me;
  CHECK(tok_pretok_next(p, md, (const unsigned char *)"abxxc", 5, 0, &ms, &me));
  CHECK_EQ_INT(ms, 2);
  CHECK_EQ_INT(me, 4);
  CHECK(!tok_pretok_next(p, md, (const unsigned char *)"abxxc", 5, 4, &ms, &me));
  tok_pretok_md_free(md);
  tok_pretok_free(p);
}

int main(void) {
  RUN(test_known_splits);
  RUN(test_gpt2_vs_pcre2);
  RUN(test_cl100k_vs_pcre2);
  RUN(test_o200k_vs_pcre2);
  RUN(test_pcre2_errors);
  return TEST_REPORT();
}
