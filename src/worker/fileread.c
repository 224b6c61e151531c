/* Safe, bounded reads of input files (see fileread.h). */
#include "worker/fileread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"

const char *worker_read_status_name(worker_read_status s) {
  switch (s) {
    case WORKER_READ_OK: return "ok";
    case WORKER_READ_VANISHED: return "vanished since scan";
    case WORKER_READ_UNREADABLE: return "unreadable";
    case WORKER_READ_NOT_REGULAR: return "not a regular file";
  }
  return "unknown";
}

worker_read_status worker_open_regular(const char *path, int *fdp, char *detail, size_t detail_cap) {
  *fdp = -1;
  if (detail && detail_cap) detail[0] = '\0';
  /* O_NONBLOCK: opening a FIFO for reading would otherwise block until a writer shows up. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    if (detail) snprintf(detail, detail_cap, "%s", strerror(e));
    return e == ENOENT || e == ENOTDIR ? WORKER_READ_VANISHED : WORKER_READ_UNREADABLE;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    if (detail) snprintf(detail, detail_cap, "%s", strerror(errno));
    close(fd);
    return WORKER_READ_UNREADABLE;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return WORKER_READ_NOT_REGULAR;
  }
  /* Regular files never return EAGAIN, so O_NONBLOCK does not need clearing. */
  *fdp = fd;
  return WORKER_READ_OK;
}

worker_read_status worker_read_file(const char *path, size_t max_bytes, char **data, size_t *len,
                                    int *truncated, char *detail, size_t detail_cap) {
  *data = NULL;
  *len = 0;
  *truncated = 0;
  int fd;
  worker_read_status rs = worker_open_regular(path, &fd, detail, detail_cap);
  if (rs != WORKER_READ_OK) return rs;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    if (detail) snprintf(detail, detail_cap, "%s", strerror(errno));
    close(fd);
    return WORKER_READ_UNREADABLE;
  }
  size_t want = (size_t)st.st_size < max_bytes ? (size_t)st.st_size : max_bytes;
  char *buf = al_xmalloc(want + 1);
  size_t got = 0;
  while (got < want) {
    ssize_t n = read(fd, buf + got, want - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (detail) snprintf(detail, detail_cap, "%s", strerror(errno));
      free(buf);
      close(fd);
      return WORKER_READ_UNREADABLE;
    }
    if (n == 0) break; /* shrank since fstat */
    got += (size_t)n;
  }
  /* The file may have grown since fstat, or be longer than the cap. */
  if (got == want) {
    char probe;
    ssize_t n = read(fd, &probe, 1);
    if (n == 1) *truncated = 1;
  }
  close(fd);
  buf[got] = '\0';
  *data = buf;
  *len = got;
  return WORKER_READ_OK;
}
