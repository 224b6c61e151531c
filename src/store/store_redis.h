/* The Redis state store: the store interface (store.h) over one hiredis async
 * connection driven by the caller's libuv loop. No thread, no blocking call: host
 * names are resolved with uv_getaddrinfo, connects are non-blocking, every timeout is
 * a uv timer.
 *
 *   store_redis_options o;
 *   store_redis_options_default(&o);
 *   o.host = "10.0.0.5"; o.port = 6379; o.password = "s3cret"; o.db = 2;
 *   store *st = store_redis_new(loop, &o, &err);
 *   if (store_redis_probe(st, &err) != 0) {    // before serving: names host:port
 *     fprintf(stderr, "%s\n", err.msg);        // "cannot connect to Redis at ..."
 *     ...
 *   }
 *
 * Connection: on every (re)connect AUTH (when a password is set) and SELECT <db> run
 * before anything else; commands issued meanwhile wait in order. Every operation is
 * one Redis command, sent at once (pipelined: nobody waits for a reply before sending
 * the next), with the key prefix put in front of every key.
 *
 * Failures:
 *   - connect timeout: a connection attempt that has not finished its handshake
 *     within connect_timeout is abandoned and retried with backoff;
 *   - command timeout: when the oldest command has no reply after command_timeout
 *     the connection is considered dead, dropped, and re-established;
 *   - connection lost: commands without a reply are put back, in their order, in
 *     front of the not-yet-sent ones and sent again after the reconnect (so a write
 *     is applied at least once: SET/DEL/SADD/SREM/EXPIRE are idempotent; an RPUSH that
 *     reached Redis just before the loss may appear twice in its list).
 * A callback therefore fires exactly once, when Redis has answered (or with
 * STORE_ERROR when the store is destroyed, a reply is an error such as WRONGTYPE, or
 * the outage buffer's hard limit is hit). A store_sync issued during an outage fires
 * once Redis holds every earlier write.
 *
 * Outage buffer: bytes of commands issued but not yet answered are counted. Above
 * buffer_limit the store reports "not writable" (store_writable() == 0, the
 * writable callback, and an error in the log): the coordinator must stop
 * dispatching new work; nothing is dropped. It becomes writable again below half the
 * limit. Past STORE_REDIS_HARD_FACTOR x buffer_limit (a guard against running out of
 * memory) new operations fail at once with STORE_ERROR and are logged as lost.
 *
 * Prefix: store_redis_. */
#ifndef AL_STORE_STORE_REDIS_H
#define AL_STORE_STORE_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/al.h"
#include "store/store.h"

struct cfg_coordinator;

#define STORE_REDIS_HARD_FACTOR 4

typedef struct store_redis_options {
  const char *host;        /* name or address; NULL = "localhost" */
  int port;                /* 0 = 6379 */
  int db;                  /* SELECT index */
  const char *password;    /* NULL or "" = no AUTH */
  const char *username;    /* with a password: AUTH username password (Redis 6 ACL); NULL = AUTH password */
  const char *key_prefix;  /* put in front of every key; NULL = "" */
  double connect_timeout;  /* s; <= 0 = 5 */
  double command_timeout;  /* s; <= 0 = 10 */
  size_t buffer_limit;     /* bytes; 0 = 64 MiB */
  double reconnect_min;    /* first reconnect delay, s; <= 0 = 0.1 */
  double reconnect_max;    /* backoff ceiling, s; <= 0 = 2 */
} store_redis_options;

void store_redis_options_default(store_redis_options *o);
/* Fills o from the coordinator section of the configuration (state_store_host, _port,
 * _db, _password, _key_prefix, _connect_timeout, _command_timeout,
 * redis_buffer_limit). The strings point into c, which must outlive the store's
 * creation (store_redis_new copies them). */
void store_redis_options_from_config(store_redis_options *o, const struct cfg_coordinator *c);

/* Creates the store and starts connecting on loop (borrowed; must outlive the store).
 * Returns NULL with err set only for invalid options. The caller owns the result and
 * releases it with store_destroy(); the memory is returned once the loop has run the
 * close callbacks of its handles (run the loop after destroying). */
store *store_redis_new(uv_loop_t *loop, const store_redis_options *o, al_err *err);

/* Outcome of the first connection attempt: cb fires once, on the loop, with ok = 1
 * when the first AUTH/SELECT handshake succeeded, or ok = 0 and a message naming
 * host:port when the first attempt failed (refused, unresolvable, timed out, wrong
 * password, bad db). If the store is already connected, cb fires before this returns.
 * One waiter at a time; a later call replaces an earlier one that has not fired. */
typedef void (*store_redis_ready_cb)(void *ud, int ok, const char *msg);
void store_redis_on_ready(store *s, store_redis_ready_cb cb, void *ud);

/* Runs the store's loop until the first connection attempt has an outcome (see
 * store_redis_on_ready). For the start of a command, before anything else is on the
 * loop. Returns 0, or -1 with err set ("cannot connect to Redis at h:p: ...",
 * "Redis at h:p rejected the password ...", ...). After a failure the store keeps
 * retrying in the background until destroyed. */
int store_redis_probe(store *s, al_err *err);

/* Writability (see the outage buffer above); cb fires on every change, on the loop. */
int store_redis_writable(store *s);
void store_redis_on_writable(store *s, void (*cb)(void *ud, int writable), void *ud);

/* 1 when the connection is up and its handshake done. */
int store_redis_connected(store *s);

#define STORE_REDIS_LATENCY_BOUNDS 14
typedef struct store_redis_stats {
  uint64_t connects;       /* successful handshakes */
  uint64_t connect_failures;
  uint64_t disconnects;    /* established connections lost or dropped */
  uint64_t timeouts;       /* command timeouts (each drops the connection once) */
  uint64_t replayed;       /* commands sent again after a reconnect */
  uint64_t commands;       /* commands answered by Redis */
  uint64_t rejected;       /* operations failed at the hard limit */
  size_t queued;           /* operations issued and not yet answered */
  size_t queued_bytes;     /* their size */
  size_t max_queued_bytes; /* high-water mark */
  /* Round trip of the answered commands (sent on the connection -> reply), as a
   * cumulative histogram over STORE_REDIS_LATENCY_BOUNDS: latency_le[i] counts those
   * at most store_redis_latency_bounds[i] seconds; commands counts them all. */
  uint64_t latency_le[STORE_REDIS_LATENCY_BOUNDS];
  double latency_sum_s;
} store_redis_stats;
extern const double store_redis_latency_bounds[STORE_REDIS_LATENCY_BOUNDS];
void store_redis_get_stats(store *s, store_redis_stats *out);

/* ---- The keyspace lease: one coordinator per keyspace (docs/SECURITY.md).
 *
 * The lease is the key STORE_REDIS_LEASE_KEY (after the key prefix) holding the
 * holder's JSON with an "epoch" taken from the counter STORE_REDIS_EPOCH_KEY, with a
 * TTL. Once this store holds it, every write (SET, DEL, RPUSH, LPOP, LREM, SADD, SREM,
 * EXPIRE) runs in one Lua script that first checks the lease is still ours: a deposed
 * coordinator's writes fail with an error starting "FENCED" and change nothing. Reads
 * are not fenced. A lease that vanished while the epoch counter still names ours
 * (Redis restarted without persistence, or the lease expired and nobody took it) is
 * taken back by the next renewal or write. */
#define STORE_REDIS_LEASE_KEY "coordinator:lease"
#define STORE_REDIS_EPOCH_KEY "coordinator:epoch"

/* Tries to take the lease for ttl_s. holder: the opening of a JSON object without its
 * closing brace (e.g. {"instance":"ab12","pid":7}); the store appends ,"epoch":N}.
 * cb gets values[0] = the epoch as a decimal string and values[1] = the lease value
 * when taken; values[0] = "0" and values[1] = the current holder's value when another
 * holds it; STORE_ERROR when Redis could not be asked. Copies holder. */
void store_redis_lease_acquire(store *s, const char *holder, double ttl_s, store_cb cb, void *ud);
/* Extends the held lease by its ttl (integer reply), or takes it back (see above);
 * STORE_ERROR with a message starting "FENCED" when another coordinator holds it. */
void store_redis_lease_renew(store *s, store_cb cb, void *ud);
/* Deletes the lease if it is still ours (a clean stop lets a standby take over at once). */
void store_redis_lease_release(store *s, store_cb cb, void *ud);
/* Deletes the lease only if its value is still exactly value (a holder known to be
 * dead); integer reply 1 when deleted. Copies value. */
void store_redis_lease_clear(store *s, const char *value, store_cb cb, void *ud);
/* cb fires once, on the loop, the first time a fenced write or renewal is refused
 * (msg: Redis's error, owned by the store, valid during the call). */
void store_redis_on_fenced(store *s, void (*cb)(void *ud, const char *msg), void *ud);
/* The held lease's epoch as a decimal string (store-owned), or NULL when none is held. */
const char *store_redis_lease_epoch(store *s);

#endif
