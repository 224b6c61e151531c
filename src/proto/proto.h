/* Wire protocol framing (pure, no I/O). Prefix: proto_.
 *
 * A frame is a 4-byte big-endian unsigned payload length followed by exactly one
 * msgpack object of that many bytes. The decoder below turns an arbitrary split byte
 * stream into frames: feed bytes in (or let a libuv reader write straight into the
 * decoder's buffer), pull complete, validated payloads out. Messages carried in the
 * payloads are in proto/messages.h; docs/PROTOCOL.md describes the wire format. */
#ifndef AL_PROTO_PROTO_H
#define AL_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

/* Protocol version carried by hello/welcome. Bumped only for incompatible changes
 * (see "Versioning" in docs/PROTOCOL.md); new optional fields do not bump it. */
#define PROTO_VERSION 1u

#define PROTO_HEADER_SIZE 4u
/* Default and hard upper bound for the payload size of one frame. */
#define PROTO_DEFAULT_MAX_FRAME ((size_t)16 << 20)
#define PROTO_MAX_FRAME_LIMIT ((size_t)UINT32_MAX)
/* msgpack nesting deeper than this is rejected (bounds recursion on hostile input). */
#define PROTO_MAX_DEPTH 32

/* Error codes: used in al_err.code by this module and carried on the wire in error
 * and refuse messages. Numbers are part of the protocol: append, never renumber. */
#define PROTO_ERRCODES(X)                                                    \
  X(PROTO_E_BAD_FRAME, 1, "BAD_FRAME")             /* framing or msgpack broken */ \
  X(PROTO_E_FRAME_TOO_LARGE, 2, "FRAME_TOO_LARGE") /* length over the maximum */   \
  X(PROTO_E_UNKNOWN_TYPE, 3, "UNKNOWN_TYPE")       /* "t" names no known message */ \
  X(PROTO_E_BAD_FIELD, 4, "BAD_FIELD")             /* missing / mistyped field */   \
  X(PROTO_E_AUTH, 5, "AUTH")                       /* bad or missing auth token */  \
  X(PROTO_E_VERSION, 6, "VERSION")                 /* protocol version mismatch */  \
  X(PROTO_E_NOT_FOUND, 7, "NOT_FOUND")             /* unknown job / task / worker */ \
  X(PROTO_E_BAD_STATE, 8, "BAD_STATE")             /* not valid in current state */ \
  X(PROTO_E_INTERNAL, 9, "INTERNAL")               /* server-side failure */        \
  X(PROTO_E_NOT_ALLOWED, 10, "NOT_ALLOWED")        /* not allowed for this role */  \
  X(PROTO_E_STALE, 11, "STALE")                    /* result for an old attempt */ \
  X(PROTO_E_ID_IN_USE, 12, "ID_IN_USE")            /* worker id held by a live worker */ \
  X(PROTO_E_LIMIT, 13, "LIMIT")                    /* a configured limit was reached */

typedef enum proto_errcode {
  PROTO_E_NONE = 0,
#define PROTO_ERRCODE_ENUM_(name, num, str) name = num,
  PROTO_ERRCODES(PROTO_ERRCODE_ENUM_)
#undef PROTO_ERRCODE_ENUM_
} proto_errcode;

/* Static name ("BAD_FRAME", ...) of a code; "UNKNOWN" for numbers not in the table. */
const char *proto_errcode_name(uint32_t code);

/* ---- Frame decoder ------------------------------------------------------------------
 * Holds at most max_frame + 4 bytes (complete frames not yet pulled plus one partial
 * frame); memory grows on demand up to that bound, so an idle connection costs little.
 * Consumed frames are skipped with an offset cursor; the unconsumed tail is moved to the
 * front only when space runs out at the end (occasional compaction).
 *
 * Validation happens in stream order as bytes arrive: a length of 0 or above max_frame
 * is rejected as soon as its 4 prefix bytes are seen, before any of its payload is
 * buffered; a payload that is not exactly one well-formed msgpack object (invalid
 * bytes, truncated object, trailing bytes) is rejected as soon as it is complete.
 * Frames completed before the violation are still returned by proto_decoder_next(),
 * then PROTO_ERROR, so the outcome never depends on how the stream was split. Errors
 * are sticky until proto_decoder_reset(); input after the violation is dropped. */
typedef enum proto_status {
  PROTO_ERROR = -1,     /* protocol violation; see proto_decoder_error() */
  PROTO_NEED_MORE = 0,  /* no complete frame buffered */
  PROTO_FRAME = 1       /* a frame was returned */
} proto_status;

typedef struct proto_decoder {
  uint8_t *buf;        /* owned; NULL until first use */
  size_t cap;          /* allocated size of buf */
  size_t start;        /* first unconsumed byte (header of the next frame to pull) */
  size_t scan;         /* header of the first frame whose length was not yet checked */
  size_t end;          /* end of buffered data */
  size_t max_frame;    /* payload limit */
  uint64_t frames;     /* frames returned so far (used to number frames in errors) */
  al_err *err;         /* sticky error, allocated when one happens (an idle decoder
                          stays small: one per connection); NULL = no error */
} proto_decoder;

/* max_frame 0 means PROTO_DEFAULT_MAX_FRAME; values above PROTO_MAX_FRAME_LIMIT are
 * clamped. Allocates nothing. */
void proto_decoder_init(proto_decoder *d, size_t max_frame);
/* Changes the payload limit for frames not checked yet (0 = the default). The
 * coordinator raises it once a peer is authenticated. */
void proto_decoder_set_max(proto_decoder *d, size_t max_frame);
/* Releases the buffer. The decoder may be initialised again afterwards. */
void proto_decoder_free(proto_decoder *d);
/* Drops buffered bytes and clears a sticky error; keeps the allocation. */
void proto_decoder_reset(proto_decoder *d);

/* Copies bytes into the decoder. Returns how many bytes were taken: fewer than n when
 * the buffer is full of complete frames (pull them with proto_decoder_next() and feed
 * the rest) or when an error was detected (the rest of the stream is dropped; returns
 * n so callers do not spin). Invalidates payload pointers returned earlier. */
size_t proto_decoder_feed(proto_decoder *d, const void *data, size_t n);

/* Zero-copy input for a libuv alloc_cb/read_cb pair: prepare() returns a write pointer
 * into the decoder's buffer and the room there (room 0 when the buffer is full of
 * unpulled frames); after the read, commit(n) with the number of bytes written
 * (n <= room). prepare() invalidates payload pointers returned earlier. After an error
 * the reader should stop; input committed after it is dropped. */
void proto_decoder_prepare(proto_decoder *d, char **ptr, size_t *room);
void proto_decoder_commit(proto_decoder *d, size_t n);

/* Pulls the next complete frame. On PROTO_FRAME, payload and len point at the msgpack
 * payload inside the decoder's buffer (borrowed: valid until the next feed, prepare,
 * commit, reset or free; further next() calls do not invalidate it). */
proto_status proto_decoder_next(proto_decoder *d, const uint8_t **payload, size_t *len);

/* Releases the buffer when nothing is buffered (no partial frame, no sticky error), so
 * an idle connection costs no buffer memory; the next prepare/feed allocates again.
 * Invalidates payload pointers returned earlier. */
void proto_decoder_trim(proto_decoder *d);

/* Bytes buffered and not yet pulled. Non-zero at end of stream means the peer closed
 * the connection inside a frame. */
size_t proto_decoder_buffered(const proto_decoder *d);
/* The sticky error (code 0 and empty message when none). Owned by the decoder. */
const al_err *proto_decoder_error(const proto_decoder *d);

/* ---- Frame encoding helpers ---------------------------------------------------------- */
/* Appends a frame carrying the given payload bytes (prefix + copy). Returns 0, or -1
 * when len is 0 or above PROTO_MAX_FRAME_LIMIT (out unchanged). */
int proto_frame_append(al_buf *out, const void *payload, size_t len);

/* Checks that data[0..len) is exactly one well-formed msgpack object with nesting no
 * deeper than PROTO_MAX_DEPTH. Returns 0, or -1 with PROTO_E_BAD_FRAME in err naming
 * the offset and the problem. Allocates nothing. */
int proto_msgpack_check(const uint8_t *data, size_t len, al_err *err);

#endif
