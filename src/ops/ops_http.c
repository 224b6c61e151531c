/* See ops_http.h. The parser looks for the end of the head first (CRLF CRLF, or LF LF
 * from lenient clients), so an incomplete request costs nothing but a scan of at most
 * OPS_HTTP_MAX_REQUEST bytes, then checks the request line and that every header line
 * has a name and a colon. Header values are not interpreted. */
#include "ops/ops_http.h"

#include <string.h>

static ops_http_result bad(ops_http_request *req, int status) {
  req->status = status;
  return OPS_HTTP_BAD;
}

/* Offset just past the blank line ending the head, or 0 when there is none yet. */
static size_t head_end(const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != '\n') continue;
    if (i + 1 < len && buf[i + 1] == '\n') return i + 2;
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
  }
  return 0;
}

static int is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

ops_http_result ops_http_parse(const char *buf, size_t len, ops_http_request *req) {
  memset(req, 0, sizeof *req);
  size_t scan = len > OPS_HTTP_MAX_REQUEST ? OPS_HTTP_MAX_REQUEST : len;
  size_t end = head_end(buf, scan);
  if (end == 0) return len > OPS_HTTP_MAX_REQUEST ? bad(req, 431) : OPS_HTTP_NEED;
  /* Request line: METHOD SP TARGET SP HTTP/1.x (CR)LF */
  const char *p = buf, *lim = buf + end;
  const char *sp = memchr(p, ' ', (size_t)(lim - p));
  if (!sp || sp == p) return bad(req, 400);
  size_t mlen = (size_t)(sp - p);
  for (size_t i = 0; i < mlen; i++)
    if (!is_tchar((unsigned char)p[i])) return bad(req, 400);
  int is_get = mlen == 3 && memcmp(p, "GET", 3) == 0, is_head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
  const char *target = sp + 1;
  const char *sp2 = memchr(target, ' ', (size_t)(lim - target));
  const char *eol = memchr(target, '\n', (size_t)(lim - target));
  if (!sp2 || !eol || sp2 > eol || sp2 == target || target[0] != '/') return bad(req, 400);
  const char *ver = sp2 + 1, *ver_end = eol > ver && eol[-1] == '\r' ? eol - 1 : eol;
  if ((size_t)(ver_end - ver) != 8 || memcmp(ver, "HTTP/1.", 7) != 0) {
    if ((size_t)(ver_end - ver) >= 5 && memcmp(ver, "HTTP/", 5) == 0) return bad(req, 505);
    return bad(req, 400);
  }
  if (ver[7] != '0' && ver[7] != '1') return bad(req, 505);
  for (const char *c = target; c < sp2; c++)
    if ((unsigned char)*c <= 0x20 || *c == 0x7f) return bad(req, 400);
  const char *q = memchr(target, '?', (size_t)(sp2 - target));
  size_t plen = (size_t)((q ? q : sp2) - target);
  if (plen > OPS_HTTP_MAX_PATH) return bad(req, 414);
  /* Header lines: NAME ":" VALUE, up to the blank line. */
  int nheaders = 0;
  for (const char *line = eol + 1; line < lim;) {
    const char *le = memchr(line, '\n', (size_t)(lim - line));
    if (!le) return bad(req, 400);
    size_t ll = (size_t)(le - line);
    if (ll > 0 && line[ll - 1] == '\r') ll--;
    if (ll == 0) break; /* the blank line */
    if (++nheaders > OPS_HTTP_MAX_HEADERS) return bad(req, 431);
    const char *colon = memchr(line, ':', ll);
    if (!colon || colon == line) return bad(req, 400);
    for (const char *c = line; c < colon; c++)
      if (!is_tchar((unsigned char)*c)) return bad(req, 400);
    line = le + 1;
  }
  if (!is_get && !is_head) return bad(req, 405);
  req->head = is_head;
  memcpy(req->path, target, plen);
  req->path[plen] = '\0';
  return OPS_HTTP_OK;
}

const char *ops_http_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}
