/* Training the media tokenizers (original-behaviour.md §15, §20): feature rows from a
 * directory of inputs, then the original's EMA k-means, seeded and deterministic. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/media.h"

#define MAX_TRAIN_VALUES ((size_t)1 << 26) /* 512 MiB of feature values */
#define MAX_TRAIN_FILES 1000000

/* splitmix64: a small, well-mixed generator; the original's numpy stream is not
 * reproduced (§15 does not require it), only its seed and its determinism. */
static uint64_t next_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* k distinct indices below n (partial Fisher–Yates), in draw order. */
static size_t *pick_distinct(size_t n, size_t k, uint64_t seed) {
  size_t *perm = al_xmalloc((n ? n : 1) * sizeof *perm);
  for (size_t i = 0; i < n; i++) perm[i] = i;
  uint64_t s = seed;
  for (size_t i = 0; i < k; i++) {
    size_t j = i + (size_t)(next_rand(&s) % (n - i));
    size_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

int med_kmeans(const double *x, size_t n, uint32_t dim, uint32_t k, uint64_t seed, med_codebook *cb, int *iters,
               al_err *err) {
  memset(cb, 0, sizeof *cb);
  if (n < k) return al_err_set(err, AL_E_FAILED, "ValueError: need at least %u feature vectors to train %u codes, got %zu", k, k, n);
  const double decay = 0.99, eps = 1e-5;
  size_t *pick = pick_distinct(n, k, seed);
  double *c = al_xmalloc((size_t)k * dim * sizeof *c), *sum = al_xmalloc((size_t)k * dim * sizeof *sum);
  double *size = al_xmalloc(k * sizeof *size), *cnt = al_xmalloc(k * sizeof *cnt);
  double *bsum = al_xmalloc((size_t)k * dim * sizeof *bsum);
  int32_t *code = al_xmalloc(n * sizeof *code);
  for (uint32_t j = 0; j < k; j++) {
    for (uint32_t d = 0; d < dim; d++) c[(size_t)j * dim + d] = (float)x[pick[j] * dim + d];
    size[j] = 1.0;
  }
  memcpy(sum, c, (size_t)k * dim * sizeof *sum);
  free(pick);
  med_codebook cur = {k, dim, c, NULL}; /* transposed per search: c changes every iteration */
  int it = 0;
  for (; it < 100; it++) {
    med_vq_encode(&cur, x, n, code);
    memset(cnt, 0, k * sizeof *cnt);
    memset(bsum, 0, (size_t)k * dim * sizeof *bsum);
    for (size_t i = 0; i < n; i++) {
      cnt[code[i]] += 1;
      double *b = bsum + (size_t)code[i] * dim;
      for (uint32_t d = 0; d < dim; d++) b[d] += x[i * dim + d];
    }
    double N = 0;
    for (uint32_t j = 0; j < k; j++) {
      size[j] = decay * size[j] + (1 - decay) * cnt[j];
      N += size[j];
    }
    for (size_t i = 0; i < (size_t)k * dim; i++) sum[i] = decay * sum[i] + (1 - decay) * bsum[i];
    double change = 0;
    for (uint32_t j = 0; j < k; j++) {
      double sm = (size[j] + eps) / (N + k * eps) * N;
      for (uint32_t d = 0; d < dim; d++) {
        double v = (float)(sum[(size_t)j * dim + d] / sm);
        change = fmax(change, fabs(v - c[(size_t)j * dim + d]));
        c[(size_t)j * dim + d] = v;
      }
    }
    if (change < 1e-6) {
      it++;
      break;
    }
  }
  free(sum);
  free(size);
  free(cnt);
  free(bsum);
  free(code);
  cb->k = k;
  cb->dim = dim;
  cb->c = c;
  if (iters) *iters = it;
  return 0;
}

/* Shortest decimal that reads back as the same double (what Python's repr gives up to
 * notation). */
static void put_double(FILE *f, double v) {
  char b[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(b, sizeof b, "%.*g", p, v);
    if (strtod(b, NULL) == v) break;
  }
  fputs(b, f);
}

static int write_atomic(const char *path, int (*body)(FILE *, const void *), const void *arg, al_err *err) {
  char *tmp = al_xasprintf("%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    al_err_set(err, AL_E_IO, "%s: cannot write: %s", tmp, strerror(errno));
    free(tmp);
    return -1;
  }
  int rc = body(f, arg);
  if (fclose(f) != 0 || rc < 0 || rename(tmp, path) != 0) {
    al_err_set(err, AL_E_IO, "%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

static int codebook_body(FILE *f, const void *arg) {
  const med_codebook *cb = arg;
  fprintf(f, "{\"codebook_size\": %u, \"feature_dim\": %u, \"codebook\": [", cb->k, cb->dim);
  for (uint32_t j = 0; j < cb->k; j++) {
    fputs(j ? ", [" : "[", f);
    for (uint32_t d = 0; d < cb->dim; d++) {
      if (d) fputs(", ", f);
      put_double(f, cb->c[(size_t)j * cb->dim + d]);
    }
    fputc(']', f);
  }
  fputs("]}", f);
  return ferror(f) ? -1 : 0;
}

int med_codebook_save(const med_codebook *cb, const char *path, al_err *err) {
  return write_atomic(path, codebook_body, cb, err);
}

typedef struct kv {
  const char *const *keys;
  const uint32_t *vals;
  size_t n;
} kv;

static int config_body(FILE *f, const void *arg) {
  const kv *c = arg;
  fputs("{\n", f);
  for (size_t i = 0; i < c->n; i++) fprintf(f, "  \"%s\": %u%s\n", c->keys[i], c->vals[i], i + 1 < c->n ? "," : "");
  fputs("}", f);
  return ferror(f) ? -1 : 0;
}

static int save_config(const char *dir, const char *const *keys, const uint32_t *vals, size_t n, al_err *err) {
  char *p = al_xasprintf("%s/config.json", dir);
  kv c = {keys, vals, n};
  int rc = write_atomic(p, config_body, &c, err);
  free(p);
  return rc;
}

static int mkdirs(const char *dir, al_err *err) {
  char *p = al_xstrdup(dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0755);
      *s = '/';
    }
  int rc = mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : al_err_set(err, AL_E_IO, "%s: cannot create: %s", dir, strerror(errno));
  free(p);
  return rc;
}

/* ---- file collection --------------------------------------------------------------- */
typedef struct plist {
  char **v;
  size_t n, cap;
} plist;

static void plist_free(plist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
}

/* Python Path ordering: component by component. */
static int cmp_path(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  for (;;) {
    size_t lx = strcspn(x, "/"), ly = strcspn(y, "/");
    size_t m = lx < ly ? lx : ly;
    int c = memcmp(x, y, m);
    if (c) return c;
    if (lx != ly) return lx < ly ? -1 : 1;
    if (!x[lx] || !y[ly]) return (x[lx] ? 1 : 0) - (y[ly] ? 1 : 0);
    x += lx + 1;
    y += ly + 1;
  }
}

static int collect(const char *dir, int (*want)(const char *name), plist *out, al_err *err) {
  DIR *d = opendir(dir);
  if (!d) return al_err_set(err, AL_E_IO, "%s: cannot list directory: %s", dir, strerror(errno));
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = al_xasprintf("%s/%s", dir, de->d_name);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) rc = collect(p, want, out, err);
    else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && want(de->d_name)) {
      if (out->n >= MAX_TRAIN_FILES) rc = al_err_set(err, AL_E_FAILED, "%s: more than %d files", dir, MAX_TRAIN_FILES);
      else {
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 64;
          out->v = al_xrealloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->n++] = p;
        p = NULL;
      }
    }
    free(p);
  }
  closedir(d);
  if (rc == 0 && out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_path);
  return rc;
}

static int is_npy(const char *name) {
  size_t n = strlen(name);
  return n >= 4 && !strcmp(name + n - 4, ".npy");
}

static int is_video(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot || dot == name) return 0;
  static const char *const ext[] = {".avi", ".mkv", ".mov", ".mp4", ".webm"};
  for (size_t i = 0; i < 5; i++)
    if (!strcasecmp(dot, ext[i])) return 1;
  return 0;
}

typedef struct rows {
  double *v;
  size_t n, cap; /* rows */
  uint32_t dim;
} rows;

static int rows_add(rows *r, const double *f, size_t n, const char *name, al_err *err) {
  if ((r->n + n) * r->dim > MAX_TRAIN_VALUES)
    return al_err_set(err, AL_E_FAILED, "%s: training set exceeds %zu feature values; use --sample-size", name, MAX_TRAIN_VALUES);
  if (r->n + n > r->cap) {
    r->cap = (r->n + n) * 2;
    r->v = al_xrealloc(r->v, r->cap * r->dim * sizeof *r->v);
  }
  memcpy(r->v + r->n * r->dim, f, n * r->dim * sizeof *f);
  r->n += n;
  return 0;
}

/* Keeps a random sample of at most max rows (seed 42), in their original order. */
static void rows_sample(rows *r, int64_t max) {
  if (max < 0 || (size_t)max >= r->n) return;
  size_t *pick = pick_distinct(r->n, (size_t)max, 42);
  char *keep = al_xcalloc(r->n, 1);
  for (size_t i = 0; i < (size_t)max; i++) keep[pick[i]] = 1;
  size_t o = 0;
  for (size_t i = 0; i < r->n; i++)
    if (keep[i]) memmove(r->v + o++ * r->dim, r->v + i * r->dim, r->dim * sizeof *r->v);
  r->n = o;
  free(keep);
  free(pick);
}

static int finish(rows *r, uint32_t k, const char *outdir, const char *const *keys, const uint32_t *vals, size_t nk,
                  med_train_result *res, al_err *err) {
  med_codebook cb;
  int iters = 0;
  int rc = med_kmeans(r->v, r->n, r->dim, k, 42, &cb, &iters, err);
  if (rc == 0) rc = mkdirs(outdir, err);
  if (rc == 0) rc = save_config(outdir, keys, vals, nk, err);
  if (rc == 0) {
    char *p = al_xasprintf("%s/vq_codebook.json", outdir);
    rc = med_codebook_save(&cb, p, err);
    free(p);
  }
  if (res) {
    res->rows = r->n;
    res->iterations = iters;
  }
  med_codebook_free(&cb);
  return rc;
}

int med_train_image(const char *dir, const med_image_cfg *cfg, int64_t sample_size, const char *outdir,
                    med_train_result *res, al_err *err) {
  plist files = {0};
  if (collect(dir, is_npy, &files, err) < 0) return -1;
  if (files.n == 0) {
    plist_free(&files);
    return al_err_set(err, AL_E_FAILED, "%s: no .npy files found", dir);
  }
  rows r = {NULL, 0, 0, cfg->patch_size * cfg->patch_size * cfg->channels};
  int rc = 0;
  for (size_t i = 0; i < files.n && rc == 0; i++) {
    med_array a;
    double *f;
    size_t np;
    med_npy_opts o = {0, NULL, cfg->image_size}; /* resized arrays held as bytes */
    if ((rc = med_npy_load_opts(files.v[i], &o, &a, err)) < 0) break;
    rc = med_image_features(cfg, &a, files.v[i], &f, &np, err);
    med_array_free(&a);
    if (rc == 0) {
      rc = rows_add(&r, f, np, files.v[i], err);
      free(f);
    }
  }
  if (res) res->files = files.n;
  plist_free(&files);
  static const char *const keys[] = {"image_size", "patch_size", "codebook_size", "channels"};
  uint32_t vals[] = {cfg->image_size, cfg->patch_size, cfg->codebook_size, cfg->channels};
  if (rc == 0) {
    rows_sample(&r, sample_size);
    rc = finish(&r, cfg->codebook_size, outdir, keys, vals, 4, res, err);
  }
  free(r.v);
  return rc;
}

int med_train_audio(const char *dir, const med_audio_cfg *cfg, int64_t sample_size, const char *outdir,
                    med_train_result *res, al_err *err) {
  plist files = {0};
  if (collect(dir, is_npy, &files, err) < 0) return -1;
  if (files.n == 0) {
    plist_free(&files);
    return al_err_set(err, AL_E_FAILED, "%s: no .npy files found", dir);
  }
  rows r = {NULL, 0, 0, cfg->n_mels * cfg->patch_length};
  int rc = 0;
  size_t used = 0;
  for (size_t i = 0; i < files.n && rc == 0; i++) {
    double *w, *f;
    size_t n, np;
    if ((rc = med_audio_load(cfg, files.v[i], &w, &n, err)) < 0) break;
    al_err e2;
    int fr = med_audio_features(cfg, w, n, files.v[i], &f, &np, &e2);
    free(w);
    if (fr < 0) continue; /* too short for one patch: contributes nothing */
    rc = rows_add(&r, f, np, files.v[i], err);
    free(f);
    used++;
  }
  if (res) res->files = used;
  plist_free(&files);
  static const char *const keys[] = {"sample_rate", "n_fft", "hop_length", "n_mels", "codebook_size", "patch_length"};
  uint32_t vals[] = {cfg->sample_rate, cfg->n_fft, cfg->hop_length, cfg->n_mels, cfg->codebook_size, cfg->patch_length};
  if (rc == 0) {
    rows_sample(&r, sample_size);
    rc = finish(&r, cfg->codebook_size, outdir, keys, vals, 6, res, err);
  }
  free(r.v);
  return rc;
}

int med_train_video(const char *dir, const med_video_cfg *cfg, int64_t max_files, const char *outdir,
                    med_train_result *res, al_err *err) {
  plist files = {0};
  if (collect(dir, is_video, &files, err) < 0) return -1;
  if (files.n == 0) {
    plist_free(&files);
    return al_err_set(err, AL_E_FAILED, "%s: no video files found", dir);
  }
  size_t nuse = max_files >= 0 && (size_t)max_files < files.n ? (size_t)max_files : files.n;
  rows r = {NULL, 0, 0, cfg->img.patch_size * cfg->img.patch_size * cfg->img.channels};
  int rc = 0;
  for (size_t i = 0; i < nuse && rc == 0; i++) {
    med_image *frames;
    size_t nf;
    al_err e2;
    if (med_video_frames(cfg, files.v[i], &frames, &nf, &e2) < 0) {
      al_warn("skipping %s: %s", files.v[i], e2.msg);
      continue;
    }
    size_t S = cfg->img.image_size;
    for (size_t j = 0; j < nf && rc == 0; j++) {
      med_array a = {MED_DT_UINT, 1, 3, {S, S, frames[j].c}, S * S * frames[j].c, NULL, NULL};
      a.v = al_xmalloc(a.n * sizeof *a.v);
      for (size_t q = 0; q < a.n; q++) a.v[q] = frames[j].px[q];
      double *f;
      size_t np;
      rc = med_image_features(&cfg->img, &a, files.v[i], &f, &np, err);
      med_array_free(&a);
      if (rc == 0) {
        rc = rows_add(&r, f, np, files.v[i], err);
        free(f);
      }
    }
    for (size_t j = 0; j < nf; j++) med_image_free(&frames[j]);
    free(frames);
  }
  if (res) res->files = nuse;
  plist_free(&files);
  static const char *const keys[] = {"image_size", "patch_size", "codebook_size", "channels", "max_frames", "temporal_stride"};
  uint32_t vals[] = {cfg->img.image_size, cfg->img.patch_size, cfg->img.codebook_size, cfg->img.channels,
                     cfg->max_frames, cfg->temporal_stride};
  if (rc == 0) rc = finish(&r, cfg->img.codebook_size, outdir, keys, vals, 6, res, err);
  free(r.v);
  return rc;
}
