/* Frame encoding within a limit and a socket read into the decoder (see loop_frame.h). */
#include "loop/loop_frame.h"

#include <errno.h>
#include <sys/socket.h>

int loop_frame_encode(al_buf *out, const proto_msg *m, size_t max_frame, al_err *err) {
  if (max_frame == 0) max_frame = PROTO_DEFAULT_MAX_FRAME;
  size_t before = out->len;
  size_t n = proto_msg_encode(m, out);
  if (n == 0) {
    out->len = before;
    return al_err_set(err, PROTO_E_BAD_FIELD, "cannot encode message '%s'", proto_msg_type_name(m->type));
  }
  if (n - PROTO_HEADER_SIZE > max_frame) {
    out->len = before;
    return al_err_set(err, PROTO_E_FRAME_TOO_LARGE, "message '%s' is %zu bytes, over the %zu-byte frame limit",
                      proto_msg_type_name(m->type), n - PROTO_HEADER_SIZE, max_frame);
  }
  return 0;
}

ssize_t loop_fd_read(int fd, proto_decoder *d) {
  char *ptr;
  size_t room;
  proto_decoder_prepare(d, &ptr, &room);
  if (room == 0) {
    errno = ENOBUFS;
    return -1;
  }
  ssize_t n;
  do n = recv(fd, ptr, room, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) proto_decoder_commit(d, (size_t)n);
  return n;
}
