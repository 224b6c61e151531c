/* Bounded reading of one input file (see media.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/media.h"

int med_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, al_err *err) {
  *data = NULL;
  *len = 0;
  /* O_NONBLOCK: a FIFO without a writer must not hang a worker thread. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return al_err_set(err, AL_E_FAILED, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return al_err_set(err, AL_E_FAILED, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > max_bytes) {
    close(fd);
    return al_err_set(err, AL_E_FAILED, "%s: file is %lld bytes, more than the limit of %zu", path, (long long)st.st_size,
                      max_bytes);
  }
  size_t cap = (size_t)st.st_size + 1, n = 0;
  uint8_t *buf = al_xmalloc(cap);
  for (;;) {
    if (n == cap - 1) {
      /* The file grew since fstat: keep reading up to the limit. */
      if (cap - 1 >= max_bytes) {
        free(buf);
        close(fd);
        return al_err_set(err, AL_E_FAILED, "%s: file is larger than the limit of %zu bytes", path, max_bytes);
      }
      cap = AL_MIN(cap * 2, max_bytes + 1);
      buf = al_xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      close(fd);
      return al_err_set(err, AL_E_FAILED, "%s: read error: %s", path, strerror(e));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  *data = buf;
  *len = n;
  return 0;
}
