/* Pre-tokenizer patterns: recognises the known patterns (their scanners are in
 * tok_pretok_scan.c) and runs any other through PCRE2 with Unicode properties. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_pretok.h"
#include "tokenize/tok_pretok_scan.h"

const char TOK_PAT_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char TOK_PAT_CL100K[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char TOK_PAT_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
    "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

struct tok_pretok {
  tok_pretok_kind kind;
  pcre2_code *code; /* TOK_PRETOK_PCRE2 only */
};
struct tok_pretok_md {
  pcre2_match_data *md;
};

static bool same(const char *a, size_t n, const char *known) {
  return strlen(known) == n && memcmp(a, known, n) == 0;
}

tok_pretok *tok_pretok_new(const char *pattern, size_t len, bool force_pcre2, al_err *err) {
  tok_pretok *p = al_xcalloc(1, sizeof *p);
  if (!force_pcre2) {
    p->kind = same(pattern, len, TOK_PAT_GPT2)     ? TOK_PRETOK_GPT2
              : same(pattern, len, TOK_PAT_CL100K) ? TOK_PRETOK_CL100K
              : same(pattern, len, TOK_PAT_O200K)  ? TOK_PRETOK_O200K
                                                   : TOK_PRETOK_PCRE2;
    if (p->kind != TOK_PRETOK_PCRE2) return p;
  }
  p->kind = TOK_PRETOK_PCRE2;
  int ec;
  PCRE2_SIZE off;
  p->code = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_UCP, &ec, &off, NULL);
  if (!p->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    al_err_set(err, AL_E_FORMAT, "regex at offset %zu: %s", (size_t)off, (const char *)msg);
    free(p);
    return NULL;
  }
  (void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE); /* interpreted when JIT is absent */
  return p;
}

void tok_pretok_free(tok_pretok *p) {
  if (!p) return;
  pcre2_code_free(p->code);
  free(p);
}

tok_pretok_kind tok_pretok_get_kind(const tok_pretok *p) { return p->kind; }

const char *tok_pretok_kind_name(tok_pretok_kind k) {
  switch (k) {
  case TOK_PRETOK_GPT2: return "gpt2";
  case TOK_PRETOK_CL100K: return "cl100k";
  case TOK_PRETOK_O200K: return "o200k";
  case TOK_PRETOK_PCRE2: return "pcre2";
  }
  return "?";
}

tok_pretok_md *tok_pretok_md_new(const tok_pretok *p) {
  tok_pretok_md *m = al_xcalloc(1, sizeof *m);
  if (p->code) {
    m->md = pcre2_match_data_create_from_pattern(p->code, NULL);
    if (!m->md) {
      al_error("out of memory (pcre2 match data)");
      abort();
    }
  }
  return m;
}

void tok_pretok_md_free(tok_pretok_md *m) {
  if (!m) return;
  pcre2_match_data_free(m->md);
  free(m);
}

tok_pretok_scan_fn tok_pretok_scanner(const tok_pretok *p) {
  switch (p->kind) {
  case TOK_PRETOK_GPT2: return tok_scan_gpt2;
  case TOK_PRETOK_CL100K: return tok_scan_cl100k;
  case TOK_PRETOK_O200K: return tok_scan_o200k;
  case TOK_PRETOK_PCRE2: break;
  }
  return NULL;
}

bool tok_pretok_next(const tok_pretok *p, tok_pretok_md *m, const unsigned char *s, size_t n,
                     size_t pos, size_t *ms, size_t *me) {
  if (pos >= n) return false;
  switch (p->kind) {
  case TOK_PRETOK_GPT2: *ms = pos; *me = tok_scan_gpt2(s, n, pos); return true;
  case TOK_PRETOK_CL100K: *ms = pos; *me = tok_scan_cl100k(s, n, pos); return true;
  case TOK_PRETOK_O200K: *ms = pos; *me = tok_scan_o200k(s, n, pos); return true;
  case TOK_PRETOK_PCRE2: break;
  }
  while (pos < n) {
    int rc = pcre2_match(p->code, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, m->md, NULL);
    if (rc < 0) return false; /* no match (or a match limit: the rest is one gap) */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[1] > ov[0]) {
      *ms = ov[0];
      *me = ov[1];
      return true;
    }
    /* an empty match yields no piece: look again one character further on */
    pos = ov[0] + 1;
    while (pos < n && (s[pos] & 0xc0) == 0x80) pos++;
  }
  return false;
}
