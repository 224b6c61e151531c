/* Coordinator connection handling: hostile input, handshake refusals, a peer that
 * never reads, many connections without leaks, and the embedded mode (a server on a
 * loop it does not own, serving peers over socketpairs). */
#include <dirent.h>
#include <pthread.h>

#include "test_coord_client.h"

static void send_raw_and_expect_error(int port, const void *bytes, size_t n, uint32_t code,
                                      const char *needle, int do_hello) {
  tpeer p;
  if (do_hello) CHECK_EQ_INT(tp_hello(&p, port, PROTO_ROLE_ADMIN, "evil", 0), 0);
  else CHECK_EQ_INT(tp_connect(&p, port), 0);
  tp_write(&p, bytes, n);
  proto_msg r;
  int rc = tp_recv(&p, &r, 2);
  CHECK_EQ_INT(rc, 0);
  if (rc == 0) {
    CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
    CHECK_EQ_INT(r.u.error.code, code);
    CHECK_CONTAINS(r.u.error.message, needle);
    proto_msg_free(&r);
  }
  CHECK_EQ_INT(tp_recv(&p, &r, 2), -2); /* and the connection is closed */
  tp_close(&p);
}

static void test_hostile_input(void) {
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, tc_options()), 0);
  tpeer good;
  CHECK_EQ_INT(tp_hello(&good, c.port, PROTO_ROLE_ADMIN, "good", 0), 0);
  /* garbage: a plausible length and bytes that are not msgpack */
  const unsigned char garbage[] = {0, 0, 0, 4, 0xc1, 0xc1, 0xc1, 0xc1};
  send_raw_and_expect_error(c.port, garbage, sizeof garbage, PROTO_E_BAD_FRAME, "", 0);
  send_raw_and_expect_error(c.port, garbage, sizeof garbage, PROTO_E_BAD_FRAME, "", 1);
  /* an oversized frame is refused from its length prefix alone */
  const unsigned char big[] = {0x7f, 0xff, 0xff, 0xff};
  send_raw_and_expect_error(c.port, big, sizeof big, PROTO_E_FRAME_TOO_LARGE, "", 1);
  /* an unknown message type: {"t": "bogus"} */
  const unsigned char unknown[] = {0, 0, 0, 9, 0x81, 0xa1, 't', 0xa5, 'b', 'o', 'g', 'u', 's'};
  send_raw_and_expect_error(c.port, unknown, sizeof unknown, PROTO_E_UNKNOWN_TYPE, "bogus", 1);
  /* the first message must be hello */
  proto_msg m = {0};
  m.type = PROTO_MSG_LIST_JOBS;
  al_buf b = {0};
  proto_msg_encode(&m, &b);
  send_raw_and_expect_error(c.port, b.data, b.len, PROTO_E_BAD_STATE, "hello", 0);
  al_buf_free(&b);
  /* a worker message from an admin is refused but the connection stays */
  m.type = PROTO_MSG_TASK_STARTED;
  m.u.task_started.task_id = "x-000000";
  proto_msg r;
  CHECK_EQ_INT(tp_request(&good, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_NOT_ALLOWED);
  proto_msg_free(&r);
  /* the well-behaved client was served throughout */
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_LIST_JOBS;
  CHECK_EQ_INT(tp_request(&good, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_JOBS);
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&good);
}

static int hello_with(int port, const char *token, uint32_t version, proto_msg *reply) {
  tpeer p;
  if (tp_connect(&p, port) != 0) return -1;
  proto_msg m = {0};
  m.type = PROTO_MSG_HELLO;
  m.u.hello.version = version;
  m.u.hello.role = PROTO_ROLE_WORKER;
  m.u.hello.peer_id = "w";
  m.u.hello.token = token;
  m.u.hello.slots = 1;
  tp_send(&p, &m);
  int rc = tp_recv(&p, reply, 2);
  tp_close(&p);
  return rc;
}

static void test_handshake_refusals(void) {
  coord_options o = tc_options();
  o.auth_token = "s3cret";
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  proto_msg r;
  CHECK_EQ_INT(hello_with(c.port, NULL, PROTO_VERSION, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_REFUSE);
  CHECK_EQ_INT(r.u.refuse.code, PROTO_E_AUTH);
  CHECK_CONTAINS(r.u.refuse.reason, "token is required");
  proto_msg_free(&r);
  CHECK_EQ_INT(hello_with(c.port, "wrong", PROTO_VERSION, &r), 0);
  CHECK_EQ_INT(r.u.refuse.code, PROTO_E_AUTH);
  proto_msg_free(&r);
  CHECK_EQ_INT(hello_with(c.port, "s3cret", PROTO_VERSION + 7, &r), 0);
  CHECK_EQ_INT(r.u.refuse.code, PROTO_E_VERSION);
  CHECK_CONTAINS(r.u.refuse.reason, "expected 1");
  proto_msg_free(&r);
  CHECK_EQ_INT(hello_with(c.port, "s3cret", PROTO_VERSION, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_WELCOME);
  CHECK_EQ_INT(r.u.welcome.heartbeat_ms, 250);
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
}

/* A subscriber that never reads while a worker makes its job emit large progress
 * events: the coordinator cuts it off at the hard limit, and keeps serving the rest. */
static void test_never_reading_peer_cut_off(void) {
  coord_options o = tc_options();
  o.out_soft_limit = 16 << 10;
  o.out_hard_limit = 256 << 10;
  o.jm.max_retries = 0;
  o.jm.prefetch = 8;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer w, adm, lazy;
  CHECK_EQ_INT(tp_hello(&w, c.port, PROTO_ROLE_WORKER, "w", 8), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_ADMIN, "adm", 0), 0);
  CHECK_EQ_INT(tp_connect_rcvbuf(&lazy, c.port, 4096), 0);
  proto_msg m = {0};
  m.type = PROTO_MSG_HELLO;
  m.u.hello.version = PROTO_VERSION;
  m.u.hello.role = PROTO_ROLE_SUBMITTER;
  m.u.hello.peer_id = "lazy";
  tp_send(&lazy, &m);
  const size_t n = 3000;
  CHECK_EQ_INT(tp_submit(&adm, "big", n, 0, 0), 0);
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SUBSCRIBE;
  m.u.subscribe.job_id = "big";
  tp_send(&lazy, &m); /* and never read again */
  char err[1000];
  memset(err, 'e', sizeof err - 1);
  err[sizeof err - 1] = 0;
  size_t done = 0;
  double end = al_mono_s() + 20;
  while (done < n && al_mono_s() < end) {
    proto_msg a;
    if (tp_recv(&w, &a, 1) != 0) break;
    if (a.type == PROTO_MSG_ASSIGN) {
      tw_result(&w, a.u.assign.task_id, a.u.assign.attempt, 0, err); /* each progress grows */
      done++;
    }
    proto_msg_free(&a);
  }
  CHECK_EQ_INT(done, n);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&adm, "big", "failed", 5, &j), 0);
  /* drain what the kernel buffered for the lazy peer: the stream then ends */
  int rc;
  proto_msg x;
  size_t got = 0;
  while ((rc = tp_recv(&lazy, &x, 3)) == 0) {
    got++;
    proto_msg_free(&x);
  }
  CHECK_EQ_INT(rc, -2);
  CHECK(got < n + 2);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&w);
  tp_close(&adm);
  tp_close(&lazy);
}

#if defined(__SANITIZE_ADDRESS__)
#define TC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TC_ASAN 1
#endif
#endif
#ifdef TC_ASAN
/* Freed memory goes back to the allocator at once, so RSS reflects live memory. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=0"; }
#endif

static void test_hello_timeout_and_ipv6(void) {
  coord_options o = tc_options();
  o.hello_timeout_s = 0.3;
  o.host = "::"; /* dual stack: IPv6 and IPv4 */
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0); /* waits with an IPv4 connect */
  /* a connection that says nothing is closed after the hello timeout */
  tpeer idle;
  CHECK_EQ_INT(tp_connect(&idle, c.port), 0);
  double t0 = al_mono_s();
  proto_msg r;
  CHECK_EQ_INT(tp_recv(&idle, &r, 3), 0);
  double dt = al_mono_s() - t0;
  CHECK_MSG(dt > 0.2 && dt < 1.5, "closed after %.3fs", dt);
  CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
  CHECK_CONTAINS(r.u.error.message, "no hello");
  proto_msg_free(&r);
  CHECK_EQ_INT(tp_recv(&idle, &r, 2), -2);
  tp_close(&idle);
  /* an IPv6 client over ::1 is served */
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a6;
  memset(&a6, 0, sizeof a6);
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons((uint16_t)c.port);
  inet_pton(AF_INET6, "::1", &a6.sin6_addr);
  int rc = connect(fd, (struct sockaddr *)&a6, sizeof a6);
  CHECK_EQ_INT(rc, 0);
  if (rc == 0) {
    tpeer p6;
    memset(&p6, 0, sizeof p6);
    p6.fd = fd;
    p6.next_rid = 1;
    proto_decoder_init(&p6.dec, 0);
    proto_msg m = {0};
    m.type = PROTO_MSG_HELLO;
    m.u.hello.version = PROTO_VERSION;
    m.u.hello.role = PROTO_ROLE_ADMIN;
    m.u.hello.peer_id = "v6";
    tp_send(&p6, &m);
    CHECK_EQ_INT(tp_expect(&p6, PROTO_MSG_WELCOME, &r, 2), 0);
    proto_msg_free(&r);
    tp_close(&p6);
  } else {
    close(fd);
  }
  CHECK_EQ_INT(tc_stop(&c), 0);
}

static long proc_fd_count(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  long n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static long proc_rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kb;
}

static void test_thousand_connections_no_leak(void) {
  tcoord c;
  coord_options o = tc_options();
  o.max_conns_per_peer = 2000; /* every peer here is 127.0.0.1 */
  CHECK_EQ_INT(tc_start(&c, o), 0);
  usleep(50000);
  long fd0 = proc_fd_count(c.pid);
  /* RSS after each round: the allocator's arenas and fragmentation settle in the first rounds
   * (a fresh clone on a loaded machine saw +2.7 MB between rounds 1 and 3), so the check is that
   * the later rounds stop growing; a leak of even 1 KB per connection adds ~1 MB every round. */
  enum { N = 1000, ROUNDS = 8 };
  long rss[ROUNDS];
  static tpeer peers[N];
  for (int round = 0; round < ROUNDS; round++) {
    int ok = 0;
    for (int i = 0; i < N; i++) {
      char id[32];
      snprintf(id, sizeof id, "c%d", i);
      if (tp_hello(&peers[i], c.port, i % 2 ? PROTO_ROLE_ADMIN : PROTO_ROLE_WORKER, id, 1) == 0) ok++;
    }
    CHECK_EQ_INT(ok, N);
    for (int i = 0; i < N; i++) tp_close(&peers[i]);
    /* the coordinator notices every close */
    double end = al_mono_s() + 5;
    while (proc_fd_count(c.pid) > fd0 && al_mono_s() < end) usleep(20000);
    CHECK_EQ_INT(proc_fd_count(c.pid), fd0);
    rss[round] = proc_rss_kb(c.pid);
  }
  /* growth over the last three rounds, against the smallest step seen in them */
  long late = rss[ROUNDS - 1] - rss[ROUNDS - 4];
  int steps_up = 0;
  for (int r = ROUNDS - 3; r < ROUNDS; r++) steps_up += rss[r] > rss[r - 1] + 256;
  if (getenv("AL_TEST_PRINT_RSS")) fprintf(stderr, "rss %ld %ld %ld %ld %ld %ld %ld %ld\n", rss[0], rss[1], rss[2], rss[3], rss[4], rss[5], rss[6], rss[7]);
  CHECK_MSG(late < 1536 || steps_up < 3,
            "RSS keeps growing: %ld %ld %ld %ld %ld %ld %ld %ld kB after each round of %d connections",
            rss[0], rss[1], rss[2], rss[3], rss[4], rss[5], rss[6], rss[7], (int)N);
  CHECK_EQ_INT(tc_stop(&c), 0);
}

/* ---- embedded: the server on a loop it does not own, peers over socketpairs ---- */
typedef struct emb {
  uv_loop_t loop;
  uv_async_t stop;
  coord_server *srv;
  int stopped;
  int attach_fd[2];
} emb;

static void on_stopped(void *ud) { ((emb *)ud)->stopped = 1; }
static void on_stop_async(uv_async_t *h) {
  emb *e = h->data;
  coord_server_stop(e->srv, on_stopped, e);
  uv_close((uv_handle_t *)h, NULL);
}
static void *loop_thread(void *arg) {
  emb *e = arg;
  uv_run(&e->loop, UV_RUN_DEFAULT);
  return NULL;
}

static void test_embedded_socketpair(void) {
  emb e;
  memset(&e, 0, sizeof e);
  uv_loop_init(&e.loop);
  coord_options o = tc_options();
  al_err err;
  al_err_clear(&err);
  e.srv = coord_server_new(&e.loop, &o, &err);
  CHECK(e.srv != NULL);
  int sw[2], ss[2];
  CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sw), 0);
  CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, ss), 0);
  CHECK_EQ_INT(coord_server_attach_fd(e.srv, sw[0], &err), 0);
  CHECK_EQ_INT(coord_server_attach_fd(e.srv, ss[0], &err), 0);
  uv_async_init(&e.loop, &e.stop, on_stop_async);
  e.stop.data = &e;
  pthread_t th;
  pthread_create(&th, NULL, loop_thread, &e);
  /* the peers speak the protocol over the other ends */
  tpeer w, s;
  memset(&w, 0, sizeof w);
  memset(&s, 0, sizeof s);
  w.fd = sw[1];
  s.fd = ss[1];
  proto_decoder_init(&w.dec, 0);
  proto_decoder_init(&s.dec, 0);
  w.next_rid = s.next_rid = 1;
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_HELLO;
  m.u.hello.version = PROTO_VERSION;
  m.u.hello.role = PROTO_ROLE_WORKER;
  m.u.hello.peer_id = "embedded-0";
  m.u.hello.slots = 2;
  tp_send(&w, &m);
  CHECK_EQ_INT(tp_expect(&w, PROTO_MSG_WELCOME, &r, 2), 0);
  proto_msg_free(&r);
  m.u.hello.role = PROTO_ROLE_SUBMITTER;
  m.u.hello.peer_id = "submit";
  tp_send(&s, &m);
  CHECK_EQ_INT(tp_expect(&s, PROTO_MSG_WELCOME, &r, 2), 0);
  proto_msg_free(&r);
  CHECK_EQ_INT(tp_submit(&s, "emb", 10, 0, 0), 0);
  int done = 0;
  while (done < 10) {
    tassign a;
    if (tw_next_assign(&w, &a, 2) != 0) break;
    tw_result(&w, a.task_id, a.attempt, 1, NULL);
    done++;
  }
  CHECK_EQ_INT(done, 10);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&s, "emb", "completed", 2, &j), 0);
  uv_async_send(&e.stop);
  pthread_join(th, NULL);
  CHECK(e.stopped);
  coord_server_free(e.srv);
  CHECK_EQ_INT(uv_loop_close(&e.loop), 0);
  tp_close(&w);
  tp_close(&s);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_hostile_input);
  RUN(test_handshake_refusals);
  RUN(test_hello_timeout_and_ipv6);
  RUN(test_never_reading_peer_cut_off);
  RUN(test_thousand_connections_no_leak);
  RUN(test_embedded_socketpair);
  return TEST_REPORT();
}
