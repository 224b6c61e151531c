/* Reuse of a previous run's output (see coord_resume.h). */
#include "coord/coord_resume.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord/coord_journal.h"
#include "coord/coord_outdir.h"

typedef struct prev_shard {
  char *path, *sha256;
  int64_t samples, tokens, bytes;
  char **sources;
  size_t n_sources;
} prev_shard;

typedef struct prev_group { /* one previous task directory */
  char *dir;
  prev_shard *shards;
  size_t n_shards;
  size_t n_distinct; /* distinct source files */
  int bad, used;
  int has_counts;     /* index.json's task_counts has this directory */
  int64_t documents, ids_encoded, ids_truncated, padding;
} prev_group;

typedef struct file_ref { /* one input file of the previous run */
  const char *path;       /* borrowed from a shard's sources or from skip_paths */
  long group;             /* index into groups, or -1 when skipped */
  const char *reason;     /* skipped: why */
} file_ref;

struct coord_resume {
  prev_group *groups;
  size_t n_groups, cap_groups;
  file_ref *files;
  size_t n_files;
  char **skip_paths, **skip_reasons;
  size_t n_skips;
  size_t reused;
  size_t journal_lines, journal_ignored; /* coord_journal_read */
};

static int cmp_ref(const void *a, const void *b) {
  return strcmp(((const file_ref *)a)->path, ((const file_ref *)b)->path);
}

static char *jdup(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? al_xstrdup(s) : NULL;
}

/* index.json lists shards sorted by path, so a task directory's shards are adjacent:
 * only the last group is compared (a scan of every group made loading a manifest of a
 * million tasks quadratic). In an unsorted manifest a directory seen again starts a new
 * group, whose task then runs again rather than being reused. */
static long group_of(coord_resume *r, const char *dir) {
  if (r->n_groups > 0 && strcmp(r->groups[r->n_groups - 1].dir, dir) == 0) return (long)r->n_groups - 1;
  if (r->n_groups == r->cap_groups) {
    r->cap_groups = r->cap_groups ? 2 * r->cap_groups : 64;
    r->groups = al_xrealloc(r->groups, r->cap_groups * sizeof *r->groups);
  }
  memset(&r->groups[r->n_groups], 0, sizeof *r->groups);
  r->groups[r->n_groups].dir = al_xstrdup(dir);
  return (long)r->n_groups++;
}

static int shard_ok(const char *root, const prev_shard *s, int max_seq_len, int verify_sha256) {
  al_err e;
  al_err_clear(&e);
  return coord_outdir_check_shard(root, s->path, s->bytes, s->samples, max_seq_len, s->sha256, verify_sha256, &e) == 0;
}

/* The previous manifest's layout field k equals want (absent: the default dflt, as
 * manifests before the field was written hold only default layouts). */
static int same_field(json_t *doc, const char *k, const char *want, const char *dflt) {
  const char *prev = json_string_value(json_object_get(doc, k));
  return strcmp(prev ? prev : dflt, want ? want : dflt) == 0;
}

/* Adds the shards, task counts and skipped files doc lists. same_layout 0: every shard
 * counts as bad (another max_seq_len or row layout). */
static void add_doc(coord_resume *r, const char *root, json_t *doc, int same_layout, int max_seq_len,
                    int verify_sha256, size_t *n_bad) {
  size_t first_group = r->n_groups;
  size_t i;
  json_t *sh;
  json_array_foreach(json_object_get(doc, "shards"), i, sh) {
    prev_shard s = {0};
    s.path = jdup(sh, "path");
    s.sha256 = jdup(sh, "sha256");
    s.samples = json_integer_value(json_object_get(sh, "samples"));
    s.tokens = json_integer_value(json_object_get(sh, "tokens"));
    s.bytes = json_integer_value(json_object_get(sh, "bytes"));
    json_t *src = json_object_get(sh, "sources");
    s.sources = al_xcalloc(json_array_size(src) + 1, sizeof *s.sources);
    size_t k;
    json_t *v;
    json_array_foreach(src, k, v) if (json_is_string(v)) s.sources[s.n_sources++] = al_xstrdup(json_string_value(v));
    const char *slash = s.path ? strchr(s.path, '/') : NULL;
    char *dir = slash ? al_xstrndup(s.path, (size_t)(slash - s.path)) : al_xstrdup("");
    long gi = group_of(r, dir); /* may move r->groups: index first */
    prev_group *g = &r->groups[gi];
    free(dir);
    if (!same_layout || !shard_ok(root, &s, max_seq_len, verify_sha256)) {
      g->bad = 1;
      (*n_bad)++;
    }
    g->shards = al_xrealloc(g->shards, (g->n_shards + 1) * sizeof *g->shards);
    g->shards[g->n_shards++] = s;
  }
  /* the workers' counts of each previous task (index.json task_counts) */
  json_t *tcounts = json_object_get(doc, "task_counts");
  for (size_t g = first_group; g < r->n_groups && json_is_object(tcounts); g++) {
    json_t *c = json_object_get(tcounts, r->groups[g].dir);
    if (!json_is_object(c)) continue;
    r->groups[g].has_counts = 1;
    r->groups[g].documents = json_integer_value(json_object_get(c, "documents"));
    r->groups[g].ids_encoded = json_integer_value(json_object_get(c, "ids_encoded"));
    r->groups[g].ids_truncated = json_integer_value(json_object_get(c, "ids_truncated"));
    r->groups[g].padding = json_integer_value(json_object_get(c, "padding"));
  }
  json_t *sk;
  json_t *skipped = json_object_get(doc, "skipped");
  size_t more = json_array_size(skipped);
  r->skip_paths = al_xrealloc(r->skip_paths, (r->n_skips + more + 1) * sizeof *r->skip_paths);
  r->skip_reasons = al_xrealloc(r->skip_reasons, (r->n_skips + more + 1) * sizeof *r->skip_reasons);
  json_array_foreach(skipped, i, sk) {
    char *p = jdup(sk, "path");
    if (!p) continue;
    r->skip_paths[r->n_skips] = p;
    char *why = jdup(sk, "reason");
    r->skip_reasons[r->n_skips++] = why ? why : al_xstrdup("");
  }
}

coord_resume *coord_resume_load(const char *output_dir, int max_seq_len, const char *long_documents,
                                const char *packing, int verify_sha256, size_t *n_bad, al_err *err) {
  *n_bad = 0;
  coord_resume *r = al_xcalloc(1, sizeof *r);
  char root[PATH_MAX];
  if (!realpath(output_dir, root)) return r;
  char *path = al_xasprintf("%s/%s", root, COORD_MANIFEST_NAME);
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  if (!doc && access(path, F_OK) == 0) {
    al_err_set(err, AL_E_FAILED, "--resume: %s: line %d column %d: %s", path, je.line, je.column, je.text);
    free(path);
    coord_resume_free(r);
    return NULL;
  }
  free(path);
  if (doc) {
    json_t *prev_len = json_object_get(doc, "max_seq_len");
    int same_len = (!json_is_integer(prev_len) || json_integer_value(prev_len) == max_seq_len) &&
                   same_field(doc, "long_documents", long_documents, "truncate") &&
                   same_field(doc, "packing", packing, "none");
    add_doc(r, root, doc, same_len, max_seq_len, verify_sha256, n_bad);
    json_decref(doc);
  }
  /* tasks committed by runs that never wrote their index.json (killed mid-job) */
  json_t *journal = coord_journal_read(root, max_seq_len, long_documents, packing, &r->journal_lines,
                                       &r->journal_ignored);
  if (journal) {
    add_doc(r, root, journal, 1, max_seq_len, verify_sha256, n_bad);
    json_decref(journal);
  }
  /* the file index: every source (once per group) and every skipped file */
  size_t cap = r->n_skips;
  for (size_t g = 0; g < r->n_groups; g++)
    for (size_t k = 0; k < r->groups[g].n_shards; k++) cap += r->groups[g].shards[k].n_sources;
  r->files = al_xcalloc(cap + 1, sizeof *r->files);
  for (size_t g = 0; g < r->n_groups; g++)
    for (size_t k = 0; k < r->groups[g].n_shards; k++)
      for (size_t m = 0; m < r->groups[g].shards[k].n_sources; m++)
        r->files[r->n_files++] = (file_ref){r->groups[g].shards[k].sources[m], (long)g, NULL};
  for (size_t k = 0; k < r->n_skips; k++) r->files[r->n_files++] = (file_ref){r->skip_paths[k], -1, r->skip_reasons[k]};
  qsort(r->files, r->n_files, sizeof *r->files, cmp_ref);
  /* a file twice in one group (split rows) counts once; in two groups or both used and
   * skipped it is ambiguous: neither group is reused */
  size_t w = 0;
  for (size_t k = 0; k < r->n_files; k++) {
    if (w > 0 && strcmp(r->files[w - 1].path, r->files[k].path) == 0) {
      if (r->files[w - 1].group != r->files[k].group) {
        if (r->files[w - 1].group >= 0) r->groups[r->files[w - 1].group].bad = 1;
        if (r->files[k].group >= 0) r->groups[r->files[k].group].bad = 1;
      }
      continue;
    }
    r->files[w++] = r->files[k];
  }
  r->n_files = w;
  for (size_t k = 0; k < r->n_files; k++)
    if (r->files[k].group >= 0) r->groups[r->files[k].group].n_distinct++;
  return r;
}

int coord_resume_match(coord_resume *r, const char *const *files, size_t n, coord_task_result *res) {
  if (!r || n == 0) return 0;
  long group = -2;
  size_t in_group = 0, n_skips = 0;
  for (size_t i = 0; i < n; i++) {
    file_ref key = {files[i], 0, NULL};
    const file_ref *f = bsearch(&key, r->files, r->n_files, sizeof *r->files, cmp_ref);
    if (!f) return 0;
    if (f->group < 0) {
      n_skips++;
      continue;
    }
    if (group != -2 && group != f->group) return 0;
    group = f->group;
    in_group++;
  }
  prev_group *g = group >= 0 ? &r->groups[group] : NULL;
  if (g && (g->bad || g->used || g->n_distinct != in_group)) return 0;
  memset(res, 0, sizeof *res);
  res->skips = al_xcalloc(n_skips + 1, sizeof *res->skips);
  for (size_t i = 0; i < n; i++) {
    file_ref key = {files[i], 0, NULL};
    const file_ref *f = bsearch(&key, r->files, r->n_files, sizeof *r->files, cmp_ref);
    if (f->group < 0) {
      res->skips[res->n_skips].path = al_xstrdup(files[i]);
      res->skips[res->n_skips++].reason = al_xstrdup(f->reason);
    }
  }
  if (g) {
    g->used = 1;
    res->shards = al_xcalloc(g->n_shards + 1, sizeof *res->shards);
    for (size_t k = 0; k < g->n_shards; k++) {
      const prev_shard *s = &g->shards[k];
      coord_shard_info *c = &res->shards[res->n_shards++];
      c->path = al_xstrdup(s->path);
      c->sha256 = s->sha256 ? al_xstrdup(s->sha256) : NULL;
      c->samples = s->samples;
      c->tokens = s->tokens;
      c->bytes = s->bytes;
      c->files = al_xcalloc(s->n_sources + 1, sizeof *c->files);
      for (size_t m = 0; m < s->n_sources; m++) c->files[c->n_files++] = al_xstrdup(s->sources[m]);
      res->samples_processed += s->samples;
      res->tokens += s->tokens;
    }
  }
  /* a task of skipped files only, or one whose counts index.json kept */
  if (!g || g->has_counts) {
    res->has_counts = 1;
    if (g) {
      res->documents = g->documents;
      res->ids_encoded = g->ids_encoded;
      res->ids_truncated = g->ids_truncated;
      res->padding = g->padding;
    }
  }
  res->shards_written = (int64_t)res->n_shards;
  res->skipped = (int64_t)res->n_skips;
  res->status = al_xstrdup(res->samples_processed > 0 ? "success" : "no_samples");
  r->reused++;
  return 1;
}

size_t coord_resume_reused(const coord_resume *r) { return r ? r->reused : 0; }

size_t coord_resume_journal_lines(const coord_resume *r, size_t *ignored) {
  if (ignored) *ignored = r ? r->journal_ignored : 0;
  return r ? r->journal_lines : 0;
}

void coord_resume_free(coord_resume *r) {
  if (!r) return;
  for (size_t g = 0; g < r->n_groups; g++) {
    for (size_t k = 0; k < r->groups[g].n_shards; k++) {
      prev_shard *s = &r->groups[g].shards[k];
      free(s->path);
      free(s->sha256);
      for (size_t m = 0; m < s->n_sources; m++) free(s->sources[m]);
      free(s->sources);
    }
    free(r->groups[g].shards);
    free(r->groups[g].dir);
  }
  free(r->groups);
  free(r->files);
  for (size_t k = 0; k < r->n_skips; k++) {
    free(r->skip_paths[k]);
    free(r->skip_reasons[k]);
  }
  free(r->skip_paths);
  free(r->skip_reasons);
  free(r);
}
