/* SafeTensors reader: parses the header with jansson and validates the layout with
 * overflow-checked arithmetic, because the bytes may come from anywhere. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/safetensors.h"
#include "shard/shard.h"

static const struct {
  const char *name;
  size_t size;
} DTYPES[SHARD_DT_COUNT] = {
    [SHARD_DT_BOOL] = {"BOOL", 1},       [SHARD_DT_U8] = {"U8", 1},
    [SHARD_DT_I8] = {"I8", 1},           [SHARD_DT_F8_E5M2] = {"F8_E5M2", 1},
    [SHARD_DT_F8_E4M3] = {"F8_E4M3", 1}, [SHARD_DT_I16] = {"I16", 2},
    [SHARD_DT_U16] = {"U16", 2},         [SHARD_DT_F16] = {"F16", 2},
    [SHARD_DT_BF16] = {"BF16", 2},       [SHARD_DT_I32] = {"I32", 4},
    [SHARD_DT_U32] = {"U32", 4},         [SHARD_DT_F32] = {"F32", 4},
    [SHARD_DT_F64] = {"F64", 8},         [SHARD_DT_I64] = {"I64", 8},
    [SHARD_DT_U64] = {"U64", 8},
};

const char *shard_dtype_name(shard_dtype d) {
  return (unsigned)d < SHARD_DT_COUNT ? DTYPES[d].name : NULL;
}

size_t shard_dtype_size(shard_dtype d) { return (unsigned)d < SHARD_DT_COUNT ? DTYPES[d].size : 0; }

int shard_dtype_parse(const char *name) {
  for (int i = 0; i < SHARD_DT_COUNT; i++)
    if (strcmp(DTYPES[i].name, name) == 0) return i;
  return -1;
}

static int fmt_err(al_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fmt_err(al_err *err, const char *fmt, ...) {
  if (!err) return -1;
  va_list ap;
  va_start(ap, fmt);
  err->code = SHARD_EFORMAT;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static int cmp_offsets(const void *a, const void *b) {
  const shard_st_tensor *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

/* A JSON integer that is >= 0, as uint64. */
static int get_uint(const json_t *v, uint64_t *out) {
  if (!json_is_integer(v)) return -1;
  json_int_t x = json_integer_value(v);
  if (x < 0) return -1;
  *out = (uint64_t)x;
  return 0;
}

static int parse_tensor(const char *name, json_t *obj, shard_st_tensor *t, al_err *err) {
  memset(t, 0, sizeof *t);
  t->name = al_xstrdup(name);
  if (!json_is_object(obj))
    return fmt_err(err, "header: tensor \"%s\" is not a JSON object", name);
  json_t *dt = json_object_get(obj, "dtype");
  if (!json_is_string(dt))
    return fmt_err(err, "header: tensor \"%s\": field \"dtype\" missing or not a string", name);
  int d = shard_dtype_parse(json_string_value(dt));
  if (d < 0)
    return fmt_err(err, "header: tensor \"%s\": unknown dtype \"%s\"", name, json_string_value(dt));
  t->dtype = (shard_dtype)d;
  json_t *shape = json_object_get(obj, "shape");
  if (!json_is_array(shape))
    return fmt_err(err, "header: tensor \"%s\": field \"shape\" missing or not an array", name);
  t->ndim = json_array_size(shape);
  if (t->ndim > SHARD_ST_MAX_NDIM)
    return fmt_err(err, "header: tensor \"%s\": shape has %zu dimensions (limit %d)", name, t->ndim,
                   SHARD_ST_MAX_NDIM);
  t->shape = al_xcalloc(t->ndim ? t->ndim : 1, sizeof *t->shape);
  uint64_t numel = 1;
  int overflow = 0;
  for (size_t i = 0; i < t->ndim; i++) {
    if (get_uint(json_array_get(shape, i), &t->shape[i]) != 0)
      return fmt_err(err, "header: tensor \"%s\": shape[%zu] is not a non-negative integer", name, i);
    if (t->shape[i] != 0 && numel > UINT64_MAX / t->shape[i]) overflow = 1;
    else numel *= t->shape[i];
  }
  size_t esize = shard_dtype_size(t->dtype);
  if (!overflow && numel > UINT64_MAX / esize) overflow = 1;
  /* A zero dimension makes the product 0 whatever overflowed before it. */
  for (size_t i = 0; i < t->ndim; i++)
    if (t->shape[i] == 0) overflow = 0, numel = 0;
  if (overflow)
    return fmt_err(err, "header: tensor \"%s\": shape size overflows", name);
  json_t *offs = json_object_get(obj, "data_offsets");
  if (!json_is_array(offs) || json_array_size(offs) != 2)
    return fmt_err(err, "header: tensor \"%s\": field \"data_offsets\" missing or not [begin, end]",
                   name);
  if (get_uint(json_array_get(offs, 0), &t->begin) != 0 ||
      get_uint(json_array_get(offs, 1), &t->end) != 0)
    return fmt_err(err, "header: tensor \"%s\": data_offsets are not non-negative integers", name);
  if (t->end < t->begin)
    return fmt_err(err, "header: tensor \"%s\": data_offsets end %llu < begin %llu", name,
                   (unsigned long long)t->end, (unsigned long long)t->begin);
  if (t->end - t->begin != numel * esize)
    return fmt_err(err,
                   "header: tensor \"%s\": data_offsets span %llu bytes but shape and dtype %s "
                   "need %llu",
                   name, (unsigned long long)(t->end - t->begin), DTYPES[t->dtype].name,
                   (unsigned long long)(numel * esize));
  return 0;
}

static void tensor_free(shard_st_tensor *t) {
  free(t->name);
  free(t->shape);
}

void shard_st_free(shard_st_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->ntensors; i++) tensor_free(&f->tensors[i]);
  free(f->tensors);
  for (size_t i = 0; i < f->nmeta; i++) {
    free(f->meta[i].key);
    free(f->meta[i].value);
  }
  free(f->meta);
  free(f->header);
  if (f->map) munmap(f->map, f->map_len);
  memset(f, 0, sizeof *f);
}

static int parse_metadata(json_t *md, shard_st_file *f, al_err *err) {
  if (!json_is_object(md)) return fmt_err(err, "header: \"__metadata__\" is not a JSON object");
  f->has_metadata = 1;
  f->meta = al_xcalloc(json_object_size(md) + 1, sizeof *f->meta);
  const char *k;
  json_t *v;
  json_object_foreach(md, k, v) {
    if (!json_is_string(v))
      return fmt_err(err, "header: \"__metadata__\" value of \"%s\" is not a string", k);
    f->meta[f->nmeta].key = al_xstrdup(k);
    f->meta[f->nmeta].value = al_xstrdup(json_string_value(v));
    f->nmeta++;
  }
  return 0;
}

static int parse_inner(const uint8_t *buf, size_t len, shard_st_file *f, al_err *err) {
  f->buf = buf;
  f->size = len;
  if (len < 8) return fmt_err(err, "file is %zu bytes, shorter than the 8-byte header length", len);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
  if (n > SHARD_ST_MAX_HEADER)
    return fmt_err(err, "header length %llu exceeds the limit of %llu bytes", (unsigned long long)n,
                   (unsigned long long)SHARD_ST_MAX_HEADER);
  if (n > len - 8)
    return fmt_err(err, "header length %llu runs past the end of the %zu-byte file",
                   (unsigned long long)n, len);
  f->header_len = n;
  /* A byte copy, not strndup: the header may hold NUL bytes until JSON parsing says no. */
  f->header = al_xmalloc((size_t)n + 1);
  memcpy(f->header, buf + 8, (size_t)n);
  f->header[n] = '\0';
  if (n == 0 || buf[8] != '{') return fmt_err(err, "header does not start with '{'");
  json_error_t je;
  json_t *root = json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return fmt_err(err, "header is not valid JSON: line %d column %d: %s", je.line, je.column,
                   je.text);
  int rc = 0;
  if (!json_is_object(root)) {
    rc = fmt_err(err, "header is not a JSON object");
    goto out;
  }
  f->tensors = al_xcalloc(json_object_size(root) + 1, sizeof *f->tensors);
  const char *key;
  json_t *val;
  json_object_foreach(root, key, val) {
    if (strcmp(key, "__metadata__") == 0) {
      if ((rc = parse_metadata(val, f, err)) != 0) goto out;
      continue;
    }
    /* Counted before parsing so that a half-filled entry is still freed. */
    shard_st_tensor *t = &f->tensors[f->ntensors++];
    if ((rc = parse_tensor(key, val, t, err)) != 0) goto out;
  }
  qsort(f->tensors, f->ntensors, sizeof *f->tensors, cmp_offsets);
  uint64_t pos = 0;
  for (size_t i = 0; i < f->ntensors; i++) {
    shard_st_tensor *t = &f->tensors[i];
    if (t->begin != pos) {
      rc = fmt_err(err,
                   "header: tensor \"%s\": data_offsets begin at %llu but the previous tensor "
                   "ends at %llu (offsets must be contiguous from 0, without overlap)",
                   t->name, (unsigned long long)t->begin, (unsigned long long)pos);
      goto out;
    }
    pos = t->end;
  }
  uint64_t data_len = (uint64_t)len - 8 - n;
  if (pos != data_len) {
    rc = fmt_err(err,
                 "file length %zu does not match the header: expected 8 + %llu + %llu = %llu bytes",
                 len, (unsigned long long)n, (unsigned long long)pos,
                 (unsigned long long)(8 + n + pos));
    goto out;
  }
  for (size_t i = 0; i < f->ntensors; i++) f->tensors[i].data = buf + 8 + n + f->tensors[i].begin;
out:
  json_decref(root);
  return rc;
}

int shard_st_parse(const uint8_t *buf, size_t len, shard_st_file *out, al_err *err) {
  memset(out, 0, sizeof *out);
  if (parse_inner(buf, len, out, err) != 0) {
    shard_st_free(out);
    return -1;
  }
  return 0;
}

int shard_st_load(const char *path, shard_st_file *out, al_err *err) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return al_err_set(err, SHARD_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return al_err_set(err, SHARD_EIO, "%s: not a regular file", path);
  }
  size_t len = (size_t)st.st_size;
  void *map = NULL;
  if (len > 0) {
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int e = errno;
      close(fd);
      return al_err_set(err, SHARD_EIO, "%s: cannot map: %s", path, strerror(e));
    }
  }
  close(fd);
  static const uint8_t empty[1] = {0};
  if (shard_st_parse(map ? map : empty, len, out, err) != 0) {
    if (map) munmap(map, len);
    al_err_prefix(err, "%s", path);
    return -1;
  }
  out->map = map;
  out->map_len = len;
  return 0;
}

const shard_st_tensor *shard_st_find(const shard_st_file *f, const char *name) {
  for (size_t i = 0; i < f->ntensors; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

const char *shard_st_meta_get(const shard_st_file *f, const char *key) {
  for (size_t i = 0; i < f->nmeta; i++)
    if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
  return NULL;
}

uint64_t shard_st_numel(const shard_st_tensor *t) {
  uint64_t n = 1;
  for (size_t i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

int32_t shard_st_i32(const shard_st_tensor *t, uint64_t index) {
  const uint8_t *p = t->data + index * 4;
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24);
}

uint8_t shard_st_u8(const shard_st_tensor *t, uint64_t index) { return t->data[index]; }
