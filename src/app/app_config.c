/* Config -> component options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "coord/coord_archive.h"
#include "coord/coord_recover.h"
#include "store/store_redis.h"

void app_worker_options(const cfg_config *cfg, const char *worker_id, const char *host, int port, uint32_t slots,
                        worker_options *o) {
  memset(o, 0, sizeof *o);
  o->worker_id = worker_id;
  o->host = host;
  o->port = port;
  if (slots == 0) slots = cfg->nworkers > 0 && cfg->workers[0].num_processes > 0 ? (uint32_t)cfg->workers[0].num_processes : 4;
  o->slots = slots;
  o->heartbeat_interval_s = cfg->coordinator.heartbeat_interval;
  o->auth_token = cfg_role_token(cfg, CFG_ROLE_WORKER);
  o->input_roots = cfg->coordinator.worker_input_roots;
  o->tls_ca = cfg->coordinator.tls_ca;
  o->tls_server_name = cfg->coordinator.tls_server_name;
  o->tls_cert = cfg->coordinator.tls_client_cert;
  o->tls_key = cfg->coordinator.tls_client_key;
  o->output_root = cfg->coordinator.worker_output_root;
  o->max_frame = (size_t)cfg->coordinator.max_frame_bytes;
  o->reconnect = 1;
  o->reconnect_min_s = 0.2;
  o->reconnect_max_s = 10;
}

int app_parse_hostport(const char *text, int default_port, char *host, size_t cap, int *port, al_err *err) {
  const char *colon;
  size_t hlen;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close) return al_err_set(err, AL_E_FAILED, "bad address '%s': missing ']' after an IPv6 address", text);
    hlen = (size_t)(close - text - 1);
    memcpy(host, text + 1, hlen < cap ? hlen : cap - 1);
    colon = close[1] == ':' ? close + 1 : NULL;
    if (close[1] && close[1] != ':') return al_err_set(err, AL_E_FAILED, "bad address '%s': expected ':' after ']'", text);
  } else {
    colon = strrchr(text, ':');
    if (colon && strchr(text, ':') != colon) colon = NULL; /* bare IPv6 without brackets */
    hlen = colon ? (size_t)(colon - text) : strlen(text);
    memcpy(host, text, hlen < cap ? hlen : cap - 1);
  }
  host[hlen < cap ? hlen : cap - 1] = '\0';
  if (!host[0]) return al_err_set(err, AL_E_FAILED, "bad address '%s': empty host", text);
  if (!colon) {
    if (default_port <= 0) return al_err_set(err, AL_E_FAILED, "bad address '%s': expected HOST:PORT", text);
    *port = default_port;
    return 0;
  }
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || *end || p < 1 || p > 65535)
    return al_err_set(err, AL_E_FAILED, "bad address '%s': port must be 1-65535", text);
  *port = (int)p;
  return 0;
}

int app_open_store(uv_loop_t *loop, const cfg_config *cfg, store **out, al_err *err) {
  *out = NULL;
  if (cfg->coordinator.state_store_type == CFG_STORE_MEMORY) return 0;
  store_redis_options o;
  store_redis_options_from_config(&o, &cfg->coordinator);
  store *st = store_redis_new(loop, &o, err);
  if (!st) return -1;
  if (store_redis_probe(st, err) != 0) {
    store_destroy(st);
    uv_run(loop, UV_RUN_DEFAULT);
    return -1;
  }
  *out = st;
  return 0;
}

static void on_store_writable(void *ud, int writable) {
  /* dispatch held while Redis was behind: look at the pending queue again */
  if (writable) coord_jm_on_timer(ud);
}

int app_recover(uv_loop_t *loop, coord_server *srv, store *st, al_err *err) {
  if (!st) return 0;
  coord_jm *jm = coord_server_jm(srv);
  coord_persist *ps = coord_server_persist(srv);
  if (!ps) return 0; /* the server keeps nothing in the store */
  if (strcmp(st->ops->name, "redis") == 0) store_redis_on_writable(st, on_store_writable, jm);
  if (coord_recover_run(loop, jm, ps, NULL, err) != 0) return -1;
  return coord_archive_load(loop, ps, jm, coord_server_archive(srv), err);
}
