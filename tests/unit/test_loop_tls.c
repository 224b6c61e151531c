/* src/loop TLS connections with certificates made by the openssl CLI in a temporary
 * directory: handshake and data both ways in memory, plaintext held back until the
 * handshake has completed, refusals with the reason named (wrong CA, expired, wrong
 * name, missing client certificate), garbage and an endless handshake refused without
 * a crash, and the filter on two loop_conns over a socketpair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "loop/loop_conn.h"
#include "loop/loop_tls_filter.h"

static char g_dir[256];
static char g_path[16][512];
static int g_npath;

static const char *f(const char *name) {
  char *p = g_path[g_npath++ % 16];
  snprintf(p, 512, "%s/%s", g_dir, name);
  return p;
}

static int sh(const char *cmd) {
  char full[4096];
  snprintf(full, sizeof full, "cd '%s' && (%s) >>openssl.log 2>&1", g_dir, cmd);
  int rc = system(full);
  if (rc != 0) fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
  return rc;
}

/* A CA, a server certificate for 127.0.0.1/localhost, one signed by another CA, an
 * expired one, and a client certificate. */
static int make_certs(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/al_tls_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_dir)) return -1;
  const char *req = "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  char cmd[2048];
  const char *cas[2] = {"ca", "ca2"};
  for (int i = 0; i < 2; i++) {
    snprintf(cmd, sizeof cmd, "%s -x509 -days 30 -subj /CN=test-%s -keyout %s.key -out %s.pem", req, cas[i], cas[i],
             cas[i]);
    if (sh(cmd)) return -1;
  }
  if (sh("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext")) return -1;
  struct {
    const char *name, *ca, *days;
  } leaves[] = {{"srv", "ca", "30"}, {"srv2", "ca2", "30"}, {"cli", "ca", "30"}};
  for (size_t i = 0; i < 3; i++) {
    snprintf(cmd, sizeof cmd,
             "%s -subj /CN=%s -keyout %s.key -out %s.csr && openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
             "-CAcreateserial -days %s -extfile san.ext -out %s.pem",
             req, leaves[i].name, leaves[i].name, leaves[i].name, leaves[i].name, leaves[i].ca, leaves[i].ca,
             leaves[i].days, leaves[i].name);
    if (sh(cmd)) return -1;
  }
  /* Expired: valid for one day, ten days ago (openssl ca sets explicit dates). */
  if (sh("mkdir -p db && : > db/index && echo 01 > db/serial && "
         "printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=db/index\\nserial=db/serial\\nnew_certs_dir=db\\n"
         "default_md=sha256\\npolicy=p\\ncopy_extensions=copy\\n[p]\\ncommonName=supplied\\n' > ca.cnf && "
         "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=old -keyout old.key "
         "-out old.csr -addext subjectAltName=IP:127.0.0.1 && "
         "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in old.csr -out old.pem "
         "-startdate 20200101000000Z -enddate 20200102000000Z"))
    return -1;
  return 0;
}

/* ---- In-memory pairs -------------------------------------------------------------------- */
typedef struct pair_t {
  loop_tls *cli, *srv;
  al_buf c2s, s2c;          /* wire bytes in flight */
  al_buf cplain, splain;    /* plaintext received */
  al_err cerr, serr;
  int crc, src;
} pair_t;

/* Moves wire bytes both ways until nothing moves or a side fails. */
static void pump(pair_t *p) {
  for (int i = 0; i < 50 && (p->c2s.len || p->s2c.len) && !p->crc && !p->src; i++) {
    al_buf a = p->c2s, b = p->s2c;
    memset(&p->c2s, 0, sizeof p->c2s);
    memset(&p->s2c, 0, sizeof p->s2c);
    if (a.len) p->src = loop_tls_decode(p->srv, a.data, a.len, &p->splain, &p->s2c, &p->serr);
    if (b.len && !p->src) p->crc = loop_tls_decode(p->cli, b.data, b.len, &p->cplain, &p->c2s, &p->cerr);
    /* a server that failed still sends its alert: let the client read it */
    if (p->src && p->s2c.len && !p->crc) p->crc = loop_tls_decode(p->cli, p->s2c.data, p->s2c.len, &p->cplain, &p->c2s, &p->cerr);
    al_buf_free(&a);
    al_buf_free(&b);
  }
}

static void pair_open(pair_t *p, const char *srv_cert, const char *srv_key, int require, const char *cli_ca,
                      const char *cli_cert, const char *cli_key, const char *name) {
  memset(p, 0, sizeof *p);
  al_err e;
  loop_tls_ctx *sx = loop_tls_server_ctx(srv_cert, srv_key, f("ca.pem"), require, &e);
  CHECK_MSG(sx != NULL, "%s", e.msg);
  loop_tls_ctx *cx = loop_tls_client_ctx(cli_ca, cli_cert, cli_key, &e);
  CHECK_MSG(cx != NULL, "%s", e.msg);
  if (!sx || !cx) exit(1);
  p->srv = loop_tls_new(sx, NULL, "client-peer", &e);
  p->cli = loop_tls_new(cx, name, "server-peer", &e);
  loop_tls_ctx_free(sx); /* connections keep their own reference */
  loop_tls_ctx_free(cx);
}

static void pair_close(pair_t *p) {
  loop_tls_free(p->cli);
  loop_tls_free(p->srv);
  al_buf *bs[4] = {&p->c2s, &p->s2c, &p->cplain, &p->splain};
  for (int i = 0; i < 4; i++) al_buf_free(bs[i]);
}

static int contains(const al_buf *b, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; b->len >= n && i + n <= b->len; i++)
    if (memcmp(b->data + i, s, n) == 0) return 1;
  return 0;
}

static void test_roundtrip_and_hold_back(void) {
  pair_t p;
  pair_open(&p, f("srv.pem"), f("srv.key"), 0, f("ca.pem"), NULL, NULL, "127.0.0.1");
  const char *secret = "hello token=s3cret-token";
  CHECK_EQ_INT(loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr), 0);
  CHECK(p.c2s.len > 0);                  /* the ClientHello */
  CHECK(!contains(&p.c2s, "s3cret"));     /* ...and nothing else */
  CHECK(!loop_tls_ready(p.cli));
  pump(&p);
  CHECK_MSG(p.crc == 0 && p.src == 0, "client: %s / server: %s", p.cerr.msg, p.serr.msg);
  CHECK(loop_tls_ready(p.cli) && loop_tls_ready(p.srv));
  CHECK_EQ_INT(p.splain.len, strlen(secret));
  CHECK(p.splain.len == strlen(secret) && memcmp(p.splain.data, secret, p.splain.len) == 0);
  /* 1 MiB server -> client, in records; every byte arrives in order */
  size_t n = (size_t)1 << 20;
  char *big = malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (char)(i * 31 + 7);
  CHECK_EQ_INT(loop_tls_encode(p.srv, big, n, &p.s2c, &p.serr), 0);
  CHECK(!contains(&p.s2c, "\x07\x26\x45\x64\x83")); /* encrypted: the pattern is not on the wire */
  pump(&p);
  CHECK_EQ_INT(p.cplain.len, n);
  CHECK(p.cplain.len == n && memcmp(p.cplain.data, big, n) == 0);
  free(big);
  pair_close(&p);
}

static void expect_fail(const char *what, pair_t *p, const char *cli_msg, const char *srv_msg) {
  pump(p);
  if (cli_msg) {
    CHECK_MSG(p->crc != 0 && strstr(p->cerr.msg, cli_msg), "%s: client said '%s', want '%s'", what,
              p->crc ? p->cerr.msg : "(nothing)", cli_msg);
    CHECK_MSG(strstr(p->cerr.msg, "server-peer") != NULL, "%s: '%s' names no peer", what, p->cerr.msg);
  }
  if (srv_msg)
    CHECK_MSG(p->src != 0 && strstr(p->serr.msg, srv_msg), "%s: server said '%s', want '%s'", what,
              p->src ? p->serr.msg : "(nothing)", srv_msg);
  CHECK(p->splain.len == 0); /* nothing reached the server's frame layer */
}

static void test_refusals(void) {
  pair_t p;
  const char *secret = "hello token=s3cret-token";

  pair_open(&p, f("srv2.pem"), f("srv2.key"), 0, f("ca.pem"), NULL, NULL, "127.0.0.1");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  expect_fail("wrong CA", &p, "unable to get local issuer certificate", NULL);
  CHECK(!contains(&p.c2s, "s3cret"));
  pair_close(&p);

  pair_open(&p, f("old.pem"), f("old.key"), 0, f("ca.pem"), NULL, NULL, "127.0.0.1");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  expect_fail("expired", &p, "certificate has expired", NULL);
  pair_close(&p);

  pair_open(&p, f("srv.pem"), f("srv.key"), 0, f("ca.pem"), NULL, NULL, "coordinator.example");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  expect_fail("wrong name", &p, "hostname mismatch", NULL);
  pair_close(&p);

  /* client certificate required and missing: the server refuses; the client reads why */
  pair_open(&p, f("srv.pem"), f("srv.key"), 1, f("ca.pem"), NULL, NULL, "localhost");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  expect_fail("no client cert", &p, "certificate required", "did not return a certificate");
  pair_close(&p);

  /* ...and present: accepted */
  pair_open(&p, f("srv.pem"), f("srv.key"), 1, f("ca.pem"), f("cli.pem"), f("cli.key"), "localhost");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  pump(&p);
  CHECK_MSG(p.crc == 0 && p.src == 0, "client: %s / server: %s", p.cerr.msg, p.serr.msg);
  CHECK_EQ_INT(p.splain.len, strlen(secret));
  pair_close(&p);

  /* a client certificate from another CA is refused by the server */
  pair_open(&p, f("srv.pem"), f("srv.key"), 1, f("ca.pem"), f("srv2.pem"), f("srv2.key"), "localhost");
  loop_tls_encode(p.cli, secret, strlen(secret), &p.c2s, &p.cerr);
  expect_fail("client cert of another CA", &p, NULL, "unable to get local issuer certificate");
  pair_close(&p);
}

static void test_bad_files(void) {
  al_err e;
  CHECK(loop_tls_server_ctx(f("nope.pem"), f("srv.key"), NULL, 0, &e) == NULL);
  CHECK_MSG(strstr(e.msg, "nope.pem") != NULL, "%s", e.msg);
  CHECK(loop_tls_server_ctx(f("srv.pem"), f("cli.key"), NULL, 0, &e) == NULL);
  CHECK_MSG(strstr(e.msg, "does not match") != NULL, "%s", e.msg);
  CHECK(loop_tls_server_ctx(f("srv.pem"), f("srv.key"), NULL, 1, &e) == NULL);
  CHECK_MSG(strstr(e.msg, "tls_ca") != NULL, "%s", e.msg);
  CHECK(loop_tls_client_ctx(f("missing-ca.pem"), NULL, NULL, &e) == NULL);
  CHECK_MSG(strstr(e.msg, "missing-ca.pem") != NULL, "%s", e.msg);
  CHECK(loop_tls_client_ctx(f("ca.pem"), f("cli.pem"), NULL, &e) == NULL);
}

/* Random bytes and a plaintext frame into a fresh server connection, and garbage after an
 * established handshake: an error, never a crash, nothing decoded. */
static void test_garbage(void) {
  al_err e;
  loop_tls_ctx *sx = loop_tls_server_ctx(f("srv.pem"), f("srv.key"), NULL, 0, &e);
  uint32_t seed = 12345;
  for (int round = 0; round < 300; round++) {
    loop_tls *t = loop_tls_new(sx, NULL, "fuzz", &e);
    al_buf plain = {0}, out = {0};
    char junk[2048];
    size_t n = 1 + (size_t)(round * 7 % 2048);
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      junk[i] = (char)(seed >> 16);
    }
    if (round % 3 == 0) { junk[0] = 0x16; junk[1] = 0x03; junk[2] = 0x01; } /* looks like a handshake record */
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0; off += 97) /* in pieces too */
      rc = loop_tls_decode(t, junk + off, AL_MIN((size_t)97, n - off), &plain, &out, &e);
    CHECK_EQ_INT(plain.len, 0);
    al_buf_free(&plain);
    al_buf_free(&out);
    loop_tls_free(t);
  }
  /* a plaintext msgpack frame: refused, with the hint that the peer does not speak TLS */
  loop_tls *t = loop_tls_new(sx, NULL, "127.0.0.1:5555", &e);
  al_buf plain = {0}, out = {0};
  const char frame[] = "\x00\x00\x00\x20\x83\xa4type\xa5hello\xa5token\xa6s3cret\xa3rid\x01";
  CHECK_EQ_INT(loop_tls_decode(t, frame, sizeof frame - 1, &plain, &out, &e), -1);
  CHECK_MSG(strstr(e.msg, "127.0.0.1:5555") && strstr(e.msg, "does not speak TLS"), "%s", e.msg);
  CHECK_EQ_INT(plain.len, 0);
  CHECK_EQ_INT(loop_tls_decode(t, "x", 1, &plain, &out, &e), -1); /* stays failed */
  loop_tls_free(t);
  al_buf_free(&out);

  /* A ClientHello that claims 128 KiB and keeps coming: cut off at the handshake limit. */
  t = loop_tls_new(sx, NULL, "slow", &e);
  char rec[5 + 16384];
  memset(rec, 0, sizeof rec);
  int rc = 0;
  size_t sent = 0;
  for (int i = 0; i < 8 && rc == 0; i++) {
    rec[0] = 0x16; rec[1] = 0x03; rec[2] = 0x01; rec[3] = 0x40; rec[4] = 0x00;
    if (i == 0) { rec[5] = 0x01; rec[6] = 0x01; rec[7] = (char)0xff; rec[8] = (char)0x00; rec[9] = 0x03; rec[10] = 0x03; }
    else memset(rec + 5, 0, 16);
    rc = loop_tls_decode(t, rec, sizeof rec, &plain, &out, &e);
    sent += sizeof rec;
  }
  CHECK_EQ_INT(rc, -1);
  CHECK_MSG(sent <= LOOP_TLS_MAX_HANDSHAKE + sizeof rec, "cut off after %zu bytes", sent);
  CHECK_MSG(strstr(e.msg, "without completing") || strstr(e.msg, "failed"), "%s", e.msg);
  loop_tls_free(t);
  al_buf_free(&plain);
  al_buf_free(&out);

  /* garbage after a completed handshake */
  pair_t p;
  pair_open(&p, f("srv.pem"), f("srv.key"), 0, f("ca.pem"), NULL, NULL, "localhost");
  loop_tls_start(p.cli, &p.c2s, &p.cerr);
  pump(&p);
  CHECK(loop_tls_ready(p.srv));
  CHECK_EQ_INT(loop_tls_decode(p.srv, "\x17\x03\x03\x00\x10garbagegarbage!!", 21, &p.splain, &p.s2c, &e), -1);
  CHECK_MSG(strstr(e.msg, "TLS connection with client-peer failed") != NULL, "%s", e.msg);
  CHECK_EQ_INT(p.splain.len, 0);
  pair_close(&p);
  loop_tls_ctx_free(sx);
}

/* ---- Through loop_conn over a socketpair ------------------------------------------------ */
typedef struct side {
  loop_conn lc;
  int frames, closed;
  uint64_t last_rid;
  char why[128];
} side;

static void s_frame(loop_conn *lc, const uint8_t *p, size_t len) {
  side *s = lc->data;
  proto_msg m;
  al_err e;
  if (proto_msg_decode(p, len, &m, &e) != 0) return;
  s->frames++;
  s->last_rid = m.request_id;
  proto_msg_free(&m);
  if (s->frames <= 3) { /* echo with the next id */
    proto_msg r = {.type = PROTO_MSG_OK, .request_id = s->last_rid + 1};
    loop_conn_send(lc, &r);
  }
}
static void s_closed(loop_conn *lc, const char *why) {
  side *s = lc->data;
  s->closed++;
  snprintf(s->why, sizeof s->why, "%s", why);
}
static const loop_conn_cbs cbs = {s_frame, NULL, s_closed, NULL};

static void conn_pair(const char *cli_ca, side *a, side *b) {
  uv_loop_t loop;
  loop_group g;
  uv_loop_init(&loop);
  loop_group_init(&g, &loop, NULL, &cbs);
  int fds[2];
  CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  side *sides[2] = {a, b};
  al_err e;
  loop_tls_ctx *sx = loop_tls_server_ctx(f("srv.pem"), f("srv.key"), NULL, 0, &e);
  loop_tls_ctx *cx = loop_tls_client_ctx(cli_ca, NULL, NULL, &e);
  for (int i = 0; i < 2; i++) {
    uv_pipe_t *p = al_xcalloc(1, sizeof *p);
    uv_pipe_init(&loop, p, 0);
    CHECK_EQ_INT(uv_pipe_open(p, fds[i]), 0);
    memset(sides[i], 0, sizeof *sides[i]);
    loop_conn_init_stream(&sides[i]->lc, &g, sides[i], (uv_stream_t *)p);
    loop_tls *t = i == 0 ? loop_tls_new(cx, "localhost", "coordinator", &e) : loop_tls_new(sx, NULL, "worker", &e);
    loop_conn_set_filter(&sides[i]->lc, &loop_tls_filter, t);
    loop_conn_start(&sides[i]->lc);
  }
  loop_tls_ctx_free(sx);
  loop_tls_ctx_free(cx);
  proto_msg m = {.type = PROTO_MSG_OK, .request_id = 1};
  CHECK_EQ_INT(loop_conn_send(&a->lc, &m), 0); /* before the handshake: held back */
  /* until the exchange is done, or the client side (which fails first on a bad
   * certificate) has closed after writing its alert */
  for (int i = 0; i < 2000 && a->frames + b->frames < 6 && !a->closed; i++) uv_run(&loop, UV_RUN_ONCE);
  loop_conn_close(&a->lc, "done");
  if (!b->closed) loop_conn_close(&b->lc, "done");
  loop_group_close(&g, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void test_loop_conn_filter(void) {
  side a, b;
  conn_pair(f("ca.pem"), &a, &b);
  CHECK_EQ_INT(b.frames, 3);
  CHECK_EQ_INT(a.frames, 3);
  CHECK_EQ_INT(a.last_rid, 6);
  /* wrong CA: the client side closes with the filter's failure; no frame passes */
  conn_pair(f("ca2.pem"), &a, &b);
  CHECK_EQ_INT(a.frames + b.frames, 0);
  CHECK_EQ_STR(a.why, "transport filter failed");
}

int main(void) {
  if (make_certs() != 0) {
    fprintf(stderr, "cannot make test certificates with the openssl CLI (see %s/openssl.log)\n", g_dir);
    return 1;
  }
  RUN(test_roundtrip_and_hold_back);
  RUN(test_refusals);
  RUN(test_bad_files);
  RUN(test_garbage);
  RUN(test_loop_conn_filter);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (al_test_failures == 0 && system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
  return TEST_REPORT();
}
