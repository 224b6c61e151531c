/* docs/PROTOCOL.md's message reference and the fuzz seed corpora are generated from the
 * code; this test fails when either is stale. Regenerate with
 *   AL_PROTO_REGEN=1 build/tests/test_proto_docs
 * (run from anywhere; AL_SOURCE_DIR or the compiled-in source dir locates the files). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "proto/doc.h"
#include "proto/messages.h"

#define BEGIN_MARK "<!-- BEGIN GENERATED MESSAGE REFERENCE (test_proto_docs) -->\n"
#define END_MARK "<!-- END GENERATED MESSAGE REFERENCE -->\n"

static const char *src_dir(void) {
  const char *s = getenv("AL_SOURCE_DIR");
  return s ? s : ".";
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  al_buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) al_buf_append(&b, chunk, n);
  fclose(f);
  *len = b.len;
  al_buf_cstr(&b);
  return b.data;
}

static int spit(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, len, f);
  return (fclose(f) == 0 && w == len) ? 0 : -1;
}

static void test_protocol_md_reference_is_current(void) {
  al_buf gen = {0};
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) proto_doc_message((proto_msg_type)t, &gen);
  char path[4096];
  snprintf(path, sizeof path, "%s/docs/PROTOCOL.md", src_dir());
  size_t len = 0;
  char *doc = slurp(path, &len);
  CHECK_MSG(doc != NULL, "cannot read %s", path);
  if (!doc) return;
  char *b = strstr(doc, BEGIN_MARK);
  char *e = b ? strstr(b, END_MARK) : NULL;
  CHECK_MSG(b && e, "%s lacks the generated-reference markers", path);
  if (b && e) {
    b += strlen(BEGIN_MARK);
    if (getenv("AL_PROTO_REGEN")) {
      al_buf out = {0};
      al_buf_append(&out, doc, (size_t)(b - doc));
      al_buf_append(&out, gen.data, gen.len);
      al_buf_append(&out, e, strlen(e));
      CHECK_EQ_INT(spit(path, out.data, out.len), 0);
      al_buf_free(&out);
    } else {
      CHECK_MSG((size_t)(e - b) == gen.len && memcmp(b, gen.data, gen.len) == 0,
                "%s message reference is stale: rerun with AL_PROTO_REGEN=1", path);
    }
  }
  free(doc);
  al_buf_free(&gen);
}

static void test_seed_corpora_are_current(void) {
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    proto_msg m;
    proto_msg_example((proto_msg_type)t, &m);
    al_buf f = {0};
    proto_msg_encode(&m, &f);
    const char *name = proto_msg_type_name((proto_msg_type)t);
    struct {
      const char *dir;
      const char *data;
      size_t len;
    } outs[] = {{"frame", f.data, f.len}, {"message", f.data + 4, f.len - 4}};
    for (size_t i = 0; i < 2; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/fuzz/corpus/%s/%s.bin", src_dir(), outs[i].dir, name);
      if (getenv("AL_PROTO_REGEN")) {
        CHECK_EQ_INT(spit(path, outs[i].data, outs[i].len), 0);
        continue;
      }
      size_t len = 0;
      char *have = slurp(path, &len);
      CHECK_MSG(have && len == outs[i].len && memcmp(have, outs[i].data, len) == 0,
                "%s is missing or stale: rerun with AL_PROTO_REGEN=1", path);
      free(have);
    }
    al_buf_free(&f);
  }
}

int main(void) {
  RUN(test_protocol_md_reference_is_current);
  RUN(test_seed_corpora_are_current);
  return TEST_REPORT();
}
