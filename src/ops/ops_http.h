/* The monitoring endpoint's HTTP request parser: pure (no I/O), bounded, for
 * HTTP/1.0 and HTTP/1.1 GET/HEAD requests only. The endpoint serves two fixed paths
 * (/metrics, /healthz) and closes every connection after one response, so nothing of
 * a request is kept beyond its method and path. Prefix: ops_http_. */
#ifndef AL_OPS_HTTP_H
#define AL_OPS_HTTP_H

#include <stddef.h>

/* Bounds: a request head (request line + headers) larger than this is refused with
 * 431; a path longer than OPS_HTTP_MAX_PATH with 414. */
#define OPS_HTTP_MAX_REQUEST 8192
#define OPS_HTTP_MAX_PATH 256
#define OPS_HTTP_MAX_HEADERS 64

typedef enum { OPS_HTTP_NEED = 0, OPS_HTTP_OK = 1, OPS_HTTP_BAD = -1 } ops_http_result;

typedef struct ops_http_request {
  int head;                         /* 1: HEAD (no body in the response), 0: GET */
  char path[OPS_HTTP_MAX_PATH + 1]; /* without the query string */
  int status;                       /* OPS_HTTP_BAD: the status to answer (400, 405, ...) */
} ops_http_request;

/* Parses the bytes received so far (buf[0..len), len may exceed the bound: the caller
 * keeps at most OPS_HTTP_MAX_REQUEST + 1 bytes). OPS_HTTP_NEED: the head is not
 * complete yet; OPS_HTTP_OK: req holds the method and path; OPS_HTTP_BAD: req->status
 * says why (400 malformed, 405 not GET/HEAD, 414 path too long, 431 head too large,
 * 505 not HTTP/1.0 or 1.1). */
ops_http_result ops_http_parse(const char *buf, size_t len, ops_http_request *req);

/* Reason phrase of a status code ("OK", "Not Found", ...). */
const char *ops_http_reason(int status);

#endif
