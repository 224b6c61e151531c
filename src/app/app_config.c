/* Config -> component options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

void app_coord_options(const cfg_config *cfg, coord_options *o) { coord_options_from_config(o, cfg); }

void app_worker_options(const cfg_config *cfg, const char *worker_id, const char *host, int port, uint32_t slots,
                        worker_options *o) {
  memset(o, 0, sizeof *o);
  o->worker_id = worker_id;
  o->host = host;
  o->port = port;
  if (slots == 0) slots = cfg->nworkers > 0 && cfg->workers[0].num_processes > 0 ? (uint32_t)cfg->workers[0].num_processes : 4;
  o->slots = slots;
  o->heartbeat_interval_s = cfg->coordinator.heartbeat_interval;
  o->auth_token = cfg->coordinator.auth_token;
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
    if (!close) return al_err_set(err, 1, "bad address '%s': missing ']' after an IPv6 address", text);
    hlen = (size_t)(close - text - 1);
    memcpy(host, text + 1, hlen < cap ? hlen : cap - 1);
    colon = close[1] == ':' ? close + 1 : NULL;
    if (close[1] && close[1] != ':') return al_err_set(err, 1, "bad address '%s': expected ':' after ']'", text);
  } else {
    colon = strrchr(text, ':');
    if (colon && strchr(text, ':') != colon) colon = NULL; /* bare IPv6 without brackets */
    hlen = colon ? (size_t)(colon - text) : strlen(text);
    memcpy(host, text, hlen < cap ? hlen : cap - 1);
  }
  host[hlen < cap ? hlen : cap - 1] = '\0';
  if (!host[0]) return al_err_set(err, 1, "bad address '%s': empty host", text);
  if (!colon) {
    if (default_port <= 0) return al_err_set(err, 1, "bad address '%s': expected HOST:PORT", text);
    *port = default_port;
    return 0;
  }
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || *end || p < 1 || p > 65535)
    return al_err_set(err, 1, "bad address '%s': port must be 1-65535", text);
  *port = (int)p;
  return 0;
}

int app_open_store(uv_loop_t *loop, const cfg_config *cfg, store **out, al_err *err) {
  (void)loop;
  *out = NULL;
  if (cfg->coordinator.state_store_type == CFG_STORE_MEMORY) return 0;
  return al_err_set(err, 1,
                    "state_store_type 'redis' needs the Redis store, which this build does not include; "
                    "use state_store_type: memory");
}

int app_recover(coord_server *srv, store *st, al_err *err) {
  (void)srv;
  (void)st;
  (void)err;
  return 0;
}
