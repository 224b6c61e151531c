/* Per-code-point classes of the pre-tokenizer scanners (tok_pretok_class), built once
 * from libutf8proc's general categories: a two-stage table of 256-code-point blocks,
 * identical blocks shared. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenize/tok_pretok.h"

#define NBLOCKS (0x110000 >> 8)

static uint16_t stage1[NBLOCKS];
static uint8_t *stage2; /* 256 bytes per distinct block; allocated once, never freed */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool white_space(unsigned c) {
  /* The White_Space property (PropList.txt), which \s is in the regex engines of the
   * reference libraries. Stable since Unicode 6.3. */
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

static uint8_t compute(unsigned c) {
  uint8_t f = 0;
  switch (utf8proc_category((utf8proc_int32_t)c)) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: f = TOK_PC_L | TOK_PC_UP; break;
  case UTF8PROC_CATEGORY_LL: f = TOK_PC_L | TOK_PC_LO; break;
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: f = TOK_PC_L | TOK_PC_UP | TOK_PC_LO; break;
  case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    f = TOK_PC_UP | TOK_PC_LO;
    break;
  case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: f = TOK_PC_N; break;
  default: break;
  }
  if (white_space(c)) f |= TOK_PC_WS;
  if (c == '\r' || c == '\n') f |= TOK_PC_CRLF;
  return f;
}

static void build(void) {
  uint8_t *blocks = malloc((size_t)NBLOCKS * 256);
  if (!blocks) abort();
  size_t nb = 0;
  uint8_t cur[256];
  for (unsigned b = 0; b < NBLOCKS; b++) {
    for (unsigned i = 0; i < 256; i++) cur[i] = compute((b << 8) | i);
    size_t k = 0;
    while (k < nb && memcmp(blocks + k * 256, cur, 256) != 0) k++;
    if (k == nb) memcpy(blocks + nb++ * 256, cur, 256);
    stage1[b] = (uint16_t)k;
  }
  stage2 = realloc(blocks, nb * 256);
  if (!stage2) stage2 = blocks;
}

unsigned tok_pretok_class(unsigned cp) {
  pthread_once(&once, build);
  if (cp >= 0x110000) return 0;
  return stage2[(size_t)stage1[cp >> 8] * 256 + (cp & 0xff)];
}
