/* Pre-tokenizer regexes of byte-level BPE tokenizers: hand-written scanners for the
 * patterns of GPT-2 (also r50k/p50k and HF's ByteLevel regex), cl100k_base (also
 * Llama 3) and o200k_base, and PCRE2 (UTF + UCP) for any other pattern. The scanners
 * are exact re-statements of the backtracking semantics of those patterns; the fuzz
 * target fuzz_pretok checks them against PCRE2 running the same pattern text.
 *
 * Unicode properties (\p{L}, \p{N}, \p{Lu}..., \s) come from libutf8proc for the
 * scanners and from PCRE2's own tables for the general engine (docs/ARCHITECTURE.md,
 * "Byte-level BPE tokenizers", says how their versions relate to the references').
 *
 * A tok_pretok is immutable and shared by threads; a tok_pretok_md is one thread's
 * match state for it. Input is valid UTF-8 (the encoder replaces invalid bytes
 * first). Internal to src/tokenize. */
#ifndef AL_TOKENIZE_TOK_PRETOK_H
#define AL_TOKENIZE_TOK_PRETOK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/al.h"

typedef enum {
  TOK_PRETOK_GPT2 = 0,
  TOK_PRETOK_CL100K,
  TOK_PRETOK_O200K,
  TOK_PRETOK_PCRE2
} tok_pretok_kind;

extern const char TOK_PAT_GPT2[];
extern const char TOK_PAT_CL100K[];
extern const char TOK_PAT_O200K[];

typedef struct tok_pretok tok_pretok;
typedef struct tok_pretok_md tok_pretok_md;

/* Compiles pattern[0..len): a known pattern gets its scanner unless force_pcre2.
 * Returns NULL with err naming the pattern position when PCRE2 refuses it. Caller owns
 * the result (tok_pretok_free). */
tok_pretok *tok_pretok_new(const char *pattern, size_t len, bool force_pcre2, al_err *err);
void tok_pretok_free(tok_pretok *p);
tok_pretok_kind tok_pretok_get_kind(const tok_pretok *p);
const char *tok_pretok_kind_name(tok_pretok_kind k);

/* Per-thread match state (owned by the caller; free before the tok_pretok). */
tok_pretok_md *tok_pretok_md_new(const tok_pretok *p);
void tok_pretok_md_free(tok_pretok_md *md);

/* Finds the next non-empty match in s[pos..n) (s valid UTF-8). Returns false when there
 * is none; otherwise *ms < *me are its bounds. The scanners match at pos itself (their
 * patterns cover every character). */
bool tok_pretok_next(const tok_pretok *p, tok_pretok_md *md, const unsigned char *s, size_t n,
                     size_t pos, size_t *ms, size_t *me);

/* The hand-written scanner of a known pattern: the end of the match at pos (its matches
 * start where the previous one ended and are never empty). NULL for PCRE2. */
typedef size_t (*tok_pretok_scan_fn)(const unsigned char *s, size_t n, size_t pos);
tok_pretok_scan_fn tok_pretok_scanner(const tok_pretok *p);

/* Unicode classes the scanners use, per code point (from libutf8proc). */
enum {
  TOK_PC_L = 1,      /* \p{L} */
  TOK_PC_N = 2,      /* \p{N} */
  TOK_PC_WS = 4,     /* \s: White_Space */
  TOK_PC_UP = 8,     /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
  TOK_PC_LO = 16,    /* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
  TOK_PC_CRLF = 32   /* \r or \n */
};
unsigned tok_pretok_class(unsigned cp);

#endif
