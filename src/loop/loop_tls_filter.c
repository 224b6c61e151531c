/* loop_conn filter over a loop_tls connection (see loop_tls_filter.h). */
#include "loop/loop_tls_filter.h"

static int f_decode(loop_conn *c, const char *wire, size_t n, al_buf *plain, al_buf *wire_out, al_err *err) {
  return loop_tls_decode(loop_conn_filter_state(c), wire, n, plain, wire_out, err);
}

static int f_encode(loop_conn *c, const char *plain, size_t n, al_buf *wire_out, al_err *err) {
  return loop_tls_encode(loop_conn_filter_state(c), plain, n, wire_out, err);
}

static void f_release(loop_conn *c) { loop_tls_free(loop_conn_filter_state(c)); }

const loop_filter loop_tls_filter = {f_decode, f_encode, f_release};
