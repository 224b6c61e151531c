/* .npy reader: the header dictionary and the raw data of numpy's format 1.0–3.0, read
 * the way np.load (allow_pickle=False) reads it. Input is untrusted: every length and
 * count is checked before it is used (fuzz/fuzz_media_npy.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

void med_array_free(med_array *a) {
  free(a->v);
  free(a->b);
  memset(a, 0, sizeof *a);
}

typedef struct hdr {
  const char *p, *end;
} hdr;

static void skip_ws(hdr *h) {
  while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')) h->p++;
}

static int accept(hdr *h, char c) {
  skip_ws(h);
  if (h->p < h->end && *h->p == c) {
    h->p++;
    return 1;
  }
  return 0;
}

/* A Python string literal in single or double quotes, without escapes (numpy never
 * writes any in these fields). Copies at most cap-1 bytes. */
static int parse_str(hdr *h, char *out, size_t cap) {
  skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return -1;
  char q = *h->p++;
  size_t n = 0;
  while (h->p < h->end && *h->p != q) {
    if (*h->p == '\\') return -1;
    if (n + 1 >= cap) return -1;
    out[n++] = *h->p++;
  }
  if (h->p >= h->end) return -1;
  h->p++;
  out[n] = 0;
  return 0;
}

static int parse_shape(hdr *h, med_array *a) {
  if (!accept(h, '(')) return -1;
  a->ndim = 0;
  for (;;) {
    if (accept(h, ')')) return 0;
    skip_ws(h);
    if (h->p >= h->end || !isdigit((unsigned char)*h->p)) return -1;
    unsigned long long v = 0;
    while (h->p < h->end && isdigit((unsigned char)*h->p)) {
      v = v * 10 + (unsigned)(*h->p - '0');
      if (v > ((unsigned long long)1 << 40)) return -1;
      h->p++;
    }
    if (h->p < h->end && (*h->p == 'L')) h->p++; /* Python 2 longs */
    if (a->ndim >= MED_MAX_DIMS) return -1;
    a->shape[a->ndim++] = (size_t)v;
    if (!accept(h, ',')) {
      if (!accept(h, ')')) return -1;
      return 0;
    }
  }
}

static int parse_bool(hdr *h, int *out) {
  skip_ws(h);
  if ((size_t)(h->end - h->p) >= 4 && memcmp(h->p, "True", 4) == 0) {
    h->p += 4;
    *out = 1;
    return 0;
  }
  if ((size_t)(h->end - h->p) >= 5 && memcmp(h->p, "False", 5) == 0) {
    h->p += 5;
    *out = 0;
    return 0;
  }
  return -1;
}

static uint64_t load_uint(const uint8_t *p, int size, int big) {
  uint64_t v = 0;
  for (int i = 0; i < size; i++) v |= (uint64_t)p[big ? size - 1 - i : i] << (8 * i);
  return v;
}

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v;
  if (e == 0) v = ldexp(m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = ldexp(m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

static double decode_one(const uint8_t *p, med_dtype_kind kind, int size, int big) {
  uint64_t u = load_uint(p, size, big);
  switch (kind) {
  case MED_DT_BOOL: return u != 0;
  case MED_DT_UINT: return (double)u;
  case MED_DT_INT: {
    if (size < 8 && (u >> (8 * size - 1)) & 1) u |= ~(uint64_t)0 << (8 * size);
    return (double)(int64_t)u;
  }
  case MED_DT_FLOAT:
    if (size == 2) return half_to_double((uint16_t)u);
    if (size == 4) {
      uint32_t w = (uint32_t)u;
      float f;
      memcpy(&f, &w, 4);
      return f;
    } else {
      double d;
      memcpy(&d, &u, 8);
      return d;
    }
  }
  return 0;
}

int med_npy_parse_opts(const void *data, size_t len, const char *name, const med_npy_opts *opts, med_array *out,
                       al_err *err) {
  memset(out, 0, sizeof *out);
  const uint8_t *b = data;
  if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return al_err_set(err, AL_E_FAILED, "%s: not an .npy file (bad magic)", name);
  int major = b[6];
  size_t hlen, off;
  if (major == 1) {
    hlen = (size_t)b[8] | (size_t)b[9] << 8;
    off = 10;
  } else if (major == 2 || major == 3) {
    if (len < 12) return al_err_set(err, AL_E_FAILED, "%s: truncated .npy header", name);
    hlen = (size_t)load_uint(b + 8, 4, 0);
    off = 12;
  } else {
    return al_err_set(err, AL_E_FAILED, "%s: unsupported .npy format version %d.%d", name, major, b[7]);
  }
  if (hlen > len - off) return al_err_set(err, AL_E_FAILED, "%s: truncated .npy header (%zu bytes announced)", name, hlen);
  hdr h = {(const char *)b + off, (const char *)b + off + hlen};
  char descr[32] = "";
  int fortran = -1, have_shape = 0;
  if (!accept(&h, '{')) return al_err_set(err, AL_E_FAILED, "%s: .npy header is not a dictionary", name);
  for (;;) {
    if (accept(&h, '}')) break;
    char key[32];
    if (parse_str(&h, key, sizeof key) < 0 || !accept(&h, ':'))
      return al_err_set(err, AL_E_FAILED, "%s: malformed .npy header dictionary", name);
    if (strcmp(key, "descr") == 0) {
      if (parse_str(&h, descr, sizeof descr) < 0)
        return al_err_set(err, AL_E_FAILED, "%s: .npy header field 'descr' is not a simple type string", name);
    } else if (strcmp(key, "fortran_order") == 0) {
      if (parse_bool(&h, &fortran) < 0) return al_err_set(err, AL_E_FAILED, "%s: .npy header field 'fortran_order' is not a bool", name);
    } else if (strcmp(key, "shape") == 0) {
      if (parse_shape(&h, out) < 0) return al_err_set(err, AL_E_FAILED, "%s: .npy header field 'shape' is malformed", name);
      have_shape = 1;
    } else {
      return al_err_set(err, AL_E_FAILED, "%s: .npy header has unexpected key '%s'", name, key);
    }
    if (!accept(&h, ',')) {
      if (!accept(&h, '}')) return al_err_set(err, AL_E_FAILED, "%s: malformed .npy header dictionary", name);
      break;
    }
  }
  if (!descr[0] || fortran < 0 || !have_shape)
    return al_err_set(err, AL_E_FAILED, "%s: .npy header lacks %s", name, !descr[0] ? "'descr'" : fortran < 0 ? "'fortran_order'" : "'shape'");
  /* descr: byte order, kind, size, e.g. "<f4", "|u1", ">i8", "|b1". */
  size_t dl = strlen(descr);
  char order = descr[0];
  if (dl < 3 || !strchr("<>|=", order))
    return al_err_set(err, AL_E_FAILED, "%s: unsupported .npy dtype '%s'", name, descr);
  char kc = descr[1];
  int size = atoi(descr + 2);
  med_dtype_kind kind;
  int ok;
  switch (kc) {
  case 'b': kind = MED_DT_BOOL; ok = size == 1; break;
  case 'i': kind = MED_DT_INT; ok = size == 1 || size == 2 || size == 4 || size == 8; break;
  case 'u': kind = MED_DT_UINT; ok = size == 1 || size == 2 || size == 4 || size == 8; break;
  case 'f': kind = MED_DT_FLOAT; ok = size == 2 || size == 4 || size == 8; break;
  default: ok = 0; kind = MED_DT_UINT;
  }
  char sz[8];
  snprintf(sz, sizeof sz, "%d", size);
  if (!ok || strcmp(descr + 2, sz) != 0) return al_err_set(err, AL_E_FAILED, "%s: unsupported .npy dtype '%s'", name, descr);
  int big = order == '>';
  /* An image the tokenizer will resize is used only as numpy's astype(uint8): it is
   * held as those bytes, one per element, and refused beyond the pixel limit here,
   * before any value is converted (as the decoders refuse from the header). */
  int as_bytes = 0;
  uint64_t max = opts && opts->max_elems ? opts->max_elems : MED_MAX_NPY_ELEMS;
  const char *unit = opts && opts->unit ? opts->unit : "elements";
  if (opts && opts->image_size && (out->ndim == 2 || out->ndim == 3) &&
      (out->shape[0] != opts->image_size || out->shape[1] != opts->image_size)) {
    size_t H = out->shape[0], W = out->shape[1];
    if (H && W > MED_MAX_PIXELS / H)
      return al_err_set(err, AL_E_FAILED, "%s: image of %zux%zu pixels exceeds the limit of %llu pixels", name, W, H,
                        (unsigned long long)MED_MAX_PIXELS);
    as_bytes = 1;
    max = MED_MAX_PIXELS * 4; /* RGBA at the pixel limit; more channels fail later anyway */
  }
  uint64_t n = 1;
  for (int i = 0; i < out->ndim; i++) {
    n *= out->shape[i];
    if (n > max) return al_err_set(err, AL_E_FAILED, "%s: .npy array has more than %llu %s", name, (unsigned long long)max, unit);
  }
  off += hlen;
  if (n * (uint64_t)size > len - off)
    return al_err_set(err, AL_E_FAILED, "%s: .npy data truncated: %llu bytes expected, %zu present", name,
                      (unsigned long long)(n * (uint64_t)size), len - off);
  out->kind = kind;
  out->itemsize = size;
  out->n = (size_t)n;
  if (as_bytes)
    out->b = al_xmalloc(n ? n : 1);
  else
    out->v = al_xmalloc((n ? n : 1) * sizeof *out->v);
  const uint8_t *d = b + off;
  if (!fortran || out->ndim < 2) {
    for (size_t i = 0; i < n; i++) {
      double v = decode_one(d + i * (size_t)size, kind, size, big);
      if (as_bytes)
        out->b[i] = med_to_u8(v);
      else
        out->v[i] = v;
    }
  } else {
    /* Fortran order: the first index varies fastest in the file. */
    size_t idx[MED_MAX_DIMS] = {0};
    for (size_t i = 0; i < n; i++) {
      size_t c = 0;
      for (int k = 0; k < out->ndim; k++) c = c * out->shape[k] + idx[k];
      double v = decode_one(d + i * (size_t)size, kind, size, big);
      if (as_bytes)
        out->b[c] = med_to_u8(v);
      else
        out->v[c] = v;
      for (int k = 0; k < out->ndim; k++) {
        if (++idx[k] < out->shape[k]) break;
        idx[k] = 0;
      }
    }
  }
  return 0;
}

int med_npy_parse(const void *data, size_t len, const char *name, med_array *out, al_err *err) {
  return med_npy_parse_opts(data, len, name, NULL, out, err);
}

int med_npy_load_opts(const char *path, const med_npy_opts *opts, med_array *out, al_err *err) {
  uint8_t *data;
  size_t len;
  memset(out, 0, sizeof *out);
  if (med_read_file(path, MED_MAX_FILE_BYTES, &data, &len, err) < 0) return -1;
  int rc = med_npy_parse_opts(data, len, path, opts, out, err);
  free(data);
  return rc;
}

int med_npy_load(const char *path, med_array *out, al_err *err) { return med_npy_load_opts(path, NULL, out, err); }
