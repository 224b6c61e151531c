/* The Redis state store (see store_redis.h for the contract).
 *
 * Every operation becomes one command (rs_cmd) that lives in exactly one of two FIFO
 * queues until its callback has fired:
 *   pending   issued, not yet handed to hiredis (not connected, or still in the
 *             AUTH/SELECT handshake);
 *   inflight  handed to hiredis, waiting for its reply. Replies arrive in order, so
 *             the reply for the head of inflight is always the next one.
 * When the connection goes away, inflight is put back in front of pending, and the
 * whole queue is sent again once a new connection has done its handshake. The
 * commands are owned by these queues, never by hiredis: hiredis only carries their
 * pointer, and every hiredis callback first checks that its context is still the
 * store's current one (a context we let go of has data == NULL). */
#include "store/store_redis.h"

#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "config/config.h"
#include "store/redis_uv.h"

/* How a command's reply is read. */
enum { K_STATUS, K_INT, K_STR, K_ARRAY, K_PING };

typedef struct rs_cmd {
  struct rs_cmd *next;
  uint8_t kind;
  uint8_t internal; /* AUTH/SELECT of the handshake: not counted, never replayed */
  uint8_t replay;   /* was in flight when a connection was lost */
  store_cb cb;
  void *ud;
  int argc;
  const char **argv;
  size_t *argvlen;
  size_t bytes;
  double sent_at; /* loop time, s */
  uint64_t sent_ns; /* uv_hrtime() when handed to hiredis, for the latency histogram */
} rs_cmd;

typedef struct cmd_queue {
  rs_cmd *head, *tail;
  size_t n;
} cmd_queue;

typedef enum {
  ST_IDLE,       /* waiting for the reconnect delay */
  ST_RESOLVING,  /* uv_getaddrinfo in progress */
  ST_CONNECTING, /* non-blocking connect in progress */
  ST_HANDSHAKE,  /* AUTH/SELECT sent */
  ST_READY
} conn_state;

typedef struct gai_req {
  uv_getaddrinfo_t req;
  struct redis_store *s; /* NULL once the store no longer waits for it */
} gai_req;

typedef struct redis_store {
  store base;
  uv_loop_t *loop;
  char *host, *password, *username, *prefix;
  size_t prefix_len;
  int port, db;
  double connect_timeout, command_timeout, rmin, rmax;
  size_t limit;

  redisAsyncContext *ac;
  conn_state state;
  gai_req *gai;
  uv_timer_t conn_timer; /* connect timeout, or the reconnect delay when idle */
  uv_timer_t cmd_timer;  /* the oldest inflight command's deadline */
  int open_handles;
  int handshake_left;
  double backoff;
  uint64_t rng;
  int ever_ready;
  int failing;        /* attempts failed since the last success */
  double last_fail_log;
  int closed;

  cmd_queue pending, inflight;
  size_t user_queued, queued_bytes;

  int writable;
  void (*writable_cb)(void *ud, int writable);
  void *writable_ud;
  store_redis_ready_cb ready_cb;
  void *ready_ud;

  store_redis_stats stats;
  char addr[300]; /* "host:port" for messages */

  /* Keyspace lease (store_redis_lease_*): once held, every write is fenced by it. */
  char *lease_key, *epoch_key; /* prefixed */
  char *lease_token;           /* our value of the lease key; NULL = no lease held */
  char epoch[24];
  char ttl_ms[24];
  int fenced;                  /* a fenced write or renewal was refused */
  void (*fenced_cb)(void *ud, const char *msg);
  void *fenced_ud;
} redis_store;

/* ---------------------------------------------------------------- queues */

static void q_push(cmd_queue *q, rs_cmd *c) {
  c->next = NULL;
  if (q->tail) q->tail->next = c;
  else q->head = c;
  q->tail = c;
  q->n++;
}

static rs_cmd *q_pop(cmd_queue *q) {
  rs_cmd *c = q->head;
  if (!c) return NULL;
  q->head = c->next;
  if (!q->head) q->tail = NULL;
  q->n--;
  c->next = NULL;
  return c;
}

static void q_push_front(cmd_queue *q, rs_cmd *c) {
  c->next = q->head;
  q->head = c;
  if (!q->tail) q->tail = c;
  q->n++;
}

static double loop_now(redis_store *s) { return (double)uv_now(s->loop) / 1000.0; }

static uint64_t timer_ms(double s) {
  double ms = ceil(s * 1000.0);
  return ms < 1 ? 1 : (uint64_t)ms;
}

/* ---------------------------------------------------------------- writability */

static void update_writable(redis_store *s) {
  if (s->closed) return;
  if (s->writable && s->queued_bytes > s->limit) {
    s->writable = 0;
    al_error("state store: %zu bytes of writes to Redis at %s are waiting (redis_buffer_limit %zu); "
             "dispatch stops until Redis catches up (nothing is dropped)",
             s->queued_bytes, s->addr, s->limit);
    if (s->writable_cb) s->writable_cb(s->writable_ud, 0);
  } else if (!s->writable && s->queued_bytes <= s->limit / 2) {
    s->writable = 1;
    al_info("state store: Redis at %s caught up (%zu bytes waiting); dispatch resumes", s->addr,
            s->queued_bytes);
    if (s->writable_cb) s->writable_cb(s->writable_ud, 1);
  }
}

static void account_done(redis_store *s, rs_cmd *c) {
  if (c->internal) return;
  s->user_queued--;
  s->queued_bytes -= c->bytes;
}

/* ---------------------------------------------------------------- replies */

static void fire(rs_cmd *c, const store_reply *r) {
  if (c->cb) c->cb(c->ud, r);
}

static void fire_error(rs_cmd *c, const char *msg) {
  store_reply r = {STORE_ERROR, NULL, 0, 0, msg, NULL, NULL, 0};
  fire(c, &r);
}

/* Turns a Redis reply into the store reply for c's kind and fires c's callback. */
static void complete(redis_store *s, rs_cmd *c, redisReply *rep) {
  store_reply r = {STORE_OK, NULL, 0, 0, NULL, NULL, NULL, 0};
  if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "FENCED", 6) == 0 && !s->fenced) {
    /* Another coordinator holds the keyspace: this one is deposed. Told once; every
     * later fenced write fails the same way and changes nothing. */
    s->fenced = 1;
    if (s->fenced_cb) s->fenced_cb(s->fenced_ud, rep->str);
  }
  if (rep->type == REDIS_REPLY_ERROR) {
    r.status = STORE_ERROR;
    r.msg = rep->str;
    int fenced_write = strcmp(c->argv[0], "EVAL") == 0 && c->argc > 9; /* issue_write: command, key */
    int ci = fenced_write ? 9 : 0, ki = fenced_write ? 5 : 1;
    if (!c->cb && !(s->fenced && strncmp(rep->str, "FENCED", 6) == 0)) /* nobody else will hear of it */
      al_error("state store: Redis refused %s %.*s: %s", c->argv[ci], c->argc > ki ? (int)AL_MIN(c->argvlen[ki], 200) : 0,
               c->argc > ki ? c->argv[ki] : "", rep->str);
    fire(c, &r);
    return;
  }
  switch (c->kind) {
  case K_STATUS:
  case K_PING:
    break;
  case K_INT:
    if (rep->type != REDIS_REPLY_INTEGER) goto unexpected;
    r.integer = rep->integer;
    break;
  case K_STR:
    if (rep->type == REDIS_REPLY_NIL) {
      r.status = STORE_NOT_FOUND;
    } else if (rep->type == REDIS_REPLY_STRING) {
      r.value = rep->str;
      r.len = rep->len;
    } else {
      goto unexpected;
    }
    break;
  case K_ARRAY: {
    if (rep->type != REDIS_REPLY_ARRAY) goto unexpected;
    size_t n = rep->elements;
    const char **vals = al_xcalloc(n ? n : 1, sizeof *vals);
    size_t *lens = al_xcalloc(n ? n : 1, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
      vals[i] = rep->element[i]->str ? rep->element[i]->str : "";
      lens[i] = rep->element[i]->str ? rep->element[i]->len : 0;
    }
    r.values = vals;
    r.lens = lens;
    r.n_values = n;
    r.integer = (int64_t)n;
    fire(c, &r);
    free(vals);
    free(lens);
    return;
  }
  }
  fire(c, &r);
  return;
unexpected: {
  char msg[96];
  snprintf(msg, sizeof msg, "unexpected reply type %d to %s", rep->type, c->argv[0]);
  fire_error(c, msg);
}
}

/* Errors that say "this server cannot serve you right now" rather than "this command
 * is wrong": the command is kept and the connection re-established. */
static int transient_error(const char *e) {
  /* OOM (maxmemory reached) and MISCONF (Redis cannot persist) included: dropping the
   * write would lose state, keeping it makes the buffer grow and dispatch stop. */
  static const char *const prefixes[] = {"LOADING", "READONLY", "MASTERDOWN", "NOAUTH", "TRYAGAIN",
                                         "BUSY ",   "CLUSTERDOWN", "OOM ",     "MISCONF"};
  for (size_t i = 0; i < AL_ARRAY_LEN(prefixes); i++)
    if (strncmp(e, prefixes[i], strlen(prefixes[i])) == 0) return 1;
  return 0;
}

/* ---------------------------------------------------------------- connection */

static void start_connect(redis_store *s);
static void flush(redis_store *s);
static void on_conn_timer(uv_timer_t *t);

/* Lets go of the current hiredis context (it frees itself, now or when the callback
 * we are in returns). Its remaining callbacks see data == NULL and do nothing. */
static void drop_context(redis_store *s) {
  redisAsyncContext *ac = s->ac;
  if (!ac) return;
  s->ac = NULL;
  ac->data = NULL;
  redisAsyncFree(ac);
}

static void detach_gai(redis_store *s) {
  if (!s->gai) return;
  s->gai->s = NULL;
  uv_cancel((uv_req_t *)&s->gai->req);
  s->gai = NULL;
}

/* Inflight commands go back, in order, in front of the pending ones; handshake
 * commands are simply discarded (a new handshake is made for the next connection). */
static void requeue_inflight(redis_store *s) {
  cmd_queue keep = {0};
  rs_cmd *c;
  while ((c = q_pop(&s->inflight))) {
    if (c->internal) {
      free(c);
      continue;
    }
    c->replay = 1;
    q_push(&keep, c);
  }
  if (keep.tail) {
    keep.tail->next = s->pending.head;
    if (!s->pending.head) s->pending.tail = keep.tail;
    s->pending.head = keep.head;
    s->pending.n += keep.n;
  }
  uv_timer_stop(&s->cmd_timer);
}

static void schedule_reconnect(redis_store *s) {
  s->state = ST_IDLE;
  s->handshake_left = 0;
  /* xorshift for a +-20% jitter, so that several coordinators do not retry in step */
  s->rng ^= s->rng << 13;
  s->rng ^= s->rng >> 7;
  s->rng ^= s->rng << 17;
  double jitter = 0.8 + 0.4 * (double)(s->rng % 1000) / 1000.0;
  double delay = s->backoff * jitter;
  s->backoff = AL_MIN(s->backoff * 2, s->rmax);
  uv_timer_start(&s->conn_timer, on_conn_timer, timer_ms(delay), 0);
}

/* A connection attempt (or an established connection) has failed with msg. */
static void connection_failed(redis_store *s, const char *msg) {
  int was_ready = s->state == ST_READY;
  uv_timer_stop(&s->conn_timer);
  requeue_inflight(s);
  double now = loop_now(s);
  if (was_ready) {
    s->stats.disconnects++;
    s->backoff = s->rmin;
    al_warn("state store: lost Redis at %s (%s); %zu operations (%zu bytes) kept, reconnecting", s->addr,
            msg, s->user_queued, s->queued_bytes);
    s->last_fail_log = now;
  } else {
    s->stats.connect_failures++;
    if (s->failing == 0 || now - s->last_fail_log >= 30) {
      al_warn("state store: %s; retrying (%d attempts so far, %zu operations waiting)", msg, s->failing + 1,
              s->user_queued);
      s->last_fail_log = now;
    }
    s->failing++;
    if (s->ready_cb) {
      store_redis_ready_cb cb = s->ready_cb;
      s->ready_cb = NULL;
      cb(s->ready_ud, 0, msg);
      if (s->closed) return;
    }
  }
  schedule_reconnect(s);
}

static void on_ready(redis_store *s) {
  s->state = ST_READY;
  uv_timer_stop(&s->conn_timer);
  s->stats.connects++;
  s->backoff = s->rmin;
  if (s->ever_ready)
    al_info("state store: reconnected to Redis at %s; sending %zu kept operations (%zu bytes)", s->addr,
            s->user_queued, s->queued_bytes);
  else
    al_info("state store: connected to Redis at %s (db %d%s%s)", s->addr, s->db, s->prefix_len ? ", key prefix " : "",
            s->prefix_len ? s->prefix : "");
  s->ever_ready = 1;
  s->failing = 0;
  if (s->ready_cb) {
    store_redis_ready_cb cb = s->ready_cb;
    s->ready_cb = NULL;
    cb(s->ready_ud, 1, NULL);
    if (s->closed) return;
  }
  flush(s);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

const double store_redis_latency_bounds[STORE_REDIS_LATENCY_BOUNDS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

static void record_latency(redis_store *s, const rs_cmd *c) {
  double d = (double)(uv_hrtime() - c->sent_ns) / 1e9;
  s->stats.latency_sum_s += d;
  for (size_t i = 0; i < STORE_REDIS_LATENCY_BOUNDS; i++)
    if (d <= store_redis_latency_bounds[i]) s->stats.latency_le[i]++;
}

/* Hands c to hiredis. Returns 0, or -1 when the context refuses (it is going away). */
static int send_cmd(redis_store *s, rs_cmd *c) {
  if (redisAsyncCommandArgv(s->ac, on_reply, c, c->argc, c->argv, c->argvlen) != REDIS_OK) return -1;
  c->sent_at = loop_now(s);
  c->sent_ns = uv_hrtime();
  if (c->replay) s->stats.replayed++;
  q_push(&s->inflight, c);
  return 0;
}

static void arm_cmd_timer(redis_store *s);

static void flush(redis_store *s) {
  while (s->state == ST_READY && s->pending.head) {
    rs_cmd *c = q_pop(&s->pending);
    if (send_cmd(s, c) != 0) {
      q_push_front(&s->pending, c);
      break;
    }
  }
  arm_cmd_timer(s);
}

static void on_cmd_timer(uv_timer_t *t) {
  redis_store *s = t->data;
  rs_cmd *c = s->inflight.head;
  if (!c) return;
  double age = loop_now(s) - c->sent_at;
  if (age < s->command_timeout) {
    uv_timer_start(&s->cmd_timer, on_cmd_timer, timer_ms(s->command_timeout - age), 0);
    return;
  }
  s->stats.timeouts++;
  char msg[AL_ERR_MSG_MAX];
  snprintf(msg, sizeof msg, "Redis at %s did not answer %s within %gs (state_store_command_timeout)", s->addr,
           c->argv[0], s->command_timeout);
  if (s->state == ST_READY) al_warn("state store: %s; dropping the connection", msg);
  drop_context(s);
  connection_failed(s, msg);
}

static void arm_cmd_timer(redis_store *s) {
  if (!s->inflight.head || uv_is_active((uv_handle_t *)&s->cmd_timer)) return;
  double age = loop_now(s) - s->inflight.head->sent_at;
  uv_timer_start(&s->cmd_timer, on_cmd_timer, timer_ms(s->command_timeout - age), 0);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv) {
  redis_store *s = ac->data;
  redisReply *rep = reply;
  if (!s || s->ac != ac || !rep) return; /* a context we let go of, or it is closing */
  rs_cmd *c = q_pop(&s->inflight);
  if (c != priv) { /* cannot happen: replies come in order; fail safe */
    if (c) q_push_front(&s->inflight, c);
    drop_context(s);
    connection_failed(s, "Redis replies out of order");
    return;
  }
  if (c->internal) {
    if (rep->type == REDIS_REPLY_ERROR) {
      char msg[AL_ERR_MSG_MAX];
      if (strcmp(c->argv[0], "AUTH") == 0 && c->argc > 2)
        snprintf(msg, sizeof msg,
                 "Redis at %s rejected user '%s' with its password (state_store_username, "
                 "state_store_password): %s",
                 s->addr, c->argv[1], rep->str);
      else if (strcmp(c->argv[0], "AUTH") == 0)
        snprintf(msg, sizeof msg,
                 "Redis at %s rejected the password (state_store_password): %s", s->addr, rep->str);
      else if (strncmp(rep->str, "NOAUTH", 6) == 0)
        snprintf(msg, sizeof msg,
                 "Redis at %s requires a password; set coordinator.state_store_password (%s)", s->addr,
                 rep->str);
      else
        snprintf(msg, sizeof msg, "Redis at %s refused %s %s (state_store_db): %s", s->addr, c->argv[0],
                 c->argc > 1 ? c->argv[1] : "", rep->str);
      free(c);
      drop_context(s);
      connection_failed(s, msg);
      return;
    }
    free(c);
    if (--s->handshake_left == 0) on_ready(s);
    return;
  }
  if (rep->type == REDIS_REPLY_ERROR && transient_error(rep->str)) {
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "Redis at %s answered %s: %s", s->addr, c->argv[0], rep->str);
    q_push_front(&s->inflight, c);
    drop_context(s);
    connection_failed(s, msg);
    return;
  }
  s->stats.commands++;
  record_latency(s, c);
  account_done(s, c);
  complete(s, c, rep);
  free(c);
  if (s->closed) return;
  update_writable(s);
  if (!s->inflight.head) uv_timer_stop(&s->cmd_timer);
}

static rs_cmd *make_cmd(redis_store *s, int kind, int argc, const char *const *args, const size_t *lens,
                      int key_arg);

static void on_connect(const redisAsyncContext *cac, int status) {
  redisAsyncContext *ac = (redisAsyncContext *)cac;
  redis_store *s = ac->data;
  if (!s || s->ac != ac) return;
  if (status != REDIS_OK) {
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: %s", s->addr,
             ac->errstr[0] ? ac->errstr : "connection failed");
    s->ac = NULL; /* hiredis frees it after this callback */
    connection_failed(s, msg);
    return;
  }
  s->state = ST_HANDSHAKE;
  char db[24];
  snprintf(db, sizeof db, "%d", s->db);
  const char *auth[3] = {"AUTH", s->password, NULL};
  const char *auth_user[3] = {"AUTH", s->username, s->password};
  const char *sel[2] = {"SELECT", db};
  rs_cmd *hs[2];
  int n = 0;
  if (s->password && s->username) hs[n++] = make_cmd(s, K_STATUS, 3, auth_user, NULL, -1);
  else if (s->password) hs[n++] = make_cmd(s, K_STATUS, 2, auth, NULL, -1);
  /* SELECT always: it also proves the connection is authorised (NOAUTH otherwise) */
  hs[n++] = make_cmd(s, K_STATUS, 2, sel, NULL, -1);
  s->handshake_left = n;
  for (int i = 0; i < n; i++) {
    hs[i]->internal = 1;
    if (send_cmd(s, hs[i]) != 0) {
      for (int k = i; k < n; k++) free(hs[k]);
      drop_context(s);
      connection_failed(s, "cannot send the Redis handshake");
      return;
    }
  }
  arm_cmd_timer(s);
}

static void on_disconnect(const redisAsyncContext *cac, int status) {
  redisAsyncContext *ac = (redisAsyncContext *)cac;
  (void)status;
  redis_store *s = ac->data;
  if (!s || s->ac != ac) return;
  char msg[AL_ERR_MSG_MAX];
  snprintf(msg, sizeof msg, "connection to Redis at %s closed%s%s", s->addr, ac->errstr[0] ? ": " : "",
           ac->errstr);
  s->ac = NULL; /* hiredis frees it after this callback */
  connection_failed(s, msg);
}

static void connect_to(redis_store *s, const char *ip) {
  char msg[AL_ERR_MSG_MAX];
  redisAsyncContext *ac = redisAsyncConnect(ip, s->port);
  if (!ac) {
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: out of memory", s->addr);
    connection_failed(s, msg);
    return;
  }
  if (ac->err) {
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: %s", s->addr, ac->errstr);
    redisAsyncFree(ac);
    connection_failed(s, msg);
    return;
  }
  int rc = redis_uv_attach(ac, s->loop);
  if (rc != 0) {
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: %s", s->addr, uv_strerror(rc));
    redisAsyncFree(ac);
    connection_failed(s, msg);
    return;
  }
  ac->data = s;
  s->ac = ac;
  s->state = ST_CONNECTING;
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  redisAsyncSetConnectCallback(ac, on_connect); /* arms the first write event */
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  gai_req *g = (gai_req *)req;
  redis_store *s = g->s;
  free(g);
  if (!s) {
    if (res) uv_freeaddrinfo(res);
    return;
  }
  s->gai = NULL;
  char msg[AL_ERR_MSG_MAX];
  char ip[64] = "";
  if (status == 0 && res) {
    /* IPv4 first when the name has both: Redis is most often bound to an IPv4 address
     * only (its default "bind 127.0.0.1 -::1" aside), and "localhost" resolves to both */
    struct addrinfo *pick = res;
    for (struct addrinfo *a = res; a; a = a->ai_next)
      if (a->ai_family == AF_INET) {
        pick = a;
        break;
      }
    if (pick->ai_family == AF_INET6)
      uv_ip6_name((const struct sockaddr_in6 *)(void *)pick->ai_addr, ip, sizeof ip);
    else
      uv_ip4_name((const struct sockaddr_in *)(void *)pick->ai_addr, ip, sizeof ip);
  }
  if (res) uv_freeaddrinfo(res);
  if (status != 0 || !ip[0]) {
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: cannot resolve host '%s': %s", s->addr, s->host,
             status ? uv_strerror(status) : "no address");
    connection_failed(s, msg);
    return;
  }
  connect_to(s, ip);
}

static void on_conn_timer(uv_timer_t *t) {
  redis_store *s = t->data;
  if (s->state == ST_IDLE) {
    start_connect(s);
    return;
  }
  if (s->state == ST_READY) return;
  char msg[AL_ERR_MSG_MAX];
  snprintf(msg, sizeof msg, "cannot connect to Redis at %s: no answer within %gs (state_store_connect_timeout)",
           s->addr, s->connect_timeout);
  detach_gai(s);
  drop_context(s);
  connection_failed(s, msg);
}

static int is_numeric_ip(const char *h) {
  unsigned char buf[16];
  return uv_inet_pton(AF_INET, h, buf) == 0 || uv_inet_pton(AF_INET6, h, buf) == 0;
}

static void start_connect(redis_store *s) {
  s->state = ST_RESOLVING;
  uv_timer_start(&s->conn_timer, on_conn_timer, timer_ms(s->connect_timeout), 0);
  if (is_numeric_ip(s->host)) {
    connect_to(s, s->host);
    return;
  }
  gai_req *g = al_xcalloc(1, sizeof *g);
  g->s = s;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(s->loop, &g->req, on_resolved, s->host, NULL, &hints);
  if (rc != 0) {
    free(g);
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "cannot connect to Redis at %s: cannot resolve host '%s': %s", s->addr, s->host,
             uv_strerror(rc));
    connection_failed(s, msg);
    return;
  }
  s->gai = g;
}

/* ---------------------------------------------------------------- commands */

/* Builds a command in one allocation. args[key_arg] (if key_arg >= 0) gets the key
 * prefix. lens NULL: every argument is NUL-terminated. */
static rs_cmd *make_cmd(redis_store *s, int kind, int argc, const char *const *args, const size_t *lens,
                      int key_arg) {
  size_t data = 0;
  size_t len[16];
  for (int i = 0; i < argc; i++) {
    len[i] = lens && lens[i] != SIZE_MAX ? lens[i] : strlen(args[i]);
    if (i == key_arg) len[i] += s->prefix_len;
    data += len[i] + 1;
  }
  size_t head = sizeof(rs_cmd) + (size_t)argc * (sizeof(char *) + sizeof(size_t));
  char *mem = al_xmalloc(head + data);
  rs_cmd *c = (rs_cmd *)(void *)mem;
  memset(c, 0, sizeof *c);
  c->kind = (uint8_t)kind;
  c->argc = argc;
  c->argv = (const char **)(void *)(mem + sizeof(rs_cmd));
  c->argvlen = (size_t *)(void *)(mem + sizeof(rs_cmd) + (size_t)argc * sizeof(char *));
  char *p = mem + head;
  for (int i = 0; i < argc; i++) {
    c->argv[i] = p;
    c->argvlen[i] = len[i];
    size_t off = 0;
    if (i == key_arg) {
      memcpy(p, s->prefix, s->prefix_len);
      off = s->prefix_len;
    }
    memcpy(p + off, args[i], len[i] - off);
    p[len[i]] = 0;
    p += len[i] + 1;
  }
  c->bytes = data;
  return c;
}

/* Queues (or sends) a user operation; args[key_arg] gets the key prefix (-1: none). */
static void issue_k(redis_store *s, int kind, int argc, const char *const *args, const size_t *lens, int key_arg,
                    store_cb cb, void *ud) {
  rs_cmd *c = make_cmd(s, kind, argc, args, lens, key_arg);
  c->cb = cb;
  c->ud = ud;
  if (s->closed) {
    fire_error(c, "the state store is closed");
    free(c);
    return;
  }
  if (s->queued_bytes + c->bytes > s->limit * STORE_REDIS_HARD_FACTOR) {
    s->stats.rejected++;
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof msg,
             "state store: %zu bytes already wait for Redis at %s (hard limit %zu = %d x redis_buffer_limit); "
             "%s %.*s is lost",
             s->queued_bytes, s->addr, s->limit * STORE_REDIS_HARD_FACTOR, STORE_REDIS_HARD_FACTOR, c->argv[0],
             argc > 1 ? (int)AL_MIN(c->argvlen[1], 200) : 0, argc > 1 ? c->argv[1] : "");
    if (s->stats.rejected == 1 || s->stats.rejected % 1000 == 0) /* no log flood */
      al_error("%s (%llu lost so far)", msg, (unsigned long long)s->stats.rejected);
    fire_error(c, msg);
    free(c);
    return;
  }
  s->user_queued++;
  s->queued_bytes += c->bytes;
  if (s->queued_bytes > s->stats.max_queued_bytes) s->stats.max_queued_bytes = s->queued_bytes;
  if (s->state == ST_READY && !s->pending.head && send_cmd(s, c) == 0) {
    arm_cmd_timer(s);
  } else {
    q_push(&s->pending, c);
  }
  update_writable(s);
}

static void issue(redis_store *s, int kind, int argc, const char *const *args, const size_t *lens, store_cb cb,
                  void *ud) {
  issue_k(s, kind, argc, args, lens, argc > 1 ? 1 : -1, cb, ud);
}

/* ---------------------------------------------------------------- keyspace lease
 *
 * Scripts run atomically in Redis. KEYS[1] is the lease key, KEYS[2] the epoch counter.
 * A lease that vanished (Redis restarted without persistence, or it expired while
 * nobody else took it) is taken back only while the epoch counter still names ours:
 * any later holder, even one already gone, has moved the counter on. */

static const char LEASE_ACQUIRE[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v then return {'0', v} end\n"
    "local e = redis.call('INCR', KEYS[2])\n"
    "local t = ARGV[1] .. ',\"epoch\":' .. e .. '}'\n"
    "redis.call('SET', KEYS[1], t, 'PX', ARGV[2])\n"
    "return {tostring(e), t}\n";

#define LEASE_CHECK                                                                                    \
  "local v = redis.call('GET', KEYS[1])\n"                                                             \
  "if v ~= ARGV[1] then\n"                                                                            \
  "  if v then return redis.error_reply('FENCED the keyspace lease is held by ' .. v) end\n"          \
  "  if redis.call('GET', KEYS[2]) ~= ARGV[2] then\n"                                                 \
  "    return redis.error_reply('FENCED the keyspace lease expired and a later coordinator took it')\n" \
  "  end\n"                                                                                           \
  "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])\n"                                            \
  "end\n"

static const char LEASE_RENEW[] = LEASE_CHECK "return redis.call('PEXPIRE', KEYS[1], ARGV[3])\n";

/* A write: ARGV[4] is the command, KEYS[3] its key, ARGV[5..] its other arguments. */
static const char LEASE_FENCED_WRITE[] = LEASE_CHECK "return redis.call(ARGV[4], KEYS[3], unpack(ARGV, 5))\n";

static const char LEASE_RELEASE[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

/* A write command (args[0] the command, args[1] the key, then up to 6 arguments), fenced
 * by the lease once one is held. */
static void issue_write(redis_store *s, int kind, int argc, const char *const *args, const size_t *lens,
                        store_cb cb, void *ud) {
  if (!s->lease_token) {
    issue(s, kind, argc, args, lens, cb, ud);
    return;
  }
  const char *a[16] = {"EVAL", LEASE_FENCED_WRITE, "3", s->lease_key, s->epoch_key, args[1],
                       s->lease_token, s->epoch, s->ttl_ms, args[0]};
  size_t l[16] = {SIZE_MAX, sizeof LEASE_FENCED_WRITE - 1, SIZE_MAX, SIZE_MAX, SIZE_MAX,
                  lens ? lens[1] : SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
  int n = 10;
  for (int i = 2; i < argc && n < 16; i++, n++) {
    a[n] = args[i];
    l[n] = lens ? lens[i] : SIZE_MAX;
  }
  issue_k(s, kind, n, a, l, 5, cb, ud);
}

typedef struct lease_req {
  redis_store *s;
  store_cb cb;
  void *ud;
} lease_req;

static void on_lease_acquired(void *ud, const store_reply *r) {
  lease_req *q = ud;
  redis_store *s = q->s;
  if (r->status == STORE_OK && r->n_values == 2 && strcmp(r->values[0], "0") != 0) {
    free(s->lease_token);
    s->lease_token = al_xstrndup(r->values[1], r->lens[1]);
    snprintf(s->epoch, sizeof s->epoch, "%s", r->values[0]);
    s->fenced = 0;
  }
  if (q->cb) q->cb(q->ud, r);
  free(q);
}

void store_redis_lease_acquire(store *st, const char *holder, double ttl_s, store_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  snprintf(s->ttl_ms, sizeof s->ttl_ms, "%.0f", ceil(ttl_s * 1000.0) < 1 ? 1.0 : ceil(ttl_s * 1000.0));
  lease_req *q = al_xcalloc(1, sizeof *q);
  *q = (lease_req){s, cb, ud};
  const char *a[7] = {"EVAL", LEASE_ACQUIRE, "2", s->lease_key, s->epoch_key, holder, s->ttl_ms};
  issue_k(s, K_ARRAY, 7, a, NULL, -1, on_lease_acquired, q);
}

void store_redis_lease_renew(store *st, store_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  if (!s->lease_token) {
    store_reply r = {STORE_ERROR, NULL, 0, 0, "no keyspace lease is held", NULL, NULL, 0};
    if (cb) cb(ud, &r);
    return;
  }
  const char *a[8] = {"EVAL", LEASE_RENEW, "2", s->lease_key, s->epoch_key, s->lease_token, s->epoch, s->ttl_ms};
  issue_k(s, K_INT, 8, a, NULL, -1, cb, ud);
}

void store_redis_lease_clear(store *st, const char *value, store_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  const char *a[5] = {"EVAL", LEASE_RELEASE, "1", s->lease_key, value};
  issue_k(s, K_INT, 5, a, NULL, -1, cb, ud);
}

void store_redis_lease_release(store *st, store_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  if (!s->lease_token || s->fenced) {
    store_reply r = {STORE_OK, NULL, 0, 0, NULL, NULL, NULL, 0};
    if (cb) cb(ud, &r);
    return;
  }
  const char *a[5] = {"EVAL", LEASE_RELEASE, "1", s->lease_key, s->lease_token};
  issue_k(s, K_INT, 5, a, NULL, -1, cb, ud);
}

void store_redis_on_fenced(store *st, void (*cb)(void *ud, const char *msg), void *ud) {
  redis_store *s = (redis_store *)st;
  s->fenced_cb = cb;
  s->fenced_ud = ud;
}

const char *store_redis_lease_epoch(store *st) {
  redis_store *s = (redis_store *)st;
  return s->lease_token ? s->epoch : NULL;
}

static void fmt_ttl(double ttl_s, char *buf, size_t cap, const char **unit_cmd_ex) {
  double whole = floor(ttl_s);
  if (ttl_s == whole && ttl_s < 1e12) {
    snprintf(buf, cap, "%.0f", whole);
    *unit_cmd_ex = "EX";
  } else {
    double ms = ceil(ttl_s * 1000.0);
    snprintf(buf, cap, "%.0f", ms < 1 ? 1 : ms);
    *unit_cmd_ex = "PX";
  }
}

static void r_set(store *st, const char *key, const char *val, size_t len, double ttl_s, store_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  if (ttl_s > 0) {
    char ttl[32];
    const char *unit;
    fmt_ttl(ttl_s, ttl, sizeof ttl, &unit);
    const char *a[5] = {"SET", key, val, unit, ttl};
    size_t l[5] = {SIZE_MAX, SIZE_MAX, len, SIZE_MAX, SIZE_MAX};
    issue_write(s, K_STATUS, 5, a, l, cb, ud);
  } else {
    const char *a[3] = {"SET", key, val};
    size_t l[3] = {SIZE_MAX, SIZE_MAX, len};
    issue_write(s, K_STATUS, 3, a, l, cb, ud);
  }
}

static void r_key_only(store *st, const char *cmd, int kind, const char *key, store_cb cb, void *ud) {
  const char *a[2] = {cmd, key};
  issue((redis_store *)st, kind, 2, a, NULL, cb, ud);
}

static void r_get(store *st, const char *key, store_cb cb, void *ud) { r_key_only(st, "GET", K_STR, key, cb, ud); }
static void r_del(store *st, const char *key, store_cb cb, void *ud) {
  const char *a[2] = {"DEL", key};
  issue_write((redis_store *)st, K_INT, 2, a, NULL, cb, ud);
}
static void r_exists(store *st, const char *key, store_cb cb, void *ud) {
  r_key_only(st, "EXISTS", K_INT, key, cb, ud);
}
static void r_lpop(store *st, const char *key, store_cb cb, void *ud) {
  const char *a[2] = {"LPOP", key};
  issue_write((redis_store *)st, K_STR, 2, a, NULL, cb, ud);
}
static void r_llen(store *st, const char *key, store_cb cb, void *ud) { r_key_only(st, "LLEN", K_INT, key, cb, ud); }
static void r_smembers(store *st, const char *key, store_cb cb, void *ud) {
  r_key_only(st, "SMEMBERS", K_ARRAY, key, cb, ud);
}

static void r_rpush(store *st, const char *key, const char *val, size_t len, store_cb cb, void *ud) {
  const char *a[3] = {"RPUSH", key, val};
  size_t l[3] = {SIZE_MAX, SIZE_MAX, len};
  issue_write((redis_store *)st, K_INT, 3, a, l, cb, ud);
}

static void r_lrem(store *st, const char *key, const char *val, size_t len, store_cb cb, void *ud) {
  const char *a[4] = {"LREM", key, "1", val};
  size_t l[4] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, len};
  issue_write((redis_store *)st, K_INT, 4, a, l, cb, ud);
}

static void r_sadd(store *st, const char *key, const char *member, store_cb cb, void *ud) {
  const char *a[3] = {"SADD", key, member};
  issue_write((redis_store *)st, K_INT, 3, a, NULL, cb, ud);
}

static void r_srem(store *st, const char *key, const char *member, store_cb cb, void *ud) {
  const char *a[3] = {"SREM", key, member};
  issue_write((redis_store *)st, K_INT, 3, a, NULL, cb, ud);
}

static void r_expire(store *st, const char *key, double ttl_s, store_cb cb, void *ud) {
  char ttl[32];
  const char *unit;
  fmt_ttl(ttl_s > 0 ? ttl_s : 0, ttl, sizeof ttl, &unit);
  const char *a[3] = {unit[0] == 'E' ? "EXPIRE" : "PEXPIRE", key, ttl};
  issue_write((redis_store *)st, K_INT, 3, a, NULL, cb, ud);
}

static void r_sync(store *st, store_cb cb, void *ud) {
  const char *a[1] = {"PING"};
  issue((redis_store *)st, K_PING, 1, a, NULL, cb, ud);
}

static int r_writable(store *st) { return ((redis_store *)st)->writable; }

/* ---------------------------------------------------------------- lifetime */

static void on_handle_closed(uv_handle_t *h) {
  redis_store *s = h->data;
  if (--s->open_handles > 0) return;
  free(s->host);
  free(s->password);
  free(s->username);
  free(s->prefix);
  free(s->lease_key);
  free(s->epoch_key);
  free(s->lease_token);
  free(s);
}

static void r_destroy(store *st) {
  redis_store *s = (redis_store *)st;
  if (s->closed) return;
  s->closed = 1;
  detach_gai(s);
  drop_context(s);
  s->ready_cb = NULL;
  s->writable_cb = NULL;
  if (s->user_queued > 0)
    al_warn("state store: closed with %zu operations (%zu bytes) not confirmed by Redis at %s", s->user_queued,
            s->queued_bytes, s->addr);
  rs_cmd *c;
  cmd_queue *qs[2] = {&s->inflight, &s->pending};
  for (int i = 0; i < 2; i++)
    while ((c = q_pop(qs[i]))) {
      if (!c->internal) {
        account_done(s, c);
        fire_error(c, "the state store was closed before Redis answered");
      }
      free(c);
    }
  uv_close((uv_handle_t *)&s->conn_timer, on_handle_closed);
  uv_close((uv_handle_t *)&s->cmd_timer, on_handle_closed);
}

static const store_ops redis_ops = {"redis",   r_set,    r_get,  r_del,      r_exists, r_rpush,
                                    r_lpop,    r_lrem,   r_llen, r_sync,     r_destroy, r_sadd,
                                    r_srem,    r_smembers, r_expire, r_writable};

void store_redis_options_default(store_redis_options *o) {
  memset(o, 0, sizeof *o);
  o->host = "localhost";
  o->port = 6379;
  o->connect_timeout = 5;
  o->command_timeout = 10;
  o->buffer_limit = 64u * 1024u * 1024u;
  o->reconnect_min = 0.1;
  o->reconnect_max = 2;
}

void store_redis_options_from_config(store_redis_options *o, const struct cfg_coordinator *c) {
  store_redis_options_default(o);
  o->host = c->state_store_host;
  o->port = (int)c->state_store_port;
  o->db = (int)c->state_store_db;
  o->password = c->state_store_password;
  o->username = c->state_store_username;
  o->key_prefix = c->state_store_key_prefix;
  o->connect_timeout = c->state_store_connect_timeout;
  o->command_timeout = c->state_store_command_timeout;
  o->buffer_limit = c->redis_buffer_limit > 0 ? (size_t)c->redis_buffer_limit : 0;
}

store *store_redis_new(uv_loop_t *loop, const store_redis_options *o, al_err *err) {
  const char *host = o->host && *o->host ? o->host : "localhost";
  int port = o->port ? o->port : 6379;
  if (port < 1 || port > 65535) {
    al_err_set(err, AL_E_FAILED, "state store: Redis port %d is out of range 1-65535", port);
    return NULL;
  }
  if (o->db < 0) {
    al_err_set(err, AL_E_FAILED, "state store: Redis db %d is negative", o->db);
    return NULL;
  }
  if (strlen(host) > 255) {
    al_err_set(err, AL_E_FAILED, "state store: Redis host name is longer than 255 characters");
    return NULL;
  }
  redis_store *s = al_xcalloc(1, sizeof *s);
  s->base.ops = &redis_ops;
  s->loop = loop;
  s->host = al_xstrdup(host);
  s->port = port;
  s->db = o->db;
  s->password = o->password && *o->password ? al_xstrdup(o->password) : NULL;
  s->username = o->username && *o->username ? al_xstrdup(o->username) : NULL;
  s->prefix = al_xstrdup(o->key_prefix ? o->key_prefix : "");
  s->prefix_len = strlen(s->prefix);
  s->lease_key = al_xasprintf("%s%s", s->prefix, STORE_REDIS_LEASE_KEY);
  s->epoch_key = al_xasprintf("%s%s", s->prefix, STORE_REDIS_EPOCH_KEY);
  s->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : 5;
  s->command_timeout = o->command_timeout > 0 ? o->command_timeout : 10;
  s->limit = o->buffer_limit ? o->buffer_limit : 64u * 1024u * 1024u;
  s->rmin = o->reconnect_min > 0 ? o->reconnect_min : 0.1;
  s->rmax = o->reconnect_max > 0 ? o->reconnect_max : 2;
  if (s->rmax < s->rmin) s->rmax = s->rmin;
  s->backoff = s->rmin;
  s->rng = al_mono_ns() | 1;
  s->writable = 1;
  snprintf(s->addr, sizeof s->addr, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
  uv_timer_init(loop, &s->conn_timer);
  uv_timer_init(loop, &s->cmd_timer);
  s->conn_timer.data = s;
  s->cmd_timer.data = s;
  s->open_handles = 2;
  start_connect(s);
  return &s->base;
}

void store_redis_on_ready(store *st, store_redis_ready_cb cb, void *ud) {
  redis_store *s = (redis_store *)st;
  if (s->state == ST_READY) {
    s->ready_cb = NULL;
    cb(ud, 1, NULL);
    return;
  }
  s->ready_cb = cb;
  s->ready_ud = ud;
}

typedef struct probe_wait {
  int done, ok;
  char msg[AL_ERR_MSG_MAX];
} probe_wait;

static void on_probe(void *ud, int ok, const char *msg) {
  probe_wait *w = ud;
  w->done = 1;
  w->ok = ok;
  snprintf(w->msg, sizeof w->msg, "%s", msg ? msg : "");
}

int store_redis_probe(store *st, al_err *err) {
  redis_store *s = (redis_store *)st;
  probe_wait w = {0};
  store_redis_on_ready(st, on_probe, &w);
  while (!w.done) {
    if (uv_run(s->loop, UV_RUN_ONCE) == 0 && !w.done) {
      s->ready_cb = NULL;
      return al_err_set(err, AL_E_FAILED, "cannot connect to Redis at %s: the event loop stopped", s->addr);
    }
  }
  if (!w.ok) return al_err_set(err, AL_E_FAILED, "%s", w.msg);
  return 0;
}

int store_redis_writable(store *st) { return ((redis_store *)st)->writable; }

void store_redis_on_writable(store *st, void (*cb)(void *ud, int writable), void *ud) {
  redis_store *s = (redis_store *)st;
  s->writable_cb = cb;
  s->writable_ud = ud;
}

int store_redis_connected(store *st) { return ((redis_store *)st)->state == ST_READY; }

void store_redis_get_stats(store *st, store_redis_stats *out) {
  redis_store *s = (redis_store *)st;
  *out = s->stats;
  out->queued = s->user_queued;
  out->queued_bytes = s->queued_bytes;
}
