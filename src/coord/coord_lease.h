/* One coordinator per Redis keyspace (docs/SECURITY.md, "One coordinator per
 * keyspace"): the coordinator holds the keyspace lease (store_redis_lease_*) while it
 * runs, renews it on the loop every ttl/3, and fences every write with it. A second
 * coordinator on the same keyspace refuses to start, or with standby waits for the
 * lease and takes over once it expires (then recovers the jobs as after a crash).
 *
 * Besides Redis writes, the coordinator changes files (publishing a task's shards,
 * index.json). Those are done only while the lease is "current": confirmed by Redis
 * recently enough that no other coordinator can hold it (see coord_lease_current). A
 * coordinator paused past its lease (SIGSTOP, a VM freeze) therefore publishes
 * nothing when it resumes before Redis has confirmed it still holds the keyspace.
 *
 * Prefix: coord_lease_. */
#ifndef AL_COORD_COORD_LEASE_H
#define AL_COORD_COORD_LEASE_H

#include <uv.h>

#include "common/al.h"
#include "store/store.h"

typedef struct coord_lease coord_lease;

typedef struct coord_lease_options {
  double ttl_s;    /* lease time to live; > 0 */
  int standby;     /* 1: wait for the lease instead of refusing to start */
  const char *where; /* for messages: "Redis at host:port, key prefix 'p'" (copied) */
} coord_lease_options;

/* Takes the lease on st (a Redis store; borrowed, must outlive the lease), running
 * loop until it is held. Returns 0 with *out (owned by the caller: coord_lease_stop,
 * then coord_lease_free) or -1 with err naming the holder (another coordinator holds
 * it and standby is off) or Redis's error. With standby, waits as long as it takes,
 * logging the holder once. */
int coord_lease_take(uv_loop_t *loop, store *st, const coord_lease_options *o, coord_lease **out, al_err *err);

/* Renews the lease every ttl/3 from now on. lost fires once, on the loop, when Redis
 * refuses a renewal or a write because another coordinator holds the keyspace (why:
 * valid during the call). The coordinator must then stop at once. */
void coord_lease_start(coord_lease *l, void (*lost)(void *ud, const char *why), void *ud);

/* 1 while Redis confirmed the lease within the last two thirds of its ttl (measured
 * from when the confirming renewal was sent). */
int coord_lease_current(const coord_lease *l);

/* Runs cb(ud, 1) once the lease is current: at once if it is, else after the next
 * confirming renewal (one is sent now). cb(ud, 0) when the lease is stopped first.
 * Fired exactly once, on the loop. */
void coord_lease_when_current(coord_lease *l, void (*cb)(void *ud, int ok), void *ud);

/* From now on coord_lease_when_current does not wait: waiting callbacks fire with 0,
 * later ones at once with the lease's current state. For a coordinator that begins
 * to stop (its server waits for every callback before it can finish). */
void coord_lease_stop_waiting(coord_lease *l);

/* Stops renewing and waiting at once, without asking Redis anything: for a store about
 * to be destroyed unconfirmed (the lease then expires by its ttl). */
void coord_lease_abandon(coord_lease *l);

/* Stops renewing, fires waiting coord_lease_when_current callbacks with 0, and deletes
 * the lease in Redis if it is still ours, so that a standby takes over at once; done
 * fires once Redis answered (or at once when the lease was lost). Call after the
 * coordinator's last write was issued. */
void coord_lease_stop(coord_lease *l, void (*done)(void *ud), void *ud);

/* Frees l (after coord_lease_stop's done, or a failed take): closes its timer; the
 * memory is returned on a later loop iteration. No lease operation may still wait for
 * Redis: destroy the store first, or call this once done has fired. NULL is ignored. */
void coord_lease_free(coord_lease *l);

#endif
