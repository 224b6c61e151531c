/* Job manifest from coordinator state (see coord_manifest.h). */
#include "coord/coord_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/index.h"

static shard_index *build(const coord_job *j) {
  shard_index *x = shard_index_new(j->config.output_dir, j->id, j->config.name);
  shard_index_set_params(x, (uint32_t)j->config.max_seq_len, (uint32_t)j->config.shard_size);
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
    free(shards);
    free(skips);
  }
  return x;
}

int coord_write_manifest(const coord_job *j, al_err *err) {
  shard_index *x = build(j);
  int rc = shard_index_write(x, coord_job_status_name(j->status), err);
  shard_index_free(x);
  return rc;
}

typedef struct manifest_write {
  uv_work_t req;
  shard_index *x;
  const char *status; /* static */
  char *job_id;
  int rc;
  al_err err;
} manifest_write;

static void write_work(uv_work_t *req) {
  manifest_write *m = req->data;
  m->rc = shard_index_write(m->x, m->status, &m->err);
}

static void write_done(uv_work_t *req, int status) {
  manifest_write *m = req->data;
  if (status != 0 || m->rc != 0)
    al_error("job %s: cannot write the manifest: %s", m->job_id, status ? uv_strerror(status) : m->err.msg);
  else
    al_info("job %s: manifest written", m->job_id);
  shard_index_free(m->x);
  free(m->job_id);
  free(m);
}

void coord_write_manifest_async(uv_loop_t *loop, const coord_job *j) {
  manifest_write *m = al_xcalloc(1, sizeof *m);
  m->x = build(j);
  m->status = coord_job_status_name(j->status);
  m->job_id = al_xstrdup(j->id);
  m->req.data = m;
  if (uv_queue_work(loop, &m->req, write_work, write_done) != 0) {
    m->rc = shard_index_write(m->x, m->status, &m->err);
    write_done(&m->req, 0);
  }
}
