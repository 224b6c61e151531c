/* The schema: every key of every section, its type, range and flags, in the order
 * cfg_print_yaml writes them. Defaults live in cfg_defaults (defaults.c). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

static const char *const store_names[] = {"redis", "memory", NULL};
static const char *const strategy_names[] = {"round_robin", "least_busy", "dynamic", NULL};
static const char *const verify_names[] = {"header", "sha256", NULL};
/* Values in the order of shard_long_mode / shard_pack_mode (src/shard/rows.h). */
static const char *const long_doc_names[] = {"truncate", "split", NULL};
static const char *const packing_names[] = {"none", "greedy", NULL};

const char *const cfg_section_names[3] = {"coordinator", "workers", "job"};

#define I32MAX 2147483647
#define KIB 1024LL
#define MIB (1024LL * 1024LL)
#define GIB (1024LL * 1024LL * 1024LL)
#define ORIG CFG_F_ORIGINAL

#define C(n, k, lo, hi, f) {CFG_SEC_COORD, #n, k, offsetof(cfg_coordinator, n), lo, hi, f, NULL}
#define CE(n, f, names) {CFG_SEC_COORD, #n, CFG_K_ENUM, offsetof(cfg_coordinator, n), 0, 0, f, names}
#define P(n, k, lo, hi, f) {CFG_SEC_POOL, #n, k, offsetof(cfg_pool, n), lo, hi, f, NULL}
#define J(n, k, lo, hi, f) {CFG_SEC_JOB, #n, k, offsetof(cfg_job, n), lo, hi, f, NULL}
#define JE(n, f, names) {CFG_SEC_JOB, #n, CFG_K_ENUM, offsetof(cfg_job, n), 0, 0, f, names}

const cfg_key cfg_keys[] = {
    /* coordinator: the original's keys */
    C(host, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    C(port, CFG_K_INT, 1, 65535, ORIG),
    CE(state_store_type, ORIG, store_names),
    C(state_store_host, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    C(state_store_port, CFG_K_INT, 1, 65535, ORIG),
    C(state_store_db, CFG_K_INT, 0, I32MAX, ORIG),
    C(state_store_password, CFG_K_STR, 0, 0, ORIG | CFG_F_NULLABLE | CFG_F_SECRET),
    C(state_store_username, CFG_K_STR, 0, 0, CFG_F_NULLABLE),
    C(heartbeat_interval, CFG_K_SECONDS, 0, 0, ORIG),
    C(heartbeat_timeout, CFG_K_SECONDS, 0, 0, ORIG),
    C(max_retries, CFG_K_INT, 0, 1000000, ORIG),
    C(retry_backoff, CFG_K_SECONDS, 0, 0, ORIG | CFG_F_ZERO_OK),
    C(task_timeout, CFG_K_SECONDS, 0, 0, ORIG),
    C(enable_checkpointing, CFG_K_BOOL, 0, 0, ORIG),
    C(checkpoint_interval, CFG_K_SECONDS, 0, 0, ORIG),
    C(checkpoint_dir, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    C(keep_last_n_checkpoints, CFG_K_INT, 0, 1000000, ORIG),
    /* coordinator: keys our design adds */
    CE(strategy, 0, strategy_names),
    C(auth_token, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_SECRET | CFG_F_NONEMPTY),
    /* coordinator: TLS (docs/SECURITY.md) */
    C(tls_cert, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(tls_key, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(tls_ca, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(tls_require_client_cert, CFG_K_BOOL, 0, 0, 0),
    C(tls_server_name, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(tls_client_cert, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(tls_client_key, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(retry_backoff_multiplier, CFG_K_FACTOR, 0, 0, 0),
    C(max_retry_backoff, CFG_K_SECONDS, 0, 0, CFG_F_ZERO_OK),
    C(prefetch, CFG_K_INT, 0, 1024, 0),
    C(max_frame_bytes, CFG_K_SIZE, 4 * KIB, 1 * GIB, 0),
    C(output_buffer_soft_limit, CFG_K_SIZE, 4 * KIB, 64 * GIB, 0),
    C(output_buffer_hard_limit, CFG_K_SIZE, 4 * KIB, 64 * GIB, 0),
    C(state_store_key_prefix, CFG_K_STR, 0, 0, 0),
    C(state_store_connect_timeout, CFG_K_SECONDS, 0, 0, 0),
    C(state_store_command_timeout, CFG_K_SECONDS, 0, 0, 0),
    C(retention, CFG_K_SECONDS, 0, 0, CFG_F_ZERO_OK),
    C(redis_buffer_limit, CFG_K_SIZE, 64 * KIB, 64 * GIB, 0),
    C(worker_output_root, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    /* coordinator: access control and limits (docs/SECURITY.md) */
    C(worker_token, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_SECRET | CFG_F_NONEMPTY),
    C(client_token, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_SECRET | CFG_F_NONEMPTY),
    C(admin_token, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_SECRET | CFG_F_NONEMPTY),
    C(worker_input_roots, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    C(client_idle_timeout, CFG_K_SECONDS, 0, 0, CFG_F_ZERO_OK),
    C(lease_ttl, CFG_K_SECONDS, 0, 0, 0),
    C(max_connections_per_peer, CFG_K_INT, 1, 1000000, 0),
    C(max_unauthenticated_bytes, CFG_K_SIZE, 64 * KIB, 64 * GIB, 0),
    C(max_unsealed_jobs_per_connection, CFG_K_INT, 1, 1000000, 0),
    C(max_unsealed_jobs, CFG_K_INT, 1, 100000000, 0),
    /* workers[]: the original's WorkerPoolConfig */
    P(name, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    P(worker_ids, CFG_K_STRLIST, 0, 0, ORIG),
    P(batch_size, CFG_K_INT, 1, I32MAX, ORIG),
    P(num_processes, CFG_K_INT, 1, 4096, ORIG),
    P(cpu_cores, CFG_K_INT, 1, 65536, ORIG | CFG_F_NULLABLE),
    P(memory_gb, CFG_K_INT, 1, I32MAX, ORIG | CFG_F_NULLABLE),
    P(gpu_count, CFG_K_INT, 0, 1024, ORIG),
    P(cache_dir, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    P(max_cache_size_gb, CFG_K_INT, 0, I32MAX, ORIG),
    P(cleanup_on_exit, CFG_K_BOOL, 0, 0, ORIG),
    /* job: the original's JobConfig */
    J(name, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    J(coordinator_host, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    J(coordinator_port, CFG_K_INT, 1, 65535, ORIG),
    J(num_workers, CFG_K_INT, 1, 4096, ORIG),
    J(timeout, CFG_K_SECONDS, 0, 0, ORIG),
    J(enable_monitoring, CFG_K_BOOL, 0, 0, ORIG),
    J(monitoring_port, CFG_K_INT, 1, 65535, ORIG),
    J(max_task_retries, CFG_K_INT, 0, 1000000, ORIG | CFG_F_ALIAS),
    J(retry_backoff_multiplier, CFG_K_FACTOR, 0, 0, ORIG | CFG_F_ALIAS),
    J(max_retry_backoff, CFG_K_SECONDS, 0, 0, ORIG | CFG_F_ALIAS | CFG_F_ZERO_OK),
    J(output_dir, CFG_K_STR, 0, 0, ORIG | CFG_F_NONEMPTY),
    J(checkpoint_enabled, CFG_K_BOOL, 0, 0, ORIG),
    /* job: keys our design adds */
    J(files_per_task, CFG_K_INT, 1, 1000000, 0),
    J(max_seq_len, CFG_K_INT, 1, 1048576, 0),
    J(shard_size, CFG_K_INT, 1, 100000000, 0),
    J(input_dir, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    J(tokenizers_dir, CFG_K_STR, 0, 0, CFG_F_NULLABLE | CFG_F_NONEMPTY),
    JE(verify_shards, 0, verify_names),
    JE(long_documents, 0, long_doc_names),
    JE(packing, 0, packing_names),
    J(detect_text, CFG_K_BOOL, 0, 0, 0),
    J(jsonl_field, CFG_K_STR, 0, 0, CFG_F_NONEMPTY),
};
const size_t cfg_nkeys = AL_ARRAY_LEN(cfg_keys);

_Static_assert(AL_ARRAY_LEN(cfg_keys) <= 128, "set_mask_ holds 128 bits");
/* CFG_K_STRLIST fields are a pointer followed by its count. */
_Static_assert(offsetof(cfg_pool, nworker_ids) == offsetof(cfg_pool, worker_ids) + sizeof(char **),
               "worker_ids count must follow the pointer");

const char *cfg_store_type_name(cfg_store_type t) {
  return (unsigned)t < 2 ? store_names[t] : "?";
}
const char *cfg_strategy_name(cfg_strategy s) {
  return (unsigned)s < 3 ? strategy_names[s] : "?";
}
int cfg_strategy_parse(const char *s) {
  for (int i = 0; strategy_names[i]; i++)
    if (strcmp(strategy_names[i], s) == 0) return i;
  return -1;
}

int cfg_key_find(cfg_section sec, const char *name, size_t len) {
  for (size_t i = 0; i < cfg_nkeys; i++)
    if (cfg_keys[i].section == sec && strlen(cfg_keys[i].name) == len &&
        memcmp(cfg_keys[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

/* Edit distance counting a swap of neighbours as one edit ("prot" -> "port"). Key
 * names are short; longer inputs are never close. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb) {
  enum { W = 48 };
  size_t d[W + 1][W + 1]; /* 19 KiB of stack; keeps this reentrant */
  if (la > W || lb > W) return 99;
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *cfg_key_suggest(cfg_section sec, const char *name, size_t len) {
  const char *best = NULL;
  size_t best_d = 3; /* more than 2 edits is not a typo */
  for (size_t i = 0; i < cfg_nkeys; i++) {
    if (cfg_keys[i].section != sec) continue;
    size_t kl = strlen(cfg_keys[i].name);
    size_t dist = edit_distance(name, len, cfg_keys[i].name, kl);
    if (dist < best_d && dist * 2 < kl) {
      best_d = dist;
      best = cfg_keys[i].name;
    }
  }
  return best;
}

static void size_text(int64_t v, char *buf, size_t cap) {
  if (v % GIB == 0) snprintf(buf, cap, "%lldGiB", (long long)(v / GIB));
  else if (v % MIB == 0) snprintf(buf, cap, "%lldMiB", (long long)(v / MIB));
  else if (v % KIB == 0) snprintf(buf, cap, "%lldKiB", (long long)(v / KIB));
  else snprintf(buf, cap, "%lld", (long long)v);
}

void cfg_key_expect(const cfg_key *k, char *buf, size_t cap) {
  const char *orn = (k->flags & CFG_F_NULLABLE) ? " or null" : "";
  switch (k->kind) {
  case CFG_K_INT:
    snprintf(buf, cap, "an integer %lld-%lld%s", (long long)k->imin, (long long)k->imax, orn);
    return;
  case CFG_K_SIZE: {
    char lo[32], hi[32];
    size_text(k->imin, lo, sizeof lo);
    size_text(k->imax, hi, sizeof hi);
    snprintf(buf, cap, "a size in bytes %s-%s (an integer or e.g. 16MiB)", lo, hi);
    return;
  }
  case CFG_K_SECONDS:
    snprintf(buf, cap, "a number of seconds %s 0 (at most 1e9)",
             (k->flags & CFG_F_ZERO_OK) ? ">=" : ">");
    return;
  case CFG_K_FACTOR:
    snprintf(buf, cap, "a number 1-1000");
    return;
  case CFG_K_BOOL:
    snprintf(buf, cap, "a boolean (true/false/yes/no)");
    return;
  case CFG_K_STR:
    snprintf(buf, cap, "a %sUTF-8 string%s", (k->flags & CFG_F_NONEMPTY) ? "non-empty " : "",
             orn);
    return;
  case CFG_K_STRLIST:
    snprintf(buf, cap, "a list of non-empty strings");
    return;
  case CFG_K_ENUM: {
    size_t n = (size_t)snprintf(buf, cap, "one of");
    for (int i = 0; k->enum_names[i] && n < cap; i++)
      n += (size_t)snprintf(buf + n, cap - n, "%s %s", i ? "," : "", k->enum_names[i]);
    return;
  }
  }
}

void *cfg_key_field(const cfg_key *k, void *section_base) {
  return (char *)section_base + k->off;
}

void *cfg_section_base(cfg_config *cfg, cfg_section sec, size_t pool) {
  switch (sec) {
  case CFG_SEC_COORD: return &cfg->coordinator;
  case CFG_SEC_JOB: return &cfg->job;
  case CFG_SEC_POOL: return pool < cfg->nworkers ? &cfg->workers[pool] : NULL;
  }
  return NULL;
}

void cfg_mark_set(cfg_config *cfg, size_t i) {
  cfg->set_mask_[i / 64] |= (uint64_t)1 << (i % 64);
}

bool cfg_mark_is_set(const cfg_config *cfg, size_t i) {
  return (cfg->set_mask_[i / 64] >> (i % 64)) & 1u;
}

bool cfg_is_set(const cfg_config *cfg, const char *key) {
  const char *dot = strchr(key, '.');
  if (!dot) return false;
  cfg_section sec;
  size_t sl = (size_t)(dot - key);
  if (sl == 11 && memcmp(key, "coordinator", 11) == 0) sec = CFG_SEC_COORD;
  else if (sl == 3 && memcmp(key, "job", 3) == 0) sec = CFG_SEC_JOB;
  else return false;
  int i = cfg_key_find(sec, dot + 1, strlen(dot + 1));
  return i >= 0 && cfg_mark_is_set(cfg, (size_t)i);
}

static size_t key_index(cfg_section sec, const char *name) {
  int i = cfg_key_find(sec, name, strlen(name));
  return (size_t)i; /* names below are in the table */
}

void cfg_resolve_aliases(cfg_config *cfg) {
  cfg_coordinator *c = &cfg->coordinator;
  cfg_job *j = &cfg->job;
  /* The coordinator section configures the scheduler, so it wins; the job section's
   * copies are the original's (unused) spelling and apply only when the coordinator
   * does not give the key. */
  bool cs = cfg_mark_is_set(cfg, key_index(CFG_SEC_COORD, "max_retries"));
  bool js = cfg_mark_is_set(cfg, key_index(CFG_SEC_JOB, "max_task_retries"));
  if (cs && js && c->max_retries != j->max_task_retries)
    al_warn("config: job.max_task_retries (%lld) ignored: coordinator.max_retries (%lld) wins",
            (long long)j->max_task_retries, (long long)c->max_retries);
  if (!cs && js) c->max_retries = j->max_task_retries;
  j->max_task_retries = c->max_retries;

  cs = cfg_mark_is_set(cfg, key_index(CFG_SEC_COORD, "retry_backoff_multiplier"));
  js = cfg_mark_is_set(cfg, key_index(CFG_SEC_JOB, "retry_backoff_multiplier"));
  if (cs && js && c->retry_backoff_multiplier != j->retry_backoff_multiplier)
    al_warn("config: job.retry_backoff_multiplier (%g) ignored: "
            "coordinator.retry_backoff_multiplier (%g) wins",
            j->retry_backoff_multiplier, c->retry_backoff_multiplier);
  if (!cs && js) c->retry_backoff_multiplier = j->retry_backoff_multiplier;
  j->retry_backoff_multiplier = c->retry_backoff_multiplier;

  cs = cfg_mark_is_set(cfg, key_index(CFG_SEC_COORD, "max_retry_backoff"));
  js = cfg_mark_is_set(cfg, key_index(CFG_SEC_JOB, "max_retry_backoff"));
  if (cs && js && c->max_retry_backoff != j->max_retry_backoff)
    al_warn("config: job.max_retry_backoff (%g) ignored: coordinator.max_retry_backoff (%g) wins",
            j->max_retry_backoff, c->max_retry_backoff);
  if (!cs && js) c->max_retry_backoff = j->max_retry_backoff;
  j->max_retry_backoff = c->max_retry_backoff;
}

/* Blames `later` when it was given, else `earlier` (so the message points at a line
 * of the file whenever one of the two came from it). */
static int blame(const cfg_config *cfg, const char *later, const char *earlier) {
  size_t l = key_index(CFG_SEC_COORD, later), e = key_index(CFG_SEC_COORD, earlier);
  return (int)(cfg_mark_is_set(cfg, l) || !cfg_mark_is_set(cfg, e) ? l : e);
}

/* Checks coordinator.<small_key> <= coordinator.<big_key>. On a violation writes the
 * error for whichever key the user set (blame) and returns its index; else -1. */
static int size_order(const cfg_config *cfg, const char *small_key, int64_t small, const char *big_key, int64_t big,
                      char *msg, size_t cap) {
  if (small <= big) return -1;
  int k = blame(cfg, big_key, small_key);
  if (strcmp(cfg_keys[k].name, big_key) == 0)
    snprintf(msg, cap, "key 'coordinator.%s': expected a size >= coordinator.%s (%lld), got '%lld'", big_key,
             small_key, (long long)small, (long long)big);
  else
    snprintf(msg, cap, "key 'coordinator.%s': expected a size <= coordinator.%s (%lld), got '%lld'", small_key,
             big_key, (long long)big, (long long)small);
  return k;
}

int cfg_check_cross(const cfg_config *cfg, char *msg, size_t cap) {
  const cfg_coordinator *c = &cfg->coordinator;
  char a[40], b[40];
  if (!(c->heartbeat_timeout > c->heartbeat_interval)) {
    int k = blame(cfg, "heartbeat_timeout", "heartbeat_interval");
    cfg_fmt_double(c->heartbeat_timeout, a, sizeof a);
    cfg_fmt_double(c->heartbeat_interval, b, sizeof b);
    if (strcmp(cfg_keys[k].name, "heartbeat_timeout") == 0)
      snprintf(msg, cap,
               "key 'coordinator.heartbeat_timeout': expected a number of seconds greater than "
               "coordinator.heartbeat_interval (%s), got '%s'", b, a);
    else
      snprintf(msg, cap,
               "key 'coordinator.heartbeat_interval': expected a number of seconds less than "
               "coordinator.heartbeat_timeout (%s), got '%s'", a, b);
    return k;
  }
  int k = size_order(cfg, "output_buffer_soft_limit", c->output_buffer_soft_limit, "output_buffer_hard_limit",
                     c->output_buffer_hard_limit, msg, cap);
  if (k >= 0) return k;
  k = size_order(cfg, "max_frame_bytes", c->max_frame_bytes, "output_buffer_hard_limit", c->output_buffer_hard_limit,
                 msg, cap);
  if (k >= 0) return k;
  return -1;
}
