/* Job manifest (index.json): per-task entries kept by task id, serialised sorted by
 * path so the manifest does not depend on the order tasks finished in. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "shard/index.h"
#include "shard/source.h"

typedef struct idx_skip {
  char *path;
  char *reason;
} idx_skip;

typedef struct idx_task {
  char *task_id;
  shard_info *shards; /* copies, path relative to the root when under it */
  size_t nshards;
  idx_skip *skips;
  size_t nskips;
  int has_counts;     /* the worker reported row counts (shard_index_put_counts) */
  shard_row_counts counts;
  int has_input_files; /* shard_index_put_input_files was called */
  uint64_t input_files;
  size_t next;        /* next task in the same hash bucket, as index + 1; 0 = none */
} idx_task;

struct shard_index {
  char *root;
  char *job_id;
  char *job_name;
  uint32_t max_seq_len, shard_size;
  int have_params;
  char *long_documents, *packing; /* NULL until shard_index_set_layout */
  idx_task *tasks;
  size_t ntasks, cap;
  /* task id -> position, so putting or dropping a task is O(1) even for jobs of
   * millions of tasks (a linear search made the manifest of a 1M-task job quadratic). */
  size_t *buckets;    /* first task of each bucket, as index + 1; 0 = empty */
  size_t nbuckets;    /* power of two, >= ntasks */
};

static uint64_t id_hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static size_t *bucket_of(shard_index *x, const char *task_id) {
  return &x->buckets[id_hash(task_id) & (x->nbuckets - 1)];
}

/* Puts task i at the head of its bucket's chain. */
static void link_task(shard_index *x, size_t i) {
  size_t *b = bucket_of(x, x->tasks[i].task_id);
  x->tasks[i].next = *b;
  *b = i + 1;
}

/* Removes task i from its bucket's chain. */
static void unlink_task(shard_index *x, size_t i) {
  size_t *p = bucket_of(x, x->tasks[i].task_id);
  while (*p && *p != i + 1) p = &x->tasks[*p - 1].next;
  if (*p) *p = x->tasks[i].next;
}

static void rehash(shard_index *x, size_t nbuckets) {
  free(x->buckets);
  x->nbuckets = nbuckets;
  x->buckets = al_xcalloc(nbuckets, sizeof *x->buckets);
  for (size_t i = 0; i < x->ntasks; i++) link_task(x, i);
}

static size_t find_task(shard_index *x, const char *task_id) { /* index + 1, or 0 */
  if (!x->nbuckets) return 0;
  for (size_t k = *bucket_of(x, task_id); k; k = x->tasks[k - 1].next)
    if (strcmp(x->tasks[k - 1].task_id, task_id) == 0) return k;
  return 0;
}

shard_index *shard_index_new(const char *output_root, const char *job_id, const char *job_name) {
  shard_index *x = al_xcalloc(1, sizeof *x);
  x->root = al_xstrdup(output_root ? output_root : ".");
  size_t n = strlen(x->root);
  while (n > 1 && x->root[n - 1] == '/') x->root[--n] = '\0';
  x->job_id = job_id ? al_xstrdup(job_id) : NULL;
  x->job_name = job_name ? al_xstrdup(job_name) : NULL;
  return x;
}

void shard_index_set_params(shard_index *x, uint32_t max_seq_len, uint32_t shard_size) {
  x->max_seq_len = max_seq_len;
  x->shard_size = shard_size;
  x->have_params = 1;
}

void shard_index_set_layout(shard_index *x, const char *long_documents, const char *packing) {
  free(x->long_documents);
  free(x->packing);
  x->long_documents = al_xstrdup(long_documents ? long_documents : "truncate");
  x->packing = al_xstrdup(packing ? packing : "none");
}

static void task_clear(idx_task *t) {
  free(t->task_id);
  for (size_t i = 0; i < t->nshards; i++) shard_info_clear(&t->shards[i]);
  free(t->shards);
  for (size_t i = 0; i < t->nskips; i++) {
    free(t->skips[i].path);
    free(t->skips[i].reason);
  }
  free(t->skips);
  memset(t, 0, sizeof *t);
}

void shard_index_drop_task(shard_index *x, const char *task_id) {
  size_t k = find_task(x, task_id);
  if (!k) return;
  size_t i = k - 1, last = x->ntasks - 1;
  unlink_task(x, i);
  task_clear(&x->tasks[i]);
  if (i != last) { /* the last task moves into the hole: relink it at its new place */
    unlink_task(x, last);
    x->tasks[i] = x->tasks[last];
    link_task(x, i);
  }
  x->ntasks--;
}

/* path relative to root when it lies under root, else a copy of path. */
static char *relative(const shard_index *x, const char *path) {
  size_t n = strlen(x->root);
  if (strncmp(path, x->root, n) == 0 && path[n] == '/') {
    const char *p = path + n;
    while (*p == '/') p++;
    return al_xstrdup(p);
  }
  if (strncmp(path, "./", 2) == 0 && strcmp(x->root, ".") == 0) return al_xstrdup(path + 2);
  return al_xstrdup(path);
}

void shard_index_put_task(shard_index *x, const char *task_id, const shard_info *shards,
                          size_t nshards, const shard_skip *skips, size_t nskips) {
  shard_index_drop_task(x, task_id);
  if (x->ntasks == x->cap) {
    x->cap = x->cap ? 2 * x->cap : 16;
    x->tasks = al_xrealloc(x->tasks, x->cap * sizeof *x->tasks);
  }
  size_t pos = x->ntasks++;
  idx_task *t = &x->tasks[pos];
  memset(t, 0, sizeof *t);
  t->task_id = al_xstrdup(task_id);
  if (x->ntasks > x->nbuckets)
    rehash(x, x->nbuckets ? 2 * x->nbuckets : 64); /* links every task, this one too */
  else
    link_task(x, pos);
  t->shards = al_xcalloc(nshards ? nshards : 1, sizeof *t->shards);
  for (size_t i = 0; i < nshards; i++) {
    shard_info_copy(&t->shards[i], &shards[i]);
    free(t->shards[i].path);
    t->shards[i].path = relative(x, shards[i].path);
  }
  t->nshards = nshards;
  t->skips = al_xcalloc(nskips ? nskips : 1, sizeof *t->skips);
  for (size_t i = 0; i < nskips; i++) {
    t->skips[i].path = al_xstrdup(skips[i].path ? skips[i].path : "");
    t->skips[i].reason = al_xstrdup(skips[i].reason ? skips[i].reason : "");
  }
  t->nskips = nskips;
}

void shard_index_put_counts(shard_index *x, const char *task_id, const shard_row_counts *c) {
  size_t k = find_task(x, task_id);
  if (!k) return;
  x->tasks[k - 1].has_counts = 1;
  x->tasks[k - 1].counts = *c;
}

void shard_index_put_input_files(shard_index *x, const char *task_id, uint64_t n) {
  size_t k = find_task(x, task_id);
  if (!k) return;
  x->tasks[k - 1].has_input_files = 1;
  x->tasks[k - 1].input_files = n;
}

uint64_t shard_index_total_samples(const shard_index *x) {
  uint64_t n = 0;
  for (size_t i = 0; i < x->ntasks; i++)
    for (size_t k = 0; k < x->tasks[i].nshards; k++) n += x->tasks[i].shards[k].samples;
  return n;
}

size_t shard_index_nshards(const shard_index *x) {
  size_t n = 0;
  for (size_t i = 0; i < x->ntasks; i++) n += x->tasks[i].nshards;
  return n;
}

uint64_t shard_index_nskipped(const shard_index *x) {
  uint64_t n = 0;
  for (size_t i = 0; i < x->ntasks; i++) n += x->tasks[i].nskips;
  return n;
}

static int cmp_shard(const void *a, const void *b) {
  const shard_info *const *x = a, *const *y = b;
  return strcmp((*x)->path, (*y)->path);
}

static int cmp_skip(const void *a, const void *b) {
  const idx_skip *const *x = a, *const *y = b;
  int c = strcmp((*x)->path, (*y)->path);
  return c ? c : strcmp((*x)->reason, (*y)->reason);
}

/* File names are bytes, JSON strings are UTF-8: invalid sequences become U+FFFD so
 * that an odd file name never drops an entry from the manifest. */
static json_t *jstr(const char *s) {
  json_t *j = json_string(s);
  if (j) return j;
  al_buf b = {0};
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
  utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n < 1) {
      al_buf_puts(&b, "\xEF\xBF\xBD");
      n = 1;
    } else {
      al_buf_append(&b, p, (size_t)n);
    }
    p += n;
    left -= n;
  }
  j = json_string(al_buf_cstr(&b));
  al_buf_free(&b);
  return j ? j : json_string("");
}

static json_t *str_or_null(const char *s) { return s ? jstr(s) : json_null(); }

char *shard_index_to_json(const shard_index *x, const char *status) {
  size_t ns = shard_index_nshards(x), nk = (size_t)shard_index_nskipped(x);
  const shard_info **shards = al_xcalloc(ns + 1, sizeof *shards);
  const idx_skip **skips = al_xcalloc(nk + 1, sizeof *skips);
  size_t a = 0, b = 0;
  for (size_t i = 0; i < x->ntasks; i++) {
    for (size_t k = 0; k < x->tasks[i].nshards; k++) shards[a++] = &x->tasks[i].shards[k];
    for (size_t k = 0; k < x->tasks[i].nskips; k++) skips[b++] = &x->tasks[i].skips[k];
  }
  qsort(shards, ns, sizeof *shards, cmp_shard);
  qsort(skips, nk, sizeof *skips, cmp_skip);

  uint64_t samples = 0, tokens = 0, bytes = 0;
  json_t *jshards = json_array();
  for (size_t i = 0; i < ns; i++) {
    const shard_info *s = shards[i];
    samples += s->samples;
    tokens += s->tokens;
    bytes += s->bytes;
    json_t *src = json_array();
    for (size_t k = 0; k < s->nsources; k++) json_array_append_new(src, jstr(s->sources[k]));
    json_array_append_new(jshards, json_pack("{s:o, s:I, s:I, s:I, s:s, s:o}", "path", jstr(s->path),
                                             "samples", (json_int_t)s->samples, "tokens",
                                             (json_int_t)s->tokens, "bytes", (json_int_t)s->bytes,
                                             "sha256", s->sha256, "sources", src));
  }
  json_t *jskips = json_array();
  json_t *reasons = json_object();
  uint64_t skipped = 0; /* runs of JSON Lines records expanded */
  for (size_t i = 0; i < nk; i++) {
    uint64_t e = shard_source_entries(skips[i]->path);
    skipped += e;
    json_array_append_new(jskips, json_pack("{s:o, s:o}", "path", jstr(skips[i]->path), "reason",
                                            jstr(skips[i]->reason)));
    json_t *r = jstr(skips[i]->reason);
    json_t *c = json_object_get(reasons, json_string_value(r));
    json_object_set_new(reasons, json_string_value(r), json_integer((c ? json_integer_value(c) : 0) + (json_int_t)e));
    json_decref(r);
  }
  char now[40];
  al_iso_now(now, sizeof now);
  json_t *root = json_object();
  json_object_set_new(root, "format", json_string("auralith-index"));
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "job_id", str_or_null(x->job_id));
  json_object_set_new(root, "job_name", str_or_null(x->job_name));
  json_object_set_new(root, "status", str_or_null(status));
  json_object_set_new(root, "created_at", json_string(now));
  if (x->have_params) {
    json_object_set_new(root, "max_seq_len", json_integer(x->max_seq_len));
    json_object_set_new(root, "shard_size", json_integer(x->shard_size));
  }
  if (x->long_documents) {
    json_object_set_new(root, "long_documents", json_string(x->long_documents));
    json_object_set_new(root, "packing", json_string(x->packing));
  }
  /* Documents and encoded ids come from the workers' counts; a task whose worker did
   * not report them counts one document per row and nothing truncated. */
  uint64_t documents = 0, encoded = 0, truncated = 0, input_files = 0;
  int all_input_files = 1; /* every task's input file count is known */
  for (size_t i = 0; i < x->ntasks; i++) {
    const idx_task *t = &x->tasks[i];
    input_files += t->input_files;
    all_input_files &= t->has_input_files;
    uint64_t rows = 0, written = 0;
    for (size_t k = 0; k < t->nshards; k++) {
      rows += t->shards[k].samples;
      written += t->shards[k].tokens;
    }
    documents += t->has_counts ? t->counts.documents : rows;
    encoded += t->has_counts ? t->counts.ids_encoded : written;
    truncated += t->has_counts ? t->counts.ids_truncated : 0;
  }
  uint64_t slots = samples * (uint64_t)x->max_seq_len;
  uint64_t padding = x->have_params && slots > tokens ? slots - tokens : 0;
  json_t *totals = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "shards", (json_int_t)ns, "samples", (json_int_t)samples,
                             "tokens", (json_int_t)tokens, "bytes", (json_int_t)bytes, "files",
                             (json_int_t)(all_input_files ? input_files : documents + skipped), "skipped",
                             (json_int_t)skipped);
  json_object_set_new(totals, "documents", json_integer((json_int_t)documents));
  json_object_set_new(totals, "ids_encoded", json_integer((json_int_t)encoded));
  json_object_set_new(totals, "ids_written", json_integer((json_int_t)tokens));
  json_object_set_new(totals, "ids_truncated", json_integer((json_int_t)truncated));
  json_object_set_new(totals, "padding", json_integer((json_int_t)padding));
  json_object_set_new(totals, "padding_fraction", json_real(slots ? (double)padding / (double)slots : 0.0));
  json_object_set_new(root, "totals", totals);
  /* The workers' counts per task directory, so that --resume can take a task's
   * documents and encoded ids back (they cannot be recomputed from the shards). */
  json_t *tcounts = json_object();
  for (size_t i = 0; i < x->ntasks; i++) {
    const idx_task *t = &x->tasks[i];
    if (!t->has_counts || t->nshards == 0) continue;
    const char *p0 = t->shards[0].path, *slash = p0 ? strchr(p0, '/') : NULL;
    if (!slash) continue;
    char *dir = al_xstrndup(p0, (size_t)(slash - p0));
    json_object_set_new(tcounts, dir,
                        json_pack("{s:I, s:I, s:I, s:I}", "documents", (json_int_t)t->counts.documents, "ids_encoded",
                                  (json_int_t)t->counts.ids_encoded, "ids_truncated",
                                  (json_int_t)t->counts.ids_truncated, "padding", (json_int_t)t->counts.pad_ids));
    free(dir);
  }
  json_object_set_new(root, "task_counts", tcounts);
  json_object_set_new(root, "skip_reasons", reasons);
  json_object_set_new(root, "shards", jshards);
  json_object_set_new(root, "skipped", jskips);
  char *text = json_dumps(root, JSON_INDENT(2));
  json_decref(root);
  free(shards);
  free(skips);
  if (!text) return NULL;
  char *out = al_xasprintf("%s\n", text);
  free(text);
  return out;
}

int shard_index_write(const shard_index *x, const char *status, al_err *err) {
  char *text = shard_index_to_json(x, status);
  if (!text) return al_err_set(err, SHARD_EIO, "%s: cannot serialise index", x->root);
  if (shard_mkdirs(x->root, err) != 0) {
    free(text);
    return -1;
  }
  char *path = al_xasprintf("%s/%s", x->root, SHARD_INDEX_NAME);
  int rc = shard_write_file_atomic(path, text, strlen(text), err);
  free(path);
  free(text);
  return rc;
}

void shard_index_free(shard_index *x) {
  if (!x) return;
  for (size_t i = 0; i < x->ntasks; i++) task_clear(&x->tasks[i]);
  free(x->tasks);
  free(x->buckets);
  free(x->root);
  free(x->job_id);
  free(x->job_name);
  free(x->long_documents);
  free(x->packing);
  free(x);
}
