/* Verification and publication of task output (see coord_commit.h). */
#include "coord/coord_commit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord/coord_journal.h"
#include "coord/coord_outdir.h"
#include "shard/safetensors.h"
#include "shard/shard.h"
#include "shard/source.h"
#include "worker/inputs.h"

/* ---------------------------------------------------------------- snapshot */

/* What a commit needs, copied on the loop so the work never reads coordinator state. */
typedef struct snap_shard {
  char *path, *sha256;
  int64_t samples, tokens, bytes;
  size_t n_sources;   /* names listed */
  int64_t n_entries;  /* what they stand for: runs of records expanded (check_accounting) */
} snap_shard;

/* The counts a result claims; the commit accepts them only when the shards agree. */
typedef struct snap_counts {
  int has_counts;
  int64_t samples, shards_written, skipped, tokens, documents, ids_encoded, ids_truncated, padding;
} snap_counts;

typedef struct snap {
  char *task_id, *job_id, *output_dir, *staging_dir;
  uint32_t attempt;
  int64_t max_seq_len;
  int split, packed; /* job.long_documents split, job.packing greedy */
  char *long_documents, *packing; /* as configured (NULL = the defaults), for the journal */
  snap_counts claim;
  size_t n_skips;
  char **skip_reasons; /* n_skips */
  int64_t n_skip_entries; /* skipped files and records, runs expanded (check_accounting) */
  char **files; /* the task's input files */
  size_t n_files;
  char **used;  /* every source of every shard and every skipped path */
  size_t n_used;
  size_t *used_skip_from; /* index in used where skipped paths begin */
  snap_shard *shards;
  size_t n_shards;
} snap;

static char *dupn(const char *s) { return s ? al_xstrdup(s) : NULL; }

static void snap_take(snap *s, const coord_task *t) {
  memset(s, 0, sizeof *s);
  s->task_id = al_xstrdup(t->id);
  s->job_id = al_xstrdup(t->job->id);
  s->output_dir = al_xstrdup(t->job->config.output_dir);
  s->staging_dir = dupn(t->staging_dir);
  s->attempt = t->attempt;
  s->max_seq_len = t->job->config.max_seq_len;
  s->split = t->job->config.long_documents && strcmp(t->job->config.long_documents, "split") == 0;
  s->packed = t->job->config.packing && strcmp(t->job->config.packing, "greedy") == 0;
  s->long_documents = dupn(t->job->config.long_documents);
  s->packing = dupn(t->job->config.packing);
  s->files = al_xcalloc(t->n_files + 1, sizeof *s->files);
  for (size_t i = 0; i < t->n_files; i++) s->files[i] = al_xstrdup(t->files[i]);
  s->n_files = t->n_files;
  const coord_task_result *r = &t->result;
  s->claim = (snap_counts){r->has_counts, r->samples_processed, r->shards_written, r->skipped, r->tokens,
                           r->documents, r->ids_encoded, r->ids_truncated, r->padding};
  s->n_skips = r->n_skips;
  size_t n_used = r->n_skips;
  for (size_t i = 0; i < r->n_shards; i++) n_used += r->shards[i].n_files;
  s->used = al_xcalloc(n_used + 1, sizeof *s->used);
  s->shards = al_xcalloc(r->n_shards + 1, sizeof *s->shards);
  for (size_t i = 0; i < r->n_shards; i++) {
    const coord_shard_info *c = &r->shards[i];
    s->shards[i] = (snap_shard){dupn(c->path), dupn(c->sha256), c->samples, c->tokens, c->bytes, c->n_files, 0};
    for (size_t k = 0; k < c->n_files; k++) s->used[s->n_used++] = dupn(c->files[k]);
  }
  s->n_shards = r->n_shards;
  s->skip_reasons = al_xcalloc(r->n_skips + 1, sizeof *s->skip_reasons);
  for (size_t i = 0; i < r->n_skips; i++) {
    s->used[s->n_used++] = dupn(r->skips[i].path);
    s->skip_reasons[i] = dupn(r->skips[i].reason);
  }
}

static void snap_free(snap *s) {
  free(s->task_id);
  free(s->job_id);
  free(s->output_dir);
  free(s->staging_dir);
  free(s->long_documents);
  free(s->packing);
  for (size_t i = 0; i < s->n_skips; i++) free(s->skip_reasons[i]);
  free(s->skip_reasons);
  for (size_t i = 0; i < s->n_files; i++) free(s->files[i]);
  free(s->files);
  for (size_t i = 0; i < s->n_used; i++) free(s->used[i]);
  free(s->used);
  for (size_t i = 0; i < s->n_shards; i++) {
    free(s->shards[i].path);
    free(s->shards[i].sha256);
  }
  free(s->shards);
  memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- checks */

static int cmp_str(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  if (!x) return y ? -1 : 0;
  if (!y) return 1;
  return strcmp(x, y);
}

/* The input file a source or skipped name stands for: the name itself, or for a JSON
 * Lines record "<file>:<line>" or a run of records "<file>:<a>-<b>" (shard/source.h) the
 * JSON Lines file. *entries is how many rows/documents/skips the name stands for. NULL
 * when neither is an input file of the task. files is sorted. */
static char **input_of(const char *name, char **files, size_t n, int64_t *entries) {
  *entries = 1;
  if (!name) return NULL;
  char **hit = bsearch(&name, files, n, sizeof *files, cmp_str);
  if (hit) return hit;
  size_t fl;
  uint64_t a, b;
  if (!shard_source_record(name, &fl, &a, &b)) return NULL;
  char *file = al_xstrndup(name, fl);
  const char *base = strrchr(file, '/');
  worker_input in;
  worker_input_classify(base ? base + 1 : file, false, &in);
  const char *key = file;
  hit = in.jsonl ? bsearch(&key, files, n, sizeof *files, cmp_str) : NULL;
  free(file);
  if (hit) *entries = (int64_t)(b - a + 1);
  return hit;
}

/* Every input file of the task is a source or a skipped file, and every source and
 * skipped path is an input file of the task (or a record of one, "<file>:<line>"). A
 * file may feed several rows (split or packed output, JSON Lines records), so sources
 * may repeat, and a JSON Lines file may have both records in rows and skipped records. */
static int check_accounting(snap *s, al_err *err) {
  char **files = al_xcalloc(s->n_files + 1, sizeof *files);
  memcpy(files, s->files, s->n_files * sizeof *files);
  qsort(files, s->n_files, sizeof *files, cmp_str);
  unsigned char *seen = al_xcalloc(s->n_files + 1, 1);
  int rc = 0;
  /* used[] holds each shard's sources in shard order, then the skipped names */
  size_t shard = 0, end = s->n_shards ? s->shards[0].n_sources : 0;
  for (size_t i = 0; i < s->n_shards; i++) s->shards[i].n_entries = 0;
  s->n_skip_entries = 0;
  for (size_t i = 0; i < s->n_used && rc == 0; i++) {
    const char *p = s->used[i];
    int64_t entries;
    char **hit = input_of(p, files, s->n_files, &entries);
    while (shard < s->n_shards && i >= end)
      if (++shard < s->n_shards) end += s->shards[shard].n_sources;
    if (shard < s->n_shards) {
      s->shards[shard].n_entries += entries;
    } else {
      s->n_skip_entries += entries;
    }
    if (!hit) {
      rc = al_err_set(err, AL_E_FAILED, "the result names '%.300s', which is not an input file of task %s", p ? p : "(null)",
                      s->task_id);
      break;
    }
    seen[hit - files] |= 1;
  }
  for (size_t i = 0; i < s->n_files && rc == 0; i++)
    if (!seen[i])
      rc = al_err_set(err, AL_E_FAILED, "input file '%.300s' of task %s is neither in a shard nor skipped", files[i],
                      s->task_id);
  free(seen);
  free(files);
  return rc;
}

/* What a shard's tensors hold: its real positions (ones of attention_mask) and, in the
 * packed layout, the documents that start in it (position_ids 0 at a real position).
 * Reads rows x L mask bytes (and position ids when packed) of the mapped file. */
static int shard_facts(const shard_st_file *f, const char *full, uint64_t rows, uint64_t L, int packed,
                       int64_t *real, int64_t *docs, al_err *err) {
  const shard_st_tensor *m = shard_st_find(f, "attention_mask");
  if (!m || m->dtype != SHARD_DT_U8 || m->ndim != 2 || m->shape[0] != rows || m->shape[1] != L)
    return al_err_set(err, AL_E_FAILED, "shard %s: attention_mask is missing or not U8 %llux%llu", full,
                      (unsigned long long)rows, (unsigned long long)L);
  uint64_t n = rows * L, ones = 0;
  for (uint64_t i = 0; i < n; i++) {
    if (m->data[i] > 1) return al_err_set(err, AL_E_FAILED, "shard %s: attention_mask holds %u", full, m->data[i]);
    ones += m->data[i];
  }
  *real = (int64_t)ones;
  *docs = 0;
  if (!packed) return 0;
  const shard_st_tensor *pos = shard_st_find(f, "position_ids");
  const shard_st_tensor *doc = shard_st_find(f, "document_ids");
  if (!pos || !doc || pos->dtype != SHARD_DT_I32 || doc->dtype != SHARD_DT_I32 || pos->ndim != 2 || doc->ndim != 2 ||
      pos->shape[0] != rows || pos->shape[1] != L || doc->shape[0] != rows || doc->shape[1] != L)
    return al_err_set(err, AL_E_FAILED, "shard %s: a packed shard needs I32 %llux%llu document_ids and position_ids", full,
                      (unsigned long long)rows, (unsigned long long)L);
  int64_t starts = 0;
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *v = pos->data + 4 * i; /* little-endian I32: zero when all four bytes are */
    if (m->data[i] && (v[0] | v[1] | v[2] | v[3]) == 0) starts++;
  }
  *docs = starts;
  return 0;
}

/* One reported shard: where it must be, what it must hold. */
static int check_shard(const snap *s, const snap_shard *sh, const char *stage_rel, const char *stage_abs,
                       int verify_sha256, char **base_out, int64_t *docs_out, al_err *err) {
  const char *p = sh->path ? sh->path : "";
  size_t nrel = strlen(stage_rel);
  if (strncmp(p, stage_rel, nrel) != 0 || p[nrel] != '/')
    return al_err_set(err, AL_E_FAILED, "shard '%.300s' is not in the attempt's staging directory %s", p, stage_rel);
  const char *base = p + nrel + 1;
  if (strchr(base, '/') || fnmatch("shard_*.safetensors", base, 0) != 0 || strstr(base, ".."))
    return al_err_set(err, AL_E_FAILED, "shard '%.300s' is not named shard_*.safetensors", p);
  char *full = al_xasprintf("%s/%s", stage_abs, base);
  int rc = 0;
  struct stat st;
  if (lstat(full, &st) != 0) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s does not exist: %s", full, strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s is not a regular file", full);
    goto out;
  }
  if ((int64_t)st.st_size != sh->bytes) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s is %lld bytes, the result says %lld", full, (long long)st.st_size,
                    (long long)sh->bytes);
    goto out;
  }
  shard_st_file f;
  al_err e2;
  al_err_clear(&e2);
  if (shard_st_load(full, &f, &e2) != 0) {
    rc = al_err_set(err, AL_E_FAILED, "shard header does not parse: %s", e2.msg);
    goto out;
  }
  const shard_st_tensor *ids = shard_st_find(&f, "input_ids");
  if (!ids || ids->ndim != 2 || (int64_t)ids->shape[0] != sh->samples || (int64_t)ids->shape[1] != s->max_seq_len)
    rc = al_err_set(err, AL_E_FAILED, "shard %s: input_ids is %s%llux%llu, the result says %lldx%lld", full,
                    ids ? "" : "missing, not ", ids && ids->ndim >= 1 ? (unsigned long long)ids->shape[0] : 0ULL,
                    ids && ids->ndim >= 2 ? (unsigned long long)ids->shape[1] : 0ULL, (long long)sh->samples,
                    (long long)s->max_seq_len);
  int64_t real = 0;
  if (rc == 0) rc = shard_facts(&f, full, (uint64_t)sh->samples, (uint64_t)s->max_seq_len, s->packed, &real, docs_out, err);
  if (rc == 0 && real != sh->tokens)
    rc = al_err_set(err, AL_E_FAILED, "shard %s holds %lld real ids, the result says %lld", full, (long long)real,
                    (long long)sh->tokens);
  /* sources: one per row, or in the packed layout one per document starting in the shard */
  int64_t want_sources = s->packed ? *docs_out : sh->samples;
  if (rc == 0 && sh->n_entries != want_sources)
    rc = al_err_set(err, AL_E_FAILED, "shard %s names %lld sources, its %s give %lld", full, (long long)sh->n_entries,
                    s->packed ? "document starts" : "rows", (long long)want_sources);
  shard_st_free(&f);
  if (rc) goto out;
  if (verify_sha256) {
    char hex[65] = {0};
    if ((rc = coord_outdir_sha256(full, hex, err)) != 0) goto out;
    if (!sh->sha256 || strcasecmp(hex, sh->sha256) != 0) {
      rc = al_err_set(err, AL_E_FAILED, "shard %s: sha256 is %s, the result says %.64s", full, hex,
                      sh->sha256 ? sh->sha256 : "(none)");
      goto out;
    }
  }
  *base_out = al_xstrdup(base);
out:
  free(full);
  return rc;
}

/* The result's totals against its verified shards: rows, ids written and padding are
 * what the shards hold; ids encoded = written + truncated, nothing truncated in split
 * jobs; documents are counted in packed shards, one per row in unpacked truncate jobs,
 * at most one per row otherwise. A result without counts (documents and ids_encoded 0)
 * is counted as one document per row with nothing truncated. */
static int check_counts(const snap *s, int64_t docs_in_shards, al_err *err) {
  const snap_counts *c = &s->claim;
  int64_t rows = 0, real = 0;
  for (size_t i = 0; i < s->n_shards; i++) {
    rows += s->shards[i].samples;
    real += s->shards[i].tokens;
  }
  const char *what = NULL;
  long long claimed = 0, actual = 0;
#define COUNT_IS(name, got, want)      \
  if (!what && (got) != (want)) {      \
    what = name;                       \
    claimed = (long long)(got);        \
    actual = (long long)(want);        \
  }
  COUNT_IS("samples", c->samples, rows);
  COUNT_IS("shards_written", c->shards_written, (int64_t)s->n_shards);
  COUNT_IS("skipped", c->skipped, s->n_skip_entries);
  COUNT_IS("tokens", c->tokens, real);
  if (c->has_counts) {
    COUNT_IS("padding", c->padding, rows * s->max_seq_len - real);
    COUNT_IS("ids_encoded", c->ids_encoded, real + c->ids_truncated);
    if (s->split) COUNT_IS("ids_truncated", c->ids_truncated, (int64_t)0);
    if (s->packed) COUNT_IS("documents", c->documents, docs_in_shards);
    if (!s->packed && !s->split) COUNT_IS("documents", c->documents, rows);
    if (!s->packed && s->split && (c->documents > rows || (rows > 0 && c->documents < 1)))
      COUNT_IS("documents", c->documents, rows);
  }
#undef COUNT_IS
  if (what)
    return al_err_set(err, AL_E_FAILED, "task %s: the result says %s %lld, its shards give %lld", s->task_id, what, claimed,
                      actual);
  return 0;
}

static int listed(char **bases, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (bases[i] && strcmp(bases[i], name) == 0) return 1;
  return 0;
}

/* Removes files of the staging directory the result does not list (a worker's
 * leftovers), so the published directory holds exactly the listed shards. */
static int prune_unlisted(const char *dir, char **bases, size_t n, al_err *err) {
  DIR *d = opendir(dir);
  if (!d) return al_err_set(err, AL_E_FAILED, "%s: cannot open: %s", dir, strerror(errno));
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (listed(bases, n, de->d_name)) continue;
    char *p = al_xasprintf("%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      rc = al_err_set(err, AL_E_FAILED, "%s: unexpected directory in a staging directory", p);
    else if (unlink(p) != 0 && errno != ENOENT)
      rc = al_err_set(err, AL_E_FAILED, "%s: cannot remove: %s", p, strerror(errno));
    free(p);
    if (rc) break;
  }
  closedir(d);
  return rc;
}

static json_t *str_or_null(const char *v) { return v ? json_string(v) : json_null(); }

/* The commit journal's line for a task just published (coord_journal.h): its shards
 * under their published paths (paths), their sources, its skipped files, its counts. */
static void journal_commit(const char *root, const snap *s, char *const *paths) {
  json_t *line = json_object();
  char *dir = al_xasprintf("task_%s", s->task_id);
  json_object_set_new(line, "task_dir", json_string(dir));
  free(dir);
  json_object_set_new(line, "max_seq_len", json_integer(s->max_seq_len));
  json_object_set_new(line, "long_documents", json_string(s->long_documents ? s->long_documents : "truncate"));
  json_object_set_new(line, "packing", json_string(s->packing ? s->packing : "none"));
  json_t *shards = json_array();
  size_t u = 0; /* s->used: each shard's sources in order, then the skipped paths */
  for (size_t i = 0; i < s->n_shards; i++) {
    const snap_shard *sh = &s->shards[i];
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(paths[i]));
    json_object_set_new(o, "sha256", str_or_null(sh->sha256));
    json_object_set_new(o, "samples", json_integer(sh->samples));
    json_object_set_new(o, "tokens", json_integer(sh->tokens));
    json_object_set_new(o, "bytes", json_integer(sh->bytes));
    json_t *src = json_array();
    for (size_t k = 0; k < sh->n_sources && u < s->n_used; k++) json_array_append_new(src, str_or_null(s->used[u++]));
    json_object_set_new(o, "sources", src);
    json_array_append_new(shards, o);
  }
  json_object_set_new(line, "shards", shards);
  json_t *skipped = json_array();
  for (size_t i = 0; i < s->n_skips && u < s->n_used; i++, u++) {
    json_t *o = json_object();
    json_object_set_new(o, "path", str_or_null(s->used[u]));
    json_object_set_new(o, "reason", json_string(s->skip_reasons[i] ? s->skip_reasons[i] : ""));
    json_array_append_new(skipped, o);
  }
  json_object_set_new(line, "skipped", skipped);
  if (s->claim.has_counts) {
    json_t *c = json_object();
    json_object_set_new(c, "documents", json_integer(s->claim.documents));
    json_object_set_new(c, "ids_encoded", json_integer(s->claim.ids_encoded));
    json_object_set_new(c, "ids_truncated", json_integer(s->claim.ids_truncated));
    json_object_set_new(c, "padding", json_integer(s->claim.padding));
    json_object_set_new(line, "counts", c);
  }
  if (coord_journal_append(root, s->job_id, line) != 0)
    al_warn("task %s: not in the commit journal (%s): after a crash --resume runs it again", s->task_id,
            strerror(errno));
  json_decref(line);
}

static int commit_snap(snap *s, int verify_sha256, char ***paths_out, al_err *err) {
  *paths_out = NULL;
  char root[PATH_MAX];
  if (!realpath(s->output_dir, root))
    return al_err_set(err, AL_E_FAILED, "output directory %s: %s", s->output_dir, strerror(errno));
  char *name;
  if (s->staging_dir) {
    const char *b = strrchr(s->staging_dir, '/');
    name = al_xstrdup(b ? b + 1 : s->staging_dir);
  } else {
    /* A lease restored after a coordinator restart: the staging name was chosen by the
     * previous instance. Take it from the result, but only an attempt's own name. */
    char *want = al_xasprintf("%s/task_%s.a%u.", COORD_STAGING_DIR, s->task_id, s->attempt);
    const char *p = s->n_shards ? s->shards[0].path : NULL;
    const char *end = p && strncmp(p, want, strlen(want)) == 0 ? strchr(p + strlen(COORD_STAGING_DIR) + 1, '/') : NULL;
    free(want);
    if (!end && s->n_shards > 0)
      return al_err_set(err, AL_E_FAILED, "task %s attempt %u: shard '%.300s' is not in a staging directory of this attempt",
                        s->task_id, s->attempt, p ? p : "");
    name = end ? al_xstrndup(p + strlen(COORD_STAGING_DIR) + 1, (size_t)(end - p) - strlen(COORD_STAGING_DIR) - 1)
               : al_xasprintf("task_%s.a%u.none", s->task_id, s->attempt);
  }
  char *stage_rel = al_xasprintf("%s/%s", COORD_STAGING_DIR, name);
  free(name);
  char *stage_abs = al_xasprintf("%s/%s", root, stage_rel);
  char *task_dir = al_xasprintf("%s/task_%s", root, s->task_id);
  char **bases = al_xcalloc(s->n_shards + 1, sizeof *bases);
  int rc = 0;
  struct stat st;
  int have_stage = lstat(stage_abs, &st) == 0;
  if (have_stage && !S_ISDIR(st.st_mode)) {
    rc = al_err_set(err, AL_E_FAILED, "%s is not a directory", stage_abs);
    goto fail;
  }
  if (!have_stage && s->n_shards > 0) {
    rc = al_err_set(err, AL_E_FAILED, "staging directory %s does not exist", stage_abs);
    goto fail;
  }
  if ((rc = check_accounting(s, err)) != 0) goto fail;
  int64_t docs = 0;
  for (size_t i = 0; i < s->n_shards; i++) {
    int64_t d = 0;
    if ((rc = check_shard(s, &s->shards[i], stage_rel, stage_abs, verify_sha256, &bases[i], &d, err)) != 0) goto fail;
    docs += d;
    for (size_t k = 0; k < i; k++)
      if (strcmp(bases[k], bases[i]) == 0) {
        rc = al_err_set(err, AL_E_FAILED, "shard %s is listed twice", s->shards[i].path);
        goto fail;
      }
  }
  if ((rc = check_counts(s, docs, err)) != 0) goto fail;
  if (s->n_shards == 0) { /* nothing to publish: the attempt's directory goes */
    if (have_stage) coord_outdir_remove_tree(stage_abs, NULL);
    coord_outdir_remove_tree(task_dir, NULL); /* a crashed earlier instance's unrecorded output */
  } else {
    if ((rc = prune_unlisted(stage_abs, bases, s->n_shards, err)) != 0) goto fail;
    if ((rc = coord_outdir_publish(root, stage_abs, task_dir, err)) != 0) goto fail;
  }
  char **paths = al_xcalloc(s->n_shards + 1, sizeof *paths);
  for (size_t i = 0; i < s->n_shards; i++) paths[i] = al_xasprintf("task_%s/%s", s->task_id, bases[i]);
  journal_commit(root, s, paths);
  *paths_out = paths;
  goto out;
fail:
  if (have_stage) coord_outdir_remove_tree(stage_abs, NULL);
out:
  for (size_t i = 0; i < s->n_shards; i++) free(bases[i]);
  free(bases);
  free(stage_rel);
  free(stage_abs);
  free(task_dir);
  return rc;
}

int coord_commit_run(const coord_task *t, int verify_sha256, char ***paths_out, al_err *err) {
  snap s;
  snap_take(&s, t);
  int rc = commit_snap(&s, verify_sha256, paths_out, err);
  snap_free(&s);
  return rc;
}

/* ---------------------------------------------------------------- restored results */

/* A result restored after a coordinator restart was published by the previous
 * instance: its shards must still be there as recorded before it counts. */
static int check_restored(snap *s, int verify_sha256, al_err *err) {
  char root[PATH_MAX];
  if (!realpath(s->output_dir, root))
    return al_err_set(err, AL_E_FAILED, "output directory %s: %s", s->output_dir, strerror(errno));
  for (size_t i = 0; i < s->n_shards; i++) {
    const snap_shard *sh = &s->shards[i];
    if (coord_outdir_check_shard(root, sh->path, sh->bytes, sh->samples, s->max_seq_len, sh->sha256, verify_sha256,
                                 err) != 0)
      return -1;
  }
  return 0;
}

int coord_commit_check_restored(const coord_task *t, int verify_sha256, al_err *err) {
  snap s;
  snap_take(&s, t);
  int rc = check_restored(&s, verify_sha256, err);
  snap_free(&s);
  return rc;
}

/* ---------------------------------------------------------------- async commit */

struct coord_commit {
  uv_work_t req;
  snap s;
  int restored; /* check a restored result instead of committing an attempt */
  int verify_sha256;
  int rc;
  char **paths;
  al_err err;
  coord_commit_cb cb;
  void *ud;
};

static void commit_work(uv_work_t *req) {
  coord_commit *c = req->data;
  c->rc = c->restored ? check_restored(&c->s, c->verify_sha256, &c->err)
                      : commit_snap(&c->s, c->verify_sha256, &c->paths, &c->err);
}

static void commit_after(uv_work_t *req, int status) {
  coord_commit *c = req->data;
  if (status != 0 && c->rc == 0) {
    c->rc = -1;
    al_err_set(&c->err, AL_E_FAILED, "commit work not run: %s", uv_strerror(status));
  }
  if (c->cb)
    c->cb(c->ud, c->s.task_id, c->s.attempt, c->rc == 0, (const char *const *)c->paths, c->rc == 0 ? c->s.n_shards : 0,
          c->rc == 0 ? NULL : c->err.msg);
  if (c->paths)
    for (size_t i = 0; i < c->s.n_shards; i++) free(c->paths[i]);
  free(c->paths);
  snap_free(&c->s);
  free(c);
}

static coord_commit *start(uv_loop_t *loop, const coord_task *t, int restored, int verify_sha256, coord_commit_cb cb,
                           void *ud) {
  coord_commit *c = al_xcalloc(1, sizeof *c);
  snap_take(&c->s, t);
  c->restored = restored;
  c->verify_sha256 = verify_sha256;
  c->cb = cb;
  c->ud = ud;
  al_err_clear(&c->err);
  c->req.data = c;
  if (uv_queue_work(loop, &c->req, commit_work, commit_after) != 0) {
    commit_work(&c->req);
    commit_after(&c->req, 0);
    return NULL;
  }
  return c;
}

coord_commit *coord_commit_start(uv_loop_t *loop, const coord_task *t, int verify_sha256, coord_commit_cb cb,
                                 void *ud) {
  return start(loop, t, 0, verify_sha256, cb, ud);
}

coord_commit *coord_commit_restored_start(uv_loop_t *loop, const coord_task *t, int verify_sha256, coord_commit_cb cb,
                                          void *ud) {
  return start(loop, t, 1, verify_sha256, cb, ud);
}

void coord_commit_orphan(coord_commit *c) {
  if (c) c->cb = NULL;
}
