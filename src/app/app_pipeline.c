/* The pipeline runner: resolves options against the config, lists the input files,
 * then runs the job embedded (app_pipeline.h) or on a coordinator: submit, seal,
 * follow progress events until the job ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auralith/client.h"
#include "auralith/pipeline.h"
#include "common/al.h"
#include "app/app_pipeline.h"
#include "app/app_precheck.h"
#include "app/app_scan.h"

/* Without any progress event for this long, ask for the job's status (covers a
 * coordinator that coalesces events) and check the local timeout guard. */
#define FOLLOW_POLL_S 5.0
/* Grace beyond the job timeout before giving up locally: the coordinator enforces the
 * timeout itself and normally reports "timeout" first. */
#define TIMEOUT_GRACE_S 30.0
/* How long one wait for an event lasts (bounds the reaction time to *stop). */
#define FOLLOW_TICK_S 0.25

void al_pipeline_options_init(al_pipeline_options *o) { memset(o, 0, sizeof *o); }

void al_pipeline_result_free(al_pipeline_result *r) {
  if (!r) return;
  free(r->job_id);
  free(r->status);
  free(r->coordinator);
  for (size_t i = 0; i < r->n_errors; i++) free(r->errors[i]);
  free(r->errors);
  al_job_free(&r->final);
  memset(r, 0, sizeof *r);
}

int al_pipeline_exit_code(const char *s) {
  if (!s) return 1;
  if (strcmp(s, "completed") == 0 || strcmp(s, "detached") == 0) return 0;
  if (strcmp(s, "completed_with_errors") == 0) return 3;
  if (strcmp(s, "failed") == 0) return 4;
  if (strcmp(s, "cancelled") == 0) return 5;
  if (strcmp(s, "timeout") == 0) return 6;
  return 1;
}

static void set_status(al_pipeline_result *r, const char *s) {
  free(r->status);
  r->status = al_xstrdup(s);
}

static void result_from_job(al_pipeline_result *r, const al_job *j) {
  set_status(r, j->status);
  r->total_tasks = j->total_tasks;
  r->completed_tasks = j->completed_tasks;
  r->failed_tasks = j->failed_tasks;
  r->samples = j->samples;
  r->tokens = j->tokens;
  al_job_free(&r->final);
  r->final = *j;
  r->final.id = al_xstrdup(j->id);
  r->final.name = j->name ? al_xstrdup(j->name) : NULL;
  r->final.status = al_xstrdup(j->status);
  r->final.created_at = j->created_at ? al_xstrdup(j->created_at) : NULL;
  r->final.completed_at = j->completed_at ? al_xstrdup(j->completed_at) : NULL;
  r->final.errors = NULL;
  r->final.n_errors = 0;
  r->final.skip_reasons = al_xcalloc(j->n_skip_reasons ? j->n_skip_reasons : 1, sizeof *r->final.skip_reasons);
  for (size_t i = 0; i < j->n_skip_reasons; i++)
    r->final.skip_reasons[i] = (al_reason_count){al_xstrdup(j->skip_reasons[i].reason), j->skip_reasons[i].count};
  for (size_t i = 0; i < r->n_errors; i++) free(r->errors[i]);
  free(r->errors);
  r->errors = NULL;
  r->n_errors = 0;
  if (j->n_errors) {
    r->errors = al_xcalloc(j->n_errors, sizeof *r->errors);
    for (size_t i = 0; i < j->n_errors; i++) r->errors[i] = al_xstrdup(j->errors[i]);
    r->n_errors = j->n_errors;
  }
}

/* The coordinator address: option, environment, then the config (a wildcard listen
 * address means "this machine"). Heap string. */
static char *resolve_address(const al_pipeline_options *o, const cfg_config *cfg) {
  if (o->coordinator && *o->coordinator) return al_xstrdup(o->coordinator);
  const char *env = getenv(AL_ENV_COORDINATOR);
  if (env && *env) return al_xstrdup(env);
  const char *host = cfg->coordinator.host;
  int64_t port = cfg->coordinator.port;
  if (cfg_is_set(cfg, "job.coordinator_host") || cfg_is_set(cfg, "job.coordinator_port")) {
    host = cfg->job.coordinator_host;
    port = cfg->job.coordinator_port;
  }
  if (!host || !*host || strcmp(host, "0.0.0.0") == 0) host = "127.0.0.1";
  if (strcmp(host, "::") == 0) host = "::1";
  if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
  if (strchr(host, ':')) return al_xasprintf("[%s]:%lld", host, (long long)port);
  return al_xasprintf("%s:%lld", host, (long long)port);
}

static bool stopped(const al_pipeline_options *o) { return o->stop && *o->stop; }

static void progress(const al_pipeline_options *o, const al_job *j) {
  if (o->on_progress) o->on_progress(o->user_data, j);
}

static bool connection_lost(const al_err *err) {
  return err->code == AL_E_CLOSED || err->code == AL_E_CONNECT || err->code == AL_E_TIMEOUT ||
         err->code == AL_E_IO;
}

/* TLS settings of the config (coordinator.tls_ca, ...), or NULL when it sets none: the
 * client library then consults AURALITH_TLS_CA and the like. */
static const al_tls_options *plan_tls(const app_pipeline_plan *p, al_tls_options *buf) {
  const cfg_coordinator *cc = &p->cfg->coordinator;
  if (!cc->tls_ca) return NULL;
  *buf = (al_tls_options){cc->tls_ca, cc->tls_server_name, cc->tls_client_cert, cc->tls_client_key};
  return buf;
}

/* The connection to the coordinator was lost while following (it restarted): connect
 * again with backoff for the plan's window and subscribe again. A job the restarted
 * coordinator no longer holds in memory (it finished meanwhile) is read with
 * job_status, which answers from the store. Returns 0 with *cp replaced and *last
 * the latest snapshot, or -1 with err. */
static int reconnect(al_client **cp, const al_pipeline_options *o, const app_pipeline_plan *p,
                     al_pipeline_result *r, al_job *last, al_err *err) {
  if (!p || !p->reconnect_address) return -1;
  double end = al_mono_s() + p->reconnect_window_s, delay = 0.2;
  al_warn("lost the coordinator %s while following job %s (%s); reconnecting for up to %.0fs", p->reconnect_address,
          r->job_id, err->msg, p->reconnect_window_s);
  al_close(*cp);
  *cp = NULL;
  while (al_mono_s() < end && !stopped(o)) {
    usleep((useconds_t)(delay * 1e6));
    delay = delay * 2 > 5 ? 5 : delay * 2;
    al_err e;
    al_err_clear(&e);
    al_tls_options tls;
    al_client *c = al_connect_tls(p->reconnect_address, AL_ROLE_SUBMITTER, p->reconnect_token, o->request_timeout_s,
                                    plan_tls(p, &tls), &e);
    if (!c) continue;
    al_job snap;
    if (al_subscribe(c, r->job_id, &snap, &e) == 0 || al_job_status(c, r->job_id, &snap, &e) == 0) {
      al_info("reconnected to the coordinator %s; following job %s (%s)", p->reconnect_address, r->job_id,
              snap.status);
      al_job_free(last);
      *last = snap;
      *cp = c;
      return 0;
    }
    if (e.code == AL_E_NOT_FOUND) {
      al_close(c);
      return al_err_set(err, AL_E_NOT_FOUND,
                        "the restarted coordinator does not know job %s (a coordinator without a durable state "
                        "store loses its jobs when it stops)",
                        r->job_id);
    }
    al_close(c);
  }
  return -1;
}

/* Follows the job until it ends, the caller stops, or the local timeout guard trips.
 * *last holds the latest snapshot. */
static int follow(al_client **cp, const al_pipeline_options *o, const app_pipeline_plan *p, double timeout_s,
                  double t0, bool cancel_on_stop, al_pipeline_result *r, al_err *err) {
  al_job last;
  al_client *c = *cp;
  if (al_subscribe(c, r->job_id, &last, err) != 0) return -1;
  progress(o, &last);
  double last_heard = al_mono_s();
  int rc = 0, cancelled = 0;
  while (!al_status_is_final(last.status)) {
    if (stopped(o) && cancel_on_stop && !cancelled) {
      /* The job cannot outlive this process: end it and follow it to "cancelled". */
      cancelled = 1;
      if (al_cancel_job(c, r->job_id, err) != 0 && err->code != AL_E_BAD_STATE) {
        rc = -1;
        break;
      }
    } else if (stopped(o) && !cancel_on_stop) {
      result_from_job(r, &last);
      set_status(r, "detached");
      al_job_free(&last);
      return 0;
    }
    al_job ev;
    int got = al_next_event(c, FOLLOW_TICK_S, &ev, err);
    if (got < 0 && connection_lost(err) && reconnect(cp, o, p, r, &last, err) == 0) {
      c = *cp;
      progress(o, &last);
      continue;
    }
    if (got < 0) {
      rc = -1;
      break;
    }
    double now = al_mono_s();
    if (got == 1) {
      if (strcmp(ev.id, r->job_id) == 0) {
        al_job_free(&last);
        last = ev;
        last_heard = now;
        progress(o, &last);
      } else {
        al_job_free(&ev);
      }
      continue;
    }
    if (now - last_heard < FOLLOW_POLL_S) continue;
    last_heard = now;
    al_job cur;
    if (al_job_status(c, r->job_id, &cur, err) != 0) {
      if (connection_lost(err) && reconnect(cp, o, p, r, &last, err) == 0) {
        c = *cp;
        progress(o, &last);
        continue;
      }
      rc = -1;
      break;
    }
    if (cur.completed_tasks != last.completed_tasks || cur.failed_tasks != last.failed_tasks ||
        strcmp(cur.status, last.status) != 0) {
      al_job_free(&last);
      last = cur;
      progress(o, &last);
    } else {
      al_job_free(&cur);
    }
    if (timeout_s > 0 && now - t0 > timeout_s + TIMEOUT_GRACE_S && !al_status_is_final(last.status)) {
      result_from_job(r, &last);
      set_status(r, "timeout");
      al_job_free(&last);
      return 0;
    }
  }
  if (rc == 0) result_from_job(r, &last);
  al_job_free(&last);
  if (rc != 0 && r->coordinator)
    al_err_prefix(err, "while following job %s (follow it with: auralith-pipeline job-status --coordinator %s "
                       "--job-id %s)",
                  r->job_id, r->coordinator, r->job_id);
  else if (rc != 0)
    al_err_prefix(err, "while following job %s", r->job_id);
  return rc;
}

int app_pipeline_submit_and_follow(al_client **cp, const al_pipeline_options *o, const app_pipeline_plan *p,
                                   bool embedded, al_pipeline_result *r, al_err *err) {
  al_client *c = *cp;
  double t0 = al_mono_s();
  al_job_spec spec = {0};
  spec.job_id = p->job_id;
  spec.name = p->job_name;
  spec.input_dir = p->input_dir;
  spec.output_dir = p->output_dir;
  spec.tokenizers_dir = p->tokenizers_dir;
  spec.max_seq_len = (uint32_t)p->max_seq_len;
  spec.shard_size = (uint64_t)p->shard_size;
  spec.files_per_task = (uint32_t)p->files_per_task;
  spec.timeout_s = p->timeout_s;
  spec.output_mode = p->output_mode;
  spec.verify_shards = p->verify_shards;
  spec.long_documents = p->long_documents;
  spec.packing = p->packing;
  spec.detect_text = p->detect_text;
  spec.jsonl_field = p->jsonl_field;
  int rc = al_submit_job(c, &spec, &r->job_id, err);
  uint64_t nt = 0;
  if (rc == 0)
    rc = al_submit_files(c, r->job_id, (const char *const *)p->files, p->n_files, (uint32_t)p->files_per_task, &nt,
                          err);
  if (rc == 0) {
    rc = al_seal_job(c, r->job_id, nt, err);
    /* The job may already have ended (a task that cannot succeed fails it at once):
     * following it reports its final status and reason. */
    if (rc != 0 && err->code == AL_E_BAD_STATE) rc = 0;
  }
  if (rc != 0) {
    if (r->job_id) al_err_prefix(err, "submitting job %s", r->job_id);
    return -1;
  }
  r->total_tasks = nt;
  if (o->on_submitted) o->on_submitted(o->user_data, r->job_id, p->n_files, nt);
  if (o->detach && !embedded) {
    al_job j;
    rc = al_job_status(c, r->job_id, &j, err);
    if (rc == 0) {
      result_from_job(r, &j);
      set_status(r, "detached");
      al_job_free(&j);
    }
  } else {
    rc = follow(cp, o, p, p->timeout_s, t0, embedded, r, err);
  }
  return rc;
}

static int run_external(const al_pipeline_options *o, const app_pipeline_plan *p, al_pipeline_result *r,
                        al_err *err) {
  const char *token = o->auth_token ? o->auth_token : cfg_role_token(p->cfg, CFG_ROLE_CLIENT);
  /* An empty token means "none" to al_connect; NULL would consult the environment,
   * which cfg_load already applied. */
  al_tls_options tls;
  al_client *c = al_connect_tls(r->coordinator, AL_ROLE_SUBMITTER, token ? token : "", o->request_timeout_s,
                                  plan_tls(p, &tls), err);
  if (!c) return -1;
  /* Following rides through a coordinator restart: at least three heartbeat timeouts,
   * and never less than half a minute. */
  app_pipeline_plan rp = *p;
  rp.reconnect_address = r->coordinator;
  rp.reconnect_token = token ? token : "";
  rp.reconnect_window_s = 3 * p->cfg->coordinator.heartbeat_timeout;
  if (rp.reconnect_window_s < 30) rp.reconnect_window_s = 30;
  int rc = app_pipeline_submit_and_follow(&c, o, &rp, false, r, err);
  al_close(c);
  return rc;
}

/* Absolute form of a path without resolving symlinks (workers may run in another
 * directory than the submitter). Heap string. */
static char *absolute(const char *path) {
  if (path[0] == '/') return app_path_normalize(path);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return app_path_normalize(path);
  char *joined = al_xasprintf("%s/%s", cwd, path);
  char *n = app_path_normalize(joined);
  free(joined);
  return n;
}

static int64_t pick(int64_t given, int64_t from_cfg) { return given > 0 ? given : from_cfg; }

int al_pipeline_run(const al_pipeline_options *o, al_pipeline_result *r, al_err *err) {
  memset(r, 0, sizeof *r);
  al_err_clear(err);
  double t0 = al_mono_s();
  if (!o || !o->input_dir || !o->output_dir || !o->tokenizers_dir)
    return al_err_set(err, AL_E_ARG, "pipeline: input_dir, output_dir and tokenizers_dir are required");
  cfg_config cfg;
  if (o->config_path) {
    if (cfg_load(o->config_path, &cfg, err) != 0) {
      cfg_free(&cfg);
      return -1;
    }
  } else {
    cfg_defaults(&cfg);
    cfg_apply_env(&cfg);
  }
  char *in_abs = absolute(o->input_dir), *out_abs = absolute(o->output_dir), *tok_abs = absolute(o->tokenizers_dir);
  app_file_list files;
  memset(&files, 0, sizeof files);
  int rc = 0;
  if (app_precheck_input_dir(o->input_dir, err) != 0 || app_scan_files(in_abs, &files, err) != 0) {
    rc = -1;
    goto out;
  }
  if (files.n == 0) {
    rc = al_err_set(err, AL_E_NO_FILES, "No files found in %s", o->input_dir);
    goto out;
  }
  app_pipeline_plan plan = {0};
  plan.cfg = &cfg;
  plan.input_dir = in_abs;
  plan.output_dir = out_abs;
  plan.tokenizers_dir = tok_abs;
  plan.job_name = o->job_name ? o->job_name : cfg.job.name;
  plan.job_id = o->job_id;
  plan.files = files.v;
  plan.n_files = files.n;
  plan.max_seq_len = pick(o->max_seq_len, cfg.job.max_seq_len);
  plan.shard_size = pick(o->shard_size, cfg.job.shard_size);
  plan.files_per_task = pick(o->files_per_task, cfg.job.files_per_task);
  plan.timeout_s = o->timeout_s > 0 ? o->timeout_s : cfg.job.timeout;
  plan.num_workers = (int)pick(o->num_workers, cfg.job.num_workers);
  plan.output_mode = o->output_mode;
  plan.verify_shards = o->verify_shards ? o->verify_shards : cfg.job.verify_shards == CFG_VERIFY_SHA256 ? "sha256" : "header";
  if (plan.num_workers < 1) plan.num_workers = 1;
  static const char *const long_names[] = {"truncate", "split"}, *const pack_names[] = {"none", "greedy"};
  plan.long_documents = o->long_documents ? o->long_documents : long_names[cfg.job.long_documents & 1];
  plan.packing = o->packing ? o->packing : pack_names[cfg.job.packing & 1];
  plan.detect_text = o->detect_text || cfg.job.detect_text;
  plan.jsonl_field = o->jsonl_field ? o->jsonl_field : cfg.job.jsonl_field;
  if (strcmp(plan.long_documents, "truncate") && strcmp(plan.long_documents, "split")) {
    rc = al_err_set(err, AL_E_ARG, "long_documents is '%s', expected truncate or split", plan.long_documents);
    goto out;
  }
  if (strcmp(plan.packing, "none") && strcmp(plan.packing, "greedy")) {
    rc = al_err_set(err, AL_E_ARG, "packing is '%s', expected none or greedy", plan.packing);
    goto out;
  }
  if (app_precheck_size("max_seq_len (--max-seq-len)", plan.max_seq_len, UINT32_MAX, err) != 0 ||
      app_precheck_size("shard_size (--shard-size)", plan.shard_size, INT64_MAX, err) != 0 ||
      app_precheck_size("files_per_task (--files-per-task)", plan.files_per_task, UINT32_MAX, err) != 0 ||
      app_precheck_tokenizers(tok_abs, err) != 0) {
    rc = -1;
    goto out;
  }
  r->files = files.n;
  if (o->embedded) {
    rc = app_pipeline_run_embedded(o, &plan, r, err);
  } else {
    r->coordinator = resolve_address(o, &cfg);
    rc = run_external(o, &plan, r, err);
  }
out:
  r->elapsed_s = al_mono_s() - t0;
  app_file_list_free(&files);
  cfg_free(&cfg);
  free(in_abs);
  free(out_abs);
  free(tok_abs);
  return rc;
}
