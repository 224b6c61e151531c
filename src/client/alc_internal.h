/* Internals shared by the files of the client library (src/client). Not installed.
 * The connection is a non-blocking socket driven by poll() with a deadline, a frame
 * decoder from src/proto, and a bounded queue of progress events that arrived while a
 * request was waiting for its reply. */
#ifndef AL_CLIENT_ALC_INTERNAL_H
#define AL_CLIENT_ALC_INTERNAL_H

#include <stdint.h>

#include "auralith/client.h"
#include "client/alc.h"
#include "common/al.h"
#include "loop/loop_tls.h"
#include "proto/messages.h"
#include "proto/proto.h"

struct al_client {
  int fd;                   /* -1 once closed */
  char *address;            /* as given by the caller */
  char *server;             /* welcome.server, or "" */
  char *strategy;           /* welcome.strategy, or "" when the coordinator did not say */
  double timeout_s;         /* per request */
  uint64_t next_rid;
  proto_decoder dec;
  al_buf out;               /* the frame being sent */
  loop_tls *tls;            /* NULL = plaintext */
  al_buf tin;               /* TLS: plaintext decoded, not yet fed to dec (from tin_off) */
  size_t tin_off;
  al_buf wire;              /* TLS: records being sent */
  int broken;               /* 1: the connection is unusable; broken_msg says why */
  char broken_msg[AL_ERR_MSG_MAX];
  int broken_code;
  al_job events[AL_MAX_PENDING_EVENTS]; /* ring of pending progress events */
  size_t ev_head, ev_count;
};

/* Splits "host:port" or "[v6]:port" into host and port. Returns 0, or -1 with
 * AL_E_ADDRESS naming the address. */
int alc_parse_address(const char *address, char *host, size_t host_cap, char *port, size_t port_cap,
                      al_err *err);

/* Sends req (request_id is assigned here) and waits for the reply with the same id.
 * A reply of type `expect` gives 0 and *reply owns its memory (proto_msg_free).
 * An error reply gives -1 with err->code = the coordinator's code and its message
 * prefixed by "coordinator <address>: ". Any other failure gives -1 with an AL_E_*
 * code. Progress events received meanwhile are queued. */
int alc_request(al_client *c, proto_msg *req, proto_msg_type expect, proto_msg *reply, al_err *err);

/* Reads the next frame that is not the reply to anything, waiting until deadline
 * (monotonic seconds; < 0 = forever). Returns 1 with *m owned by the caller, 0 on
 * timeout, -1 on error (connection marked broken). */
int alc_read_message(al_client *c, double deadline, proto_msg *m, al_err *err);

/* Queue of progress events (oldest dropped when full). Takes ownership of *j's
 * contents and zeroes *j. */
void alc_event_push(al_client *c, al_job *j);
/* Pops the oldest event into *out; returns 0 when the queue is empty. */
int alc_event_pop(al_client *c, al_job *out);

/* Conversions from decoded messages to the public structs (deep copies). */
void alc_job_from_summary(al_job *out, const proto_job_summary *s);
char *alc_strdup_or_null(const char *s);

#endif
