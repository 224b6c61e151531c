/* The auralith shard schema (§18.1) on top of a parsed SafeTensors file: which tensors,
 * dtypes, shapes, metadata and row contents a shard must have. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/safetensors.h"
#include "shard/shard.h"

/* In data order: I32 tensors first (larger alignment), then by name. */
static const struct {
  const char *name;
  shard_dtype dtype;
} SCHEMA[4] = {
    {"input_ids", SHARD_DT_I32},
    {"targets", SHARD_DT_I32},
    {"attention_mask", SHARD_DT_U8},
    {"modality_mask", SHARD_DT_U8},
}, PACKED[6] = {
    {"document_ids", SHARD_DT_I32},
    {"input_ids", SHARD_DT_I32},
    {"position_ids", SHARD_DT_I32},
    {"targets", SHARD_DT_I32},
    {"attention_mask", SHARD_DT_U8},
    {"modality_mask", SHARD_DT_U8},
};

static int bad(al_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(al_err *err, const char *fmt, ...) {
  if (!err) return -1;
  va_list ap;
  va_start(ap, fmt);
  err->code = SHARD_EFORMAT;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static int meta_is(const shard_st_file *f, const char *key, const char *want, al_err *err) {
  const char *v = shard_st_meta_get(f, key);
  if (!v) return bad(err, "shard: __metadata__ has no \"%s\"", key);
  if (strcmp(v, want) != 0)
    return bad(err, "shard: __metadata__ \"%s\" is \"%s\", expected \"%s\"", key, v, want);
  return 0;
}

static int check_rows(const shard_st_file *f, uint64_t n, uint64_t L, al_err *err) {
  const shard_st_tensor *ids = shard_st_find(f, "input_ids");
  const shard_st_tensor *tg = shard_st_find(f, "targets");
  const shard_st_tensor *am = shard_st_find(f, "attention_mask");
  const shard_st_tensor *mm = shard_st_find(f, "modality_mask");
  for (uint64_t r = 0; r < n; r++) {
    uint64_t base = r * L, len = 0;
    while (len < L && shard_st_u8(am, base + len) == 1) len++;
    for (uint64_t c = 0; c < L; c++) {
      uint64_t i = base + c;
      uint8_t a = shard_st_u8(am, i);
      if (c >= len && a != 0)
        return bad(err, "shard: attention_mask[%" PRIu64 "][%" PRIu64 "] is %u after the padding "
                   "starts (expected a prefix of 1s, then 0s)", r, c, a);
      if (c >= len && (shard_st_i32(ids, i) != 0 || shard_st_u8(mm, i) != 0))
        return bad(err, "shard: row %" PRIu64 " column %" PRIu64 " is padding but input_ids or "
                   "modality_mask is not 0", r, c);
      int32_t want = c + 1 < L ? shard_st_i32(ids, i + 1) : 0;
      if (shard_st_i32(tg, i) != want)
        return bad(err, "shard: targets[%" PRIu64 "][%" PRIu64 "] is %d, expected input_ids shifted "
                   "left (%d)", r, c, shard_st_i32(tg, i), want);
    }
  }
  return 0;
}

/* Packed rows: document_ids count the row's documents from 0 (one more at each new
 * document) and are -1 exactly in the padding; position_ids count up by one within a
 * document, and every document but a row's first starts at position 0. */
static int check_packed(const shard_st_file *f, uint64_t n, uint64_t L, al_err *err) {
  const shard_st_tensor *am = shard_st_find(f, "attention_mask");
  const shard_st_tensor *di = shard_st_find(f, "document_ids");
  const shard_st_tensor *pi = shard_st_find(f, "position_ids");
  for (uint64_t r = 0; r < n; r++) {
    for (uint64_t c = 0; c < L; c++) {
      uint64_t i = r * L + c;
      int32_t d = shard_st_i32(di, i), p = shard_st_i32(pi, i);
      if (shard_st_u8(am, i) == 0) {
        if (d != -1 || p != 0)
          return bad(err, "shard: row %" PRIu64 " column %" PRIu64 " is padding but document_ids is %d "
                     "(expected -1) or position_ids is %d (expected 0)", r, c, d, p);
        continue;
      }
      int32_t pd = c ? shard_st_i32(di, i - 1) : -1, pp = c ? shard_st_i32(pi, i - 1) : 0;
      int ok = c == 0 ? d == 0 && p >= 0 : (d == pd && p == pp + 1) || (d == pd + 1 && p == 0);
      if (!ok)
        return bad(err, "shard: document_ids/position_ids [%" PRIu64 "][%" PRIu64 "] are %d/%d after %d/%d "
                   "(expected the same document one position on, or the next document at 0)",
                   r, c, d, p, pd, pp);
    }
  }
  return 0;
}

int shard_st_check_schema(const shard_st_file *f, uint64_t *n_out, uint64_t *L_out, al_err *err) {
  const char *packing = shard_st_meta_get(f, "packing");
  int packed = packing && !strcmp(packing, "greedy");
  size_t nt = packed ? 6 : 4;
  if (packing && !packed) return bad(err, "shard: __metadata__ \"packing\" is \"%s\", expected \"greedy\"", packing);
  if (f->ntensors != nt) return bad(err, "shard: %zu tensors, expected %zu", f->ntensors, nt);
  uint64_t n = 0, L = 0;
  for (size_t i = 0; i < nt; i++) {
    const shard_st_tensor *t = &f->tensors[i];
    const char *want = packed ? PACKED[i].name : SCHEMA[i].name;
    shard_dtype wdt = packed ? PACKED[i].dtype : SCHEMA[i].dtype;
    if (strcmp(t->name, want) != 0)
      return bad(err, "shard: tensor %zu in data order is \"%s\", expected \"%s\"", i, t->name, want);
    if (t->dtype != wdt)
      return bad(err, "shard: tensor \"%s\" has dtype %s, expected %s", t->name,
                 shard_dtype_name(t->dtype), shard_dtype_name(wdt));
    if (t->ndim != 2) return bad(err, "shard: tensor \"%s\" has %zu dimensions, expected 2", t->name, t->ndim);
    if (i == 0) {
      n = t->shape[0];
      L = t->shape[1];
    } else if (t->shape[0] != n || t->shape[1] != L) {
      return bad(err, "shard: tensor \"%s\" has shape [%" PRIu64 ", %" PRIu64 "], expected [%" PRIu64
                 ", %" PRIu64 "]", t->name, t->shape[0], t->shape[1], n, L);
    }
  }
  if (f->header_len % 8 != 0)
    return bad(err, "shard: header length %" PRIu64 " is not a multiple of 8", f->header_len);
  /* The JSON ends at the last '}'; everything after it must be space padding. */
  const char *h = f->header;
  size_t end = (size_t)f->header_len;
  while (end > 0 && h[end - 1] == ' ') end--;
  if (end == 0 || h[end - 1] != '}' || f->header_len - end > 7)
    return bad(err, "shard: header is not padded with 0..7 spaces after the JSON object");
  if (!f->has_metadata) return bad(err, "shard: header has no __metadata__");
  char buf[32];
  if (meta_is(f, "pipeline_version", "2.0", err) || meta_is(f, "schema_version", "2", err))
    return -1;
  snprintf(buf, sizeof buf, "%" PRIu64, n);
  if (meta_is(f, "num_samples", buf, err)) return -1;
  snprintf(buf, sizeof buf, "%" PRIu64, L);
  if (meta_is(f, "seq_length", buf, err)) return -1;
  const char *sid = shard_st_meta_get(f, "shard_id");
  if (!sid || !*sid || strspn(sid, "0123456789") != strlen(sid))
    return bad(err, "shard: __metadata__ \"shard_id\" is missing or not a decimal number");
  if (check_rows(f, n, L, err) != 0) return -1;
  if (packed && check_packed(f, n, L, err) != 0) return -1;
  if (n_out) *n_out = n;
  if (L_out) *L_out = L;
  return 0;
}
