/* decode(ids, skip_special_tokens) and file reading with CPython's replacement rules. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

char *al_tok_decode(const al_tok_bpe *t, const int32_t *ids, size_t n, bool skip_special_tokens) {
  if (t->hf) return tok_hf_decode(t->hf, ids, n, skip_special_tokens);
  al_buf joined = {0};
  for (size_t i = 0; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || (size_t)id >= t->n_ids || !t->id_to_tok[id]) continue; /* unknown: dropped */
    const char *tokstr = t->id_to_tok[id];
    if (skip_special_tokens) {
      bool special = false;
      for (int k = 0; k < 16 && !special; k++) special = strcmp(tokstr, t->special_names[k]) == 0;
      if (special) continue;
    }
    al_buf_puts(&joined, tokstr);
  }
  /* "</w>" -> " ", then every whitespace run -> one space, then strip. */
  al_buf out = {0};
  const char *s = joined.data ? joined.data : "";
  size_t len = joined.len, i = 0;
  bool pending_space = false;
  while (i < len) {
    uint32_t cp;
    size_t l;
    if (len - i >= 4 && memcmp(s + i, "</w>", 4) == 0) {
      cp = ' ';
      l = 4;
    } else {
      l = tok_utf8_next((const unsigned char *)s + i, &cp);
    }
    if (tok_is_space(cp)) {
      pending_space = out.len > 0;
    } else {
      if (pending_space) al_buf_append(&out, " ", 1);
      pending_space = false;
      al_buf_append(&out, s + i, l);
    }
    i += l;
  }
  al_buf_free(&joined);
  al_buf_cstr(&out);
  return out.data;
}

char *al_tok_decode_utf8_replace(const char *data, size_t n, bool universal_newlines, size_t *len) {
  al_buf b = {0};
  tok_utf8_replace(data, n, universal_newlines, &b);
  al_buf_cstr(&b);
  if (len) *len = b.len;
  return b.data;
}

char *al_tok_read_text_file(const char *path, size_t *len, al_err *err) {
  size_t n;
  char *raw = tok_slurp(path, &n, err);
  if (!raw) return NULL;
  char *s = al_tok_decode_utf8_replace(raw, n, true, len);
  free(raw);
  return s;
}
