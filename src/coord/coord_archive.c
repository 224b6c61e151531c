/* Finished jobs known from the store (see coord_archive.h). */
#include "coord/coord_archive.h"

#include <stdlib.h>
#include <string.h>

#include "coord/coord_recover.h"

static char *dup_str(const json_t *doc, const char *key) {
  const char *s = json_string_value(json_object_get(doc, key));
  return s ? al_xstrdup(s) : NULL;
}

static uint64_t get_u64(const json_t *doc, const char *key) {
  json_int_t v = json_integer_value(json_object_get(doc, key));
  return v > 0 ? (uint64_t)v : 0;
}

int coord_archived_job_from_record(const char *id, const json_t *doc, coord_archived_job *e) {
  memset(e, 0, sizeof *e);
  if (!json_is_object(doc)) return -1;
  e->id = al_xstrdup(id);
  e->name = dup_str(doc, "name");
  e->status = dup_str(doc, "status");
  if (!e->status) e->status = al_xstrdup("unknown");
  e->created_at = dup_str(doc, "created_at");
  e->completed_at = dup_str(doc, "completed_at");
  e->error = dup_str(doc, "error");
  e->total_tasks = get_u64(doc, "total_tasks");
  e->completed_tasks = get_u64(doc, "completed_tasks");
  e->failed_tasks = get_u64(doc, "failed_tasks");
  e->retried_tasks = get_u64(doc, "retried_tasks");
  e->samples = get_u64(doc, "samples_processed");
  e->tokens = get_u64(doc, "tokens");
  e->documents = get_u64(doc, "documents");
  e->ids_encoded = get_u64(doc, "ids_encoded");
  e->ids_truncated = get_u64(doc, "ids_truncated");
  e->padding = get_u64(doc, "padding");
  e->skipped = get_u64(doc, "skipped");
  e->bytes = get_u64(doc, "bytes_read");
  double t0 = coord_recover_parse_iso(e->created_at), t1 = coord_recover_parse_iso(e->completed_at);
  e->elapsed_s = t0 > 0 && t1 > t0 ? t1 - t0 : 0;
  e->sealed = json_is_true(json_object_get(doc, "sealed"));
  return 0;
}

void coord_archived_job_clear(coord_archived_job *e) {
  free(e->id);
  free(e->name);
  free(e->status);
  free(e->created_at);
  free(e->completed_at);
  free(e->error);
  memset(e, 0, sizeof *e);
}

void coord_archived_job_summary(const coord_archived_job *e, proto_job_summary *s, const char **errs) {
  memset(s, 0, sizeof *s);
  s->job_id = e->id;
  s->name = e->name;
  s->status = e->status;
  s->created_at = e->created_at;
  s->completed_at = e->completed_at;
  s->total_tasks = e->total_tasks;
  s->completed_tasks = e->completed_tasks;
  s->failed_tasks = e->failed_tasks;
  s->retried_tasks = e->retried_tasks;
  s->samples = e->samples;
  s->tokens = e->tokens;
  s->documents = e->documents;
  s->ids_encoded = e->ids_encoded;
  s->ids_truncated = e->ids_truncated;
  s->padding = e->padding;
  s->skipped = e->skipped;
  s->bytes = e->bytes;
  s->elapsed_s = e->elapsed_s;
  s->sealed = e->sealed;
  if (e->error) {
    errs[0] = e->error;
    s->errors = errs;
    s->n_errors = 1;
  }
}

/* ---------------------------------------------------------------- loading */

typedef struct loader {
  coord_persist *ps; /* the one write: an expired id leaves jobs:finished */
  store *st;
  coord_jm *jm;
  coord_archive *a;
  size_t cap;
  size_t waiting; /* GETs not answered yet */
  int members_done, failed;
  al_err *err;
} loader;

typedef struct get_req {
  loader *l;
  char *id;
} get_req;

static void on_record(void *ud, const store_reply *r) {
  get_req *q = ud;
  loader *l = q->l;
  if (r->status == STORE_OK && r->value) {
    json_t *doc = json_loadb(r->value, r->len, 0, NULL);
    coord_archived_job e;
    if (coord_archived_job_from_record(q->id, doc, &e) == 0) {
      if (l->a->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->a->v = al_xrealloc(l->a->v, l->cap * sizeof *l->a->v);
      }
      l->a->v[l->a->n++] = e;
    } else {
      al_warn("recovery: job:%s is not a job record; not listed", q->id);
    }
    json_decref(doc);
  } else if (r->status == STORE_NOT_FOUND) {
    coord_persist_unlist_finished(l->ps, q->id); /* its retention ended */
  } else if (!l->failed) {
    l->failed = 1;
    al_err_set(l->err, AL_E_FAILED, "recovery: cannot read job:%s: %s", q->id, r->msg ? r->msg : "error");
  }
  free(q->id);
  free(q);
  l->waiting--;
}

static void on_members(void *ud, const store_reply *r) {
  loader *l = ud;
  l->members_done = 1;
  if (r->status == STORE_ERROR) {
    l->failed = 1;
    al_err_set(l->err, AL_E_FAILED, "recovery: cannot read %s: %s", COORD_FINISHED_JOBS_KEY, r->msg ? r->msg : "error");
    return;
  }
  for (size_t i = 0; i < r->n_values; i++) {
    char *id = al_xstrndup(r->values[i], r->lens[i]);
    if (l->jm && coord_jm_job_find(l->jm, id)) { /* reloaded as unfinished: listed from memory */
      free(id);
      continue;
    }
    get_req *q = al_xcalloc(1, sizeof *q);
    q->l = l;
    q->id = id;
    char key[600];
    snprintf(key, sizeof key, "job:%s", id);
    l->waiting++;
    store_get(l->st, key, on_record, q);
  }
}

static int cmp_created(const void *a, const void *b) {
  const coord_archived_job *x = a, *y = b;
  int c = strcmp(x->created_at ? x->created_at : "", y->created_at ? y->created_at : "");
  return c ? c : strcmp(x->id, y->id);
}

static void tick(uv_timer_t *t) { (void)t; }

int coord_archive_load(uv_loop_t *loop, coord_persist *ps, coord_jm *jm, coord_archive *out, al_err *err) {
  memset(out, 0, sizeof *out);
  loader l = {ps, coord_persist_store(ps), jm, out, 0, 0, 0, 0, err};
  store_smembers(l.st, COORD_FINISHED_JOBS_KEY, on_members, &l);
  /* the store's own timers and connection drive the loop; a tick keeps it from blocking
   * forever should nothing else be armed */
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, tick, 50, 50);
  while (!l.members_done || l.waiting > 0) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  if (l.failed) {
    coord_archive_free(out);
    return -1;
  }
  if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_created); /* v is NULL when empty */
  if (out->n > COORD_ARCHIVE_MAX) { /* keep the newest */
    size_t drop = out->n - COORD_ARCHIVE_MAX;
    for (size_t i = 0; i < drop; i++) coord_archived_job_clear(&out->v[i]);
    memmove(out->v, out->v + drop, COORD_ARCHIVE_MAX * sizeof *out->v);
    out->n = COORD_ARCHIVE_MAX;
  }
  if (out->n) al_info("recovery: %zu finished jobs listed from the store", out->n);
  return 0;
}

void coord_archive_free(coord_archive *a) {
  for (size_t i = 0; i < a->n; i++) coord_archived_job_clear(&a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}
