/* Fuzz target for the message decoder on raw payload bytes. Oracles: failures leave
 * nothing allocated and set an error code; successes re-encode to a frame that decodes
 * and re-encodes to the same bytes. Sanitizers catch memory errors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  proto_msg m;
  al_err e;
  al_err_clear(&e);
  if (proto_msg_decode(data, size, &m, &e) != 0) {
    if (m.arena_ != NULL || m.type != PROTO_MSG_NONE || e.code == 0) abort();
    return 0;
  }
  al_buf a = {0}, b = {0};
  if (proto_msg_encode(&m, &a) == 0) abort();
  proto_msg m2;
  if (proto_msg_decode((const uint8_t *)a.data + 4, a.len - 4, &m2, &e) != 0) abort();
  if (m2.type != m.type || m2.request_id != m.request_id) abort();
  proto_msg_encode(&m2, &b);
  if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
  proto_msg_free(&m2);
  proto_msg_free(&m);
  al_buf_free(&a);
  al_buf_free(&b);
  return 0;
}
