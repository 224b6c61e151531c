/* Progress events: subscribing, the bounded queue of events that arrived while a
 * request waited for its reply, and waiting for the next one. */
#include <string.h>

#include "client/alc_internal.h"

void alc_event_push(al_client *c, al_job *j) {
  if (c->ev_count == AL_MAX_PENDING_EVENTS) { /* full: the oldest snapshot is stale anyway */
    al_job_free(&c->events[c->ev_head]);
    c->ev_head = (c->ev_head + 1) % AL_MAX_PENDING_EVENTS;
    c->ev_count--;
  }
  size_t at = (c->ev_head + c->ev_count) % AL_MAX_PENDING_EVENTS;
  c->events[at] = *j;
  memset(j, 0, sizeof *j);
  c->ev_count++;
}

int alc_event_pop(al_client *c, al_job *out) {
  if (c->ev_count == 0) return 0;
  *out = c->events[c->ev_head];
  memset(&c->events[c->ev_head], 0, sizeof c->events[0]);
  c->ev_head = (c->ev_head + 1) % AL_MAX_PENDING_EVENTS;
  c->ev_count--;
  return 1;
}

int al_subscribe(al_client *c, const char *job_id, al_job *snapshot, al_err *err) {
  if (snapshot) memset(snapshot, 0, sizeof *snapshot);
  if (!job_id || !*job_id) return al_err_set(err, AL_E_ARG, "no job id given");
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_SUBSCRIBE;
  req.u.subscribe.job_id = job_id;
  if (alc_request(c, &req, PROTO_MSG_PROGRESS, &rep, err) != 0) {
    if (err && err->code == AL_E_NOT_FOUND) al_err_set(err, AL_E_NOT_FOUND, "job not found: %s", job_id);
    return -1;
  }
  if (snapshot) alc_job_from_summary(snapshot, &rep.u.progress);
  proto_msg_free(&rep);
  return 0;
}

int al_next_event(al_client *c, double timeout_s, al_job *out, al_err *err) {
  memset(out, 0, sizeof *out);
  if (!c) return al_err_set(err, AL_E_ARG, "no client");
  if (alc_event_pop(c, out)) return 1;
  double deadline = timeout_s < 0 ? -1.0 : al_mono_s() + timeout_s;
  for (;;) {
    proto_msg m;
    int r = alc_read_message(c, deadline, &m, err);
    if (r <= 0) return r;
    if (m.type == PROTO_MSG_PROGRESS) {
      alc_job_from_summary(out, &m.u.progress);
      proto_msg_free(&m);
      return 1;
    }
    proto_msg_free(&m); /* a late reply to a request that timed out */
  }
}
