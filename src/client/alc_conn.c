/* Client connection: address parsing, non-blocking connect with a deadline, the hello
 * handshake, framed request/response matched by request id. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/alc_internal.h"
#include "loop/loop_frame.h"

/* The client's codes for server errors are the protocol's numbers. */
_Static_assert((int)AL_E_AUTH == (int)PROTO_E_AUTH && (int)AL_E_NOT_FOUND == (int)PROTO_E_NOT_FOUND &&
                   (int)AL_E_BAD_STATE == (int)PROTO_E_BAD_STATE &&
                   (int)AL_E_NOT_ALLOWED == (int)PROTO_E_NOT_ALLOWED &&
                   (int)AL_E_VERSION == (int)PROTO_E_VERSION && (int)AL_E_INTERNAL == (int)PROTO_E_INTERNAL,
               "client error codes must equal the protocol's");

int alc_parse_address(const char *address, char *host, size_t host_cap, char *port, size_t port_cap,
                      al_err *err) {
  const char *a = address ? address : "";
  const char *hs, *he, *ps;
  if (a[0] == '[') {
    hs = a + 1;
    he = strchr(hs, ']');
    if (!he || he[1] != ':') goto bad;
    ps = he + 2;
  } else {
    he = strrchr(a, ':');
    if (!he) goto bad;
    if (memchr(a, ':', (size_t)(he - a)))
      return al_err_set(err, AL_E_ADDRESS,
                        "bad coordinator address '%s': write IPv6 addresses in brackets, e.g. [::1]:8080", a);
    hs = a;
    ps = he + 1;
  }
  size_t hl = (size_t)(he - hs), pl = strlen(ps);
  if (hl == 0 || pl == 0 || pl > 5 || strspn(ps, "0123456789") != pl) goto bad;
  long p = strtol(ps, NULL, 10);
  if (p < 1 || p > 65535)
    return al_err_set(err, AL_E_ADDRESS, "bad coordinator address '%s': port must be 1-65535", a);
  if (hl >= host_cap || pl >= port_cap) goto bad;
  memcpy(host, hs, hl);
  host[hl] = '\0';
  memcpy(port, ps, pl);
  port[pl] = '\0';
  return 0;
bad:
  return al_err_set(err, AL_E_ADDRESS, "bad coordinator address '%s': expected HOST:PORT or [IPv6]:PORT", a);
}

static double remaining_ms(double deadline) {
  if (deadline < 0) return -1;
  double left = (deadline - al_mono_s()) * 1000.0;
  return left < 0 ? 0 : left;
}

static int poll_fd(int fd, short events, double deadline) {
  for (;;) {
    double ms = remaining_ms(deadline);
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, ms < 0 ? -1 : (int)(ms + 0.999));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0 && deadline >= 0 && al_mono_s() < deadline) continue; /* rounded short */
    return r;
  }
}

/* Connects one resolved address; returns the fd or -1 with *why set to an errno. */
static int connect_one(const struct addrinfo *ai, double deadline, int *why) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *why = errno;
    return -1;
  }
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *why = errno;
      close(fd);
      return -1;
    }
    int r = poll_fd(fd, POLLOUT, deadline);
    if (r <= 0) {
      *why = r == 0 ? ETIMEDOUT : errno;
      close(fd);
      return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
    if (soerr) {
      *why = soerr;
      close(fd);
      return -1;
    }
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void mark_broken(al_client *c, int code, const char *msg) {
  if (c->broken) return;
  c->broken = 1;
  c->broken_code = code;
  size_t n = AL_MIN(strlen(msg), sizeof c->broken_msg - 1); /* long messages are cut */
  memcpy(c->broken_msg, msg, n);
  c->broken_msg[n] = '\0';
}

static int broken_err(al_client *c, al_err *err) {
  return al_err_set(err, c->broken_code ? c->broken_code : AL_E_CLOSED, "%s", c->broken_msg);
}

static int send_raw(al_client *c, const void *data, size_t len, double deadline, al_err *err) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int r = poll_fd(c->fd, POLLOUT, deadline);
      if (r == 0)
        return al_err_set(err, AL_E_TIMEOUT, "coordinator %s: sending timed out after %gs", c->address,
                          c->timeout_s);
      if (r > 0) continue;
    }
    char msg[AL_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "connection to coordinator %s lost: %s", c->address, strerror(errno));
    mark_broken(c, AL_E_CLOSED, msg);
    return broken_err(c, err);
  }
  return 0;
}

/* Sends plaintext: as TLS records when the connection has TLS. */
static int send_all(al_client *c, const void *data, size_t len, double deadline, al_err *err) {
  if (!c->tls) return send_raw(c, data, len, deadline, err);
  al_err e;
  c->wire.len = 0;
  if (loop_tls_encode(c->tls, data, len, &c->wire, &e) != 0) {
    mark_broken(c, AL_E_TLS, e.msg);
    return broken_err(c, err);
  }
  return send_raw(c, c->wire.data, c->wire.len, deadline, err);
}

/* Feeds decoded TLS plaintext to the frame decoder as room allows; 1 when some went in. */
static int feed_plain(al_client *c) {
  if (c->tin_off >= c->tin.len) return 0;
  size_t took = proto_decoder_feed(&c->dec, c->tin.data + c->tin_off, c->tin.len - c->tin_off);
  c->tin_off += took;
  if (c->tin_off >= c->tin.len) c->tin.len = c->tin_off = 0;
  return took > 0;
}

/* One read of TLS records: decodes them into c->tin and sends what the TLS state machine must
 * answer. Returns > 0, 0 at end of stream, -1 with errno, or -2 with the TLS failure
 * in *e. */
static ssize_t tls_read(al_client *c, double deadline, al_err *e) {
  char buf[16384];
  ssize_t n = recv(c->fd, buf, sizeof buf, 0);
  if (n <= 0) return n;
  c->wire.len = 0;
  if (loop_tls_decode(c->tls, buf, (size_t)n, &c->tin, &c->wire, e) != 0) return -2;
  if (c->wire.len > 0 && send_raw(c, c->wire.data, c->wire.len, deadline, e) != 0) return -2;
  if (loop_tls_peer_closed(c->tls) && c->tin.len == 0) return 0;
  return n;
}

/* Reads the next decoded frame of any kind. 1 frame, 0 timeout, -1 error. */
static int read_any(al_client *c, double deadline, proto_msg *m, al_err *err) {
  if (c->broken) return broken_err(c, err);
  for (;;) {
    const uint8_t *payload;
    size_t len;
    proto_status st = proto_decoder_next(&c->dec, &payload, &len);
    if (st == PROTO_FRAME) {
      al_err derr;
      al_err_clear(&derr);
      if (proto_msg_decode(payload, len, m, &derr) != 0) {
        char msg[AL_ERR_MSG_MAX + 64];
        snprintf(msg, sizeof msg, "coordinator %s sent a message we cannot read: %s", c->address, derr.msg);
        mark_broken(c, AL_E_PROTOCOL, msg);
        return broken_err(c, err);
      }
      return 1;
    }
    if (st == PROTO_ERROR) {
      char msg[AL_ERR_MSG_MAX + 64];
      snprintf(msg, sizeof msg, "coordinator %s broke the protocol: %s", c->address,
               proto_decoder_error(&c->dec)->msg);
      mark_broken(c, AL_E_PROTOCOL, msg);
      return broken_err(c, err);
    }
    if (c->tls && feed_plain(c)) continue;
    int r = poll_fd(c->fd, POLLIN, deadline);
    if (r == 0) return 0;
    al_err te;
    ssize_t n = r <= 0 ? -1 : c->tls ? tls_read(c, deadline, &te) : loop_fd_read(c->fd, &c->dec);
    if (n == -2) {
      mark_broken(c, AL_E_TLS, te.msg);
      return broken_err(c, err);
    }
    if (n > 0) continue;
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    char msg[AL_ERR_MSG_MAX];
    if (n == 0)
      snprintf(msg, sizeof msg, "coordinator %s closed the connection", c->address);
    else
      snprintf(msg, sizeof msg, "connection to coordinator %s lost: %s", c->address, strerror(errno));
    mark_broken(c, AL_E_CLOSED, msg);
    return broken_err(c, err);
  }
}

/* Handles a frame that is not the awaited reply: progress events are queued; an error
 * without request id means the coordinator is about to close the connection. Returns
 * -1 (with err) when the connection is now unusable. */
static int handle_unsolicited(al_client *c, proto_msg *m, al_err *err) {
  if (m->type == PROTO_MSG_PROGRESS) {
    al_job j;
    alc_job_from_summary(&j, &m->u.progress);
    alc_event_push(c, &j);
  } else if (m->type == PROTO_MSG_ERROR && m->request_id == 0) {
    char msg[AL_ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "coordinator %s: %s", c->address, m->u.error.message);
    mark_broken(c, (int)m->u.error.code, msg);
    proto_msg_free(m);
    return broken_err(c, err);
  }
  /* Anything else is a late reply to a request that timed out: dropped. */
  proto_msg_free(m);
  return 0;
}

int alc_read_message(al_client *c, double deadline, proto_msg *m, al_err *err) {
  for (;;) {
    int r = read_any(c, deadline, m, err);
    if (r <= 0) return r;
    if (m->type == PROTO_MSG_ERROR && m->request_id == 0) return handle_unsolicited(c, m, err);
    return 1;
  }
}

static int send_msg(al_client *c, const proto_msg *m, double deadline, al_err *err) {
  c->out.len = 0;
  if (loop_frame_encode(&c->out, m, PROTO_DEFAULT_MAX_FRAME, err) != 0) {
    if (err) err->code = AL_E_ARG; /* the caller's message, not the connection, is at fault */
    return -1;
  }
  return send_all(c, c->out.data, c->out.len, deadline, err);
}

/* Waits for the reply with request id rid. */
static int await_reply(al_client *c, uint64_t rid, const char *what, double deadline, proto_msg *reply,
                       al_err *err) {
  for (;;) {
    proto_msg m;
    int r = read_any(c, deadline, &m, err);
    if (r < 0) return -1;
    if (r == 0)
      return al_err_set(err, AL_E_TIMEOUT, "coordinator %s did not answer %s within %gs", c->address, what,
                        c->timeout_s);
    if (m.request_id == rid) { /* for subscribe, the reply is a progress message */
      *reply = m;
      return 0;
    }
    if (handle_unsolicited(c, &m, err) != 0) return -1;
  }
}

int alc_request(al_client *c, proto_msg *req, proto_msg_type expect, proto_msg *reply, al_err *err) {
  memset(reply, 0, sizeof *reply);
  if (!c) return al_err_set(err, AL_E_ARG, "no client");
  if (c->broken) return broken_err(c, err);
  req->request_id = c->next_rid++;
  double deadline = al_mono_s() + c->timeout_s;
  const char *what = proto_msg_type_name(req->type);
  if (send_msg(c, req, deadline, err) != 0) return -1;
  proto_msg m;
  if (await_reply(c, req->request_id, what, deadline, &m, err) != 0) return -1;
  if (m.type == expect) {
    *reply = m;
    return 0;
  }
  if (m.type == PROTO_MSG_ERROR) {
    al_err_set(err, m.u.error.code ? (int)m.u.error.code : AL_E_INTERNAL, "coordinator %s: %s", c->address,
               m.u.error.message);
    proto_msg_free(&m);
    return -1;
  }
  al_err_set(err, AL_E_PROTOCOL, "coordinator %s answered %s with '%s'", c->address, what,
             proto_msg_type_name(m.type));
  proto_msg_free(&m);
  return -1;
}

static int handshake(al_client *c, al_role role, const char *token, double deadline, al_err *err) {
  proto_msg h = {0};
  h.type = PROTO_MSG_HELLO;
  h.request_id = c->next_rid++;
  h.u.hello.version = PROTO_VERSION;
  h.u.hello.role = (proto_role)role;
  h.u.hello.peer_id = role == AL_ROLE_SUBMITTER ? "submitter" : "admin";
  h.u.hello.token = token;
  h.u.hello.software = "auralith " AURALITH_VERSION;
  if (send_msg(c, &h, deadline, err) != 0) return -1;
  proto_msg m;
  int r = read_any(c, deadline, &m, err);
  if (r == 0)
    return al_err_set(err, AL_E_TIMEOUT, "coordinator %s did not answer the handshake within %gs", c->address,
                      c->timeout_s);
  if (r < 0) {
    /* A TLS coordinator drops a plaintext hello (it logs why): say what to check. */
    const char *hint = c->tls ? "" : " (if it serves TLS, set AURALITH_TLS_CA or coordinator.tls_ca here)";
    if (err && err->code == AL_E_CLOSED)
      return al_err_set(err, AL_E_CLOSED, "coordinator %s closed the connection during the handshake%s",
                        c->address, hint);
    if (err && err->code == AL_E_PROTOCOL && *hint) al_err_set(err, AL_E_PROTOCOL, "%.900s%s", err->msg, hint);
    return -1;
  }
  int rc = 0;
  if (m.type == PROTO_MSG_WELCOME) {
    free(c->server);
    free(c->strategy);
    c->strategy = al_xstrdup(m.u.welcome.strategy ? m.u.welcome.strategy : "");
    c->server = al_xstrdup(m.u.welcome.server ? m.u.welcome.server : "");
  } else if (m.type == PROTO_MSG_REFUSE) {
    rc = al_err_set(err, m.u.refuse.code ? (int)m.u.refuse.code : AL_E_AUTH,
                    "coordinator %s refused the connection: %s", c->address, m.u.refuse.reason);
  } else if (m.type == PROTO_MSG_ERROR) {
    rc = al_err_set(err, m.u.error.code ? (int)m.u.error.code : AL_E_PROTOCOL,
                    "coordinator %s refused the connection: %s", c->address, m.u.error.message);
  } else {
    rc = al_err_set(err, AL_E_PROTOCOL, "coordinator %s answered hello with '%s'", c->address,
                    proto_msg_type_name(m.type));
  }
  proto_msg_free(&m);
  return rc;
}

/* TLS handshake, before anything else is sent. 0 or -1 with err (AL_E_TLS, ...). */
static int tls_handshake(al_client *c, loop_tls_ctx *x, const char *server_name, double deadline, al_err *err) {
  char peer[300];
  snprintf(peer, sizeof peer, "coordinator %s", c->address);
  c->tls = loop_tls_new(x, server_name, peer, err);
  if (!c->tls) {
    if (err) err->code = AL_E_TLS;
    return -1;
  }
  al_err e;
  if (loop_tls_start(c->tls, &c->wire, &e) != 0) return al_err_set(err, AL_E_TLS, "%s", e.msg);
  if (send_raw(c, c->wire.data, c->wire.len, deadline, err) != 0) return -1;
  while (!loop_tls_ready(c->tls)) {
    int r = poll_fd(c->fd, POLLIN, deadline);
    if (r == 0)
      return al_err_set(err, AL_E_TIMEOUT, "coordinator %s did not complete the TLS handshake within %gs",
                        c->address, c->timeout_s);
    ssize_t n = r > 0 ? tls_read(c, deadline, &e) : -1;
    if (n == -2) return al_err_set(err, AL_E_TLS, "%s", e.msg);
    if (n == 0)
      return al_err_set(err, AL_E_TLS,
                        "coordinator %s closed the connection during the TLS handshake (does it serve TLS? it "
                        "needs coordinator.tls_cert and tls_key)",
                        c->address);
    if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
      return al_err_set(err, AL_E_TLS, "connection to coordinator %s lost during the TLS handshake: %s", c->address,
                        strerror(errno));
  }
  return 0;
}

/* Wraps a connected non-blocking socket (owned from here on), sets up TLS when x is
 * given (borrowed), and says hello. */
static al_client *start_client(int fd, const char *address, al_role role, const char *token, double timeout_s,
                                double deadline, loop_tls_ctx *x, const char *server_name, al_err *err) {
  al_client *c = al_xcalloc(1, sizeof *c);
  c->fd = fd;
  c->address = al_xstrdup(address);
  c->server = al_xstrdup("");
  c->timeout_s = timeout_s;
  c->next_rid = 1;
  proto_decoder_init(&c->dec, 0);
  if (x && tls_handshake(c, x, server_name, deadline, err) != 0) {
    al_close(c);
    return NULL;
  }
  if (handshake(c, role, token, deadline, err) != 0) {
    al_close(c);
    return NULL;
  }
  return c;
}

al_client *al_connect(const char *address, al_role role, const char *token, double timeout_s,
                        al_err *err) {
  return al_connect_tls(address, role, token, timeout_s, NULL, err);
}

static const char *env_or_null(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

al_client *al_connect_tls(const char *address, al_role role, const char *token, double timeout_s,
                            const al_tls_options *tls, al_err *err) {
  al_err_clear(err);
  al_tls_options env_tls = {env_or_null(AL_ENV_TLS_CA), env_or_null(AL_ENV_TLS_SERVER_NAME),
                             env_or_null(AL_ENV_TLS_CERT), env_or_null(AL_ENV_TLS_KEY)};
  if (!tls) tls = &env_tls;
  if (!address || !*address) {
    const char *env = getenv(AL_ENV_COORDINATOR);
    address = env && *env ? env : AL_DEFAULT_ADDRESS;
  }
  if (!token) {
    /* The role's own secret, then the shorthand for all roles; an admin-role client
     * holding only the client token still gets the client's rights (status reads). */
    const char *env = getenv(role == AL_ROLE_ADMIN ? AL_ENV_ADMIN_TOKEN : AL_ENV_CLIENT_TOKEN);
    if (!env || !*env) env = getenv(AL_ENV_AUTH_TOKEN);
    if ((!env || !*env) && role == AL_ROLE_ADMIN) env = getenv(AL_ENV_CLIENT_TOKEN);
    token = env && *env ? env : NULL;
  } else if (!*token) {
    token = NULL;
  }
  if (role != AL_ROLE_ADMIN && role != AL_ROLE_SUBMITTER) {
    al_err_set(err, AL_E_ARG, "al_connect: role must be AL_ROLE_ADMIN or AL_ROLE_SUBMITTER");
    return NULL;
  }
  if (!(timeout_s > 0)) timeout_s = AL_DEFAULT_TIMEOUT_S;
  char host[256], port[8];
  if (alc_parse_address(address, host, sizeof host, port, sizeof port, err) != 0) return NULL;
  loop_tls_ctx *x = NULL;
  if (tls->ca && *tls->ca) { /* certificate files first: a bad path fails before any connect */
    x = loop_tls_client_ctx(tls->ca, tls->cert, tls->key, err);
    if (!x) {
      if (err) err->code = AL_E_TLS;
      return NULL;
    }
  }

  double deadline = al_mono_s() + timeout_s;
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int gai = getaddrinfo(host, port, &hints, &res);
  if (gai != 0) {
    al_err_set(err, AL_E_ADDRESS, "cannot connect to coordinator %s: %s", address, gai_strerror(gai));
    return NULL;
  }
  int fd = -1, why = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) fd = connect_one(ai, deadline, &why);
  freeaddrinfo(res);
  if (fd < 0) {
    loop_tls_ctx_free(x);
    if (why == ETIMEDOUT)
      al_err_set(err, AL_E_CONNECT, "cannot connect to coordinator %s: no answer within %gs", address, timeout_s);
    else
      al_err_set(err, AL_E_CONNECT, "cannot connect to coordinator %s: %s", address, strerror(why));
    return NULL;
  }
  al_client *c = start_client(fd, address, role, token, timeout_s, deadline, x,
                               tls->server_name && *tls->server_name ? tls->server_name : host, err);
  loop_tls_ctx_free(x); /* the TLS connection keeps what it needs */
  return c;
}

al_client *alc_connect_fd(int fd, const char *name, al_role role, const char *token, double timeout_s,
                           al_err *err) {
  al_err_clear(err);
  if (fd < 0) {
    al_err_set(err, AL_E_ARG, "alc_connect_fd: no socket");
    return NULL;
  }
  if (!(timeout_s > 0)) timeout_s = AL_DEFAULT_TIMEOUT_S;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    al_err_set(err, AL_E_IO, "%s: cannot make the socket non-blocking: %s", name, strerror(errno));
    close(fd);
    return NULL;
  }
  return start_client(fd, name, role, token && *token ? token : NULL, timeout_s, al_mono_s() + timeout_s, NULL, NULL,
                      err);
}

void al_close(al_client *c) {
  if (!c) return;
  if (c->fd >= 0) close(c->fd);
  al_job j;
  while (alc_event_pop(c, &j)) al_job_free(&j);
  proto_decoder_free(&c->dec);
  al_buf_free(&c->out);
  loop_tls_free(c->tls);
  al_buf_free(&c->tin);
  al_buf_free(&c->wire);
  free(c->address);
  free(c->server);
  free(c->strategy);
  free(c);
}

const char *al_address(const al_client *c) { return c ? c->address : ""; }
const char *al_server_version(const al_client *c) { return c ? c->server : ""; }
const char *al_server_strategy(const al_client *c) { return c && c->strategy ? c->strategy : ""; }
void al_set_timeout(al_client *c, double timeout_s) {
  if (c && timeout_s > 0) c->timeout_s = timeout_s;
}
