/* Path confinement checks shared by the coordinator and the workers
 * (docs/SECURITY.md): "does this path stay inside that directory", lexically for
 * paths that came over the wire and after resolving symlinks for paths about to be
 * read or written. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"

int al_path_is_clean_abs(const char *p) {
  if (!p || p[0] != '/') return 0;
  for (const char *s = p; *s; s++) {
    if (*s != '/') continue;
    const char *c = s + 1; /* the component after this slash */
    if (*c == '/') return 0;
    if (c[0] == '.' && (c[1] == '/' || c[1] == '\0')) return 0;
    if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0')) return 0;
  }
  return 1;
}

int al_path_lexically_inside(const char *path, const char *dir) {
  if (!al_path_is_clean_abs(path) || !al_path_is_clean_abs(dir)) return 0;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  if (n == 1) return path[1] != '\0'; /* dir is "/" */
  return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

static int resolved_inside(const char *resolved, const char *rroot) {
  size_t n = strlen(rroot);
  if (n == 1) return 1; /* the root is "/" */
  return strncmp(resolved, rroot, n) == 0 && (resolved[n] == '/' || resolved[n] == '\0');
}

int al_path_resolved_under(const char *path, const char *root) {
  char rroot[PATH_MAX], rpath[PATH_MAX];
  if (!realpath(root, rroot)) return 0;
  /* path need not exist yet (an output directory): resolve its nearest existing
   * ancestor, and refuse a missing tail that climbs with "..". */
  char *probe = al_xstrdup(path);
  const char *tail = NULL;
  while (!realpath(probe, rpath)) {
    char *slash = strrchr(probe, '/');
    if (!slash || slash == probe) {
      free(probe);
      return 0;
    }
    *slash = '\0';
    tail = path + (slash - probe);
  }
  free(probe);
  if (tail && (strstr(tail, "/../") || strstr(tail, "/./") ||
               (strlen(tail) >= 3 && strcmp(tail + strlen(tail) - 3, "/..") == 0)))
    return 0;
  return resolved_inside(rpath, rroot);
}

int al_path_is_fs_root(const char *dir) {
  char r[PATH_MAX];
  if (realpath(dir, r)) return strcmp(r, "/") == 0;
  /* missing: "/" spelled differently ("//", "/./") */
  for (const char *s = dir; *s; s++)
    if (*s != '/' && *s != '.') return 0;
  return dir[0] == '/';
}
