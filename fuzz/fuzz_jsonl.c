/* libFuzzer target: one JSON Lines record (worker_jsonl_record). The first byte picks
 * the field name; the rest is the line. A record either yields a string of exactly the
 * length jansson reports, or a reason, never both; blank lines yield nothing. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/docenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const char *const fields[] = {"text", "content", "", "t\xc3\xa9xt"};
  const char *field = fields[data[0] % 4];
  json_t *doc = NULL;
  const char *text = NULL;
  size_t tlen = 0;
  char why[300] = "";
  int rc = worker_jsonl_record((const char *)data + 1, size - 1, field, &doc, &text, &tlen, why, sizeof why);
  if (rc == 1) {
    if (!doc || !text || strlen(why) != 0) abort();
    if (json_string_length(json_object_get(doc, field)) != tlen) abort();
    json_decref(doc);
  } else if (rc == -1) {
    if (doc || why[0] == '\0') abort();
  } else if (rc != 0 || doc) {
    abort();
  }
  return 0;
}
