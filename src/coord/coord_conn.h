/* Internal to the coordinator server: one peer connection (a loop_conn from src/loop,
 * which bounds input and output and budgets frames per wakeup, plus the peer's
 * protocol state) and the server state the connection code shares with the message
 * handlers. */
#ifndef AL_COORD_CONN_H
#define AL_COORD_CONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "coord/coord_archive.h"
#include "coord/coord_guard.h"
#include "coord/coord_jm.h"
#include "coord/coord_server.h"
#include "loop/loop_conn.h"
#include "loop/loop_tls_filter.h"
#include "proto/messages.h"
#include "proto/proto.h"

typedef struct coord_conn coord_conn;

struct coord_conn {
  loop_conn lc;          /* the framed connection (src/loop); embedded, first */
  coord_server *srv;
  char *peer_id;
  coord_worker *worker;
  char **subs;           /* subscribed job ids */
  size_t n_subs;
  coord_conn *prev, *next;       /* server's list of connections */
  double hello_deadline;         /* monotonic; while on the hello-wait list */
  coord_conn *hw_prev, *hw_next; /* server's hello-wait list, oldest first */
  coord_peer *peer;       /* NULL for in-process streams (access control, coord_guard.h) */
  double last_active;     /* monotonic; last frame received */
  char **jobs;            /* ids of the jobs this connection created (owned) */
  size_t n_jobs;
  /* One allocation per connection of a fleet of thousands: the 4-byte and 1-byte fields
   * sit together after the 8-byte ones (no padding holes), and addr holds the longest
   * inet_ntop text, not more (bench/RESULTS.md, "Connections"). */
  proto_role role;
  coord_rights rights;    /* set by the hello */
  int loopback;           /* peer address is loopback (or an in-process stream) */
  uint8_t hello_done;
  uint8_t subscribed;     /* has subscriptions */
  uint8_t hello_waiting;
  char addr[48];          /* peer address as text; "local" for in-process streams */
};
_Static_assert(sizeof ((coord_conn *)0)->addr >= INET6_ADDRSTRLEN, "coord_conn.addr holds any inet_ntop text");

struct coord_server {
  uv_loop_t *loop;
  uint64_t accept_failures;       /* since the last log line about them */
  double accept_fail_logged_at;   /* monotonic; rate-limits that log line */
  coord_options o;
  store *st;
  int own_store;
  struct coord_persist *persist; /* writes the job manager's records; NULL with no_persist */
  coord_jm *jm;
  uv_tcp_t listener;
  int listening;
  int port;
  uv_timer_t timer;   /* job manager deadlines; after stop: the force-close timer */
  loop_group conns_grp; /* connection limits; its idle handle drives frames left over */
  loop_tls_ctx *tls;    /* NULL = TCP peers speak plaintext; in-process peers always do */
  uv_timer_t hello_timer; /* fires for the oldest connection still owing its hello */
  coord_conn *hw_head, *hw_tail;
  size_t n_hello_waiting;
  uv_timer_t guard_timer; /* closes idle clients (client_idle_timeout) */
  coord_peer_table peers;
  size_t fd_limit;        /* soft RLIMIT_NOFILE at start */
  unsigned long long evictions; /* connections closed to make room, for logs */
  double evict_logged_at;
  unsigned long long peer_cap_refusals;
  double peer_cap_logged_at;
  coord_conn *conns;
  size_t n_conns;
  coord_archive archive;  /* finished jobs known only from the store (listed by list_jobs) */
  struct submit_prep *prep_head, *prep_tail; /* submissions being prepared off the loop, in
                                              * arrival order (they become jobs in that order) */
  size_t n_subscribers;
  int handles_open;   /* listener, timer, idle and connection handles not yet closed */
  int stopping;
  int flushed;        /* stop: the store confirmed everything */
  void (*on_stopped)(void *ud);
  void *on_stopped_ud;
  int stopped_fired;
};

/* The callbacks of the server's connection group (coord_conn.c). */
extern const loop_conn_cbs coord_conn_cbs;
/* Creates a connection on the server's TCP handle (to accept into) or around a stream
 * the caller allocated with malloc (taken over: closed and freed by the connection). */
coord_conn *coord_conn_new_tcp(coord_server *s, uv_tcp_t **tcp);
coord_conn *coord_conn_new_stream(coord_server *s, uv_stream_t *stream);
/* Puts TLS (server side, from tls) between tcp and the frame layer; errors
 * name the peer's address. Returns 0, or -1 when the connection was closed. */
int coord_conn_start_tls(coord_conn *c, uv_tcp_t *tcp, loop_tls_ctx *tls);
/* Starts reading and puts the connection on the hello-wait list. */
void coord_conn_start(coord_conn *c);
/* Queues one encoded message; enforces the output limits. */
void coord_conn_send(coord_conn *c, const proto_msg *m);
void coord_conn_send_error(coord_conn *c, uint64_t rid, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 1 while the connection can still send (not closing, not closing after flush). */
static inline int coord_conn_is_open(const coord_conn *c) { return loop_conn_is_open(&c->lc); }
/* Closes now (pending output dropped). Safe to call repeatedly. */
void coord_conn_close(coord_conn *c, const char *why);
/* Stops reading the peer (a refusal is held back); coord_conn_close still works. */
void coord_conn_hold(coord_conn *c);
/* Closes after the queued output has been written. */
void coord_conn_close_after_flush(coord_conn *c);
/* Drops a reference taken for an in-flight callback; frees a closed conn at zero. */
void coord_conn_unref(coord_conn *c);

/* The hello-wait list (coord_server.c): connections that owe their hello. */
void coord_server_hello_wait(coord_conn *c);
void coord_server_hello_done(coord_conn *c);

/* Implemented by coord_server.c: one frame from c. */
void coord_server_handle_frame(coord_conn *c, const uint8_t *payload, size_t len);
/* Implemented by coord_server.c: a connection is gone (handle closed). */
void coord_server_conn_closed(coord_conn *c);
void coord_server_handle_closed(coord_server *s);

#endif
