/* Wire protocol throughput on one core: encode + frame decode + message decode of
 * assign (10 and 500 files) and task_result (3 shards, 2 skipped files) messages.
 * Usage: bench_proto [seconds per case, default 1] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/al.h"
#include "proto/messages.h"
#include "proto/proto.h"

static volatile uint64_t sink;

/* CPU time of this thread: the machine is shared, so wall time would measure the
 * neighbours. Rates below are messages per CPU-second of one core. */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs encode -> proto_decoder -> proto_msg_decode -> free in a loop for `secs`. */
static void run_case(const char *name, const proto_msg *m, double secs) {
  al_buf out = {0};
  proto_decoder d;
  proto_decoder_init(&d, 0);
  uint64_t n = 0, bytes = 0;
  double t0 = cpu_s(), t1 = t0;
  while (t1 - t0 < secs) {
    for (int i = 0; i < 256; i++) {
      out.len = 0;
      proto_msg_encode(m, &out);
      proto_decoder_feed(&d, out.data, out.len);
      const uint8_t *p;
      size_t len;
      if (proto_decoder_next(&d, &p, &len) != PROTO_FRAME) abort();
      proto_msg dm;
      al_err e;
      if (proto_msg_decode(p, len, &dm, &e) != 0) abort();
      sink += dm.request_id;
      proto_msg_free(&dm);
      bytes += out.len;
    }
    n += 256;
    t1 = cpu_s();
  }
  double el = t1 - t0;
  printf("%-24s %10.0f msgs/s  %8.1f MB/s  (%zu-byte frames)\n", name, (double)n / el,
         (double)bytes / el / 1e6, out.len);
  proto_decoder_free(&d);
  al_buf_free(&out);
}

/* Encode only and decode only, to show where the time goes. */
static void run_split(const char *name, const proto_msg *m, double secs) {
  al_buf out = {0};
  proto_msg_encode(m, &out);
  uint64_t n = 0;
  double t0 = cpu_s(), t1 = t0;
  al_buf tmp = {0};
  while (t1 - t0 < secs) {
    for (int i = 0; i < 256; i++) {
      tmp.len = 0;
      proto_msg_encode(m, &tmp);
    }
    n += 256;
    t1 = cpu_s();
  }
  double enc = (double)n / (t1 - t0);
  n = 0;
  t0 = t1 = cpu_s();
  while (t1 - t0 < secs) {
    for (int i = 0; i < 256; i++) {
      proto_msg dm;
      al_err e;
      if (proto_msg_decode((const uint8_t *)out.data + 4, out.len - 4, &dm, &e) != 0) abort();
      proto_msg_free(&dm);
    }
    n += 256;
    t1 = cpu_s();
  }
  double dec = (double)n / (t1 - t0);
  printf("%-24s encode %10.0f/s  decode %10.0f/s\n", name, enc, dec);
  al_buf_free(&out);
  al_buf_free(&tmp);
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  if (secs <= 0) secs = 1.0;
  enum { NF = 500 };
  static char names[NF][64];
  static const char *files[NF];
  for (int i = 0; i < NF; i++) {
    snprintf(names[i], sizeof names[i], "/data/corpus/wiki/part-%05d/article-%06d.txt", i / 100, i);
    files[i] = names[i];
  }
  proto_msg assign10;
  memset(&assign10, 0, sizeof assign10);
  assign10.type = PROTO_MSG_ASSIGN;
  assign10.u.assign = (proto_assign){"3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b-000042",
                                     "3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b", 1, files, 10,
                                     "/srv/tokenizers", "/srv/out/wiki/task_3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b-000042", 2048, 10000,
                                     "/srv/out/wiki/.staging/task_3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b-000042.a1.5e1f09ab", "/srv/raw", NULL, NULL,
                                     false, NULL};
  proto_msg assign500 = assign10;
  assign500.u.assign.n_files = NF;

  static const char *src[] = {"/data/corpus/wiki/part-00000/article-000001.txt",
                              "/data/corpus/wiki/part-00000/article-000002.txt"};
  proto_shard shards[3];
  for (int i = 0; i < 3; i++)
    shards[i] = (proto_shard){"shard_00042_000.safetensors", 10000, 20480000, 82000000,
                              "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", src, 2};
  proto_skipped_file skipped[2] = {{"/data/corpus/wiki/part-00000/logo.png", "unsupported file type"},
                                   {"/data/corpus/wiki/part-00000/empty.txt", "no samples"}};
  proto_msg result;
  memset(&result, 0, sizeof result);
  result.type = PROTO_MSG_TASK_RESULT;
  result.u.task_result = (proto_task_result){
      .task_id = "3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b-000042", .job_id = "3f2b9c1e-7d4a-4f8e-9b1a-2c3d4e5f6a7b",
      .attempt = 1, .ok = true, .status = "success", .samples_processed = 30000, .shards_written = 3,
      .tokens = 61440000, .skipped = 2, .skipped_files = skipped, .n_skipped_files = 2, .shards = shards,
      .n_shards = 3, .duration_s = 12.5};

  printf("bench_proto: encode + frame decode + message decode, messages per CPU-second of one core, %.1f CPU-s per case\n", secs);
  run_case("assign (10 files)", &assign10, secs);
  run_case("assign (500 files)", &assign500, secs);
  run_case("task_result (3 shards)", &result, secs);
  run_split("assign (10 files)", &assign10, secs / 2);
  run_split("task_result (3 shards)", &result, secs / 2);
  return 0;
}
