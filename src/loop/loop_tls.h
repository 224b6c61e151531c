/* TLS for framed connections, with OpenSSL over memory BIOs: the socket stays libuv's
 * (or the blocking client's), OpenSSL only turns wire bytes into plaintext and back.
 * Prefix: loop_.
 *
 * A loop_tls_ctx holds the certificates (one per coordinator, one per peer process); a
 * loop_tls is one connection's TLS state, driven by the bytes given to it:
 * decode() feeds wire bytes in (advancing the handshake, then yielding plaintext),
 * encode() turns plaintext into records. Plaintext given to encode() before the
 * handshake has completed is held back and encoded only once it has, so a token in a
 * `hello` frame never leaves before the peer is authenticated.
 *
 * Limits (before trust): a peer may send at most LOOP_TLS_MAX_HANDSHAKE wire bytes
 * before the handshake completes, and at most LOOP_TLS_MAX_PENDING plaintext bytes wait
 * for it; both are errors above that. Decoding n wire bytes yields at most n plaintext
 * bytes, so the connection's read size bounds what one decode() call adds.
 *
 * This file needs OpenSSL only (no libuv): the blocking client of libauralith-client
 * uses it too. loop_tls_filter.h adapts that state to loop_conn's filter seam. */
#ifndef AL_LOOP_LOOP_TLS_H
#define AL_LOOP_LOOP_TLS_H

#include <stddef.h>

#include "common/al.h"

#define LOOP_TLS_MAX_HANDSHAKE ((size_t)64 << 10)
#define LOOP_TLS_MAX_PENDING ((size_t)1 << 20)

typedef struct loop_tls_ctx loop_tls_ctx;
typedef struct loop_tls loop_tls;

/* Server side: cert and key (PEM files, required) are the coordinator's; with ca (PEM
 * file, may be NULL) and require_client_cert, every peer must present a certificate
 * signed by ca. Returns NULL with err naming the file and OpenSSL's reason. The caller
 * owns the result (loop_tls_ctx_free). */
loop_tls_ctx *loop_tls_server_ctx(const char *cert, const char *key, const char *ca, int require_client_cert,
                                  al_err *err);
/* Client side: the peer's certificate must chain to ca (PEM file, required); cert/key
 * (may be NULL, both or neither) are a client certificate to present. */
loop_tls_ctx *loop_tls_client_ctx(const char *ca, const char *cert, const char *key, al_err *err);
/* Connections keep what they need of the context: it may be freed before them. NULL ok. */
void loop_tls_ctx_free(loop_tls_ctx *x);

/* One connection's TLS state. server_name (client side only, may be NULL for none): the name or IP
 * address the peer's certificate must carry. peer (copied) names the other end in
 * error messages. Returns NULL with err when OpenSSL cannot make one. Owned by the
 * caller (loop_tls_free, or the filter's release). */
loop_tls *loop_tls_new(loop_tls_ctx *x, const char *server_name, const char *peer, al_err *err);
void loop_tls_free(loop_tls *t);

/* Client side: appends the first handshake record (ClientHello) to wire_out. encode()
 * does this by itself when called first; explicit for callers with nothing to send. */
int loop_tls_start(loop_tls *t, al_buf *wire_out, al_err *err);
/* Wire bytes in (borrowed). Plaintext is appended to plain, records of the connection's own
 * (handshake, alerts, plaintext held back until the handshake) to wire_out. Returns 0,
 * or -1 with err saying why (verification result, OpenSSL's reason, the peer's name);
 * the connection is then unusable. */
int loop_tls_decode(loop_tls *t, const char *wire, size_t n, al_buf *plain, al_buf *wire_out, al_err *err);
/* Plaintext out (borrowed): records appended to wire_out, or held until the handshake
 * has completed. Returns 0 or -1 with err. */
int loop_tls_encode(loop_tls *t, const char *plain, size_t n, al_buf *wire_out, al_err *err);
/* 1 once the handshake has completed. */
int loop_tls_ready(const loop_tls *t);
/* 1 when the peer has closed the TLS connection (close_notify). */
int loop_tls_peer_closed(const loop_tls *t);

#endif
