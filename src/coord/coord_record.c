/* Status names and the JSON form of job and task records, written the way the
 * original's json.dumps wrote them (separators ", " and ": ", ensure_ascii, fields in
 * the original's order, unset timestamps left out) so existing monitoring scripts that
 * read job:<id> / task:<id> keep working; and the heartbeat:<wid> / metrics:<wid>
 * values. coord_persist writes them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"

static const char *const task_names[] = {"pending", "assigned", "running", "completed", "failed"};
static const char *const job_names[] = {"pending", "running", "completed", "completed_with_errors",
                                        "failed", "cancelled", "timeout"};
static const char *const strategy_names[] = {"round_robin", "least_busy", "dynamic"};

const char *coord_task_status_name(coord_task_status s) { return task_names[s]; }
const char *coord_job_status_name(coord_job_status s) { return job_names[s]; }
const char *coord_strategy_name(coord_strategy_kind k) { return strategy_names[k]; }

int coord_strategy_parse(const char *name) {
  for (size_t i = 0; name && i < AL_ARRAY_LEN(strategy_names); i++)
    if (strcmp(name, strategy_names[i]) == 0) return (int)i;
  return -1;
}

int coord_job_status_is_final(coord_job_status s) {
  return s != COORD_JOB_PENDING && s != COORD_JOB_RUNNING;
}

/* Decodes one UTF-8 sequence; returns its length, or 1 with *cp = U+FFFD if invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp) {
  unsigned c = s[0];
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || len > n || c >= 0xF8) {
    *cp = 0xFFFD;
    return 1;
  }
  unsigned v = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    v = (v << 6) | (s[i] & 0x3F);
  }
  *cp = v;
  return len;
}

static void json_str(al_buf *b, const char *s) {
  if (!s) {
    al_buf_puts(b, "null");
    return;
  }
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  al_buf_reserve(b, n + 2);
  al_buf_append(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      al_buf_append(b, e, 2);
      i++;
    } else if (c >= 0x20 && c < 0x7F) {
      size_t j = i;
      while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '"' && p[j] != '\\') j++;
      al_buf_append(b, s + i, j - i);
      i = j;
    } else if (c < 0x80) {
      const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                        : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
      if (named) al_buf_puts(b, named);
      else al_buf_printf(b, "\\u%04x", c);
      i++;
    } else {
      unsigned cp;
      i += utf8_next(p + i, n - i, &cp);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        al_buf_printf(b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      } else {
        al_buf_printf(b, "\\u%04x", cp);
      }
    }
  }
  al_buf_append(b, "\"", 1);
}

static void json_int(al_buf *b, long long v) {
  char tmp[24];
  size_t n = 0;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[sizeof tmp - 1 - n++] = '-';
  al_buf_append(b, tmp + sizeof tmp - n, n);
}

/* Keys are plain ASCII literals of ours: no escaping needed. */
static void json_key(al_buf *b, int *first, const char *k) {
  size_t n = strlen(k);
  al_buf_reserve(b, n + 6);
  char *p = b->data + b->len;
  if (!*first) {
    *p++ = ',';
    *p++ = ' ';
  }
  *first = 0;
  *p++ = '"';
  memcpy(p, k, n);
  p += n;
  *p++ = '"';
  *p++ = ':';
  *p++ = ' ';
  b->len = (size_t)(p - b->data);
  b->data[b->len] = 0;
}

/* al_iso_from_wall with the seconds part cached: records are written many times per
 * second and localtime+strftime dominate otherwise. Same output, byte for byte. */
static void iso_cached(double wall, char out[64]) {
  static _Thread_local long long last_sec = -1;
  static _Thread_local char last_base[48];
  long long sec = (long long)wall;
  long usec = (long)((wall - (double)sec) * 1e6);
  if (usec < 0) usec = 0;
  if (usec > 999999) usec = 999999;
  if (sec != last_sec) {
    char tmp[48];
    al_iso_from_wall((double)sec, tmp, sizeof tmp); /* whole second: no fraction */
    snprintf(last_base, sizeof last_base, "%s", tmp);
    last_sec = sec;
  }
  if (usec == 0) memcpy(out, last_base, 48);
  else snprintf(out, 64, "%s.%06ld", last_base, usec);
}

static void json_time(al_buf *b, int *first, const char *k, double wall) {
  if (wall <= 0) return;
  char ts[64];
  json_key(b, first, k);
  iso_cached(wall, ts);
  al_buf_append(b, "\"", 1);
  al_buf_puts(b, ts);
  al_buf_append(b, "\"", 1);
}

void coord_job_to_json(const coord_job *j, al_buf *b) {
  int f = 1;
  al_buf_append(b, "{", 1);
  json_key(b, &f, "id");
  json_str(b, j->id);
  json_key(b, &f, "status");
  json_str(b, coord_job_status_name(j->status));
  json_time(b, &f, "created_at", j->created_at);
  json_key(b, &f, "config");
  int g = 1;
  al_buf_append(b, "{", 1);
  json_key(b, &g, "input_dir");
  json_str(b, j->config.input_dir);
  json_key(b, &g, "output_dir");
  json_str(b, j->config.output_dir);
  json_key(b, &g, "tokenizers_dir");
  json_str(b, j->config.tokenizers_dir);
  json_key(b, &g, "max_seq_len");
  json_int(b, (long long)j->config.max_seq_len);
  json_key(b, &g, "shard_size");
  json_int(b, (long long)j->config.shard_size);
  if (j->config.long_documents) {
    json_key(b, &g, "long_documents");
    json_str(b, j->config.long_documents);
  }
  if (j->config.packing) {
    json_key(b, &g, "packing");
    json_str(b, j->config.packing);
  }
  if (j->config.detect_text) {
    json_key(b, &g, "detect_text");
    al_buf_puts(b, "true");
  }
  if (j->config.jsonl_field) {
    json_key(b, &g, "jsonl_field");
    json_str(b, j->config.jsonl_field);
  }
  al_buf_append(b, "}", 1);
  json_key(b, &f, "tasks");
  al_buf_puts(b, "[]");
  json_key(b, &f, "total_tasks");
  json_int(b, (long long)j->total_tasks);
  json_key(b, &f, "completed_tasks");
  json_int(b, (long long)j->completed_tasks);
  json_key(b, &f, "failed_tasks");
  json_int(b, (long long)j->failed_tasks);
  json_key(b, &f, "retried_tasks");
  json_int(b, (long long)j->retried_tasks);
  json_time(b, &f, "completed_at", j->completed_at);
  json_key(b, &f, "samples_processed");
  json_int(b, (long long)j->samples);
  json_key(b, &f, "tokens");
  json_int(b, (long long)j->tokens);
  /* ours: counts that tell what was dropped (docs/FORMAT.md) */
  json_key(b, &f, "documents");
  json_int(b, (long long)j->documents);
  json_key(b, &f, "ids_encoded");
  json_int(b, (long long)j->ids_encoded);
  json_key(b, &f, "ids_written");
  json_int(b, (long long)j->tokens);
  json_key(b, &f, "ids_truncated");
  json_int(b, (long long)j->ids_truncated);
  json_key(b, &f, "padding");
  json_int(b, (long long)j->padding);
  json_key(b, &f, "skipped");
  json_int(b, (long long)j->skipped);
  json_key(b, &f, "skip_reasons");
  al_buf_append(b, "{", 1);
  for (size_t i = 0; i < j->n_skip_reasons; i++) {
    if (i) al_buf_puts(b, ", ");
    json_str(b, j->skip_reasons[i].reason); /* escaped: a reason is a worker's text */
    al_buf_puts(b, ": ");
    json_int(b, (long long)j->skip_reasons[i].count);
  }
  al_buf_append(b, "}", 1);
  json_key(b, &f, "bytes_read"); /* ours: input bytes, for the throughput of a finished job */
  json_int(b, (long long)j->bytes_read);
  json_key(b, &f, "sealed"); /* ours: a restarted coordinator knows whether more tasks may come */
  al_buf_puts(b, j->sealed ? "true" : "false");
  if (j->final_error) {
    json_key(b, &f, "error");
    json_str(b, j->final_error);
  }
  al_buf_append(b, "}", 1);
}

void coord_task_to_json(const coord_task *t, al_buf *b) {
  const coord_job *j = t->job;
  int f = 1;
  al_buf_append(b, "{", 1);
  json_key(b, &f, "id");
  json_str(b, t->id);
  json_key(b, &f, "job_id");
  json_str(b, j->id);
  json_key(b, &f, "status");
  json_str(b, coord_task_status_name(t->status));
  json_key(b, &f, "retries");
  json_int(b, (long long)t->retries);
  json_key(b, &f, "attempt");
  json_int(b, (long long)t->attempt);
  json_key(b, &f, "files");
  al_buf_append(b, "[", 1);
  for (size_t i = 0; i < t->n_files; i++) {
    if (i) al_buf_append(b, ", ", 2);
    json_str(b, t->files[i]);
  }
  al_buf_append(b, "]", 1);
  json_key(b, &f, "tokenizers_dir");
  json_str(b, j->config.tokenizers_dir);
  json_key(b, &f, "output_dir");
  json_str(b, t->output_dir);
  json_key(b, &f, "max_seq_len");
  json_int(b, (long long)j->config.max_seq_len);
  json_key(b, &f, "shard_size");
  json_int(b, (long long)j->config.shard_size);
  json_key(b, &f, "worker_id");
  json_str(b, t->worker ? t->worker->id : t->last_worker_id); /* holder, else who finished it */
  json_time(b, &f, "assigned_at", t->assigned_at);
  json_time(b, &f, "started_at", t->started_at);
  json_time(b, &f, "completed_at", t->completed_at);
  if (t->has_result) {
    json_key(b, &f, "result");
    int g = 1;
    al_buf_append(b, "{", 1);
    json_key(b, &g, "samples_processed");
    json_int(b, (long long)t->result.samples_processed);
    json_key(b, &g, "shards_written");
    json_int(b, (long long)t->result.shards_written);
    json_key(b, &g, "skipped");
    json_int(b, (long long)t->result.skipped);
    json_key(b, &g, "status");
    json_str(b, t->result.status ? t->result.status : "success");
    /* beyond the original's fields: what the job manifest needs after a restart */
    json_key(b, &g, "tokens");
    json_int(b, (long long)t->result.tokens);
    if (t->result.has_counts) {
      json_key(b, &g, "documents");
      json_int(b, (long long)t->result.documents);
      json_key(b, &g, "ids_encoded");
      json_int(b, (long long)t->result.ids_encoded);
      json_key(b, &g, "ids_truncated");
      json_int(b, (long long)t->result.ids_truncated);
      json_key(b, &g, "padding");
      json_int(b, (long long)t->result.padding);
    }
    json_key(b, &g, "bytes_read");
    json_int(b, (long long)t->result.bytes_read);
    json_key(b, &g, "shards");
    al_buf_append(b, "[", 1);
    for (size_t i = 0; i < t->result.n_shards; i++) {
      const coord_shard_info *si = &t->result.shards[i];
      int h = 1;
      al_buf_puts(b, i ? ", {" : "{");
      json_key(b, &h, "path");
      json_str(b, si->path);
      json_key(b, &h, "samples");
      json_int(b, (long long)si->samples);
      json_key(b, &h, "tokens");
      json_int(b, (long long)si->tokens);
      json_key(b, &h, "bytes");
      json_int(b, (long long)si->bytes);
      json_key(b, &h, "sha256");
      json_str(b, si->sha256);
      json_key(b, &h, "files");
      al_buf_append(b, "[", 1);
      for (size_t k = 0; k < si->n_files; k++) {
        if (k) al_buf_append(b, ", ", 2);
        json_str(b, si->files[k]);
      }
      al_buf_append(b, "]}", 2);
    }
    al_buf_append(b, "]", 1);
    json_key(b, &g, "skips");
    al_buf_append(b, "[", 1);
    for (size_t i = 0; i < t->result.n_skips; i++) {
      int h = 1;
      al_buf_puts(b, i ? ", {" : "{");
      json_key(b, &h, "path");
      json_str(b, t->result.skips[i].path);
      json_key(b, &h, "reason");
      json_str(b, t->result.skips[i].reason);
      al_buf_append(b, "}", 1);
    }
    al_buf_append(b, "]", 1);
    al_buf_append(b, "}", 1);
  }
  if (t->error) {
    json_key(b, &f, "error");
    json_str(b, t->error);
  }
  json_time(b, &f, "failed_at", t->failed_at);
  al_buf_append(b, "}", 1);
}

void coord_heartbeat_to_json(const coord_worker *w, double wall, al_buf *b) {
  char ts[48];
  /* Built with jansson: the worker id is peer input and may hold quotes, backslashes
   * or control characters. Separators ", " and ": " as the original's json.dumps. */
  json_t *hb = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "worker_id", w->id, "timestamp",
                         al_iso_from_wall(wall, ts, sizeof ts), "status", "alive", "tasks_completed",
                         (json_int_t)w->tasks_completed, "tasks_failed", (json_int_t)w->tasks_failed,
                         "samples_processed", (json_int_t)w->samples_processed);
  char *text = hb ? json_dumps(hb, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
  json_decref(hb);
  if (text) al_buf_puts(b, text);
  free(text);
}

void coord_metrics_to_json(const coord_worker *w, al_buf *b) {
  al_buf_printf(b,
                "{\"cpu_usage\": %.1f, \"memory_usage\": %.1f, \"tasks_completed\": %llu, "
                "\"samples_processed\": %llu}",
                w->cpu < 0 ? 0.0 : w->cpu, w->mem < 0 ? 0.0 : w->mem, (unsigned long long)w->tasks_completed,
                (unsigned long long)w->samples_processed);
}

void coord_task_result_free(coord_task_result *r) {
  free(r->status);
  for (size_t i = 0; i < r->n_shards; i++) {
    coord_shard_info *s = &r->shards[i];
    free(s->path);
    free(s->sha256);
    for (size_t k = 0; k < s->n_files; k++) free(s->files[k]);
    free(s->files);
  }
  free(r->shards);
  for (size_t i = 0; i < r->n_skips; i++) {
    free(r->skips[i].path);
    free(r->skips[i].reason);
  }
  free(r->skips);
  memset(r, 0, sizeof *r);
}

void coord_task_result_move(coord_task_result *dst, coord_task_result *src) {
  *dst = *src;
  memset(src, 0, sizeof *src);
}
