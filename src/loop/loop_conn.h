/* One framed libuv connection: the only copy of the stream plumbing used by the
 * coordinator, the worker and the bench programs. Prefix: loop_.
 *
 * Input:  bytes are read straight into the proto decoder's bounded buffer (no copy) and
 *         at most frames_per_wakeup frames are delivered per loop turn; the rest wait on
 *         the group's idle handle, so one busy peer cannot starve the others.
 * Output: frames are appended to a queue; one uv_write is in flight at a time and
 *         everything queued meanwhile goes out in the next one. Above out_soft_limit
 *         queued bytes the connection stops reading its peer; above out_hard_limit it is
 *         closed. Frames queued while a read batch is being delivered are written once,
 *         after the batch (replies to a burst of requests share one write).
 * Life:   init (tcp or adopted stream) -> start -> ... -> close / close_after_flush ->
 *         on_closed fires exactly once, in the handle's close callback; on_release fires
 *         exactly once after it, when the last loop_conn_ref() is dropped (at once when
 *         none is held). Nothing in this module touches the connection after
 *         on_release, so the owner frees the struct that embeds it there.
 *
 * The struct is public only so that owners can embed it (no extra allocation per
 * connection, as with libuv handles); its fields are private to loop_conn.c except
 * `data`.
 *
 * TLS seam: a filter (loop_filter) sits between the socket and the frame layer. Without
 * one, reads land in the decoder directly; with one, wire bytes are read into a side
 * buffer, filter->decode turns them into plaintext (and may produce wire bytes of its
 * own, e.g. handshake records), and the plaintext is fed to the decoder; queued frames
 * pass through filter->encode before they are written. Limits apply to plaintext. */
#ifndef AL_LOOP_LOOP_CONN_H
#define AL_LOOP_LOOP_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/al.h"
#include "proto/messages.h"
#include "proto/proto.h"

typedef struct loop_conn loop_conn;

/* Limits of a group's connections. Zero fields take the defaults named. */
typedef struct loop_limits {
  size_t max_frame;           /* largest payload, both ways; 0 = PROTO_DEFAULT_MAX_FRAME */
  size_t out_soft_limit;      /* queued output above which reading pauses; 0 = 1 MiB */
  size_t out_hard_limit;      /* queued output above which the peer is cut off; 0 = 64 MiB */
  unsigned frames_per_wakeup; /* frames delivered per connection per loop turn; 0 = 64 */
  size_t read_chunk;          /* most bytes offered to one read; 0 = 1 MiB */
  int trim_when_idle;         /* give the read buffer back whenever everything read was
                                 handled (thousands of idle peers cost no buffer memory) */
} loop_limits;

/* Connections that share one uv_loop, one idle handle (for frames left over by the
 * per-wakeup budget) and one set of limits. Embedded in its owner; the idle handle is
 * the group's only handle. */
typedef struct loop_conn_cbs loop_conn_cbs;
typedef struct loop_group {
  uv_loop_t *loop;
  loop_limits lim;
  const loop_conn_cbs *cbs;    /* the callbacks of every connection of the group */
  uv_idle_t idle;
  loop_conn *backlog;          /* connections with frames left for a later turn */
  int idle_active;
  int closed;
  void (*on_closed)(struct loop_group *g);
  void *data;                  /* owner's pointer */
  /* Wire bytes (TLS records included) read from and written to the group's peers since
   * loop_group_init: the /metrics byte counters. Kept per group, not per connection,
   * so a connection costs no more memory. */
  uint64_t bytes_in, bytes_out;
} loop_group;

/* Fills in defaults, initialises the idle handle on loop (borrowed). cbs (borrowed,
 * static) are the callbacks of the group's connections: one table per group keeps a
 * connection a pointer smaller, which counts at 10,000s of connections. */
void loop_group_init(loop_group *g, uv_loop_t *loop, const loop_limits *lim, const loop_conn_cbs *cbs);
/* Closes the idle handle; on_closed (may be NULL) fires from its close callback. Every
 * connection of the group must be closed first (their handles may still be closing). */
void loop_group_close(loop_group *g, void (*on_closed)(loop_group *g));

/* The owner's callbacks. The table is borrowed and must outlive the group. */
struct loop_conn_cbs {
  /* One complete frame whose length and msgpack well-formedness were checked. payload
   * is borrowed until return. The owner may send or close from here. Required. */
  void (*on_frame)(loop_conn *c, const uint8_t *payload, size_t len);
  /* The peer broke the framing (e->code is a PROTO_E_* code, e->msg names the frame).
   * Fires at most once; the owner may queue a last frame (an error reply); the
   * connection is then closed once that is written. Optional (NULL: just close). */
  void (*on_bad_stream)(loop_conn *c, const al_err *e);
  /* The handle is closed: no further on_frame. why is the reason given to close (a
   * static string). Fires exactly once. Required. Must not free the storage of c
   * (that is on_release's place). */
  void (*on_closed)(loop_conn *c, const char *why);
  /* After on_closed, once no reference is held: the owner may free the storage. Fires
   * exactly once. Optional. */
  void (*on_release)(loop_conn *c);
};

/* Transport filter (TLS goes here). state is the filter's: loop_conn_filter_state(c).
 * Both functions append their output to the buffers given (owned by the connection)
 * and return 0, or -1 with err set (the connection closes with that reason logged). */
typedef struct loop_filter {
  /* Wire bytes arrived (borrowed). Plaintext for the frame decoder goes to plain; wire
   * bytes the filter must send on its own (handshake, alerts) go to wire_out. */
  int (*decode)(loop_conn *c, const char *wire, size_t n, al_buf *plain, al_buf *wire_out, al_err *err);
  /* Plaintext frames about to be written (borrowed): append their wire form. */
  int (*encode)(loop_conn *c, const char *plain, size_t n, al_buf *wire_out, al_err *err);
  /* The connection's handle closed: release state. Optional. */
  void (*release)(loop_conn *c);
} loop_filter;

/* Filter state, allocated only for a connection that has a filter (most have none). */
typedef struct loop_filter_io {
  const loop_filter *f;
  void *state;
  al_buf fin;            /* wire read buffer / plaintext not yet fed to the decoder */
  size_t fin_off;        /* plaintext in fin already fed */
  al_buf wpend;          /* wire bytes of the filter's own, not yet written */
} loop_filter_io;

struct loop_conn {
  void *data; /* owner's pointer; the only public field */
  /* ---- private ---- */
  loop_group *grp;
  loop_filter_io *fx;    /* NULL without a filter */
  uv_stream_t *stream;   /* &h.tcp, or an adopted stream */
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  proto_decoder dec;
  al_buf out;            /* queued plaintext frames, not yet handed to libuv */
  al_buf wbuf;           /* being written by wreq (wire bytes) */
  uv_write_t wreq;
  const char *label;     /* borrowed; names the peer in log lines */
  const char *why;       /* close reason (static string) */
  loop_conn *bl_prev, *bl_next;
  uint32_t refs;
  unsigned writing : 1, closing : 1, close_after_flush : 1, paused_out : 1, backlogged : 1, reading : 1,
      started : 1, handle_closed : 1, adopted : 1, delivering : 1, bad_stream : 1, held : 1;
};

/* Initialises c and a TCP handle on the group's loop; returns the handle to accept
 * into, bind or connect (its data field belongs to the connection). From here on the
 * handle is closed only through loop_conn_close. */
uv_tcp_t *loop_conn_init_tcp(loop_conn *c, loop_group *g, void *data);
/* Initialises c around a stream the caller allocated with malloc and initialised
 * (e.g. a uv_pipe_t over a socketpair). Takes ownership: the stream is closed by the
 * connection and free()d after its close callback. */
void loop_conn_init_stream(loop_conn *c, loop_group *g, void *data, uv_stream_t *stream);
/* Installs a transport filter before loop_conn_start. f is borrowed (static table);
 * state is the filter's (released by f->release). */
void loop_conn_set_filter(loop_conn *c, const loop_filter *f, void *state);
void *loop_conn_filter_state(const loop_conn *c);
/* Names the peer in log lines (borrowed; keep it alive while the connection is). */
void loop_conn_set_label(loop_conn *c, const char *label);
/* Starts reading (the stream must be connected). */
void loop_conn_start(loop_conn *c);

/* Encodes one message and queues it. Returns 0, or -1 when the connection is closing
 * or the message could not be encoded or is over max_frame (nothing queued; logged). */
int loop_conn_send(loop_conn *c, const proto_msg *m);
/* Queues frames written directly: append complete frames to the returned buffer, then
 * call loop_conn_end_write. Returns NULL when the connection is closing. */
al_buf *loop_conn_begin_write(loop_conn *c);
void loop_conn_end_write(loop_conn *c);
/* Bytes queued and in flight. */
size_t loop_conn_queued(const loop_conn *c);

/* Closes now; queued output is dropped. Safe to call repeatedly; why is a static string. */
void loop_conn_close(loop_conn *c, const char *why);
/* Stops reading and delivering frames for good (the owner holds back a refusal); output
 * still flows and loop_conn_close still works. */
void loop_conn_hold(loop_conn *c);
/* Changes the largest payload accepted from the peer from now on (e.g. raised once the
 * peer authenticated); see proto_decoder_set_max. */
void loop_conn_set_max_frame(loop_conn *c, size_t max_frame);
/* Stops reading and closes once the queued output is written. */
void loop_conn_close_after_flush(loop_conn *c);
/* 1 while the connection can still send (not closing, not closing after flush). */
int loop_conn_is_open(const loop_conn *c);

/* A reference held across asynchronous work that will touch c later; it delays
 * on_release (never on_closed). */
void loop_conn_ref(loop_conn *c);
void loop_conn_unref(loop_conn *c);

#endif
