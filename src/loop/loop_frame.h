/* The two steps every framed connection performs, shared by the libuv connection
 * (loop_conn.c) and the blocking client (src/client/alc_conn.c): encoding one message
 * into a frame within a size limit, and reading socket bytes straight into the frame
 * decoder. The client stays on blocking poll() because its API is synchronous (one
 * call, one answer, a deadline); running a libuv loop per call would add a loop, a
 * thread or re-entrancy to every caller for no gain. Prefix: loop_. */
#ifndef AL_LOOP_LOOP_FRAME_H
#define AL_LOOP_LOOP_FRAME_H

#include <stddef.h>
#include <sys/types.h>

#include "common/al.h"
#include "proto/messages.h"
#include "proto/proto.h"

/* Appends m as one frame to out. A frame whose payload is over max_frame (0 =
 * PROTO_DEFAULT_MAX_FRAME) is taken back out again: the peer's decoder would reject it
 * and drop the connection. Returns 0, or -1 with PROTO_E_BAD_FIELD (cannot encode) or
 * PROTO_E_FRAME_TOO_LARGE in err (may be NULL); out is then unchanged. */
int loop_frame_encode(al_buf *out, const proto_msg *m, size_t max_frame, al_err *err);

/* One read from a non-blocking socket straight into the decoder's buffer (no copy).
 * Returns the bytes read (> 0), 0 at end of stream, or -1 with errno set (EAGAIN when
 * nothing is there; ENOBUFS when the decoder is full of frames not yet pulled). */
ssize_t loop_fd_read(int fd, proto_decoder *d);

#endif
