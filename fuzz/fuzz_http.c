/* libFuzzer target: the monitoring endpoint's request parser (ops_http_parse). Any
 * bytes, fed whole and then in every prefix a split would deliver, must give NEED, OK
 * with a path that starts with '/' and fits the bound, or BAD with a 4xx/5xx status;
 * a prefix of an OK request must never be BAD for want of bytes (NEED instead). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ops_http_request *r, ops_http_result res) {
  if (res == OPS_HTTP_OK && (r->path[0] != '/' || strlen(r->path) > OPS_HTTP_MAX_PATH)) abort();
  if (res == OPS_HTTP_BAD && (r->status < 400 || r->status > 599)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ops_http_request r;
  ops_http_result whole = ops_http_parse((const char *)data, size, &r);
  check(&r, whole);
  size_t step = size / 16 + 1;
  for (size_t n = 0; n < size; n += step) {
    ops_http_result part = ops_http_parse((const char *)data, n, &r);
    check(&r, part);
    if (whole == OPS_HTTP_OK && part == OPS_HTTP_BAD) abort();
  }
  return 0;
}
