/* vq_codebook.json loading (original-behaviour.md §15); the search is med_vq.c. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

/* Codebooks beyond this many doubles are refused: 2^26 doubles = 512 MiB, and as much
 * again for the search's transposed copy (med_vq.c). */
#define MED_MAX_CODEBOOK_VALUES ((uint64_t)1 << 26)

static int get_dim(json_t *root, const char *key, const char *name, uint32_t *out, al_err *err) {
  json_t *v = json_object_get(root, key);
  if (!v) return al_err_set(err, AL_E_FAILED, "%s: missing field \"%s\"", name, key);
  if (!json_is_integer(v)) return al_err_set(err, AL_E_FAILED, "%s: field \"%s\" is not an integer", name, key);
  json_int_t x = json_integer_value(v);
  if (x < 1 || x > (json_int_t)1 << 24)
    return al_err_set(err, AL_E_FAILED, "%s: field \"%s\" is %lld, expected 1..%d", name, key, (long long)x, 1 << 24);
  *out = (uint32_t)x;
  return 0;
}

int med_codebook_parse(const char *text, size_t len, const char *name, med_codebook *cb, al_err *err) {
  memset(cb, 0, sizeof *cb);
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root) return al_err_set(err, AL_E_FAILED, "%s: invalid JSON at line %d column %d: %s", name, je.line, je.column, je.text);
  int rc = -1;
  if (!json_is_object(root)) {
    al_err_set(err, AL_E_FAILED, "%s: top level is not an object", name);
    goto out;
  }
  uint32_t k, dim;
  if (get_dim(root, "codebook_size", name, &k, err) || get_dim(root, "feature_dim", name, &dim, err)) goto out;
  if ((uint64_t)k * dim > MED_MAX_CODEBOOK_VALUES) {
    al_err_set(err, AL_E_FAILED, "%s: codebook_size %u × feature_dim %u is too large", name, k, dim);
    goto out;
  }
  json_t *rows = json_object_get(root, "codebook");
  if (!json_is_array(rows)) {
    al_err_set(err, AL_E_FAILED, "%s: field \"codebook\" is %s", name, rows ? "not an array" : "missing");
    goto out;
  }
  if (json_array_size(rows) != k) {
    al_err_set(err, AL_E_FAILED, "%s: field \"codebook\" has %zu rows, codebook_size is %u", name, json_array_size(rows), k);
    goto out;
  }
  cb->k = k;
  cb->dim = dim;
  cb->c = al_xmalloc((size_t)k * dim * sizeof *cb->c);
  for (uint32_t i = 0; i < k; i++) {
    json_t *row = json_array_get(rows, i);
    if (!json_is_array(row) || json_array_size(row) != dim) {
      al_err_set(err, AL_E_FAILED, "%s: codebook[%u] is not an array of feature_dim %u numbers", name, i, dim);
      goto out;
    }
    for (uint32_t j = 0; j < dim; j++) {
      json_t *x = json_array_get(row, j);
      if (!json_is_number(x)) {
        al_err_set(err, AL_E_FAILED, "%s: codebook[%u][%u] is not a number", name, i, j);
        goto out;
      }
      double d = json_number_value(x);
      if (!isfinite(d)) {
        al_err_set(err, AL_E_FAILED, "%s: codebook[%u][%u] is not finite", name, i, j);
        goto out;
      }
      cb->c[(size_t)i * dim + j] = d;
    }
  }
  /* Without the transposed copy the search still works, transposing per call. */
  (void)med_codebook_prepare(cb);
  rc = 0;
out:
  json_decref(root);
  if (rc) med_codebook_free(cb);
  return rc;
}

int med_codebook_load(const char *path, med_codebook *cb, al_err *err) {
  uint8_t *data;
  size_t len;
  memset(cb, 0, sizeof *cb);
  if (med_read_file(path, (size_t)1 << 30, &data, &len, err) < 0) return -1;
  int rc = med_codebook_parse((const char *)data, len, path, cb, err);
  free(data);
  return rc;
}

void med_codebook_free(med_codebook *cb) {
  free(cb->c);
  free(cb->t);
  memset(cb, 0, sizeof *cb);
}
