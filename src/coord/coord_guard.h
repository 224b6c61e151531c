/* Internal to the coordinator server: who may connect and what each peer may do.
 * Secrets and rights (per-role tokens compared in constant time), protected mode
 * (no secret => loopback peers only), and the per-peer-address table that caps
 * connections and slows down wrong-token guessing. docs/SECURITY.md is the contract. */
#ifndef AL_COORD_GUARD_H
#define AL_COORD_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "coord/coord_server.h"
#include "proto/messages.h"

/* Largest frame accepted before the hello is handled: a hello with a token fits in a
 * few hundred bytes; 8 KiB bounds what an anonymous peer can make us buffer. */
#define COORD_PRE_HELLO_MAX_FRAME 8192u

typedef enum {
  COORD_RIGHTS_NONE = 0,
  COORD_RIGHTS_CLIENT, /* submit, follow and cancel its own jobs, read status */
  COORD_RIGHTS_ADMIN,  /* everything a client may do, plus any job, strategy, drain */
  COORD_RIGHTS_WORKER, /* worker messages only */
} coord_rights;

/* 1 when no secret of any role is configured (protected mode). */
int coord_guard_protected(const coord_options *o);

/* Rights a hello earns: role from the hello, token as presented (NULL = none). On
 * refusal returns COORD_RIGHTS_NONE and *why names the reason (static string). */
coord_rights coord_guard_rights(const coord_options *o, proto_role role, const char *token, const char **why);

/* Peer address as text ("192.0.2.7", "::1") and whether it is loopback (127/8, ::1,
 * ::ffff:127.x). */
void coord_guard_addr(const struct sockaddr_storage *ss, char *buf, size_t cap, int *loopback);

/* One peer address: open connections and recent authentication failures. Owned by the
 * table; valid while it has connections. */
typedef struct coord_peer {
  char addr[64];
  size_t conns;
  unsigned fails;         /* failures since the last quiet minute */
  double last_fail;       /* monotonic seconds */
  struct coord_peer *prev, *next;
} coord_peer;

typedef struct coord_peer_table {
  coord_peer *head;
  size_t count;
  unsigned long long auth_failures; /* since start, for logs */
} coord_peer_table;

/* The entry for addr (created when missing; the oldest entry without connections is
 * dropped once the table holds COORD_PEER_TABLE_MAX). conns is not changed. */
coord_peer *coord_peer_get(coord_peer_table *t, const char *addr);
/* A connection of p is gone: drops p when it has none left and no recent failure. */
void coord_peer_release(coord_peer_table *t, coord_peer *p);
/* Records a failed authentication now; returns how long to hold the refusal
 * (0.1 s doubling per recent failure, at most 5 s). */
double coord_peer_failed(coord_peer_table *t, coord_peer *p, double now);
/* Frees every entry. */
void coord_peer_table_free(coord_peer_table *t);

#define COORD_PEER_TABLE_MAX 4096

#endif
