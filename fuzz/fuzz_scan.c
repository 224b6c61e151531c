/* libFuzzer target: the encoder's word split. Arbitrary bytes are made valid UTF-8 (as
 * the encoder's input always is), then the 64-byte block scanner (both builds) and the
 * character-by-character scanner must find the same words, with a batch size taken
 * from the input so batches end everywhere. Any difference aborts. */
#include <stdint.h>
#include <stdlib.h>

#include "common/al.h"
#include "tokenize/tok_cpu.h"
#include "tokenize/tok_scan.h"
#include "tokenize/tok_unicode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t batch = 1 + data[0] % 37;
  al_buf text = {0};
  tok_utf8_replace((const char *)data + 1, size - 1, false, &text);
  const unsigned char *p = (const unsigned char *)text.data;
  size_t n = text.len;
  tok_span a[64], b[64], c[64];
  size_t pa = 0, pb = 0, pc = 0;
  bool v3 = tok_cpu_has_v3(); /* the v3 build of the block scanner too, where it runs */
  for (;;) {
    size_t na = tok_scan_words(p, n, &pa, a, batch);
    size_t nb = tok_scan_words_scalar(p, n, &pb, b, batch);
    size_t nc = v3 ? tok_scan_words_v3(p, n, &pc, c, batch) : na;
    if (na != nb || nc != na) abort();
    for (size_t k = 0; k < na; k++)
      if (a[k].off != b[k].off || a[k].len != b[k].len ||
          (v3 && (c[k].off != b[k].off || c[k].len != b[k].len)))
        abort();
    if (!na) break;
  }
  al_buf_free(&text);
  return 0;
}
