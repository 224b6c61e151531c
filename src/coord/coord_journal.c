/* The commit journal (see coord_journal.h). */
#include "coord/coord_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"
#include "coord/coord_outdir.h"

static char *journal_path(const char *root, const char *job_id) {
  return al_xasprintf("%s/%s/%s%s%s", root, COORD_STAGING_DIR, COORD_JOURNAL_PREFIX, job_id, COORD_JOURNAL_SUFFIX);
}

static int is_journal(const char *name) {
  size_t n = strlen(name), p = strlen(COORD_JOURNAL_PREFIX), s = strlen(COORD_JOURNAL_SUFFIX);
  return n > p + s && strncmp(name, COORD_JOURNAL_PREFIX, p) == 0 && strcmp(name + n - s, COORD_JOURNAL_SUFFIX) == 0;
}

int coord_journal_append(const char *root, const char *job_id, json_t *line) {
  char *text = json_dumps(line, JSON_COMPACT);
  if (!text) return -1;
  size_t len = strlen(text);
  text[len] = '\n'; /* json_dumps's terminator becomes the line's end: one write */
  char *path = journal_path(root, job_id);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) { /* a task of skipped files only, before any staging */
    char *staging = al_xasprintf("%s/%s", root, COORD_STAGING_DIR);
    if (mkdir(staging, 0755) == 0 || errno == EEXIST) fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    free(staging);
  }
  free(path);
  int rc = -1;
  if (fd >= 0) {
    /* O_APPEND: concurrent commits of one job append whole lines. No fsync: a process
     * crash keeps the page cache, and a line lost to a power failure only makes its task
     * run again (the shards it names were fsynced before they were published). */
    ssize_t w = write(fd, text, len + 1);
    rc = w == (ssize_t)(len + 1) ? 0 : -1;
    close(fd);
  }
  free(text);
  return rc;
}

static int same_layout(json_t *line, int max_seq_len, const char *long_documents, const char *packing) {
  const char *ld = json_string_value(json_object_get(line, "long_documents"));
  const char *pk = json_string_value(json_object_get(line, "packing"));
  return json_integer_value(json_object_get(line, "max_seq_len")) == max_seq_len &&
         strcmp(ld ? ld : "truncate", long_documents ? long_documents : "truncate") == 0 &&
         strcmp(pk ? pk : "none", packing ? packing : "none") == 0;
}

/* Adds the lines of one journal file to by_dir (task_dir -> line, the last one wins). */
static void read_file(const char *path, int max_seq_len, const char *long_documents, const char *packing,
                      json_t *by_dir, size_t *ignored) {
  FILE *f = fopen(path, "re");
  if (!f) return;
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&buf, &cap, f)) > 0) {
    if (buf[n - 1] != '\n') { /* torn by a crash mid-write */
      (*ignored)++;
      break;
    }
    json_t *line = json_loadb(buf, (size_t)n, 0, NULL);
    const char *dir = json_string_value(json_object_get(line, "task_dir"));
    if (!line || !dir || !json_is_array(json_object_get(line, "shards")) ||
        !same_layout(line, max_seq_len, long_documents, packing)) {
      (*ignored)++;
      json_decref(line);
      continue;
    }
    json_object_set_new(by_dir, dir, line);
  }
  free(buf);
  fclose(f);
}

/* Calls fn(path, ud) for every journal under root; returns how many there were. */
static size_t each_journal(const char *root, void (*fn)(const char *path, void *ud), void *ud) {
  char *staging = al_xasprintf("%s/%s", root, COORD_STAGING_DIR);
  DIR *d = opendir(staging);
  size_t n = 0;
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (!is_journal(de->d_name)) continue;
      char *p = al_xasprintf("%s/%s", staging, de->d_name);
      fn(p, ud);
      free(p);
      n++;
    }
    closedir(d);
  }
  free(staging);
  return n;
}

typedef struct read_ctx {
  int max_seq_len;
  const char *long_documents, *packing;
  json_t *by_dir;
  size_t *ignored;
} read_ctx;

static void read_one(const char *path, void *ud) {
  read_ctx *c = ud;
  read_file(path, c->max_seq_len, c->long_documents, c->packing, c->by_dir, c->ignored);
}

static void unlink_one(const char *path, void *ud) {
  (void)ud;
  unlink(path);
}

json_t *coord_journal_read(const char *root, int max_seq_len, const char *long_documents, const char *packing,
                           size_t *lines, size_t *ignored) {
  *lines = *ignored = 0;
  json_t *by_dir = json_object();
  read_ctx ctx = {max_seq_len, long_documents, packing, by_dir, ignored};
  if (each_journal(root, read_one, &ctx) == 0) {
    json_decref(by_dir);
    return NULL;
  }
  json_t *shards = json_array(), *skipped = json_array(), *counts = json_object();
  const char *dir;
  json_t *line;
  json_object_foreach(by_dir, dir, line) {
    json_array_extend(shards, json_object_get(line, "shards"));
    json_t *sk = json_object_get(line, "skipped");
    if (json_is_array(sk)) json_array_extend(skipped, sk);
    json_t *c = json_object_get(line, "counts");
    if (json_is_object(c)) json_object_set(counts, dir, c);
    (*lines)++;
  }
  json_decref(by_dir);
  json_t *doc = json_object();
  json_object_set_new(doc, "shards", shards);
  json_object_set_new(doc, "skipped", skipped);
  json_object_set_new(doc, "task_counts", counts);
  return doc;
}

void coord_journal_remove(const char *root, const char *job_id) {
  if (job_id) {
    char *p = journal_path(root, job_id);
    unlink(p);
    free(p);
    return;
  }
  each_journal(root, unlink_one, NULL);
}
