/* Per-file sample construction of the original's `process` path (§17) for text and
 * code files. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"
#include "tokenize/tok_hf_enc.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_markers.h"
#include "tokenize/tok_unicode.h"

void al_tok_sample_free(al_tok_sample *s) {
  al_tok_ids_free(&s->ids);
  al_tok_ids_free(&s->mask);
}

const char *al_tok_sample_status_name(al_tok_sample_status s) {
  switch (s) {
  case TOK_SAMPLE_OK: return "ok";
  case TOK_SAMPLE_UNCLASSIFIED: return "unclassified";
  case TOK_SAMPLE_NOT_TEXT: return "not a text or code file";
  case TOK_SAMPLE_BLANK: return "blank text";
  case TOK_SAMPLE_ERROR: return "exception";
  }
  return "?";
}

static bool is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += tok_utf8_next((const unsigned char *)s + i, &cp);
    if (!tok_is_space(cp)) return false;
  }
  return true;
}

void tok_markers_for(al_tok_encoder *e, al_tok_modality m, tok_markers *out) {
  memset(out, 0, sizeof *out);
  tok_hf_enc *hf = tok_encoder_hf(e);
  if (hf) { /* the order of tok_hf_build_sample */
    const struct tok_hf *h = hf->h;
    if (h->bos >= 0) out->open[out->n_open++] = h->bos;
    if (m == TOK_MOD_CODE && h->code >= 0) out->open[out->n_open++] = h->code;
    if (m == TOK_MOD_CODE && h->code_end >= 0) out->close[out->n_close++] = h->code_end;
    if (h->eos >= 0) out->close[out->n_close++] = h->eos;
    return;
  }
  out->n_open = out->n_close = 1;
  if (m == TOK_MOD_CODE) {
    out->open[0] = TOK_CODE;
    out->close[0] = TOK_CODE_END;
    out->reserve_close = 1;
    return;
  }
  out->open[0] = TOK_BOS;
  out->close[0] = TOK_EOS;
  al_tok_ids ends = {0};
  al_err err;
  if (al_tok_encode(e, "", 0, true, TOK_NO_LIMIT, &ends, &err) == 0 && ends.len == 2) {
    out->open[0] = ends.v[0];
    out->close[0] = ends.v[1];
  }
  al_tok_ids_free(&ends);
}

/* Python ids[:n] */
static size_t py_slice_len(size_t len, int64_t n) {
  if (n >= 0) return (uint64_t)n < len ? (size_t)n : len;
  uint64_t drop = (uint64_t)(-(n + 1)) + 1;
  return drop < len ? len - (size_t)drop : 0;
}

al_tok_sample_status al_tok_build_sample_text(al_tok_encoder *e, al_tok_modality m, const char *text,
                                        size_t len, int64_t max_seq_len, al_tok_sample *out,
                                        al_err *err) {
  out->ids.len = 0;
  out->mask.len = 0;
  if (m != TOK_MOD_TEXT && m != TOK_MOD_CODE) return TOK_SAMPLE_NOT_TEXT;
  if (is_blank(text, len)) return TOK_SAMPLE_BLANK;
  tok_hf_enc *hf = tok_encoder_hf(e);
  if (hf) return tok_hf_build_sample(hf, m, text, len, max_seq_len, out, err);
  if (m == TOK_MOD_TEXT) {
    if (al_tok_encode(e, text, len, true, max_seq_len, &out->ids, err) < 0) return TOK_SAMPLE_ERROR;
  } else {
    al_tok_ids body = {0};
    if (al_tok_encode(e, text, len, false, max_seq_len - 2, &body, err) < 0) {
      al_tok_ids_free(&body);
      return TOK_SAMPLE_ERROR;
    }
    al_tok_ids_push(&out->ids, TOK_CODE);
    al_tok_ids_append(&out->ids, body.v, body.len, 0);
    al_tok_ids_push(&out->ids, TOK_CODE_END);
    al_tok_ids_free(&body);
  }
  out->ids.len = py_slice_len(out->ids.len, max_seq_len);
  al_tok_ids_append(&out->mask, NULL, out->ids.len, (int32_t)m);
  return TOK_SAMPLE_OK;
}

al_tok_sample_status al_tok_build_sample(al_tok_encoder *e, const char *path, int64_t max_seq_len,
                                   al_tok_sample *out, al_err *err) {
  al_tok_modality m = al_tok_classify(path);
  if (m == TOK_MOD_NONE) return TOK_SAMPLE_UNCLASSIFIED;
  if (m != TOK_MOD_TEXT && m != TOK_MOD_CODE) return TOK_SAMPLE_NOT_TEXT;
  size_t len;
  char *text = al_tok_read_text_file(path, &len, err);
  if (!text) return TOK_SAMPLE_ERROR;
  al_tok_sample_status st = al_tok_build_sample_text(e, m, text, len, max_seq_len, out, err);
  free(text);
  return st;
}
