/* Hand-written scanners for the pre-tokenizer patterns of GPT-2, cl100k_base and
 * o200k_base. Each returns the end of the match a backtracking engine finds at pos:
 * alternatives are tried in order and the first that matches wins; inside one,
 * quantifiers are greedy and give back characters only as the rest of the
 * alternative requires. The comments quote the part of the pattern each step is. */
#include <stdbool.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "tokenize/tok_pretok.h"
#include "tokenize/tok_pretok_scan.h"
#include "tokenize/tok_unicode.h"

/* Class and byte length of the character at s[i] (valid UTF-8, i < n). */
static inline unsigned cls_at(const unsigned char *s, size_t i, size_t *len) {
  static const uint8_t ascii[128] = {
    ['\t'] = TOK_PC_WS, ['\n'] = TOK_PC_WS | TOK_PC_CRLF, ['\v'] = TOK_PC_WS, ['\f'] = TOK_PC_WS,
    ['\r'] = TOK_PC_WS | TOK_PC_CRLF, [' '] = TOK_PC_WS,
    ['0'] = TOK_PC_N, ['1'] = TOK_PC_N, ['2'] = TOK_PC_N, ['3'] = TOK_PC_N, ['4'] = TOK_PC_N,
    ['5'] = TOK_PC_N, ['6'] = TOK_PC_N, ['7'] = TOK_PC_N, ['8'] = TOK_PC_N, ['9'] = TOK_PC_N,
#define U_ TOK_PC_L | TOK_PC_UP
#define L_ TOK_PC_L | TOK_PC_LO
    ['A'] = U_, ['B'] = U_, ['C'] = U_, ['D'] = U_, ['E'] = U_, ['F'] = U_, ['G'] = U_,
    ['H'] = U_, ['I'] = U_, ['J'] = U_, ['K'] = U_, ['L'] = U_, ['M'] = U_, ['N'] = U_,
    ['O'] = U_, ['P'] = U_, ['Q'] = U_, ['R'] = U_, ['S'] = U_, ['T'] = U_, ['U'] = U_,
    ['V'] = U_, ['W'] = U_, ['X'] = U_, ['Y'] = U_, ['Z'] = U_,
    ['a'] = L_, ['b'] = L_, ['c'] = L_, ['d'] = L_, ['e'] = L_, ['f'] = L_, ['g'] = L_,
    ['h'] = L_, ['i'] = L_, ['j'] = L_, ['k'] = L_, ['l'] = L_, ['m'] = L_, ['n'] = L_,
    ['o'] = L_, ['p'] = L_, ['q'] = L_, ['r'] = L_, ['s'] = L_, ['t'] = L_, ['u'] = L_,
    ['v'] = L_, ['w'] = L_, ['x'] = L_, ['y'] = L_, ['z'] = L_,
#undef U_
#undef L_
  };
  if (s[i] < 0x80) {
    *len = 1;
    return ascii[s[i]];
  }
  uint32_t cp;
  *len = tok_utf8_next(s + i, &cp);
  return tok_pretok_class(cp);
}

#ifdef __SSE2__
/* The end of the ASCII letters (lower case only with lower) from i, 16 bytes at a time
 * while 16 remain: a word ends where a byte-by-byte loop would mispredict its exit. A
 * byte >= 0x80 stops it too (negative as a signed byte): the caller goes on from there
 * with the full classes. */
static inline size_t ascii_letters(const unsigned char *s, size_t n, size_t i, bool lower) {
  const __m128i below_a = _mm_set1_epi8('a' - 1), above_z = _mm_set1_epi8('z' + 1);
  const __m128i fold = _mm_set1_epi8(lower ? 0 : 0x20); /* 'A'..'Z' | 0x20 = 'a'..'z' */
  while (i + 16 <= n) {
    __m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), fold);
    __m128i in = _mm_and_si128(_mm_cmpgt_epi8(x, below_a), _mm_cmplt_epi8(x, above_z));
    unsigned out = (unsigned)_mm_movemask_epi8(in) ^ 0xffffu;
    if (out) return i + (size_t)__builtin_ctz(out);
    i += 16;
  }
  return i;
}
#endif

/* End of the run of characters from i whose class has a bit of `any` (i if none). */
static inline size_t run(const unsigned char *s, size_t n, size_t i, unsigned any) {
#ifdef __SSE2__
  if (any == TOK_PC_L) i = ascii_letters(s, n, i, false); /* the ASCII letters are \p{L} */
  else if (any == TOK_PC_LO) i = ascii_letters(s, n, i, true); /* a-z are \p{Ll} */
#endif
  size_t l;
  while (i < n && (cls_at(s, i, &l) & any)) i += l;
  return i;
}
/* The same for characters with no bit of `none`. */
static inline size_t run_not(const unsigned char *s, size_t n, size_t i, unsigned none) {
  size_t l;
  while (i < n && !(cls_at(s, i, &l) & none)) i += l;
  return i;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at i (s[i] == '\''): end, or i when none matches.
 * Case-insensitive with Unicode simple folding: 's' also matches U+017F (long s). */
static size_t contraction_ci(const unsigned char *s, size_t n, size_t i) {
  if (i >= n || s[i] != '\'' || i + 1 >= n) return i;
  size_t j = i + 1;
  unsigned c = s[j] | 0x20u;
  size_t l = 1;
  if (s[j] == 0xc5 && j + 1 < n && s[j + 1] == 0xbf) { c = 's'; l = 2; } /* U+017F */
  else if (s[j] >= 0x80 || !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) return i;
  if (c == 's' || c == 't' || c == 'm' || c == 'd') return j + l;
  if (j + 1 >= n) return i;
  unsigned c2 = s[j + 1] | 0x20u;
  if (!((s[j + 1] >= 'a' && s[j + 1] <= 'z') || (s[j + 1] >= 'A' && s[j + 1] <= 'Z'))) return i;
  if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) return j + 2;
  return i;
}

/* \s+(?!\S)|\s+ at p (s[p] is whitespace): the run, less its last character when a
 * non-space follows and the run has two or more. */
static size_t ws_tail(const unsigned char *s, size_t n, size_t p) {
  size_t e = p, last = p, l;
  while (e < n && (cls_at(s, e, &l) & TOK_PC_WS)) {
    last = e;
    e += l;
  }
  if (e == n || last == p) return e;
  return last;
}

/* \s*[\r\n]+ at p: up to and including the last \r or \n of the whitespace run from p;
 * p when the run has none. */
static size_t ws_newline(const unsigned char *s, size_t n, size_t p) {
  size_t e = p, end = p, l;
  unsigned k;
  while (e < n && ((k = cls_at(s, e, &l)) & TOK_PC_WS)) {
    if (k & TOK_PC_CRLF) end = e + l;
    e += l;
  }
  return end;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
size_t tok_scan_gpt2(const unsigned char *s, size_t n, size_t p) {
  if (s[p] == '\'' && p + 1 < n) {
    unsigned c = s[p + 1];
    if (c == 's' || c == 't' || c == 'm' || c == 'd') return p + 2;
    if (p + 2 < n) {
      unsigned c2 = s[p + 2];
      if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) return p + 3;
    }
  }
  size_t q = p + (s[p] == ' '), l;
  if (q < n) {
    unsigned k = cls_at(s, q, &l);
    if (k & TOK_PC_L) return run(s, n, q + l, TOK_PC_L);
    if (k & TOK_PC_N) return run(s, n, q + l, TOK_PC_N);
    if (!(k & (TOK_PC_WS | TOK_PC_L | TOK_PC_N))) return run_not(s, n, q + l, TOK_PC_WS | TOK_PC_L | TOK_PC_N);
  }
  return ws_tail(s, n, p);
}

/* \p{N}{1,3} at p (s[p] is a number). */
static size_t digits3(const unsigned char *s, size_t n, size_t p) {
  size_t l;
  for (int i = 0; i < 3 && p < n && (cls_at(s, p, &l) & TOK_PC_N); i++) p += l;
  return p;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
size_t tok_scan_cl100k(const unsigned char *s, size_t n, size_t p) {
  size_t e = contraction_ci(s, n, p);
  if (e > p) return e;
  size_t l0, l1;
  unsigned k0 = cls_at(s, p, &l0);
  if (k0 & TOK_PC_L) return run(s, n, p + l0, TOK_PC_L);
  if (!(k0 & (TOK_PC_CRLF | TOK_PC_L | TOK_PC_N)) && p + l0 < n && (cls_at(s, p + l0, &l1) & TOK_PC_L))
    return run(s, n, p + l0 + l1, TOK_PC_L);
  if (k0 & TOK_PC_N) return digits3(s, n, p);
  size_t q = p + (s[p] == ' ');
  if (q < n && !(cls_at(s, q, &l1) & (TOK_PC_WS | TOK_PC_L | TOK_PC_N))) {
    e = run_not(s, n, q + l1, TOK_PC_WS | TOK_PC_L | TOK_PC_N);
    while (e < n && (s[e] == '\r' || s[e] == '\n')) e++;
    return e;
  }
  e = ws_newline(s, n, p);
  if (e > p) return e;
  return ws_tail(s, n, p);
}

/* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...)? at a: the
 * first run gives back characters until the second can take one. Returns the end or 0
 * (a match never ends at 0 here as a > 0 or the run is non-empty). */
static size_t o200k_lower(const unsigned char *s, size_t n, size_t a) {
  size_t u = a, l, k = (size_t)-1;
  unsigned c;
  while (u < n && ((c = cls_at(s, u, &l)) & TOK_PC_UP)) {
    if (c & TOK_PC_LO) k = u; /* the last place [\p{Ll}...]+ could start inside the run */
    u += l;
  }
  if (u < n && (cls_at(s, u, &l) & TOK_PC_LO)) k = u;
  if (k == (size_t)-1) return 0;
  size_t e = run(s, n, k, TOK_PC_LO);
  return contraction_ci(s, n, e);
}

/* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)? at a. */
static size_t o200k_upper(const unsigned char *s, size_t n, size_t a) {
  size_t u = run(s, n, a, TOK_PC_UP);
  if (u == a) return 0;
  return contraction_ci(s, n, run(s, n, u, TOK_PC_LO));
}

/* [^\r\n\p{L}\p{N}]?<lower>|[^\r\n\p{L}\p{N}]?<upper>|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
size_t tok_scan_o200k(const unsigned char *s, size_t n, size_t p) {
  size_t l0, l1, e;
  unsigned k0 = cls_at(s, p, &l0);
  bool opt = !(k0 & (TOK_PC_CRLF | TOK_PC_L | TOK_PC_N)) && p + l0 < n;
  if (opt && (e = o200k_lower(s, n, p + l0))) return e;
  if ((e = o200k_lower(s, n, p))) return e;
  if (opt && (e = o200k_upper(s, n, p + l0))) return e;
  if ((e = o200k_upper(s, n, p))) return e;
  if (k0 & TOK_PC_N) return digits3(s, n, p);
  size_t q = p + (s[p] == ' ');
  if (q < n && !(cls_at(s, q, &l1) & (TOK_PC_WS | TOK_PC_L | TOK_PC_N))) {
    e = run_not(s, n, q + l1, TOK_PC_WS | TOK_PC_L | TOK_PC_N);
    while (e < n && (s[e] == '\r' || s[e] == '\n' || s[e] == '/')) e++;
    return e;
  }
  e = ws_newline(s, n, p);
  if (e > p) return e;
  return ws_tail(s, n, p);
}
