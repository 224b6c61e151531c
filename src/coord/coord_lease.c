/* The coordinator's keyspace lease (see coord_lease.h). */
#include "coord/coord_lease.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_redis.h"

typedef struct waiter {
  void (*cb)(void *ud, int ok);
  void *ud;
} waiter;

/* The waiters array grows as needed: its bound is the number of tasks committing at
 * once plus finalizing jobs, which the job manager already bounds. */
struct coord_lease {
  uv_loop_t *loop;
  store *st;
  double ttl_s;
  int standby;
  char *where;
  char holder[512];

  uv_timer_t timer;
  int stopped;
  int no_waiting;        /* coord_lease_stop_waiting: when_current answers 0 rather than wait */
  int lost_told;
  int renewing;          /* a renewal is in flight */
  uint64_t confirmed_at; /* loop ms when the last confirmed renewal (or the take) was sent */
  uint64_t sent_at;      /* loop ms when the renewal in flight was sent */
  void (*lost)(void *ud, const char *why);
  void *lost_ud;

  waiter *waiters;
  size_t n_waiters, cap_waiters;

  /* coord_lease_take */
  int take_done, take_ok, told_waiting;
  al_err take_err;

  void (*stop_done)(void *ud);
  void *stop_ud;
};

static uint64_t ttl_ms(const coord_lease *l) { return (uint64_t)(l->ttl_s * 1000.0); }

static void make_holder(coord_lease *l) {
  unsigned char rnd[8] = {0};
  if (uv_random(NULL, NULL, rnd, sizeof rnd, 0, NULL) != 0) {
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    memcpy(rnd, &x, sizeof rnd);
  }
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  for (char *p = host; *p; p++) /* JSON-safe */
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
      *p = '_';
  char since[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  snprintf(l->holder, sizeof l->holder,
           "{\"instance\":\"%02x%02x%02x%02x%02x%02x%02x%02x\",\"host\":\"%.200s\",\"pid\":%d,\"since\":\"%s\"",
           rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], host, (int)getpid(), since);
}

/* ---------------------------------------------------------------- take */

static void try_take(coord_lease *l);

static void on_take_timer(uv_timer_t *t) { try_take(t->data); }

/* 1 when holder (a lease value) names this host and a process that no longer runs:
 * the lease of a coordinator that crashed here, which a restart may take at once
 * instead of waiting for it to expire. */
static int holder_dead_here(const coord_lease *l, const char *holder, size_t len) {
  char host_field[300];
  const char *h = strstr(l->holder, "\"host\":");
  const char *e = h ? strchr(h + 8, '"') : NULL;
  if (!h || !e) return 0;
  snprintf(host_field, sizeof host_field, "%.*s\"", (int)(e - h), h); /* "host":"name" */
  char *v = al_xstrndup(holder, len);
  const char *p = strstr(v, "\"pid\":");
  int dead = 0;
  if (strstr(v, host_field) && p) {
    long pid = strtol(p + 6, NULL, 10);
    dead = pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
  }
  free(v);
  return dead;
}

static void on_cleared(void *ud, const store_reply *r) {
  coord_lease *l = ud;
  (void)r; /* taken or not, ask again: the answer says who holds it now */
  try_take(l);
}

static void on_take_reply(void *ud, const store_reply *r) {
  coord_lease *l = ud;
  if (r->status == STORE_OK && r->n_values == 2 && strcmp(r->values[0], "0") == 0 &&
      holder_dead_here(l, r->values[1], r->lens[1])) {
    al_warn("coordinator: the keyspace lease of %s is held by %.*s, a process of this host that no longer runs; "
            "taking it over",
            l->where, (int)r->lens[1], r->values[1]);
    char *value = al_xstrndup(r->values[1], r->lens[1]);
    store_redis_lease_clear(l->st, value, on_cleared, l);
    free(value);
    return;
  }
  if (r->status == STORE_OK && r->n_values == 2 && strcmp(r->values[0], "0") != 0) {
    l->confirmed_at = l->sent_at;
    al_info("coordinator: holding the keyspace lease of %s (epoch %s, ttl %gs)", l->where, r->values[0], l->ttl_s);
    l->take_ok = 1;
    l->take_done = 1;
    return;
  }
  if (r->status == STORE_OK && r->n_values == 2 && l->standby) {
    if (!l->told_waiting)
      al_info("coordinator: standby: another coordinator holds the keyspace lease of %s: %.*s; waiting to take "
              "over when it stops or its lease expires",
              l->where, (int)r->lens[1], r->values[1]);
    l->told_waiting = 1;
  } else if (r->status == STORE_OK && r->n_values == 2) {
    al_err_set(&l->take_err, 1,
               "another coordinator holds the keyspace lease of %s: %.*s. Stop it, give this one its own "
               "state_store_key_prefix or state_store_db, or start it with --standby to take over when the "
               "other stops",
               l->where, (int)r->lens[1], r->values[1]);
    l->take_done = 1;
    return;
  } else if (!l->standby) {
    al_err_set(&l->take_err, 1, "cannot take the keyspace lease of %s: %s", l->where,
               r->msg ? r->msg : "unexpected reply");
    l->take_done = 1;
    return;
  } else {
    al_warn("coordinator: standby: cannot ask %s for the keyspace lease (%s); trying again",
            l->where, r->msg ? r->msg : "unexpected reply");
  }
  /* standby: ask again; a lease is at most ttl old when it expires */
  double every = l->ttl_s / 4 < 0.2 ? 0.2 : l->ttl_s / 4;
  uv_timer_start(&l->timer, on_take_timer, (uint64_t)(every * 1000), 0);
}

static void try_take(coord_lease *l) {
  l->sent_at = uv_now(l->loop);
  store_redis_lease_acquire(l->st, l->holder, l->ttl_s, on_take_reply, l);
}

int coord_lease_take(uv_loop_t *loop, store *st, const coord_lease_options *o, coord_lease **out, al_err *err) {
  coord_lease *l = al_xcalloc(1, sizeof *l);
  l->loop = loop;
  l->st = st;
  l->ttl_s = o->ttl_s > 0 ? o->ttl_s : 10;
  l->standby = o->standby;
  l->where = al_xstrdup(o->where ? o->where : "Redis");
  make_holder(l);
  al_err_clear(&l->take_err);
  uv_timer_init(loop, &l->timer);
  l->timer.data = l;
  try_take(l);
  while (!l->take_done) uv_run(loop, UV_RUN_ONCE);
  if (!l->take_ok) {
    *err = l->take_err;
    l->stopped = 1;
    coord_lease_free(l);
    *out = NULL;
    return -1;
  }
  *out = l;
  return 0;
}

/* ---------------------------------------------------------------- renew */

static void fire_waiters(coord_lease *l, int ok) {
  /* callbacks may add waiters: take the array first */
  waiter *w = l->waiters;
  size_t n = l->n_waiters;
  l->waiters = NULL;
  l->n_waiters = l->cap_waiters = 0;
  for (size_t i = 0; i < n; i++) w[i].cb(w[i].ud, ok);
  free(w);
}

static void tell_lost(coord_lease *l, const char *why) {
  if (l->lost_told) return;
  l->lost_told = 1;
  if (l->lost) l->lost(l->lost_ud, why);
}

static void on_fenced(void *ud, const char *msg) { tell_lost(ud, msg); }

static void renew(coord_lease *l);

static void on_renewed(void *ud, const store_reply *r) {
  coord_lease *l = ud;
  l->renewing = 0;
  if (l->stopped) return;
  if (r->status == STORE_OK) {
    l->confirmed_at = l->sent_at;
    if (r->integer == 2) al_warn("coordinator: the keyspace lease of %s had vanished; taken back", l->where);
    if (l->n_waiters) fire_waiters(l, 1);
    return;
  }
  if (r->msg && strncmp(r->msg, "FENCED", 6) == 0) {
    tell_lost(l, r->msg);
    return;
  }
  /* Redis unreachable or slow: the lease stays ours until it expires; writes wait in the
   * store's buffer, files wait for the next confirmation. */
  al_warn("coordinator: cannot renew the keyspace lease of %s: %s", l->where, r->msg ? r->msg : "error");
}

static void renew(coord_lease *l) {
  if (l->renewing || l->stopped || l->lost_told) return;
  l->renewing = 1;
  l->sent_at = uv_now(l->loop);
  store_redis_lease_renew(l->st, on_renewed, l);
}

static void on_renew_timer(uv_timer_t *t) { renew(t->data); }

void coord_lease_start(coord_lease *l, void (*lost)(void *ud, const char *why), void *ud) {
  l->lost = lost;
  l->lost_ud = ud;
  store_redis_on_fenced(l->st, on_fenced, l);
  uint64_t every = ttl_ms(l) / 3 ? ttl_ms(l) / 3 : 1;
  uv_timer_start(&l->timer, on_renew_timer, every, every);
}

int coord_lease_current(const coord_lease *l) {
  return !l->lost_told && uv_now(l->loop) < l->confirmed_at + ttl_ms(l) * 2 / 3;
}

void coord_lease_when_current(coord_lease *l, void (*cb)(void *ud, int ok), void *ud) {
  if (!l->stopped && coord_lease_current(l)) {
    cb(ud, 1);
    return;
  }
  if (l->stopped || l->no_waiting) {
    cb(ud, 0);
    return;
  }
  if (l->n_waiters == l->cap_waiters) {
    l->cap_waiters = l->cap_waiters ? 2 * l->cap_waiters : 16;
    l->waiters = al_xrealloc(l->waiters, l->cap_waiters * sizeof *l->waiters);
  }
  l->waiters[l->n_waiters++] = (waiter){cb, ud};
  renew(l);
}

/* ---------------------------------------------------------------- stop */

void coord_lease_stop_waiting(coord_lease *l) {
  l->no_waiting = 1;
  fire_waiters(l, 0);
}

static void on_released(void *ud, const store_reply *r) {
  coord_lease *l = ud;
  if (r->status != STORE_OK)
    al_warn("coordinator: could not release the keyspace lease of %s (%s); a standby takes over when it expires",
            l->where, r->msg ? r->msg : "error");
  void (*done)(void *) = l->stop_done;
  l->stop_done = NULL;
  if (done) done(l->stop_ud);
}

void coord_lease_abandon(coord_lease *l) {
  if (l->stopped) return;
  l->stopped = 1;
  uv_timer_stop(&l->timer);
  fire_waiters(l, 0);
  store_redis_on_fenced(l->st, NULL, NULL);
  l->st = NULL;
}

void coord_lease_stop(coord_lease *l, void (*done)(void *ud), void *ud) {
  store *st = l->st; /* NULL once abandoned */
  coord_lease_abandon(l);
  if (!st || l->lost_told) {
    if (done) done(ud);
    return;
  }
  l->stop_done = done;
  l->stop_ud = ud;
  store_redis_lease_release(st, on_released, l);
}

static void on_timer_closed(uv_handle_t *h) {
  coord_lease *l = h->data;
  free(l->where);
  free(l->waiters);
  free(l);
}

void coord_lease_free(coord_lease *l) {
  if (!l) return;
  l->stopped = 1;
  uv_close((uv_handle_t *)&l->timer, on_timer_closed);
}
