/* TLS connections over memory BIOs (see loop_tls.h). */
#include "loop/loop_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

struct loop_tls_ctx {
  SSL_CTX *ctx;
  int server;
};

struct loop_tls {
  SSL *ssl;
  BIO *rbio, *wbio; /* owned by ssl: wire in, wire out */
  int server, ready, failed, peer_closed, started;
  size_t hs_in;     /* wire bytes received before the handshake completed */
  al_buf pend;      /* plaintext held back until the handshake completes */
  char peer[128];
};

/* ---- Errors ---------------------------------------------------------------------------- */
/* OpenSSL's reason for the last error (short form, e.g. "wrong version number"), and
 * clears the queue so that later calls start clean. */
static void last_reason(char *out, size_t cap) {
  unsigned long e = ERR_peek_last_error();
  out[0] = '\0';
  if (e) {
    const char *r = ERR_reason_error_string(e);
    if (r) snprintf(out, cap, "%s", r);
    else ERR_error_string_n(e, out, cap);
  }
  ERR_clear_error();
}

/* What an operator can do about a reason OpenSSL gave. */
static const char *hint(const char *reason, int server) {
  if (strstr(reason, "wrong version number") || strstr(reason, "packet length too long") ||
      strstr(reason, "http request") || strstr(reason, "record layer failure"))
    return server ? " (the peer does not speak TLS: give it coordinator.tls_ca, or AURALITH_TLS_CA)"
                  : " (the coordinator does not speak TLS on this port: set coordinator.tls_cert and tls_key on it, "
                    "or remove tls_ca here)";
  if (strstr(reason, "certificate required") || strstr(reason, "peer did not return a certificate"))
    return server ? " (tls_require_client_cert is on: the peer must present a certificate signed by tls_ca)"
                  : " (the coordinator requires a client certificate: set coordinator.tls_client_cert and "
                    "tls_client_key, or AURALITH_TLS_CERT and AURALITH_TLS_KEY)";
  if (strstr(reason, "unknown ca") || strstr(reason, "bad certificate") || strstr(reason, "certificate expired"))
    return " (the peer refused our certificate)";
  return "";
}

static int fail(loop_tls *t, int ssl_err, al_err *err) {
  t->failed = 1;
  char reason[256];
  last_reason(reason, sizeof reason);
  long vr = SSL_get_verify_result(t->ssl);
  const char *stage = t->ready ? "TLS connection with" : "TLS handshake with";
  if (!t->ready && vr != X509_V_OK && strstr(reason, "certificate verify failed"))
    return al_err_set(err, AL_E_FAILED, "%s %s failed: certificate verify failed: %s%s", stage, t->peer,
                      X509_verify_cert_error_string(vr),
                      t->server ? " (the peer's certificate is not signed by coordinator.tls_ca, or is not valid now)"
                                : " (check coordinator.tls_ca / AURALITH_TLS_CA, tls_server_name, and the "
                                  "certificate's dates)");
  if (reason[0])
    return al_err_set(err, AL_E_FAILED, "%s %s failed: %s%s", stage, t->peer, reason, hint(reason, t->server));
  if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN)
    return al_err_set(err, AL_E_FAILED, "%s %s failed: the peer ended the TLS connection", stage, t->peer);
  return al_err_set(err, AL_E_FAILED, "%s %s failed (OpenSSL error %d)", stage, t->peer, ssl_err);
}

/* ---- Contexts -------------------------------------------------------------------------- */
static SSL_CTX *ctx_base(int server, al_err *err) {
  SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!c) {
    char reason[256];
    last_reason(reason, sizeof reason);
    al_err_set(err, AL_E_FAILED, "TLS: cannot create a context: %s", reason);
    return NULL;
  }
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  /* Memory BIOs never block: a record is always written whole. */
  SSL_CTX_set_mode(c, SSL_MODE_AUTO_RETRY);
  return c;
}

static int load_pair(SSL_CTX *c, const char *cert, const char *key, const char *what, al_err *err) {
  char reason[256];
  if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) {
    last_reason(reason, sizeof reason);
    return al_err_set(err, AL_E_FAILED, "TLS: cannot load the %s certificate '%s': %s", what, cert, reason);
  }
  if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
    last_reason(reason, sizeof reason);
    if (strstr(reason, "mismatch"))
      return al_err_set(err, AL_E_FAILED, "TLS: the %s key '%s' does not match the certificate '%s'", what, key, cert);
    return al_err_set(err, AL_E_FAILED, "TLS: cannot load the %s key '%s': %s", what, key, reason);
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    last_reason(reason, sizeof reason);
    return al_err_set(err, AL_E_FAILED, "TLS: the %s key '%s' does not match the certificate '%s': %s", what, key, cert,
                      reason);
  }
  return 0;
}

static int load_ca(SSL_CTX *c, const char *ca, al_err *err) {
  if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1) {
    char reason[256];
    last_reason(reason, sizeof reason);
    return al_err_set(err, AL_E_FAILED, "TLS: cannot load the CA file '%s': %s", ca, reason);
  }
  return 0;
}

static loop_tls_ctx *wrap(SSL_CTX *c, int server) {
  loop_tls_ctx *x = al_xcalloc(1, sizeof *x);
  x->ctx = c;
  x->server = server;
  return x;
}

loop_tls_ctx *loop_tls_server_ctx(const char *cert, const char *key, const char *ca, int require_client_cert,
                                  al_err *err) {
  if (!cert || !*cert || !key || !*key) {
    al_err_set(err, AL_E_FAILED, "TLS: the coordinator needs both tls_cert and tls_key");
    return NULL;
  }
  if (require_client_cert && (!ca || !*ca)) {
    al_err_set(err, AL_E_FAILED, "TLS: tls_require_client_cert needs tls_ca (the CA that signs the peers' certificates)");
    return NULL;
  }
  SSL_CTX *c = ctx_base(1, err);
  if (!c) return NULL;
  if (load_pair(c, cert, key, "server", err) != 0) goto fail;
  if (require_client_cert) {
    if (load_ca(c, ca, err) != 0) goto fail;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
    if (names) SSL_CTX_set_client_CA_list(c, names);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  }
  return wrap(c, 1);
fail:
  SSL_CTX_free(c);
  return NULL;
}

loop_tls_ctx *loop_tls_client_ctx(const char *ca, const char *cert, const char *key, al_err *err) {
  if (!ca || !*ca) {
    al_err_set(err, AL_E_FAILED, "TLS: a peer needs tls_ca (the CA that signed the coordinator's certificate)");
    return NULL;
  }
  if ((cert && *cert) != (key && *key)) {
    al_err_set(err, AL_E_FAILED, "TLS: a client certificate needs both tls_client_cert and tls_client_key");
    return NULL;
  }
  SSL_CTX *c = ctx_base(0, err);
  if (!c) return NULL;
  if (load_ca(c, ca, err) != 0) goto fail;
  if (cert && *cert && load_pair(c, cert, key, "client", err) != 0) goto fail;
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
  return wrap(c, 0);
fail:
  SSL_CTX_free(c);
  return NULL;
}

void loop_tls_ctx_free(loop_tls_ctx *x) {
  if (!x) return;
  SSL_CTX_free(x->ctx);
  free(x);
}

/* ---- Connections ----------------------------------------------------------------------- */
loop_tls *loop_tls_new(loop_tls_ctx *x, const char *server_name, const char *peer, al_err *err) {
  loop_tls *t = al_xcalloc(1, sizeof *t);
  snprintf(t->peer, sizeof t->peer, "%s", peer && *peer ? peer : "(unnamed peer)");
  t->server = x->server;
  t->ssl = SSL_new(x->ctx);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->rbio || !t->wbio) {
    char reason[256];
    last_reason(reason, sizeof reason);
    al_err_set(err, AL_E_FAILED, "TLS: cannot create a TLS connection for %s: %s", t->peer, reason);
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    SSL_free(t->ssl);
    free(t);
    return NULL;
  }
  /* An empty read BIO means "no data yet", not end of file. */
  BIO_set_mem_eof_return(t->rbio, -1);
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  if (t->server) {
    SSL_set_accept_state(t->ssl);
  } else {
    SSL_set_connect_state(t->ssl);
    if (server_name && *server_name) {
      unsigned char ip[16];
      int is_ip = inet_pton(AF_INET, server_name, ip) == 1 || inet_pton(AF_INET6, server_name, ip) == 1;
      X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(vp, server_name);
      } else {
        SSL_set_tlsext_host_name(t->ssl, server_name); /* SNI carries names only */
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(vp, server_name, 0);
      }
    }
  }
  return t;
}

void loop_tls_free(loop_tls *t) {
  if (!t) return;
  SSL_free(t->ssl); /* frees both BIOs */
  al_buf_free(&t->pend);
  free(t);
}

int loop_tls_ready(const loop_tls *t) { return t->ready; }
int loop_tls_peer_closed(const loop_tls *t) { return t->peer_closed; }

/* Moves what OpenSSL wrote into the wire-out BIO to out. */
static void drain(loop_tls *t, al_buf *out) {
  size_t n = (size_t)BIO_ctrl_pending(t->wbio);
  if (n == 0) return;
  al_buf_reserve(out, n);
  int r = BIO_read(t->wbio, out->data + out->len, (int)n);
  if (r > 0) out->len += (size_t)r;
}

static int write_plain(loop_tls *t, const char *p, size_t n, al_buf *wire_out, al_err *err) {
  while (n > 0) {
    int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
    int r = SSL_write(t->ssl, p, chunk);
    if (r <= 0) return fail(t, SSL_get_error(t->ssl, r), err);
    p += r;
    n -= (size_t)r;
    drain(t, wire_out); /* the memory BIO grows only by what one call wrote */
  }
  return 0;
}

/* One handshake step. Returns 0 (done or waiting for the peer) or -1. */
static int step(loop_tls *t, al_buf *wire_out, al_err *err) {
  int r = SSL_do_handshake(t->ssl);
  drain(t, wire_out);
  if (r == 1) {
    t->ready = 1;
    if (t->pend.len > 0) {
      int rc = write_plain(t, t->pend.data, t->pend.len, wire_out, err);
      al_buf_free(&t->pend);
      return rc;
    }
    return 0;
  }
  int e = SSL_get_error(t->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  return fail(t, e, err);
}

int loop_tls_start(loop_tls *t, al_buf *wire_out, al_err *err) {
  if (t->failed) return al_err_set(err, AL_E_FAILED, "TLS connection with %s already failed", t->peer);
  if (t->started || t->server) return 0;
  t->started = 1;
  return step(t, wire_out, err);
}

int loop_tls_decode(loop_tls *t, const char *wire, size_t n, al_buf *plain, al_buf *wire_out, al_err *err) {
  if (t->failed) return al_err_set(err, AL_E_FAILED, "TLS connection with %s already failed", t->peer);
  if (n == 0) return 0;
  if (!t->ready) {
    t->hs_in += n;
    if (t->hs_in > LOOP_TLS_MAX_HANDSHAKE) {
      t->failed = 1;
      return al_err_set(err, AL_E_FAILED, "TLS handshake with %s failed: %zu bytes received without completing it (limit %zu)",
                        t->peer, t->hs_in, LOOP_TLS_MAX_HANDSHAKE);
    }
  }
  /* The read BIO holds at most one partial record between calls: everything complete
   * is consumed below before returning. */
  if (BIO_write(t->rbio, wire, (int)n) != (int)n) {
    t->failed = 1;
    return al_err_set(err, AL_E_FAILED, "TLS connection with %s: out of memory buffering input", t->peer);
  }
  if (!t->ready) {
    t->started = 1;
    if (step(t, wire_out, err) != 0) return -1;
    if (!t->ready) return 0;
  }
  for (;;) {
    al_buf_reserve(plain, 16384);
    int r = SSL_read(t->ssl, plain->data + plain->len, 16384);
    if (r > 0) {
      plain->len += (size_t)r;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    drain(t, wire_out); /* post-handshake messages, alerts */
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) {
      t->peer_closed = 1;
      return 0;
    }
    return fail(t, e, err);
  }
}

int loop_tls_encode(loop_tls *t, const char *plain, size_t n, al_buf *wire_out, al_err *err) {
  if (t->failed) return al_err_set(err, AL_E_FAILED, "TLS connection with %s already failed", t->peer);
  if (t->ready) return write_plain(t, plain, n, wire_out, err);
  if (t->pend.len + n > LOOP_TLS_MAX_PENDING)
    return al_err_set(err, AL_E_FAILED, "TLS handshake with %s: more than %zu bytes waiting for it to complete", t->peer,
                      LOOP_TLS_MAX_PENDING);
  al_buf_append(&t->pend, plain, n);
  return loop_tls_start(t, wire_out, err);
}
