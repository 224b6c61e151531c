/* Streaming document reader (see docread.h). */
#include "worker/docread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "worker/fileread.h"

struct worker_docread {
  int fd;
  char *path;
  char *buf;         /* raw bytes not yet handed out: buf[0..len) */
  size_t len, cap;
  int eof;
  uint64_t bytes;
  char *text;        /* the current decoded piece */
};

worker_docread *worker_docread_open(const char *path, char *reason, size_t reason_cap) {
  char detail[256];
  int fd;
  worker_read_status rs = worker_open_regular(path, &fd, detail, sizeof detail);
  if (rs != WORKER_READ_OK) {
    if (detail[0]) snprintf(reason, reason_cap, "%s: %s", worker_read_status_name(rs), detail);
    else snprintf(reason, reason_cap, "%s", worker_read_status_name(rs));
    return NULL;
  }
  worker_docread *r = al_xcalloc(1, sizeof *r);
  r->fd = fd;
  r->path = al_xstrdup(path);
  r->cap = WORKER_PIECE;
  r->buf = al_xmalloc(r->cap + 1);
  return r;
}

void worker_docread_close(worker_docread *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  free(r->buf);
  free(r->text);
  free(r->path);
  free(r);
}

uint64_t worker_docread_bytes(const worker_docread *r) { return r->bytes; }

/* Reads until buf holds `want` bytes or the file ends. */
static int fill(worker_docread *r, size_t want, char *reason, size_t reason_cap) {
  while (!r->eof && r->len < want) {
    ssize_t n = read(r->fd, r->buf + r->len, want - r->len);
    if (n < 0) {
      if (errno == EINTR) continue;
      snprintf(reason, reason_cap, "unreadable: %s", strerror(errno));
      return -1;
    }
    if (n == 0) r->eof = 1;
    r->len += (size_t)n;
    r->bytes += (size_t)n;
  }
  return 0;
}

static int is_cut_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\v'; }

/* End of the piece in d[0..n): just after the last whitespace byte, where a CR counts
 * only when the byte after it is known and is not the LF of a CRLF; 0 if none. */
static size_t cut_point(const char *d, size_t n) {
  for (size_t i = n; i > 0; i--) {
    char c = d[i - 1];
    if (is_cut_space(c) || (c == '\r' && i < n && d[i] != '\n')) return i;
  }
  return 0;
}

int worker_docread_next(worker_docread *r, const char **text, size_t *len, char *reason, size_t reason_cap) {
  size_t want = WORKER_PIECE;
  size_t cut;
  for (;;) {
    if (fill(r, want, reason, reason_cap) != 0) return -1;
    if (r->len == 0) return 0;
    if (r->eof) {
      cut = r->len;
      break;
    }
    cut = cut_point(r->buf, r->len);
    if (cut > 0) break;
    if (r->cap >= WORKER_WORD_MAX) {
      /* A whitespace-free run this long is not text: cut before a UTF-8 lead byte. */
      cut = r->len;
      for (int k = 0; k < 3 && cut > 1 && ((unsigned char)r->buf[cut - 1] & 0xC0) == 0x80; k++) cut--;
      if (((unsigned char)r->buf[cut - 1] & 0xC0) == 0xC0) cut--;
      if (cut == 0) cut = r->len;
      break;
    }
    r->cap *= 2;
    r->buf = al_xrealloc(r->buf, r->cap + 1);
    want = r->cap;
  }
  free(r->text);
  size_t tlen;
  r->text = tok_decode_utf8_replace(r->buf, cut, true, &tlen);
  memmove(r->buf, r->buf + cut, r->len - cut);
  r->len -= cut;
  *text = r->text;
  *len = tlen;
  return 1;
}
