/* Streaming document reader (see docread.h). */
#include "worker/docread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "worker/decomp.h"
#include "worker/fileread.h"

struct worker_docread {
  worker_src *src;
  char *buf;         /* bytes not yet handed out: buf[off..len) */
  size_t off, len, cap;
  int eof;
  char *text;        /* the current decoded piece */
};

worker_docread *worker_docread_open(const char *path, int zkind, uint64_t limit, char *reason,
                                    size_t reason_cap) {
  char detail[256];
  int fd;
  worker_read_status rs = worker_open_regular(path, &fd, detail, sizeof detail);
  if (rs != WORKER_READ_OK) {
    if (detail[0]) snprintf(reason, reason_cap, "%s: %s", worker_read_status_name(rs), detail);
    else snprintf(reason, reason_cap, "%s", worker_read_status_name(rs));
    return NULL;
  }
  worker_docread *r = al_xcalloc(1, sizeof *r);
  r->src = worker_src_new(fd, (worker_zkind)zkind, limit);
  r->cap = WORKER_PIECE;
  r->buf = al_xmalloc(r->cap + 1);
  return r;
}

void worker_docread_close(worker_docread *r) {
  if (!r) return;
  worker_src_close(r->src);
  free(r->buf);
  free(r->text);
  free(r);
}

uint64_t worker_docread_bytes(const worker_docread *r) { return worker_src_raw_bytes(r->src); }

/* Moves the pending bytes to the front, then reads until buf holds `want` bytes (at
 * most cap) or the stream ends. */
static int fill(worker_docread *r, size_t want, char *reason, size_t reason_cap) {
  if (r->off > 0) {
    memmove(r->buf, r->buf + r->off, r->len - r->off);
    r->len -= r->off;
    r->off = 0;
  }
  if (want > r->cap) want = r->cap;
  while (!r->eof && r->len < want) {
    ssize_t n = worker_src_read(r->src, r->buf + r->len, want - r->len, reason, reason_cap);
    if (n < 0) return -1;
    if (n == 0) r->eof = 1;
    r->len += (size_t)n;
  }
  return 0;
}

int worker_docread_is_text(worker_docread *r, char *reason, size_t reason_cap) {
  if (fill(r, WORKER_SNIFF, reason, reason_cap) != 0) return -1;
  const unsigned char *p = (const unsigned char *)r->buf;
  size_t n = AL_MIN(r->len, WORKER_SNIFF);
  if (memchr(p, 0, n)) return 0;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    size_t need = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 1 : (c & 0xF0) == 0xE0 ? 2
                                 : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 3 : 99;
    if (need == 99) return 0;
    if (i + need >= n) return r->eof && n == r->len ? 0 : 1; /* cut at the end, or by the window */
    for (size_t k = 1; k <= need; k++)
      if ((p[i + k] & 0xC0) != 0x80) return 0;
    i += need + 1;
  }
  return 1;
}

int worker_docread_line(worker_docread *r, const char **line, size_t *len, char *reason, size_t reason_cap) {
  for (;;) {
    char *start = r->buf + r->off;
    char *nl = memchr(start, '\n', r->len - r->off);
    if (nl || (r->eof && r->off < r->len)) {
      size_t n = nl ? (size_t)(nl - start) : r->len - r->off;
      r->off += n + (nl ? 1 : 0);
      start[n] = '\0'; /* over the newline, or at buf[len] (buf has cap + 1 bytes) */
      *line = start;
      *len = n;
      return 1;
    }
    if (r->eof) return 0;
    if (r->len - r->off >= r->cap) {
      if (r->cap >= WORKER_LINE_MAX) {
        snprintf(reason, reason_cap, "a line is longer than %zu bytes", (size_t)WORKER_LINE_MAX);
        return -1;
      }
      r->cap *= 2;
      r->buf = al_xrealloc(r->buf, r->cap + 1);
    }
    if (fill(r, r->cap, reason, reason_cap) != 0) return -1;
  }
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
  r->text = al_tok_decode_utf8_replace(r->buf, cut, true, &tlen);
  r->off = cut; /* fill() moves the rest to the front */
  *text = r->text;
  *len = tlen;
  return 1;
}
