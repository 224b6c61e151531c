/* Memory-then-file byte store for the shard writer (see spill.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/shard.h"
#include "shard/spill.h"

void shard_spill_init(shard_spill *s, const char *dir, size_t mem_max) {
  memset(s, 0, sizeof *s);
  s->dir = al_xstrdup(dir);
  s->mem_max = mem_max < SHARD_SPILL_IO_BUF ? SHARD_SPILL_IO_BUF : mem_max;
  s->fd = -1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int flush_mem(shard_spill *s, al_err *err) {
  if (s->fd < 0 || s->mem.len == 0) return 0;
  if (write_all(s->fd, s->mem.data, s->mem.len) != 0)
    return al_err_set(err, SHARD_EIO, "%s: cannot write spill file: %s", s->dir, strerror(errno));
  s->file_len += s->mem.len;
  s->mem.len = 0;
  return 0;
}

/* Moves the in-memory data to a fresh unlinked file in dir. */
static int open_file(shard_spill *s, al_err *err) {
  static unsigned counter;
  char *path = al_xasprintf("%s/.spill.tmp.%ld.%u", s->dir, (long)getpid(),
                            __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
  s->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (s->fd < 0) {
    int e = errno;
    al_err_set(err, SHARD_EIO, "%s: cannot create spill file: %s", path, strerror(e));
    free(path);
    return -1;
  }
  unlink(path);
  free(path);
  s->file_len = 0;
  return flush_mem(s, err);
}

int shard_spill_append(shard_spill *s, const void *p, size_t n, al_err *err) {
  if (n == 0) return 0; /* p may be NULL for an empty row */
  if (s->fd < 0 && s->mem.len + n > s->mem_max && open_file(s, err) != 0) return -1;
  if (s->fd >= 0 && s->mem.len + n > SHARD_SPILL_IO_BUF) {
    if (flush_mem(s, err) != 0) return -1;
    if (n > SHARD_SPILL_IO_BUF) {
      if (write_all(s->fd, p, n) != 0)
        return al_err_set(err, SHARD_EIO, "%s: cannot write spill file: %s", s->dir, strerror(errno));
      s->file_len += n;
      s->size += n;
      return 0;
    }
  }
  al_buf_append(&s->mem, p, n);
  s->size += n;
  return 0;
}

int shard_spill_rewind(shard_spill *s, al_err *err) {
  s->rpos = 0;
  return flush_mem(s, err);
}

int shard_spill_read(shard_spill *s, void *out, size_t n, al_err *err) {
  if (n > s->size - s->rpos)
    return al_err_set(err, SHARD_EIO, "%s: spill read past the end", s->dir);
  if (n == 0) return 0; /* zero-length rows: the buffer may not exist yet */
  if (s->fd < 0) {
    memcpy(out, s->mem.data + s->rpos, n);
  } else {
    char *o = out;
    size_t left = n;
    off_t at = (off_t)s->rpos;
    while (left > 0) {
      ssize_t r = pread(s->fd, o, left, at);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        return al_err_set(err, SHARD_EIO, "%s: cannot read spill file: %s", s->dir,
                          r < 0 ? strerror(errno) : "unexpected end");
      o += r;
      left -= (size_t)r;
      at += r;
    }
  }
  s->rpos += n;
  return 0;
}

int shard_spill_reset(shard_spill *s, al_err *err) {
  s->mem.len = 0;
  s->size = 0;
  s->rpos = 0;
  s->file_len = 0;
  if (s->fd >= 0 && ftruncate(s->fd, 0) != 0)
    return al_err_set(err, SHARD_EIO, "%s: cannot truncate spill file: %s", s->dir, strerror(errno));
  /* Writes continue at offset 0 after truncation: reposition explicitly. */
  if (s->fd >= 0 && lseek(s->fd, 0, SEEK_SET) < 0)
    return al_err_set(err, SHARD_EIO, "%s: cannot seek spill file: %s", s->dir, strerror(errno));
  return 0;
}

void shard_spill_free(shard_spill *s) {
  if (s->fd >= 0) close(s->fd);
  al_buf_free(&s->mem);
  free(s->dir);
  memset(s, 0, sizeof *s);
  s->fd = -1;
}
