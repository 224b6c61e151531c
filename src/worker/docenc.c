/* Whole-document encoding into rows (see docenc.h). */
#include "worker/docenc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_unicode.h"
#include "worker/docread.h"

/* Blank as the original's `text.strip()` test: only whitespace code points. */
static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += tok_utf8_next((const unsigned char *)s + i, &cp);
    if (!tok_is_space(cp)) return 0;
  }
  return 1;
}

/* The document's markers: the tokenizer's <bos>/<eos> for text (an empty encode with
 * special tokens gives exactly those two), <CODE>/<CODE_END> for code. */
static void markers(tok_encoder *enc, tok_modality m, int32_t *open, int32_t *close, tok_ids *scratch) {
  if (m == TOK_MOD_CODE) {
    *open = TOK_CODE;
    *close = TOK_CODE_END;
    return;
  }
  al_err e;
  *open = TOK_BOS;
  *close = TOK_EOS;
  if (tok_encode(enc, "", 0, true, TOK_NO_LIMIT, scratch, &e) == 0 && scratch->len == 2) {
    *open = scratch->v[0];
    *close = scratch->v[1];
  }
}

/* Feeds pieces of one document to rows. `next` yields pieces (1), the end (0) or an
 * error (-1, reason filled). The document begins at its first non-blank piece, so a
 * blank document writes nothing; ids of blank pieces before it are held until then. */
typedef int (*piece_fn)(void *ctx, const char **text, size_t *len, char *reason, size_t reason_cap);

static int encode_pieces(tok_encoder *enc, tok_modality m, const char *source, piece_fn next, void *ctx,
                         shard_rows *rows, char *reason, size_t reason_cap, al_err *err) {
  tok_ids ids = {0}, held = {0};
  int32_t open, close;
  markers(enc, m, &open, &close, &ids);
  int begun = 0, rc = WORKER_DOC_BLANK;
  for (;;) {
    const char *text;
    size_t len;
    int st = next(ctx, &text, &len, reason, reason_cap);
    if (st < 0) {
      rc = WORKER_DOC_SKIP;
      if (begun) {
        size_t n = strlen(reason);
        snprintf(reason + n, reason_cap - n, " (the document is kept up to there)");
      }
      break;
    }
    if (st == 0) {
      rc = begun ? WORKER_DOC_WRITTEN : WORKER_DOC_BLANK;
      break;
    }
    al_err te;
    al_err_clear(&te);
    if (tok_encode(enc, text, len, false, TOK_NO_LIMIT, &ids, &te) < 0) {
      snprintf(reason, reason_cap, "tokenizer error: %.400s", te.msg);
      rc = WORKER_DOC_SKIP;
      break;
    }
    if (!begun) {
      if (is_blank(text, len)) {
        tok_ids_append(&held, ids.v, ids.len, 0);
        continue;
      }
      shard_rows_begin(rows, source, (uint8_t)m, open, close, m == TOK_MOD_CODE);
      begun = 1;
      if (shard_rows_push(rows, held.v, held.len, err) != 0) {
        rc = WORKER_DOC_FAIL;
        break;
      }
    }
    if (shard_rows_push(rows, ids.v, ids.len, err) != 0) {
      rc = WORKER_DOC_FAIL;
      break;
    }
  }
  if (begun && rc != WORKER_DOC_FAIL && shard_rows_end(rows, err) != 0) rc = WORKER_DOC_FAIL;
  tok_ids_free(&ids);
  tok_ids_free(&held);
  return rc;
}

static int file_next(void *ctx, const char **text, size_t *len, char *reason, size_t reason_cap) {
  return worker_docread_next(ctx, text, len, reason, reason_cap);
}

int worker_doc_encode(tok_encoder *enc, tok_modality m, const char *path, shard_rows *rows,
                      uint64_t *bytes_read, char *reason, size_t reason_cap, al_err *err) {
  worker_docread *r = worker_docread_open(path, reason, reason_cap);
  if (!r) return WORKER_DOC_SKIP;
  int rc = encode_pieces(enc, m, path, file_next, r, rows, reason, reason_cap, err);
  *bytes_read += worker_docread_bytes(r);
  worker_docread_close(r);
  return rc;
}

typedef struct mem_pieces {
  const char *text;
  size_t len;
  int done;
} mem_pieces;

static int mem_next(void *ctx, const char **text, size_t *len, char *reason, size_t reason_cap) {
  (void)reason;
  (void)reason_cap;
  mem_pieces *p = ctx;
  if (p->done) return 0;
  p->done = 1;
  *text = p->text;
  *len = p->len;
  return 1;
}

int worker_doc_encode_text(tok_encoder *enc, tok_modality m, const char *text, size_t len,
                           const char *source, shard_rows *rows, char *reason, size_t reason_cap,
                           al_err *err) {
  mem_pieces p = {text, len, 0};
  return encode_pieces(enc, m, source, mem_next, &p, rows, reason, reason_cap, err);
}
