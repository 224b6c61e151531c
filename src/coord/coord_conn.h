/* Internal to the coordinator server: one peer connection (bounded input through the
 * proto decoder, an output queue with soft/hard limits, a per-wakeup frame budget) and
 * the server state the connection code shares with the message handlers. */
#ifndef AL_COORD_CONN_H
#define AL_COORD_CONN_H

#include <uv.h>

#include "coord/coord_jm.h"
#include "coord/coord_server.h"
#include "proto/messages.h"
#include "proto/proto.h"

typedef struct coord_conn coord_conn;

struct coord_conn {
  coord_server *srv;
  uv_stream_t *stream; /* &h.tcp / &h.pipe, or a caller-allocated stream (external) */
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  int external;
  proto_decoder dec;
  al_buf out;      /* queued, not yet handed to libuv */
  al_buf wbuf;     /* being written by wreq */
  uv_write_t wreq;
  int writing;
  int closing;           /* uv_close called (or about to be) */
  int close_after_flush; /* close once the output is written */
  int paused_out;        /* reading paused: output above the soft limit */
  int backlogged;        /* reading paused: frames left over for the next turn */
  int reading;
  int refs;              /* store callbacks in flight that reference this conn */
  int handle_closed;
  int hello_done;
  proto_role role;
  char *peer_id;
  coord_worker *worker;
  int subscribed;        /* has subscriptions */
  char **subs;           /* subscribed job ids */
  size_t n_subs;
  coord_conn *prev, *next;       /* server's list of connections */
  coord_conn *bl_prev, *bl_next; /* server's backlog list */
  double hello_deadline;         /* monotonic; while on the hello-wait list */
  int hello_waiting;
  coord_conn *hw_prev, *hw_next; /* server's hello-wait list, oldest first */
};

struct coord_server {
  uv_loop_t *loop;
  coord_options o;
  store *st;
  int own_store;
  coord_jm *jm;
  uv_tcp_t listener;
  int listening;
  int port;
  uv_timer_t timer;   /* job manager deadlines; after stop: the force-close timer */
  uv_idle_t idle;     /* drives backlogged connections */
  uv_timer_t hello_timer; /* fires for the oldest connection still owing its hello */
  coord_conn *hw_head, *hw_tail;
  int idle_active;
  coord_conn *conns;
  size_t n_conns;
  coord_conn *backlog;
  size_t n_subscribers;
  int handles_open;   /* listener, timer, idle and connection handles not yet closed */
  int stopping;
  int flushed;        /* stop: the store confirmed everything */
  void (*on_stopped)(void *ud);
  void *on_stopped_ud;
  int stopped_fired;
};

/* Creates a connection around an accepted/opened stream and starts reading. */
coord_conn *coord_conn_new(coord_server *s);
void coord_conn_start(coord_conn *c);
/* Queues one encoded message; enforces the output limits. */
void coord_conn_send(coord_conn *c, const proto_msg *m);
void coord_conn_send_error(coord_conn *c, uint64_t rid, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Closes now (pending output dropped). Safe to call repeatedly. */
void coord_conn_close(coord_conn *c, const char *why);
/* Closes after the queued output has been written. */
void coord_conn_close_after_flush(coord_conn *c);
/* Drops a reference taken for an in-flight callback; frees a closed conn at zero. */
void coord_conn_unref(coord_conn *c);
/* Processes backlogged connections (idle handle callback). */
void coord_conn_idle_cb(uv_idle_t *h);

/* The hello-wait list (coord_server.c): connections that owe their hello. */
void coord_server_hello_wait(coord_conn *c);
void coord_server_hello_done(coord_conn *c);

/* Implemented by coord_server.c: one frame from c. */
void coord_server_handle_frame(coord_conn *c, const uint8_t *payload, size_t len);
/* Implemented by coord_server.c: a connection is gone (handle closed). */
void coord_server_conn_closed(coord_conn *c);
void coord_server_handle_closed(coord_server *s);

#endif
