/* Printing a shard's header and one of its rows (text or JSON). */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "shard/inspect.h"
#include "shard/safetensors.h"
#include "shard/shard.h"

typedef struct row_view {
  int64_t index;
  size_t len;          /* real tokens (attention_mask prefix), or L without a mask */
  int32_t *ids;        /* len entries */
  uint8_t *mods;       /* len entries */
  char *text;          /* decoded, or NULL */
} row_view;

static int load_row(const shard_st_file *f, const shard_inspect_opts *o, row_view *rv, al_err *err) {
  memset(rv, 0, sizeof *rv);
  rv->index = o->sample;
  const shard_st_tensor *ids = shard_st_find(f, "input_ids");
  if (!ids || ids->dtype != SHARD_DT_I32 || ids->ndim != 2)
    return al_err_set(err, SHARD_EFORMAT, "no 2-D I32 tensor \"input_ids\" to take sample %" PRId64
                      " from", o->sample);
  uint64_t n = ids->shape[0], L = ids->shape[1];
  if ((uint64_t)o->sample >= n)
    return al_err_set(err, SHARD_EARG, "sample %" PRId64 " is out of range: the shard holds %" PRIu64
                      " samples (0..%" PRId64 ")", o->sample, n, (int64_t)n - 1);
  const shard_st_tensor *am = shard_st_find(f, "attention_mask");
  const shard_st_tensor *mm = shard_st_find(f, "modality_mask");
  int am_ok = am && am->dtype == SHARD_DT_U8 && shard_st_numel(am) == n * L;
  int mm_ok = mm && mm->dtype == SHARD_DT_U8 && shard_st_numel(mm) == n * L;
  uint64_t base = (uint64_t)o->sample * L, len = L;
  if (am_ok) {
    len = 0;
    while (len < L && shard_st_u8(am, base + len)) len++;
  }
  rv->len = (size_t)len;
  rv->ids = al_xcalloc(len + 1, sizeof *rv->ids);
  rv->mods = al_xcalloc(len + 1, 1);
  for (uint64_t c = 0; c < len; c++) {
    rv->ids[c] = shard_st_i32(ids, base + c);
    rv->mods[c] = mm_ok ? shard_st_u8(mm, base + c) : 0;
  }
  if (o->decode) rv->text = o->decode(o->decode_ctx, rv->ids, rv->len);
  return 0;
}

static void row_free(row_view *rv) {
  free(rv->ids);
  free(rv->mods);
  free(rv->text);
}

static json_t *shape_json(const shard_st_tensor *t) {
  json_t *a = json_array();
  for (size_t d = 0; d < t->ndim; d++) json_array_append_new(a, json_integer((json_int_t)t->shape[d]));
  return a;
}

static void print_json(FILE *out, const char *path, const shard_st_file *f, int schema_ok,
                       const char *schema_err, const row_view *rv) {
  json_t *root = json_object();
  json_t *jpath = json_string(path);
  json_object_set_new(root, "file", jpath ? jpath : json_null());
  json_object_set_new(root, "size", json_integer((json_int_t)f->size));
  json_object_set_new(root, "header_length", json_integer((json_int_t)f->header_len));
  json_t *md = json_object();
  for (size_t i = 0; i < f->nmeta; i++) json_object_set_new(md, f->meta[i].key, json_string(f->meta[i].value));
  json_object_set_new(root, "metadata", md);
  json_t *ts = json_array();
  for (size_t i = 0; i < f->ntensors; i++) {
    const shard_st_tensor *t = &f->tensors[i];
    json_array_append_new(ts, json_pack("{s:s, s:s, s:o, s:[I,I]}", "name", t->name, "dtype",
                                        shard_dtype_name(t->dtype), "shape", shape_json(t),
                                        "data_offsets", (json_int_t)t->begin, (json_int_t)t->end));
  }
  json_object_set_new(root, "tensors", ts);
  json_object_set_new(root, "auralith_shard", json_boolean(schema_ok));
  if (!schema_ok) json_object_set_new(root, "schema_error", json_string(schema_err));
  if (rv) {
    json_t *ids = json_array(), *mods = json_array();
    for (size_t c = 0; c < rv->len; c++) {
      json_array_append_new(ids, json_integer(rv->ids[c]));
      json_array_append_new(mods, json_integer(rv->mods[c]));
    }
    json_t *s = json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)rv->index, "length",
                          (json_int_t)rv->len, "input_ids", ids, "modality_mask", mods);
    if (rv->text) {
      json_t *t = json_string(rv->text);
      json_object_set_new(s, "text", t ? t : json_null());
    }
    json_object_set_new(root, "sample", s);
  }
  char *text = json_dumps(root, JSON_INDENT(2));
  fprintf(out, "%s\n", text ? text : "{}");
  free(text);
  json_decref(root);
}

static void print_text(FILE *out, const char *path, const shard_st_file *f, int schema_ok,
                       const char *schema_err, const row_view *rv) {
  fprintf(out, "file: %s\n", path);
  fprintf(out, "size: %zu bytes (header %" PRIu64 " bytes)\n", f->size, f->header_len);
  fprintf(out, "metadata:%s\n", f->nmeta ? "" : " (none)");
  for (size_t i = 0; i < f->nmeta; i++) fprintf(out, "  %s: %s\n", f->meta[i].key, f->meta[i].value);
  fprintf(out, "tensors:\n");
  for (size_t i = 0; i < f->ntensors; i++) {
    const shard_st_tensor *t = &f->tensors[i];
    fprintf(out, "  %-16s %-5s [", t->name, shard_dtype_name(t->dtype));
    for (size_t d = 0; d < t->ndim; d++) fprintf(out, "%s%" PRIu64, d ? ", " : "", t->shape[d]);
    fprintf(out, "]  offsets [%" PRIu64 ", %" PRIu64 "]\n", t->begin, t->end);
  }
  if (schema_ok) fprintf(out, "auralith shard: yes\n");
  else fprintf(out, "auralith shard: no (%s)\n", schema_err);
  if (!rv) return;
  fprintf(out, "sample %" PRId64 ": %zu tokens\n  input_ids: [", rv->index, rv->len);
  for (size_t c = 0; c < rv->len; c++) fprintf(out, "%s%" PRId32, c ? ", " : "", rv->ids[c]);
  fprintf(out, "]\n  modality_mask: [");
  for (size_t c = 0; c < rv->len; c++) fprintf(out, "%s%u", c ? ", " : "", rv->mods[c]);
  fprintf(out, "]\n");
  if (rv->text) fprintf(out, "  text: %s\n", rv->text);
}

int shard_inspect(FILE *out, const char *path, const shard_inspect_opts *opts, al_err *err) {
  shard_st_file f;
  if (shard_st_load(path, &f, err) != 0) return -1;
  al_err serr;
  al_err_clear(&serr);
  int schema_ok = shard_st_check_schema(&f, NULL, NULL, &serr) == 0;
  row_view rv;
  int have_row = 0;
  if (opts->sample >= 0) {
    if (load_row(&f, opts, &rv, err) != 0) {
      al_err_prefix(err, "%s", path);
      shard_st_free(&f);
      return -1;
    }
    have_row = 1;
  }
  if (opts->json) print_json(out, path, &f, schema_ok, serr.msg, have_row ? &rv : NULL);
  else print_text(out, path, &f, schema_ok, serr.msg, have_row ? &rv : NULL);
  if (have_row) row_free(&rv);
  shard_st_free(&f);
  return 0;
}
