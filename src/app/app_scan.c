/* Recursive discovery of the regular files of an input directory. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/al.h"
#include "app/app_scan.h"

char *app_path_normalize(const char *p) {
  size_t n = strlen(p);
  char *out = al_xmalloc(n + 2);
  size_t o = 0;
  bool abs = p[0] == '/';
  if (abs) out[o++] = '/';
  const char *s = p;
  while (*s) {
    while (*s == '/') s++;
    const char *e = s;
    while (*e && *e != '/') e++;
    size_t len = (size_t)(e - s);
    if (len > 0 && !(len == 1 && s[0] == '.')) {
      if (o > 0 && out[o - 1] != '/') out[o++] = '/';
      memcpy(out + o, s, len);
      o += len;
    }
    s = e;
  }
  if (o == 0) out[o++] = '.';
  out[o] = '\0';
  return out;
}

typedef struct scan_state {
  app_file_list *out;
  size_t cap;
  al_err *err;
} scan_state;

static int add_file(scan_state *st, char *path) {
  if (st->out->n >= APP_SCAN_MAX_FILES) {
    free(path);
    return al_err_set(st->err, AL_E_IO, "input directory holds more than %zu files", APP_SCAN_MAX_FILES);
  }
  if (st->out->n == st->cap) {
    st->cap = st->cap ? st->cap * 2 : 256;
    st->out->v = al_xrealloc(st->out->v, st->cap * sizeof *st->out->v);
  }
  st->out->v[st->out->n++] = path;
  return 0;
}

static int walk(scan_state *st, const char *dir, int depth) {
  if (depth > APP_SCAN_MAX_DEPTH)
    return al_err_set(st->err, AL_E_IO, "%s: directories nested deeper than %d levels", dir, APP_SCAN_MAX_DEPTH);
  DIR *d = opendir(dir);
  if (!d) {
    al_warn("skipping directory %s: %s", dir, strerror(errno));
    return 0;
  }
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *path = strcmp(dir, "/") == 0 ? al_xasprintf("/%s", e->d_name) : al_xasprintf("%s/%s", dir, e->d_name);
    struct stat lst, st_;
    if (lstat(path, &lst) != 0) {
      free(path);
      continue;
    }
    if (S_ISDIR(lst.st_mode)) {
      rc = walk(st, path, depth + 1);
      free(path);
    } else if (S_ISLNK(lst.st_mode) && stat(path, &st_) == 0 && S_ISDIR(st_.st_mode)) {
      al_warn("skipping %s: a symbolic link to a directory (not followed)", path);
      free(path);
    } else {
      /* Regular files, and also FIFOs, sockets, devices and dangling links: the worker
       * skips what it must not read with a reason in the job's manifest, never silently. */
      (void)st_;
      rc = add_file(st, path);
    }
  }
  closedir(d);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int app_scan_files(const char *dir, app_file_list *out, al_err *err) {
  memset(out, 0, sizeof *out);
  char *root = app_path_normalize(dir ? dir : "");
  struct stat sb;
  if (stat(root, &sb) != 0) { /* missing: no files, as the original */
    free(root);
    return 0;
  }
  if (!S_ISDIR(sb.st_mode)) {
    al_err_set(err, AL_E_IO, "input %s is not a directory", root);
    free(root);
    return -1;
  }
  scan_state st = {out, 0, err};
  int rc = walk(&st, root, 0);
  free(root);
  if (rc != 0) {
    app_file_list_free(out);
    return -1;
  }
  if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_str);
  return 0;
}

void app_file_list_free(app_file_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}
