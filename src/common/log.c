/* Logging to stderr, as text or as one JSON object per line.
 *
 * Every line carries its time (UTC), level, component and the ids it concerns. Call
 * sites write "component: message" or "component id: message" (e.g. "coordinator:
 * worker w1 heartbeat registered", "worker w1: connected"); the logger takes the
 * component from that prefix (or the process default, al_log_set_component) and the
 * job, task and worker ids from the words that follow "job", "task" and "worker", so
 * JSON lines have them as fields without every call site passing them.
 *
 * A status line (the submitter's progress on a terminal) stays below the log lines:
 * each log line first erases it and then redraws it, under one mutex, so lines from
 * several threads neither interleave nor overwrite the status. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/al.h"

#define LOG_MSG_MAX 2048
#define LOG_ID_MAX 128
#define LOG_COMPONENT_MAX 32
#define LOG_DEMOTED_MAX 4

static al_log_level g_level = AL_LOG_INFO;
static al_log_format g_format = AL_LOG_TEXT;
static char g_component[LOG_COMPONENT_MAX] = "auralith";
static char g_demoted[LOG_DEMOTED_MAX][LOG_COMPONENT_MAX];
static size_t g_n_demoted;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_status[512];
static int g_status_shown;

void al_log_set_level(al_log_level lvl) { g_level = lvl; }
al_log_level al_log_get_level(void) { return g_level; }
void al_log_set_format(al_log_format f) { g_format = f; }
al_log_format al_log_get_format(void) { return g_format; }

void al_log_set_component(const char *component) {
  snprintf(g_component, sizeof g_component, "%s", component ? component : "auralith");
}

void al_log_demote_component(const char *component) {
  if (g_n_demoted < LOG_DEMOTED_MAX)
    snprintf(g_demoted[g_n_demoted++], LOG_COMPONENT_MAX, "%s", component);
}

static const char *level_name(al_log_level lvl) {
  switch (lvl) {
    case AL_LOG_DEBUG: return "DEBUG";
    case AL_LOG_INFO: return "INFO";
    case AL_LOG_WARN: return "WARN";
    case AL_LOG_ERROR: return "ERROR";
    default: return "?";
  }
}

/* "component: rest" or "component id: rest", component a lowercase word and id one
 * token. Returns the length of the prefix including ": " (0 if none) and fills the
 * component and, when present, the id. */
static size_t split_prefix(const char *msg, char *comp, size_t comp_cap, char *id, size_t id_cap) {
  const char *p = msg;
  while ((*p >= 'a' && *p <= 'z') || *p == '-') p++;
  size_t clen = (size_t)(p - msg);
  if (clen == 0 || clen >= comp_cap) return 0;
  const char *id_s = NULL, *id_e = NULL;
  if (*p == ' ') {
    id_s = p + 1;
    id_e = id_s;
    while (*id_e && *id_e != ' ' && *id_e != ':') id_e++;
    if (id_e == id_s || (size_t)(id_e - id_s) >= id_cap || *id_e != ':') return 0;
    p = id_e;
  }
  if (p[0] != ':' || p[1] != ' ') return 0;
  memcpy(comp, msg, clen);
  comp[clen] = '\0';
  if (id_s) {
    memcpy(id, id_s, (size_t)(id_e - id_s));
    id[id_e - id_s] = '\0';
  }
  return (size_t)(p + 2 - msg);
}

/* Words that follow "job"/"task"/"worker" in prose but are not ids. */
static int is_prose(const char *w, size_t n) {
  static const char *const words[] = {"is",   "has",  "and",   "the",       "to",    "of",    "with",
                                      "for",  "lost", "ids",   "connected", "alive", "a",     "an",
                                      "in",   "on",   "was",   "failed",    "queue", "slots", "records",
                                      "list", "from", "status"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0) return 1;
  return 0;
}

/* Copies into out the token after the first "<word> " in msg that looks like an id. */
static void find_id(const char *msg, const char *word, char *out, size_t cap) {
  size_t wl = strlen(word);
  for (const char *p = msg; (p = strstr(p, word)) != NULL; p += wl) {
    if ((p != msg && isalnum((unsigned char)p[-1])) || p[wl] != ' ') continue;
    const char *s = p + wl + 1, *e = s;
    while (*e && *e != ' ' && *e != ',' && *e != ';' && *e != ')' && *e != '(') e++;
    while (e > s && (e[-1] == ':' || e[-1] == '.')) e--;
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= cap || is_prose(s, n) || !isalnum((unsigned char)*s)) continue;
    memcpy(out, s, n);
    out[n] = '\0';
    return;
  }
}

static void json_str(al_buf *b, const char *s) {
  al_buf_append(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      al_buf_append(b, esc, 2);
    } else if (*p < 0x20) {
      al_buf_printf(b, "\\u%04x", *p);
    } else {
      al_buf_append(b, (const char *)p, 1);
    }
  }
  al_buf_append(b, "\"", 1);
}

static void json_field(al_buf *b, const char *key, const char *val) {
  if (!val || !*val) return;
  al_buf_printf(b, ",\"%s\":", key);
  json_str(b, val);
}

/* Writes one line under the mutex, keeping the status line below it. */
static void emit(const char *line, size_t len) {
  pthread_mutex_lock(&g_mu);
  if (g_status_shown) fputs("\r\033[K", stderr);
  fwrite(line, 1, len, stderr);
  if (g_status_shown) fputs(g_status, stderr);
  fflush(stderr);
  pthread_mutex_unlock(&g_mu);
}

void al_logv(al_log_level lvl, const char *fmt, va_list ap) {
  if (lvl < g_level) return;
  char msg[LOG_MSG_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  char comp[LOG_COMPONENT_MAX] = "", pid[LOG_ID_MAX] = "";
  size_t plen = split_prefix(msg, comp, sizeof comp, pid, sizeof pid);
  if (lvl == AL_LOG_INFO && plen) {
    for (size_t i = 0; i < g_n_demoted; i++)
      if (strcmp(comp, g_demoted[i]) == 0) {
        if (AL_LOG_DEBUG < g_level) return;
        lvl = AL_LOG_DEBUG;
      }
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[40];
  size_t wl = strftime(when, sizeof when - 6, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + wl, sizeof when - wl, ".%03dZ", (int)(ts.tv_nsec / 1000000L) % 1000);
  al_buf b = {0};
  if (g_format == AL_LOG_JSON) {
    char job[LOG_ID_MAX] = "", task[LOG_ID_MAX] = "", worker[LOG_ID_MAX] = "";
    const char *rest = msg + plen;
    if (*pid && strcmp(comp, "worker") == 0) snprintf(worker, sizeof worker, "%s", pid);
    if (*pid && strcmp(comp, "job") == 0) snprintf(job, sizeof job, "%s", pid);
    if (!*worker) find_id(msg, "worker", worker, sizeof worker);
    if (!*job) find_id(msg, "job", job, sizeof job);
    find_id(msg, "task", task, sizeof task);
    al_buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":", when, level_name(lvl));
    json_str(&b, plen ? comp : g_component);
    json_field(&b, "job_id", job);
    json_field(&b, "task_id", task);
    json_field(&b, "worker_id", worker);
    al_buf_append(&b, ",\"msg\":", 7);
    json_str(&b, rest);
    al_buf_append(&b, "}\n", 2);
  } else if (plen) {
    al_buf_printf(&b, "%s %-5s %s\n", when, level_name(lvl), msg);
  } else {
    al_buf_printf(&b, "%s %-5s %s: %s\n", when, level_name(lvl), g_component, msg);
  }
  emit(b.data, b.len);
  al_buf_free(&b);
}

void al_log(al_log_level lvl, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  al_logv(lvl, fmt, ap);
  va_end(ap);
}

void al_log_status(const char *line) {
  pthread_mutex_lock(&g_mu);
  if (line) {
    snprintf(g_status, sizeof g_status, "%s", line);
    fprintf(stderr, "\r\033[K%s", g_status);
    g_status_shown = 1;
  } else if (g_status_shown) {
    fputs("\n", stderr);
    g_status_shown = 0;
  }
  fflush(stderr);
  pthread_mutex_unlock(&g_mu);
}
