/* Message codec: round trips with edge values, validation errors naming the field,
 * forward compatibility, unknown types. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "proto/doc.h"
#include "proto/messages.h"

/* Decodes the payload of one encoded frame. */
static int decode_frame(const al_buf *f, proto_msg *m, al_err *e) {
  al_err_clear(e);
  return proto_msg_decode((const uint8_t *)f->data + 4, f->len - 4, m, e);
}

/* encode(decode(encode(m))) must equal encode(m): every field survived. */
static void check_round_trip(const proto_msg *m) {
  al_buf a = {0}, b = {0};
  CHECK(proto_msg_encode(m, &a) == a.len);
  proto_msg d;
  al_err e;
  CHECK_MSG(decode_frame(&a, &d, &e) == 0, "%s: %s", proto_msg_type_name(m->type), e.msg);
  CHECK_EQ_INT(d.type, m->type);
  CHECK_EQ_INT(d.request_id, m->request_id);
  proto_msg_encode(&d, &b);
  CHECK_MSG(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "%s re-encodes differently",
            proto_msg_type_name(m->type));
  proto_msg_free(&d);
  CHECK(d.arena_ == NULL && d.type == PROTO_MSG_NONE);
  al_buf_free(&a);
  al_buf_free(&b);
}

static void test_every_type_round_trips(void) {
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    proto_msg m;
    CHECK_EQ_INT(proto_msg_example((proto_msg_type)t, &m), 0);
    check_round_trip(&m);
    /* Zeroed: empty lists, zero numbers, absent optional strings. */
    proto_msg z;
    memset(&z, 0, sizeof z);
    z.type = (proto_msg_type)t;
    if (t == PROTO_MSG_HELLO) z.u.hello.role = PROTO_ROLE_ADMIN;
    check_round_trip(&z);
  }
  proto_msg none;
  memset(&none, 0, sizeof none);
  al_buf b = {0};
  CHECK_EQ_INT(proto_msg_encode(&none, &b), 0);
  CHECK_EQ_INT(b.len, 0);
}

static void test_type_names(void) {
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    const char *n = proto_msg_type_name((proto_msg_type)t);
    CHECK(n != NULL);
    CHECK_EQ_INT(proto_msg_type_from_name(n, strlen(n)), t);
  }
  CHECK_EQ_STR(proto_msg_type_name(PROTO_MSG_TASK_RESULT), "task_result");
  CHECK(proto_msg_type_name(PROTO_MSG_NONE) == NULL);
  CHECK_EQ_INT(proto_msg_type_from_name("assig", 5), PROTO_MSG_NONE);
  CHECK_EQ_STR(proto_role_name(PROTO_ROLE_SUBMITTER), "submitter");
}

static void test_assign_edge_values(void) {
  size_t big = 100000;
  char *long_path = malloc(big + 1);
  memset(long_path, 'x', big);
  long_path[big] = '\0';
  const char *files[] = {"données/日本語/😀.txt", "", long_path};
  proto_msg m;
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_ASSIGN;
  m.request_id = UINT64_MAX;
  m.u.assign = (proto_assign){"t", "j", UINT32_MAX, files, 3, "/tök", long_path, 0, UINT64_MAX, "/st\"a\x01ge", NULL,
                              "split", "greedy", true, "content"};
  al_buf f = {0};
  proto_msg_encode(&m, &f);
  proto_msg d;
  al_err e;
  CHECK_MSG(decode_frame(&f, &d, &e) == 0, "%s", e.msg);
  CHECK_EQ_INT(d.request_id == UINT64_MAX, 1);
  CHECK_EQ_INT(d.u.assign.attempt, UINT32_MAX);
  CHECK(d.u.assign.shard_size == UINT64_MAX);
  CHECK_EQ_INT(d.u.assign.max_seq_len, 0);
  CHECK_EQ_INT(d.u.assign.n_files, 3);
  CHECK_EQ_STR(d.u.assign.files[0], "données/日本語/😀.txt");
  CHECK_EQ_STR(d.u.assign.files[1], "");
  CHECK_EQ_INT(strlen(d.u.assign.files[2]), big);
  CHECK_EQ_STR(d.u.assign.tokenizers_dir, "/tök");
  CHECK(strcmp(d.u.assign.output_dir, long_path) == 0);
  CHECK_EQ_STR(d.u.assign.long_documents, "split");
  CHECK_EQ_STR(d.u.assign.packing, "greedy");
  CHECK(d.u.assign.detect_text);
  CHECK_EQ_STR(d.u.assign.jsonl_field, "content");
  CHECK(d.u.assign.files[0] != files[0]);  /* copies owned by the message */
  proto_msg_free(&d);
  al_buf_free(&f);
  free(long_path);
}

static void test_task_result_values(void) {
  const char *src[] = {"a.txt", "b.txt"};
  proto_shard shards[] = {{"s0.safetensors", 1, 2, 3, "ab", src, 2}, {"s1.safetensors", 0, 0, 0, "cd", NULL, 0}};
  proto_skipped_file sk[] = {{"x.bin", "unsupported"}};
  proto_msg m;
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_TASK_RESULT;
  m.u.task_result = (proto_task_result){.task_id = "job-1", .attempt = 2, .ok = false, .status = "no_samples",
                                        .samples_processed = 0, .skipped = 1, .skipped_files = sk,
                                        .n_skipped_files = 1, .shards = shards, .n_shards = 2,
                                        .error = "boom", .duration_s = 0.25};
  al_buf f = {0};
  proto_msg_encode(&m, &f);
  proto_msg d;
  al_err e;
  CHECK_MSG(decode_frame(&f, &d, &e) == 0, "%s", e.msg);
  const proto_task_result *r = &d.u.task_result;
  CHECK_EQ_STR(r->task_id, "job-1");
  CHECK(r->job_id == NULL);
  CHECK_EQ_INT(r->attempt, 2);
  CHECK_EQ_INT(r->ok, 0);
  CHECK_EQ_STR(r->status, "no_samples");
  CHECK_EQ_STR(r->error, "boom");
  CHECK(r->duration_s == 0.25);
  CHECK_EQ_INT(r->n_skipped_files, 1);
  CHECK_EQ_STR(r->skipped_files[0].reason, "unsupported");
  CHECK_EQ_INT(r->n_shards, 2);
  CHECK_EQ_STR(r->shards[0].path, "s0.safetensors");
  CHECK_EQ_INT(r->shards[0].tokens, 2);
  CHECK_EQ_INT(r->shards[0].bytes, 3);
  CHECK_EQ_INT(r->shards[0].n_sources, 2);
  CHECK_EQ_STR(r->shards[0].sources[1], "b.txt");
  CHECK_EQ_INT(r->shards[1].n_sources, 0);
  CHECK_EQ_STR(r->shards[1].sha256, "cd");
  proto_msg_free(&d);
  al_buf_free(&f);
}

static void test_heartbeat_and_hello_values(void) {
  proto_msg m;
  proto_msg_example(PROTO_MSG_HEARTBEAT, &m);
  al_buf f = {0};
  proto_msg_encode(&m, &f);
  proto_msg d;
  al_err e;
  CHECK(decode_frame(&f, &d, &e) == 0);
  CHECK(d.u.heartbeat.cpu_percent == 87.5);
  CHECK(d.u.heartbeat.mem_percent == 41.25);
  CHECK_EQ_INT(d.u.heartbeat.n_running, 1);
  CHECK_EQ_STR(d.u.heartbeat.running[0].task_id, "job-7f3a-0");
  proto_msg_free(&d);
  f.len = 0;
  proto_msg_example(PROTO_MSG_HELLO, &m);
  proto_msg_encode(&m, &f);
  CHECK(decode_frame(&f, &d, &e) == 0);
  CHECK_EQ_INT(d.u.hello.role, PROTO_ROLE_WORKER);
  CHECK_EQ_INT(d.u.hello.version, PROTO_VERSION);
  CHECK_EQ_STR(d.u.hello.token, "s3cret");
  CHECK_EQ_INT(d.u.hello.slots, 4);
  proto_msg_free(&d);
  al_buf_free(&f);
}

/* ---- Hand-built payloads ---- */
typedef struct raw {
  msgpack_sbuffer sb;
  msgpack_packer pk;
} raw;
static void raw_init(raw *r) {
  msgpack_sbuffer_init(&r->sb);
  msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}
static void rs(raw *r, const char *s) { msgpack_pack_str_with_body(&r->pk, s, strlen(s)); }
static int raw_decode(raw *r, proto_msg *m, al_err *e) {
  al_err_clear(e);
  int rc = proto_msg_decode((const uint8_t *)r->sb.data, r->sb.size, m, e);
  msgpack_sbuffer_destroy(&r->sb);
  return rc;
}

/* An assign map with the given override for one key (value packed by fn). */
static void pack_assign(raw *r, const char *skip_key, int extra_keys) {
  const char *keys[] = {"task_id", "job_id", "tokenizers_dir", "output_dir"};
  int n = 2 + 4 + extra_keys - (skip_key ? 1 : 0);
  msgpack_pack_map(&r->pk, (size_t)n);
  rs(r, "t");
  rs(r, "assign");
  rs(r, "rid");
  msgpack_pack_uint64(&r->pk, 42);
  for (int i = 0; i < 4; i++) {
    if (skip_key && strcmp(skip_key, keys[i]) == 0) continue;
    rs(r, keys[i]);
    rs(r, "v");
  }
}

static void test_wrong_field_type_names_field(void) {
  raw r;
  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "attempt");
  rs(&r, "one");
  proto_msg m;
  al_err e;
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_INT(e.code, PROTO_E_BAD_FIELD);
  CHECK_EQ_STR(e.msg, "assign: field 'attempt' must be an unsigned integer, got string");
  CHECK_EQ_INT(m.type, PROTO_MSG_NONE);
  CHECK_EQ_INT(m.request_id, 42);
  CHECK(m.arena_ == NULL);

  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "files");
  msgpack_pack_array(&r.pk, 2);
  rs(&r, "a");
  msgpack_pack_int(&r.pk, -1);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "assign: field 'files[1]' must be a string, got integer");

  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "attempt");
  msgpack_pack_uint64(&r.pk, 1ull << 32);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_CONTAINS(e.msg, "assign: field 'attempt' is out of range");

  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "shard_size");
  msgpack_pack_int64(&r.pk, -5);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_CONTAINS(e.msg, "assign: field 'shard_size' must be an unsigned integer");

  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "tokenizers_dir");  /* duplicate */
  rs(&r, "w");
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "assign: field 'tokenizers_dir' appears twice");

  raw_init(&r);
  pack_assign(&r, NULL, 2);
  rs(&r, "output_dir2");
  msgpack_pack_str_with_body(&r.pk, "a\0b", 3);
  rs(&r, "attempt");
  msgpack_pack_uint8(&r.pk, 1);
  CHECK_MSG(raw_decode(&r, &m, &e) == 0, "%s", e.msg);  /* unknown key: ignored even with NUL */
  proto_msg_free(&m);
}

static void test_nested_field_error_path(void) {
  raw r;
  raw_init(&r);
  msgpack_pack_map(&r.pk, 5);
  rs(&r, "t");
  rs(&r, "task_result");
  rs(&r, "task_id");
  rs(&r, "x");
  rs(&r, "attempt");
  msgpack_pack_uint32(&r.pk, 1);
  rs(&r, "ok");
  msgpack_pack_true(&r.pk);
  rs(&r, "shards");
  msgpack_pack_array(&r.pk, 2);
  msgpack_pack_map(&r.pk, 2);
  rs(&r, "path");
  rs(&r, "p");
  rs(&r, "sha256");
  rs(&r, "h");
  msgpack_pack_map(&r.pk, 2);
  rs(&r, "path");
  rs(&r, "p");
  rs(&r, "sha256");
  msgpack_pack_uint32(&r.pk, 7);
  proto_msg m;
  al_err e;
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "task_result: field 'shards[1].sha256' must be a string, got integer");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 5);
  rs(&r, "t");
  rs(&r, "task_result");
  rs(&r, "task_id");
  rs(&r, "x");
  rs(&r, "attempt");
  msgpack_pack_uint32(&r.pk, 1);
  rs(&r, "ok");
  msgpack_pack_true(&r.pk);
  rs(&r, "skipped_files");
  msgpack_pack_array(&r.pk, 1);
  msgpack_pack_map(&r.pk, 1);
  rs(&r, "path");
  rs(&r, "p");
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "task_result: field 'skipped_files[0].reason' is missing");
}

static void test_missing_required_field(void) {
  raw r;
  raw_init(&r);
  pack_assign(&r, "task_id", 1);
  rs(&r, "attempt");
  msgpack_pack_uint32(&r.pk, 1);
  proto_msg m;
  al_err e;
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_INT(e.code, PROTO_E_BAD_FIELD);
  CHECK_EQ_STR(e.msg, "assign: field 'task_id' is missing");

  raw_init(&r);
  pack_assign(&r, NULL, 0);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "assign: field 'attempt' is missing");

  /* nil counts as absent */
  raw_init(&r);
  pack_assign(&r, NULL, 1);
  rs(&r, "attempt");
  msgpack_pack_nil(&r.pk);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "assign: field 'attempt' is missing");
}

static void test_unknown_fields_ignored_any_order(void) {
  raw r;
  raw_init(&r);
  msgpack_pack_map(&r.pk, 5);
  rs(&r, "future");
  msgpack_pack_map(&r.pk, 1);
  rs(&r, "deep");
  msgpack_pack_array(&r.pk, 2);
  msgpack_pack_nil(&r.pk);
  msgpack_pack_double(&r.pk, 1.5);
  rs(&r, "attempt");
  msgpack_pack_uint8(&r.pk, 3);
  rs(&r, "rid");
  msgpack_pack_uint8(&r.pk, 9);
  rs(&r, "task_id");
  rs(&r, "job-1");
  rs(&r, "t");  /* type not first */
  rs(&r, "task_started");
  proto_msg m;
  al_err e;
  CHECK_MSG(raw_decode(&r, &m, &e) == 0, "%s", e.msg);
  CHECK_EQ_INT(m.type, PROTO_MSG_TASK_STARTED);
  CHECK_EQ_INT(m.request_id, 9);
  CHECK_EQ_INT(m.u.task_started.attempt, 3);
  CHECK_EQ_STR(m.u.task_started.task_id, "job-1");
  proto_msg_free(&m);
}

static void test_unknown_type_is_distinct_error(void) {
  raw r;
  raw_init(&r);
  msgpack_pack_map(&r.pk, 3);
  rs(&r, "t");
  rs(&r, "frobnicate");
  rs(&r, "x");
  msgpack_pack_array(&r.pk, 0);
  rs(&r, "rid");
  msgpack_pack_uint16(&r.pk, 777);
  proto_msg m;
  al_err e;
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_INT(e.code, PROTO_E_UNKNOWN_TYPE);
  CHECK_EQ_STR(e.msg, "unknown message type 'frobnicate'");
  CHECK_EQ_INT(m.request_id, 777);
  CHECK_EQ_INT(m.type, PROTO_MSG_NONE);
}

static void test_malformed_messages(void) {
  proto_msg m;
  al_err e;
  raw r;
  raw_init(&r);
  msgpack_pack_array(&r.pk, 0);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_INT(e.code, PROTO_E_BAD_FRAME);
  CHECK_EQ_STR(e.msg, "message: payload must be a msgpack map, got array");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 1);
  rs(&r, "rid");
  msgpack_pack_uint8(&r.pk, 5);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "message: missing field 't' (message type)");
  CHECK_EQ_INT(m.request_id, 5);

  raw_init(&r);
  msgpack_pack_map(&r.pk, 1);
  rs(&r, "t");
  msgpack_pack_uint8(&r.pk, 5);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "message: field 't' must be a string");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 2);
  rs(&r, "t");
  rs(&r, "ok");
  rs(&r, "rid");
  rs(&r, "seven");
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "ok: field 'rid' must be an unsigned integer, got string");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 5);
  rs(&r, "t");
  rs(&r, "hello");
  rs(&r, "version");
  msgpack_pack_uint8(&r.pk, 1);
  rs(&r, "role");
  rs(&r, "superuser");
  rs(&r, "peer_id");
  rs(&r, "p");
  rs(&r, "slots");
  msgpack_pack_uint8(&r.pk, 1);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "hello: field 'role' must be worker, submitter or admin, got 'superuser'");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 2);
  rs(&r, "t");
  rs(&r, "cancel_job");
  rs(&r, "job_id");
  msgpack_pack_str_with_body(&r.pk, "a\0b", 3);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "cancel_job: field 'job_id' contains a NUL byte");

  raw_init(&r);
  msgpack_pack_map(&r.pk, 1);
  msgpack_pack_uint8(&r.pk, 1);
  msgpack_pack_uint8(&r.pk, 1);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_INT(e.code, PROTO_E_BAD_FRAME);

  /* A key holding a NUL byte after a known key's name is an unknown key, not that
   * field (and must not read past the schema key: found by fuzz_message). */
  raw_init(&r);
  msgpack_pack_map(&r.pk, 3);
  rs(&r, "t");
  rs(&r, "task_started");
  rs(&r, "task_id");
  rs(&r, "x");
  msgpack_pack_str_with_body(&r.pk, "attempt\0long-tail-after-nul", 28);
  msgpack_pack_uint8(&r.pk, 1);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "task_started: field 'attempt' is missing");

  /* A count the bytes cannot back: no array is allocated for it, and the error still
   * names the first faulty element. */
  raw_init(&r);
  msgpack_pack_map(&r.pk, 3);
  rs(&r, "t");
  rs(&r, "submit_tasks");
  rs(&r, "job_id");
  rs(&r, "j");
  rs(&r, "tasks");
  msgpack_pack_array(&r.pk, 20);
  for (int i = 0; i < 20; i++) msgpack_pack_map(&r.pk, 0);
  CHECK_EQ_INT(raw_decode(&r, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "submit_tasks: field 'tasks[0].index' is missing");
  CHECK(m.arena_ == NULL);

  /* Trailing bytes and truncation straight into the message decoder. */
  proto_msg ex;
  proto_msg_example(PROTO_MSG_OK, &ex);
  al_buf f = {0};
  proto_msg_encode(&ex, &f);
  al_buf_append(&f, "\x01", 1);
  CHECK_EQ_INT(proto_msg_decode((const uint8_t *)f.data + 4, f.len - 4, &m, &e), -1);
  CHECK_EQ_STR(e.msg, "ok: 1 trailing bytes after the message map");
  CHECK_EQ_INT(m.request_id, 10);
  f.len = 0;
  proto_msg_example(PROTO_MSG_TASK_RESULT, &ex);
  proto_msg_encode(&ex, &f);
  for (size_t cut = 0; cut < f.len - 4; cut++) {
    CHECK_EQ_INT(proto_msg_decode((const uint8_t *)f.data + 4, cut, &m, &e), -1);
    CHECK(m.arena_ == NULL);
  }
  al_buf_free(&f);
}

static void test_error_helper(void) {
  al_buf f = {0};
  proto_encode_error(&f, 31, PROTO_E_NOT_FOUND, "no job '%s'", "j9");
  proto_msg m;
  al_err e;
  CHECK(decode_frame(&f, &m, &e) == 0);
  CHECK_EQ_INT(m.type, PROTO_MSG_ERROR);
  CHECK_EQ_INT(m.request_id, 31);
  CHECK_EQ_INT(m.u.error.code, PROTO_E_NOT_FOUND);
  CHECK_EQ_STR(m.u.error.message, "no job 'j9'");
  proto_msg_free(&m);
  al_buf_free(&f);
}

static void test_large_batch_many_allocations(void) {
  /* submit_tasks with 2000 tasks x 20 files: the arena grows past its first chunk. */
  enum { NT = 2000, NF = 20 };
  static const char *files[NF];
  char names[NF][32];
  for (int i = 0; i < NF; i++) {
    snprintf(names[i], sizeof names[i], "dir/file-%02d.txt", i);
    files[i] = names[i];
  }
  proto_task_spec *tasks = calloc(NT, sizeof *tasks);
  for (int i = 0; i < NT; i++) tasks[i] = (proto_task_spec){(uint64_t)i, files, NF};
  proto_msg m;
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SUBMIT_TASKS;
  m.request_id = 1;
  m.u.submit_tasks = (proto_submit_tasks){"job", tasks, NT};
  check_round_trip(&m);
  free(tasks);
}

int main(void) {
  RUN(test_every_type_round_trips);
  RUN(test_type_names);
  RUN(test_assign_edge_values);
  RUN(test_task_result_values);
  RUN(test_heartbeat_and_hello_values);
  RUN(test_wrong_field_type_names_field);
  RUN(test_nested_field_error_path);
  RUN(test_missing_required_field);
  RUN(test_unknown_fields_ignored_any_order);
  RUN(test_unknown_type_is_distinct_error);
  RUN(test_malformed_messages);
  RUN(test_error_helper);
  RUN(test_large_batch_many_allocations);
  return TEST_REPORT();
}
