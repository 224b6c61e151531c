/* Job manifest from coordinator state (see coord_manifest.h). */
#include "coord/coord_manifest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/al.h"
#include "coord/coord_journal.h"
#include "coord/coord_outdir.h"
#include "shard/index.h"

static shard_index *build(const coord_job *j) {
  shard_index *x = shard_index_new(j->config.output_dir, j->id, j->config.name);
  shard_index_set_params(x, (uint32_t)j->config.max_seq_len, (uint32_t)j->config.shard_size);
  shard_index_set_layout(x, j->config.long_documents, j->config.packing);
  for (size_t i = 0; i < j->total_tasks; i++) {
    const coord_task *t = j->tasks[i];
    if (!t || !t->has_result) continue;
    const coord_task_result *r = &t->result;
    /* Views of the task's result in the shard module's types (nothing is copied
     * here; shard_index_put_task copies). */
    shard_info *shards = al_xcalloc(r->n_shards ? r->n_shards : 1, sizeof *shards);
    for (size_t k = 0; k < r->n_shards; k++) {
      const coord_shard_info *s = &r->shards[k];
      shards[k].path = s->path;
      shards[k].name = s->path;
      shards[k].shard_id = (uint32_t)k;
      shards[k].samples = (uint64_t)s->samples;
      shards[k].tokens = (uint64_t)s->tokens;
      shards[k].bytes = (uint64_t)s->bytes;
      if (s->sha256) snprintf(shards[k].sha256, sizeof shards[k].sha256, "%s", s->sha256);
      shards[k].sources = s->files;
      shards[k].nsources = s->n_files;
    }
    shard_skip *skips = al_xcalloc(r->n_skips ? r->n_skips : 1, sizeof *skips);
    for (size_t k = 0; k < r->n_skips; k++) skips[k] = (shard_skip){r->skips[k].path, r->skips[k].reason};
    shard_index_put_task(x, t->id, shards, r->n_shards, skips, r->n_skips);
    shard_index_put_input_files(x, t->id, (uint64_t)t->n_files);
    if (r->has_counts) {
      shard_row_counts c = {.documents = (uint64_t)r->documents, .ids_encoded = (uint64_t)r->ids_encoded,
                            .ids_truncated = (uint64_t)r->ids_truncated, .pad_ids = (uint64_t)r->padding};
      shard_index_put_counts(x, t->id, &c);
    }
    free(shards);
    free(skips);
  }
  return x;
}

int coord_write_manifest(const coord_job *j, coord_job_status st, al_err *err) {
  shard_index *x = build(j);
  int rc = shard_index_write(x, coord_job_status_name(st), err);
  shard_index_free(x);
  return rc;
}

struct coord_finalize {
  uv_work_t req;
  shard_index *x;
  const char *status; /* static */
  char *job_id, *output_dir;
  char *output_root;  /* worker_output_root, or NULL */
  int owns_output;
  char **keep;        /* task_<id> directories accepted results list, sorted */
  size_t n_keep;
  int rc;
  al_err err;
  coord_finalize_cb cb;
  void *ud;
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int keep_dir(void *ud, const char *name) {
  coord_finalize *f = ud;
  return bsearch(&name, f->keep, f->n_keep, sizeof *f->keep, cmp_str) != NULL;
}

/* The confinement rule of the workers' shards, checked again here because the tree
 * may have changed since submit (docs/SECURITY.md). Returns 1 with f->err set. */
static int output_refused(coord_finalize *f) {
  if (al_path_is_fs_root(f->output_dir)) {
    al_err_set(&f->err, AL_E_FAILED, "index.json not written: output_dir '%s' is a file system root", f->output_dir);
    return 1;
  }
  if (f->output_root && !al_path_resolved_under(f->output_dir, f->output_root)) {
    al_err_set(&f->err, AL_E_FAILED, "index.json not written: output_dir '%s' is outside worker_output_root '%s' (symlinks resolved)",
               f->output_dir, f->output_root);
    return 1;
  }
  return 0;
}

static void finalize_work(uv_work_t *req) {
  coord_finalize *f = req->data;
  char root[PATH_MAX];
  al_err e2;
  al_err_clear(&e2);
  if (output_refused(f)) { /* nothing is written or removed outside the root */
    f->rc = -1;
    return;
  }
  if (realpath(f->output_dir, root)) coord_outdir_clean_job(root, f->owns_output ? NULL : f->job_id, keep_dir, f, &e2);
  f->rc = shard_index_write(f->x, f->status, &f->err);
  if (!realpath(f->output_dir, root)) return;
  /* written: index.json lists what the journal did; not written: the task directories
   * the journal names are removed below */
  coord_journal_remove(root, f->owns_output ? NULL : f->job_id);
  char *staging = al_xasprintf("%s/%s", root, COORD_STAGING_DIR);
  rmdir(staging); /* only when empty, as coord_outdir_clean_job */
  free(staging);
  if (f->rc != 0) {
    int n = coord_outdir_remove_job_output(root, f->job_id, NULL);
    if (n > 0) al_err_prefix(&f->err, "cannot write the job manifest (the job's %d task directories were removed)", n);
    else al_err_prefix(&f->err, "cannot write the job manifest");
  }
}

static void finalize_after(uv_work_t *req, int status) {
  coord_finalize *f = req->data;
  if (status != 0 && f->rc == 0) {
    f->rc = -1;
    al_err_set(&f->err, AL_E_FAILED, "manifest work not run: %s", uv_strerror(status));
  }
  if (f->rc != 0) al_error("job %s: %s", f->job_id, f->err.msg);
  else al_info("job %s: manifest written", f->job_id);
  if (f->cb) f->cb(f->ud, f->job_id, f->rc == 0, f->rc == 0 ? NULL : f->err.msg);
  shard_index_free(f->x);
  for (size_t i = 0; i < f->n_keep; i++) free(f->keep[i]);
  free(f->keep);
  free(f->job_id);
  free(f->output_dir);
  free(f->output_root);
  free(f);
}

coord_finalize *coord_finalize_start(uv_loop_t *loop, const coord_job *j, coord_job_status st, const char *output_root,
                                     coord_finalize_cb cb, void *ud) {
  coord_finalize *f = al_xcalloc(1, sizeof *f);
  f->output_root = output_root ? al_xstrdup(output_root) : NULL;
  f->x = build(j);
  f->status = coord_job_status_name(st);
  f->job_id = al_xstrdup(j->id);
  f->output_dir = al_xstrdup(j->config.output_dir);
  f->keep = al_xcalloc(j->total_tasks + 1, sizeof *f->keep);
  f->owns_output = j->owns_output;
  for (size_t i = 0; i < j->total_tasks; i++) {
    const coord_task *t = j->tasks[i];
    if (!t || !t->has_result || t->result.n_shards == 0) continue;
    /* the directory of its shards: task_<id> (or a previous run's, when resumed) */
    const char *p = t->result.shards[0].path ? t->result.shards[0].path : "";
    const char *slash = strchr(p, '/');
    f->keep[f->n_keep++] = slash ? al_xstrndup(p, (size_t)(slash - p)) : al_xasprintf("task_%s", t->id);
  }
  qsort(f->keep, f->n_keep, sizeof *f->keep, cmp_str);
  f->cb = cb;
  f->ud = ud;
  al_err_clear(&f->err);
  f->req.data = f;
  if (uv_queue_work(loop, &f->req, finalize_work, finalize_after) != 0) {
    finalize_work(&f->req);
    finalize_after(&f->req, 0);
    return NULL;
  }
  return f;
}

void coord_finalize_orphan(coord_finalize *f) {
  if (f) f->cb = NULL;
}
