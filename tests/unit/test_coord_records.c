/* Coordinator building blocks: the deadline heap against a sorted reference, the
 * string map, and the records' JSON (Python json.dumps style, ensure_ascii). */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_heap.h"
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"
#include "coord/coord_map.h"
#include "harness.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void test_heap_random(void) {
  enum { N = 2000 };
  static coord_timer t[N];
  coord_heap h = {0};
  srand(7);
  for (int i = 0; i < N; i++) {
    coord_timer_init(&t[i], 1);
    coord_heap_arm(&h, &t[i], (double)(rand() % 100000) / 10.0);
  }
  /* re-arm a third, cancel a third */
  for (int i = 0; i < N; i += 3) coord_heap_arm(&h, &t[i], (double)(rand() % 100000) / 10.0);
  for (int i = 1; i < N; i += 3) coord_heap_cancel(&h, &t[i]);
  coord_heap_cancel(&h, &t[1]); /* twice is harmless */
  double ref[N];
  size_t n = 0;
  for (int i = 0; i < N; i++)
    if (coord_timer_armed(&t[i])) ref[n++] = t[i].deadline;
  qsort(ref, n, sizeof *ref, cmp_double);
  CHECK_EQ_INT(h.n, n);
  size_t k = 0, bad = 0;
  coord_timer *top;
  while ((top = coord_heap_top(&h)) != NULL) {
    if (top->deadline != ref[k]) bad++;
    k++;
    coord_heap_cancel(&h, top);
  }
  CHECK_EQ_INT(k, n);
  CHECK_EQ_INT(bad, 0);
  coord_heap_free(&h);
}

static void test_map(void) {
  coord_map m;
  coord_map_init(&m);
  char key[32];
  static int vals[5000];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "job-%d", i);
    coord_map_put(&m, key, &vals[i]);
  }
  CHECK_EQ_INT(m.count, 5000);
  CHECK(coord_map_get(&m, "job-4321", 8) == &vals[4321]);
  CHECK(coord_map_get(&m, "job-43210", 8) == &vals[4321]); /* length-limited key */
  CHECK(coord_map_get(&m, "job-5000", 8) == NULL);
  CHECK(coord_map_del(&m, "job-17") == &vals[17]);
  CHECK(coord_map_del(&m, "job-17") == NULL);
  CHECK(coord_map_get(&m, "job-17", 6) == NULL);
  coord_map_put(&m, "job-18", &vals[0]);
  CHECK(coord_map_get(&m, "job-18", 6) == &vals[0]);
  CHECK_EQ_INT(m.count, 4999);
  coord_map_free(&m);
}

static void test_task_json_escaping(void) {
  setenv("TZ", "UTC", 1);
  coord_job j;
  memset(&j, 0, sizeof j);
  j.id = "j1";
  j.status = COORD_JOB_RUNNING;
  j.created_at = 1.5;
  j.config.input_dir = "/in";
  j.config.output_dir = "/out \"quoted\"";
  j.config.tokenizers_dir = "/tok\\dir";
  j.config.max_seq_len = 4096;
  j.config.shard_size = 10000;
  char *files[] = {"caf\xc3\xa9.txt", "emoji\xf0\x9f\x98\x80.txt", "tab\there", "bad\xff"};
  coord_task t;
  memset(&t, 0, sizeof t);
  t.id = "j1-000000";
  t.job = &j;
  t.files = files;
  t.n_files = 4;
  t.output_dir = "/out/task_j1-000000";
  t.status = COORD_TASK_PENDING;
  al_buf b = {0};
  coord_task_to_json(&t, &b);
  CHECK_EQ_STR(b.data,
               "{\"id\": \"j1-000000\", \"job_id\": \"j1\", \"status\": \"pending\", \"retries\": 0, "
               "\"attempt\": 0, \"files\": [\"caf\\u00e9.txt\", \"emoji\\ud83d\\ude00.txt\", \"tab\\there\", "
               "\"bad\\ufffd\"], \"tokenizers_dir\": \"/tok\\\\dir\", \"output_dir\": \"/out/task_j1-000000\", "
               "\"max_seq_len\": 4096, \"shard_size\": 10000, \"worker_id\": null}");
  b.len = 0;
  j.skipped = 2; /* a reason is a worker's text: escaped as a key */
  j.skip_reasons[0] = (coord_reason_count){"bad \"x\"", 2};
  j.n_skip_reasons = 1;
  coord_job_to_json(&j, &b);
  CHECK_EQ_STR(b.data,
               "{\"id\": \"j1\", \"status\": \"running\", \"created_at\": \"1970-01-01T00:00:01.500000\", "
               "\"config\": {\"input_dir\": \"/in\", \"output_dir\": \"/out \\\"quoted\\\"\", "
               "\"tokenizers_dir\": \"/tok\\\\dir\", \"max_seq_len\": 4096, \"shard_size\": 10000}, "
               "\"tasks\": [], \"total_tasks\": 0, \"completed_tasks\": 0, \"failed_tasks\": 0, "
               "\"retried_tasks\": 0, \"samples_processed\": 0, \"tokens\": 0, \"documents\": 0, \"ids_encoded\": 0, "
               "\"ids_written\": 0, \"ids_truncated\": 0, \"padding\": 0, \"skipped\": 2, "
               "\"skip_reasons\": {\"bad \\\"x\\\"\": 2}, \"bytes_read\": 0, \"sealed\": false}");
  al_buf_free(&b);
  CHECK_EQ_STR(coord_job_status_name(COORD_JOB_COMPLETED_WITH_ERRORS), "completed_with_errors");
  CHECK(coord_job_status_is_final(COORD_JOB_TIMEOUT));
  CHECK(!coord_job_status_is_final(COORD_JOB_RUNNING));
}

int main(void) {
  RUN(test_heap_random);
  RUN(test_map);
  RUN(test_task_json_escaping);
  return TEST_REPORT();
}
