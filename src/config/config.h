/* Configuration: the original's YAML schema (sections coordinator, workers, job) plus
 * the keys our design adds, loaded with libyaml and validated strictly. Every key, its
 * type, default and meaning is documented in docs/CONFIGURATION.md. Prefix: cfg_.
 *
 *   cfg_config cfg;
 *   al_err err;
 *   if (cfg_load("configs/distributed.yaml", &cfg, &err) != 0) {
 *     fprintf(stderr, "%s\n", err.msg);      // "FILE:LINE:COL: key 'x.y': expected ..."
 *     return 1;                               // nothing starts
 *   }
 *   if (cfg_set(&cfg, "coordinator.port", "9000", &err) != 0) ...   // CLI flags
 *   ... use cfg.coordinator.port ...
 *   cfg_free(&cfg);
 *
 * Precedence: command-line flags (cfg_set) > environment (AURALITH_AUTH_TOKEN) > file >
 * defaults. */
#ifndef AL_CONFIG_CONFIG_H
#define AL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/al.h"

/* al_err codes set by this module. */
enum {
  CFG_ERR_NOT_FOUND = AL_E_CONFIG_NOT_FOUND, /* the file does not exist */
  CFG_ERR_IO = AL_E_CONFIG_IO,               /* it exists but cannot be read (or is too large) */
  CFG_ERR_SYNTAX = AL_E_CONFIG_SYNTAX,       /* not well-formed YAML, or YAML features we reject */
  CFG_ERR_SCHEMA = AL_E_CONFIG_SCHEMA,       /* unknown or duplicate key, wrong type, value out of range */
};

/* Largest config file accepted; configs are a few KiB, this only bounds memory. */
#define CFG_MAX_FILE_BYTES (4u * 1024u * 1024u)
/* Deepest nesting of mappings/sequences accepted (the schema needs 4). */
#define CFG_MAX_DEPTH 64
/* Value of a nullable integer key (workers[].cpu_cores, memory_gb) that is null. */
#define CFG_INT_NULL ((int64_t)-1)
/* Environment variable that overrides coordinator.auth_token when set and non-empty. */
#define CFG_ENV_AUTH_TOKEN "AURALITH_AUTH_TOKEN"
/* Environment variables that override the per-role secrets (docs/SECURITY.md). */
#define CFG_ENV_WORKER_TOKEN "AURALITH_WORKER_TOKEN"
#define CFG_ENV_CLIENT_TOKEN "AURALITH_CLIENT_TOKEN"
#define CFG_ENV_ADMIN_TOKEN "AURALITH_ADMIN_TOKEN"

typedef enum { CFG_STORE_REDIS = 0, CFG_STORE_MEMORY = 1 } cfg_store_type;
typedef enum {
  CFG_STRATEGY_ROUND_ROBIN = 0,
  CFG_STRATEGY_LEAST_BUSY = 1,
  CFG_STRATEGY_DYNAMIC = 2,
} cfg_strategy;

/* Durations are seconds as doubles: the original's files use integers, tests and
 * operators may use fractions (heartbeat_timeout: 0.5). Sizes are bytes. Strings are
 * NUL-terminated UTF-8 owned by the cfg_config; NULL means YAML null where allowed. */
typedef struct cfg_coordinator {
  /* ---- the original's CoordinatorConfig ---- */
  char *host;                     /* listen address */
  int64_t port;                   /* listen port 1-65535 */
  cfg_store_type state_store_type;
  char *state_store_host;
  int64_t state_store_port;
  int64_t state_store_db;
  char *state_store_password;     /* NULL = no AUTH */
  char *state_store_username;     /* Redis 6 ACL user (AUTH user password); NULL = default user */
  double heartbeat_interval;
  double heartbeat_timeout;       /* > heartbeat_interval */
  int64_t max_retries;            /* effective; job.max_task_retries is its alias */
  double retry_backoff;
  double task_timeout;
  bool enable_checkpointing;
  double checkpoint_interval;
  char *checkpoint_dir;
  int64_t keep_last_n_checkpoints;
  /* ---- keys our design adds ---- */
  cfg_strategy strategy;
  char *auth_token;               /* NULL = no token; AURALITH_AUTH_TOKEN overrides */
  /* TLS (docs/SECURITY.md). The coordinator serves TLS when tls_cert/tls_key are set;
   * its peers (worker, submit-job --external) speak TLS when tls_ca is set. */
  char *tls_cert;                 /* coordinator: PEM certificate (chain); NULL = plaintext */
  char *tls_key;                  /* coordinator: PEM private key of tls_cert */
  char *tls_ca;                   /* peers: CA of the coordinator's cert; coordinator: CA of client certs */
  bool tls_require_client_cert;   /* coordinator: every peer presents a cert signed by tls_ca */
  char *tls_server_name;          /* peers: name/IP the coordinator's cert must carry; NULL = the host */
  char *tls_client_cert;          /* peers: client certificate to present; NULL = none */
  char *tls_client_key;           /* peers: its private key */
  double retry_backoff_multiplier;/* effective; job.retry_backoff_multiplier alias */
  double max_retry_backoff;       /* effective; job.max_retry_backoff alias */
  int64_t prefetch;               /* tasks per worker beyond its slots */
  int64_t max_frame_bytes;
  int64_t output_buffer_soft_limit; /* <= hard limit */
  int64_t output_buffer_hard_limit; /* >= max_frame_bytes */
  char *state_store_key_prefix;   /* "" = the original's bare key names */
  double state_store_connect_timeout;
  double state_store_command_timeout;
  double retention;               /* seconds finished jobs are kept; 0 = forever */
  int64_t redis_buffer_limit;     /* bytes buffered while Redis is unreachable */
  char *worker_output_root;       /* NULL = workers may write anywhere */
  /* ---- access control and limits (docs/SECURITY.md) ---- */
  char *worker_token;             /* NULL = auth_token; AURALITH_WORKER_TOKEN overrides */
  char *client_token;             /* NULL = auth_token; AURALITH_CLIENT_TOKEN overrides */
  char *admin_token;              /* NULL = auth_token; AURALITH_ADMIN_TOKEN overrides */
  char *worker_input_roots;       /* ':'-separated directories workers may read; NULL = any */
  double client_idle_timeout;     /* client/admin connections idle this long are closed; 0 = never */
  double lease_ttl;               /* keyspace lease time to live (Redis); a standby takes over after it */
  int64_t max_connections_per_peer;
  int64_t max_unauthenticated_bytes; /* input buffers of connections owing their hello */
  int64_t max_unsealed_jobs_per_connection;
  int64_t max_unsealed_jobs;
} cfg_coordinator;

typedef struct cfg_pool {
  char *name;                     /* required, unique among pools */
  char **worker_ids;              /* nworker_ids strings; unique across all pools */
  size_t nworker_ids;
  int64_t batch_size;
  int64_t num_processes;
  int64_t cpu_cores;              /* CFG_INT_NULL = null */
  int64_t memory_gb;              /* CFG_INT_NULL = null */
  int64_t gpu_count;
  char *cache_dir;
  int64_t max_cache_size_gb;
  bool cleanup_on_exit;
} cfg_pool;

typedef struct cfg_job {
  /* ---- the original's JobConfig ---- */
  char *name;
  char *coordinator_host;
  int64_t coordinator_port;
  int64_t num_workers;
  double timeout;
  bool enable_monitoring;
  int64_t monitoring_port;
  int64_t max_task_retries;         /* mirror of coordinator.max_retries */
  double retry_backoff_multiplier;  /* mirror of coordinator.retry_backoff_multiplier */
  double max_retry_backoff;         /* mirror of coordinator.max_retry_backoff */
  char *output_dir;
  bool checkpoint_enabled;
  /* ---- keys our design adds ---- */
  int64_t files_per_task;
  int64_t max_seq_len;
  int64_t shard_size;
  char *input_dir;                  /* NULL = must come from the command line */
  char *tokenizers_dir;             /* NULL = must come from the command line */
  int verify_shards;                /* CFG_VERIFY_HEADER or CFG_VERIFY_SHA256 */
  int long_documents;               /* 0 truncate (the original's rows), 1 split */
  int packing;                      /* 0 none, 1 greedy */
  bool detect_text;                 /* extensionless text files (well-known names, sniffed content) */
  char *jsonl_field;                /* JSON Lines field holding the text ("text") */
} cfg_job;

enum { CFG_VERIFY_HEADER = 0, CFG_VERIFY_SHA256 = 1 };

typedef struct cfg_config {
  cfg_coordinator coordinator;
  cfg_pool *workers;                /* nworkers pools */
  size_t nworkers;
  cfg_job job;
  uint64_t set_mask_[2];            /* private: which section keys were given */
} cfg_config;

/* Fills *cfg with the defaults (no environment). *cfg is treated as uninitialised; the
 * result owns heap strings and must be released with cfg_free. */
void cfg_defaults(cfg_config *cfg);

/* Releases everything *cfg owns and zeroes it. Safe on a zeroed struct and twice. */
void cfg_free(cfg_config *cfg);

/* Deep copy; *dst is treated as uninitialised and must be released with cfg_free. */
void cfg_copy(cfg_config *dst, const cfg_config *src);

/* Loads path. *out is treated as uninitialised. On success returns 0 and *out holds
 * the file's values over the defaults, then AURALITH_AUTH_TOKEN (cfg_apply_env); the
 * caller releases it with cfg_free. On failure returns -1, err names the path (and
 * line, column, key, expectation) and *out is zeroed: it owns nothing, and cfg_free on
 * it is allowed but not needed. An empty file (or one holding only comments or null)
 * gives the defaults. */
int cfg_load(const char *path, cfg_config *out, al_err *err);

/* Same as cfg_load on an in-memory document; name stands for the file in messages.
 * data need not be NUL-terminated. */
int cfg_load_string(const char *name, const void *data, size_t len, cfg_config *out,
                    al_err *err);

/* Applies the environment: AURALITH_AUTH_TOKEN (when set and non-empty) replaces
 * coordinator.auth_token. cfg_load calls it; callers without a file call it after
 * cfg_defaults. */
void cfg_apply_env(cfg_config *cfg);

/* The secret a peer of this role presents: the role's own token, else auth_token, else
 * NULL. Borrowed from cfg. */
typedef enum { CFG_ROLE_WORKER, CFG_ROLE_CLIENT, CFG_ROLE_ADMIN } cfg_role;
const char *cfg_role_token(const cfg_config *cfg, cfg_role role);

/* Sets one key from command-line text, with the same validation and messages as the
 * file (without the FILE:LINE:COLUMN part): "key 'coordinator.port': expected an
 * integer 1-65535, got '-1'". key is a dotted path: "coordinator.port", "job.timeout",
 * "workers[0].num_processes" (the pool must exist). Non-string values are read as YAML
 * plain scalars (true/yes/on, null/~, 10, 0.5, 16MiB); string keys take value as it
 * is. value NULL sets a nullable key to null. A list key (worker_ids) takes a
 * comma-separated list. On failure returns -1 and *cfg is unchanged. */
int cfg_set(cfg_config *cfg, const char *key, const char *value, al_err *err);

/* True when the key (dotted path of a coordinator.* or job.* key) was given by the
 * file, the environment or cfg_set rather than left at its default. */
bool cfg_is_set(const cfg_config *cfg, const char *key);

/* Writes the effective configuration as YAML that cfg_load accepts again and that
 * loads to the same values. Secrets (state_store_password, auth_token) are written as
 * they are unless redact_secrets, which writes "<redacted>" instead. */
void cfg_print_yaml(const cfg_config *cfg, FILE *out);
void cfg_print_yaml_opts(const cfg_config *cfg, FILE *out, bool redact_secrets);

/* The effective configuration as a compact JSON object {"coordinator": {...},
 * "workers": [{...}, ...], "job": {...}} with every key of cfg_print_yaml (integers as
 * integers, durations as reals, null where YAML has null). Secrets are "<redacted>"
 * when redact_secrets. Returns a NUL-terminated heap string the caller frees with
 * free(). */
char *cfg_to_json(const cfg_config *cfg, bool redact_secrets);

/* The pool whose worker_ids lists worker_id, or NULL. Borrowed from cfg. */
const cfg_pool *cfg_find_pool(const cfg_config *cfg, const char *worker_id);

/* Names used in YAML for the enums (static strings). */
const char *cfg_store_type_name(cfg_store_type t);
const char *cfg_strategy_name(cfg_strategy s);
/* Parses "round_robin" | "least_busy" | "dynamic"; returns -1 when unknown. */
int cfg_strategy_parse(const char *s);

#endif
