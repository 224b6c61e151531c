/* Input confinement (confine.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/al.h"
#include "worker/confine.h"

static char *resolve(const char *p) {
  char r[PATH_MAX];
  return realpath(p, r) ? al_xstrdup(r) : NULL;
}

void worker_input_guard_init(worker_input_guard *g, const char *input_dir, const char *roots) {
  memset(g, 0, sizeof *g);
  if (input_dir && *input_dir) {
    g->dir_given = al_xstrdup(input_dir);
    g->dir = resolve(input_dir);
  }
  if (roots && *roots) {
    g->roots_set = 1;
    g->roots_given = al_xstrdup(roots);
    char *copy = al_xstrdup(roots), *save = NULL;
    for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
      char *r = resolve(tok);
      if (!r) continue;
      g->roots = al_xrealloc(g->roots, (g->n_roots + 1) * sizeof *g->roots);
      g->roots[g->n_roots++] = r;
    }
    free(copy);
  }
}

void worker_input_guard_free(worker_input_guard *g) {
  free(g->dir);
  free(g->dir_given);
  free(g->roots_given);
  for (size_t i = 0; i < g->n_roots; i++) free(g->roots[i]);
  free(g->roots);
  memset(g, 0, sizeof *g);
}

static int inside(const char *resolved, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1) return 1; /* "/" */
  return strncmp(resolved, dir, n) == 0 && resolved[n] == '/';
}

static const char *kind(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISDIR(m)) return "a directory";
  return "not a regular file";
}

int worker_input_check(const worker_input_guard *g, const char *path, char *resolved, size_t cap, char *reason,
                       size_t reason_cap) {
  char r[PATH_MAX];
  if (!realpath(path, r)) {
    int e = errno;
    struct stat lst;
    /* a link whose target does not exist is not a file that went away */
    int dangling = e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    snprintf(reason, reason_cap, "%s: %s",
             dangling ? "dangling symbolic link" : e == ENOENT ? "vanished since scan" : "unreadable", strerror(e));
    return -1;
  }
  if (g->dir_given && (!g->dir || !inside(r, g->dir))) {
    snprintf(reason, reason_cap, "outside the job's input_dir %s (resolves to %s)", g->dir_given, r);
    return -1;
  }
  if (g->roots_set) {
    int ok = 0;
    for (size_t i = 0; i < g->n_roots && !ok; i++) ok = inside(r, g->roots[i]);
    if (!ok) {
      snprintf(reason, reason_cap, "outside worker_input_roots %s (resolves to %s)", g->roots_given, r);
      return -1;
    }
  }
  struct stat st;
  if (stat(r, &st) != 0) {
    snprintf(reason, reason_cap, "unreadable: %s", strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(reason, reason_cap, "not a regular file: %s", kind(st.st_mode));
    return -1;
  }
  if (strlen(r) >= cap) {
    snprintf(reason, reason_cap, "path too long");
    return -1;
  }
  memcpy(resolved, r, strlen(r) + 1);
  return 0;
}
