/* Whole-document encoding into rows (see docenc.h). */
#include "worker/docenc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_markers.h"
#include "tokenize/tok_unicode.h"
#include "worker/decomp.h"
#include "worker/docread.h"
#include "worker/fileread.h"

/* Blank as the original's `text.strip()` test: only whitespace code points. */
static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    i += tok_utf8_next((const unsigned char *)s + i, &cp);
    if (!tok_is_space(cp)) return 0;
  }
  return 1;
}

/* Feeds pieces of one document to rows. `next` yields pieces (1), the end (0) or an
 * error (-1, reason filled). The document begins at its first non-blank piece, so a
 * blank document writes nothing; ids of blank pieces before it are held until then. */
typedef int (*piece_fn)(void *ctx, const char **text, size_t *len, char *reason, size_t reason_cap);

static int encode_pieces(al_tok_encoder *enc, al_tok_modality m, const char *source, piece_fn next, void *ctx,
                         shard_rows *rows, char *reason, size_t reason_cap, al_err *err) {
  al_tok_ids ids = {0}, held = {0};
  tok_markers mk;
  tok_markers_for(enc, m, &mk);
  /* One open and one close marker go through shard_rows' markers (which keep a reserved
   * close in truncated rows); other sets are pushed as ids around the body. */
  int single = mk.n_open == 1 && mk.n_close == 1;
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
    if (al_tok_encode(enc, text, len, false, TOK_NO_LIMIT, &ids, &te) < 0) {
      snprintf(reason, reason_cap, "tokenizer error: %.400s", te.msg);
      rc = WORKER_DOC_SKIP;
      break;
    }
    if (!begun) {
      if (is_blank(text, len)) {
        if (ids.len) al_tok_ids_append(&held, ids.v, ids.len, 0);
        continue;
      }
      shard_rows_begin(rows, source, (uint8_t)m, single ? mk.open[0] : -1, single ? mk.close[0] : -1,
                       single && mk.reserve_close);
      begun = 1;
      if ((!single && shard_rows_push(rows, mk.open, mk.n_open, err) != 0) ||
          shard_rows_push(rows, held.v, held.len, err) != 0) {
        rc = WORKER_DOC_FAIL;
        break;
      }
    }
    if (shard_rows_push(rows, ids.v, ids.len, err) != 0) {
      rc = WORKER_DOC_FAIL;
      break;
    }
  }
  if (begun && rc != WORKER_DOC_FAIL &&
      ((!single && shard_rows_push(rows, mk.close, mk.n_close, err) != 0) || shard_rows_end(rows, err) != 0))
    rc = WORKER_DOC_FAIL;
  al_tok_ids_free(&ids);
  al_tok_ids_free(&held);
  return rc;
}

static int file_next(void *ctx, const char **text, size_t *len, char *reason, size_t reason_cap) {
  return worker_docread_next(ctx, text, len, reason, reason_cap);
}

int worker_jsonl_record(const char *line, size_t len, const char *field, json_t **doc, const char **text,
                        size_t *tlen, char *why, size_t why_cap) {
  *doc = NULL;
  size_t k = 0;
  while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
  if (k == len) return 0;
  json_error_t je;
  json_t *j = json_loadb(line, len, 0, &je);
  if (!j) {
    snprintf(why, why_cap, "not JSON: %.200s (column %d)", je.text, je.column);
    return -1;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    snprintf(why, why_cap, "not a JSON object");
    return -1;
  }
  json_t *v = json_object_get(j, field);
  if (!v) {
    json_decref(j);
    snprintf(why, why_cap, "no field \"%.64s\"", field);
    return -1;
  }
  if (!json_is_string(v)) {
    json_decref(j);
    snprintf(why, why_cap, "field \"%.64s\" is not a string", field);
    return -1;
  }
  *doc = j;
  *text = json_string_value(v);
  *tlen = json_string_length(v);
  return 1;
}

/* One document per line. */
static int encode_jsonl(al_tok_encoder *enc, const char *path, worker_docread *r, const char *field, shard_rows *rows,
                        worker_bad_line_fn bad_line, void *ud, char *reason, size_t reason_cap, al_err *err) {
  uint64_t lineno = 0, written = 0;
  for (;;) {
    const char *line;
    size_t len;
    int st = worker_docread_line(r, &line, &len, reason, reason_cap);
    if (st < 0) {
      if (written) {
        size_t n = strlen(reason);
        snprintf(reason + n, reason_cap - n, " after line %llu (the records before are kept)",
                 (unsigned long long)lineno);
      }
      return WORKER_DOC_SKIP;
    }
    if (st == 0) break;
    lineno++;
    json_t *doc;
    const char *text;
    size_t tlen;
    char why[300];
    int rs = worker_jsonl_record(line, len, field, &doc, &text, &tlen, why, sizeof why);
    if (rs == 0) continue;
    if (rs < 0) {
      if (bad_line) bad_line(ud, path, lineno, why);
      continue;
    }
    char *src = al_xasprintf("%s:%llu", path, (unsigned long long)lineno);
    int dr = worker_doc_encode_text(enc, TOK_MOD_TEXT, text, tlen, src, rows, why, sizeof why, err);
    free(src);
    json_decref(doc);
    if (dr == WORKER_DOC_FAIL) return WORKER_DOC_FAIL;
    if (dr == WORKER_DOC_SKIP && bad_line) bad_line(ud, path, lineno, why);
    if (dr == WORKER_DOC_BLANK && bad_line) bad_line(ud, path, lineno, "blank text");
    if (dr == WORKER_DOC_WRITTEN) written++;
  }
  if (!written) snprintf(reason, reason_cap, "no JSON Lines record with text");
  return written ? WORKER_DOC_WRITTEN : WORKER_DOC_SKIP;
}

/* Decompresses path to the end, discarding; 0 when it is complete and within its limit. */
static int check_stream(const char *path, const worker_doc_opts *o, uint64_t *raw, char *reason, size_t reason_cap) {
  char detail[256];
  int fd;
  worker_read_status rs = worker_open_regular(path, &fd, detail, sizeof detail);
  if (rs != WORKER_READ_OK) {
    if (detail[0]) snprintf(reason, reason_cap, "%s: %s", worker_read_status_name(rs), detail);
    else snprintf(reason, reason_cap, "%s", worker_read_status_name(rs));
    return -1;
  }
  worker_src *s = worker_src_new(fd, (worker_zkind)o->zkind, o->decomp_limit);
  char *buf = al_xmalloc(1 << 16);
  ssize_t n;
  while ((n = worker_src_read(s, buf, 1 << 16, reason, reason_cap)) > 0) {
  }
  *raw = worker_src_raw_bytes(s);
  free(buf);
  worker_src_close(s);
  return n < 0 ? -1 : 0;
}

int worker_doc_encode(al_tok_encoder *enc, al_tok_modality m, const char *path, const worker_doc_opts *o,
                      shard_rows *rows, uint64_t *bytes_read, worker_bad_line_fn bad_line, void *ud,
                      char *reason, size_t reason_cap, al_err *err) {
  const char *open_path = o->read_path ? o->read_path : path;
  if (o->zkind != WORKER_Z_NONE) {
    /* A compressed file is decompressed once without keeping anything, so that a
     * stream past its limit (a zip bomb) or corrupt data is skipped before a single
     * row of it is written. Decompressing is several times faster than encoding. */
    uint64_t raw = 0;
    if (check_stream(open_path, o, &raw, reason, reason_cap) != 0) {
      *bytes_read += raw;
      return WORKER_DOC_SKIP;
    }
  }
  worker_docread *r = worker_docread_open(open_path, o->zkind, o->decomp_limit, reason, reason_cap);
  if (!r) return WORKER_DOC_SKIP;
  int rc;
  if (o->sniff) {
    int t = worker_docread_is_text(r, reason, reason_cap);
    if (t <= 0) {
      if (t == 0) snprintf(reason, reason_cap, "unclassified (content is not text)");
      *bytes_read += worker_docread_bytes(r);
      worker_docread_close(r);
      return WORKER_DOC_SKIP;
    }
  }
  if (o->jsonl_field)
    rc = encode_jsonl(enc, path, r, o->jsonl_field, rows, bad_line, ud, reason, reason_cap, err);
  else
    rc = encode_pieces(enc, m, path, file_next, r, rows, reason, reason_cap, err);
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

int worker_doc_encode_text(al_tok_encoder *enc, al_tok_modality m, const char *text, size_t len,
                           const char *source, shard_rows *rows, char *reason, size_t reason_cap,
                           al_err *err) {
  mem_pieces p = {text, len, 0};
  return encode_pieces(enc, m, source, mem_next, &p, rows, reason, reason_cap, err);
}
