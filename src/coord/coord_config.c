/* Maps the YAML configuration (cfg_config) onto coordinator options, so the
 * `coordinator` command and embedded mode read the same keys the same way. */
#include "config/config.h"
#include "coord/coord_server.h"

void coord_options_from_config(coord_options *o, const cfg_config *cfg) {
  const cfg_coordinator *c = &cfg->coordinator;
  coord_options_default(o);
  o->host = c->host;
  o->port = (int)c->port;
  o->auth_token = c->auth_token;
  o->tls_cert = c->tls_cert;
  o->tls_key = c->tls_key;
  o->tls_ca = c->tls_ca;
  o->tls_require_client_cert = c->tls_require_client_cert;
  o->worker_token = c->worker_token;
  o->client_token = c->client_token;
  o->admin_token = c->admin_token;
  o->client_idle_timeout_s = c->client_idle_timeout;
  o->max_conns_per_peer = (size_t)c->max_connections_per_peer;
  o->max_unauth_bytes = (size_t)c->max_unauthenticated_bytes;
  o->max_unsealed_per_conn = (size_t)c->max_unsealed_jobs_per_connection;
  o->max_unsealed = (size_t)c->max_unsealed_jobs;
  o->output_root = c->worker_output_root;
  o->max_frame = c->max_frame_bytes > 0 ? (size_t)c->max_frame_bytes : 0;
  o->out_soft_limit = c->output_buffer_soft_limit > 0 ? (size_t)c->output_buffer_soft_limit : 0;
  o->out_hard_limit = c->output_buffer_hard_limit > 0 ? (size_t)c->output_buffer_hard_limit : 0;
  o->jm.heartbeat_interval = c->heartbeat_interval;
  o->jm.heartbeat_timeout = c->heartbeat_timeout;
  o->jm.max_retries = (int)c->max_retries;
  o->jm.retry_backoff = c->retry_backoff;
  o->jm.retry_backoff_multiplier = c->retry_backoff_multiplier;
  o->jm.max_retry_backoff = c->max_retry_backoff;
  o->jm.task_timeout = c->task_timeout;
  o->jm.retention = c->retention;
  o->jm.prefetch = c->prefetch >= 0 ? (int)c->prefetch : 2;
  o->jm.strategy = c->strategy == CFG_STRATEGY_LEAST_BUSY ? COORD_STRATEGY_LEAST_BUSY
                   : c->strategy == CFG_STRATEGY_DYNAMIC  ? COORD_STRATEGY_DYNAMIC
                                                          : COORD_STRATEGY_ROUND_ROBIN;
}
