/* A connected peer that claims the worker role and answers every assignment with a
 * made-up result, against a real coordinator process (forked) with output handling on.
 * Every fabrication must be refused by result verification, so the job ends failed
 * (never completed), nothing outside the output directory is touched and the output
 * directory holds nothing but the manifest. A second peer sends a real packed shard of
 * JSON Lines records with totals that disagree with it (refused), then the true ones
 * (published, and index.json carries them). */
#include <sys/stat.h>

#include "shard/shard.h"
#include "test_coord_client.h"

/* Submits job with n one-file tasks <in>/f<i><ext>; packing NULL or "greedy". */
static int submit_files(tpeer *p, const char *job, const char *in, const char *out, size_t n, const char *ext,
                        const char *packing) {
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_SUBMIT_JOB;
  m.u.submit_job.job_id = job;
  m.u.submit_job.input_dir = in;
  m.u.submit_job.output_dir = out;
  m.u.submit_job.tokenizers_dir = "/tok";
  m.u.submit_job.max_seq_len = 64;
  m.u.submit_job.shard_size = 10;
  m.u.submit_job.packing = packing;
  if (tp_request(p, &m, &r) != 0) return -1;
  int ok = r.type == PROTO_MSG_JOB_ACCEPTED;
  proto_msg_free(&r);
  if (!ok) return -1;
  proto_task_spec specs[8];
  char names[8][600];
  const char *files[8];
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "%.500s/f%zu%.20s", in, i, ext);
    files[i] = names[i];
    specs[i] = (proto_task_spec){i, &files[i], 1};
  }
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SUBMIT_TASKS;
  m.u.submit_tasks.job_id = job;
  m.u.submit_tasks.tasks = specs;
  m.u.submit_tasks.n_tasks = n;
  if (tp_request(p, &m, &r) != 0) return -1;
  ok = r.type == PROTO_MSG_OK;
  proto_msg_free(&r);
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SEAL_JOB;
  m.u.seal_job.job_id = job;
  m.u.seal_job.total_tasks = n;
  if (!ok || tp_request(p, &m, &r) != 0) return -1;
  ok = r.type == PROTO_MSG_OK;
  proto_msg_free(&r);
  return ok ? 0 : -1;
}

static int submit_real(tpeer *p, const char *job, const char *in, const char *out, size_t n) {
  return submit_files(p, job, in, out, n, ".txt", NULL);
}

static void send_fake(tpeer *w, const tassign *a, const char *shard_path, uint64_t bytes, const char *source) {
  proto_msg m = {0};
  proto_shard sh = {shard_path, 5, 320, bytes, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    &source, source ? 1 : 0};
  m.type = PROTO_MSG_TASK_RESULT;
  m.u.task_result.task_id = a->task_id;
  m.u.task_result.attempt = a->attempt;
  m.u.task_result.ok = true;
  m.u.task_result.status = "success";
  m.u.task_result.samples_processed = 5;
  m.u.task_result.shards_written = shard_path ? 1 : 0;
  m.u.task_result.shards = shard_path ? &sh : NULL;
  m.u.task_result.n_shards = shard_path ? 1 : 0;
  tp_send(w, &m);
}

static void test_fabricated_results_are_refused(void) {
  char *tmp = ts_mkdtemp("fault-peer");
  char in[512], out[512];
  snprintf(in, sizeof in, "%s/in", tmp);
  snprintf(out, sizeof out, "%s/out", tmp);
  mkdir(in, 0755);
  struct stat passwd0;
  int have_passwd = stat("/etc/passwd", &passwd0) == 0;

  coord_options o = tc_options();
  o.no_manifest = 0; /* output handling on: results are verified */
  o.jm.max_retries = 3;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer liar, sub;
  CHECK_EQ_INT(tp_hello(&liar, c.port, PROTO_ROLE_WORKER, "liar", 1), 0);
  CHECK_EQ_INT(tp_hello(&sub, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(submit_real(&sub, "fake", in, out, 2), 0);

  /* Four attempts per task, each a different lie. */
  int answered = 0;
  for (int k = 0; k < 8; k++) {
    tassign a;
    char path[600];
    if (tw_next_assign(&liar, &a, 5) != 0) break;
    const char *file = a.file, *staging = a.staging;
    tw_started(&liar, a.task_id, a.attempt);
    const char *rel = strstr(staging, "/.staging/");
    switch ((a.attempt - 1) % 4) {
    case 0: /* a path that climbs out of the output directory */
      send_fake(&liar, &a, "../../../../etc/passwd", 100, file);
      break;
    case 1: /* the right place, but no such file */
      snprintf(path, sizeof path, "%s/shard_000000.safetensors", rel ? rel + 1 : staging);
      send_fake(&liar, &a, path, 100, file);
      break;
    case 2: /* nothing processed, nothing skipped */
      send_fake(&liar, &a, NULL, 0, NULL);
      break;
    default: { /* a file that exists where it should, but is no shard */
      char *parent = al_xstrdup(staging);
      char *slash = strrchr(parent, '/');
      if (slash) *slash = '\0';
      mkdir(out, 0755);
      mkdir(parent, 0755);
      mkdir(staging, 0755);
      free(parent);
      snprintf(path, sizeof path, "%s/shard_000000.safetensors", staging);
      FILE *f = fopen(path, "wb");
      if (f) {
        fputs("not a safetensors file", f);
        fclose(f);
      }
      snprintf(path, sizeof path, "%s/shard_000000.safetensors", rel ? rel + 1 : staging);
      send_fake(&liar, &a, path, 22, file);
    }
    }
    answered++;
  }
  CHECK_EQ_INT(answered, 8);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&sub, "fake", "failed", 10, &j), 0);
  CHECK_EQ_INT(j.completed, 0);
  CHECK_EQ_INT(j.failed, 2);
  /* the manifest says failed and lists nothing; nothing else is left */
  char idx_path[600];
  snprintf(idx_path, sizeof idx_path, "%s/index.json", out);
  size_t len = 0;
  char *idx = NULL;
  for (int i = 0; i < 100 && !idx; i++) {
    idx = ts_read_file(idx_path, &len);
    if (!idx) usleep(20000);
  }
  CHECK_MSG(idx != NULL, "no %s", idx_path);
  if (idx) {
    CHECK_CONTAINS(idx, "\"status\": \"failed\"");
    CHECK_CONTAINS(idx, "\"shards\": []");
  }
  free(idx);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = index.json", out);
  CHECK_MSG(system(cmd) == 0, "the output directory holds more than index.json");
  if (have_passwd) {
    struct stat passwd1;
    CHECK(stat("/etc/passwd", &passwd1) == 0 && passwd1.st_size == passwd0.st_size &&
          passwd1.st_mtime == passwd0.st_mtime);
  }
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&liar);
  tp_close(&sub);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  free(tmp);
}

/* Writes a real packed shard into the attempt's staging dir: two records of the JSON
 * Lines input (40 ids, then 34 ids continuing into row 1) in rows of 64. */
static void write_packed_shard(const char *staging, const char *jsonl, shard_info *info) {
  char *parent = al_xstrdup(staging);
  char *slash = strrchr(parent, '/');
  if (slash) *slash = '\0';
  mkdir(parent, 0755);
  free(parent);
  al_err e;
  shard_writer *w = shard_writer_open_packed(staging, 64, 10, &e);
  CHECK_MSG(w != NULL, "%s", e.msg);
  if (!w) return;
  int32_t ids[64];
  uint8_t mods[64] = {0};
  for (int i = 0; i < 64; i++) ids[i] = 100 + i;
  char s1[600], s2[600];
  snprintf(s1, sizeof s1, "%s:1", jsonl);
  snprintf(s2, sizeof s2, "%s:2", jsonl);
  const char *row0_src[2] = {s1, s2}, *row1_src[1] = {s2};
  shard_segment row0[2] = {{40, 0}, {24, 0}}, row1[1] = {{10, 24}};
  CHECK_EQ_INT(shard_writer_add_packed(w, ids, mods, 64, row0, 2, row0_src, &e), 0);
  CHECK_EQ_INT(shard_writer_add_packed(w, ids, mods, 10, row1, 1, row1_src, &e), 0);
  CHECK_EQ_INT(shard_writer_finish(w, &e), 0);
  CHECK_EQ_INT(shard_writer_count(w), 1);
  shard_info_copy(info, shard_writer_info(w, 0));
  shard_writer_free(w);
}

/* Counts a packed JSON Lines result claims, sent with the shard written above. */
typedef struct claim {
  uint64_t tokens, documents, ids_encoded, padding;
} claim;

static void send_counts(tpeer *w, const tassign *a, const char *rel_path, const shard_info *info, const claim *c,
                        const char *bad_record) {
  proto_msg m = {0};
  const char *const *src = (const char *const *)info->sources;
  proto_shard sh = {rel_path, info->samples, c->tokens, info->bytes, info->sha256, src, info->nsources};
  proto_skipped_file sk = {bad_record, "bad JSON Lines record: not JSON"};
  m.type = PROTO_MSG_TASK_RESULT;
  m.u.task_result.task_id = a->task_id;
  m.u.task_result.attempt = a->attempt;
  m.u.task_result.ok = true;
  m.u.task_result.status = "success";
  m.u.task_result.samples_processed = info->samples;
  m.u.task_result.shards_written = 1;
  m.u.task_result.shards = &sh;
  m.u.task_result.n_shards = 1;
  m.u.task_result.skipped = 1;
  m.u.task_result.skipped_files = &sk;
  m.u.task_result.n_skipped_files = 1;
  m.u.task_result.tokens = c->tokens;
  m.u.task_result.documents = c->documents;
  m.u.task_result.ids_encoded = c->ids_encoded;
  m.u.task_result.padding = c->padding;
  tp_send(w, &m);
}

/* A packed JSON Lines result whose shard is real: sources and skips name records
 * ("file:LINE") and are accepted; totals that disagree with the shard are refused; the
 * honest one is published and its verified counts reach index.json. */
static void test_counts_are_verified(void) {
  char *tmp = ts_mkdtemp("fault-counts");
  char in[512], out[512];
  snprintf(in, sizeof in, "%s/in", tmp);
  snprintf(out, sizeof out, "%s/out", tmp);
  mkdir(in, 0755);
  coord_options o = tc_options();
  o.no_manifest = 0;
  o.jm.max_retries = 3;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer peer, sub;
  CHECK_EQ_INT(tp_hello(&peer, c.port, PROTO_ROLE_WORKER, "peer", 1), 0);
  CHECK_EQ_INT(tp_hello(&sub, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(submit_files(&sub, "counts", in, out, 1, ".jsonl", "greedy"), 0);
  /* the shard holds 74 real ids in 2 rows of 64: padding 54, 2 documents */
  /* lies: documents, ids written, padding; each refusal shows as the next attempt */
  const claim lies[3] = {{74, 3, 74, 54}, {80, 2, 80, 48}, {74, 2, 74, 60}}, honest = {74, 2, 74, 54};
  int attempts = 0;
  for (int k = 0; k < 4; k++) {
    tassign a;
    if (tw_next_assign(&peer, &a, 30) != 0) break;
    attempts++;
    CHECK_EQ_INT(a.attempt, (uint32_t)k + 1);
    tw_started(&peer, a.task_id, a.attempt);
    shard_info info = {0};
    write_packed_shard(a.staging, a.file, &info);
    CHECK_EQ_INT(info.nsources, 2); /* documents starting in the shard */
    const char *rel = strstr(a.staging, "/.staging/");
    char path[700], bad[600];
    snprintf(path, sizeof path, "%s/%s", rel ? rel + 1 : a.staging, info.name);
    snprintf(bad, sizeof bad, "%s:3", a.file);
    send_counts(&peer, &a, path, &info, k < 3 ? &lies[k] : &honest, bad);
    shard_info_clear(&info);
  }
  CHECK_EQ_INT(attempts, 4);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&sub, "counts", "completed", 10, &j), 0);
  char idx_path[600];
  snprintf(idx_path, sizeof idx_path, "%s/index.json", out);
  size_t len = 0;
  char *idx = NULL;
  for (int i = 0; i < 100 && !idx; i++) {
    idx = ts_read_file(idx_path, &len);
    if (!idx) usleep(20000);
  }
  CHECK_MSG(idx != NULL, "no %s", idx_path);
  if (idx) {
    CHECK_CONTAINS(idx, "\"documents\": 2");
    CHECK_CONTAINS(idx, "\"padding\": 54");
    CHECK_CONTAINS(idx, "\"ids_written\": 74");
    CHECK_CONTAINS(idx, "f0.jsonl:2");
  }
  free(idx);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&peer);
  tp_close(&sub);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  free(tmp);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_fabricated_results_are_refused);
  RUN(test_counts_are_verified);
  return TEST_REPORT();
}
