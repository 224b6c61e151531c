/* Directory handling for task output: creation, durable renames, and cleaning what an
 * earlier (crashed or cancelled) attempt left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/shard.h"

int shard_mkdirs(const char *dir, al_err *err) {
  char *p = al_xstrdup(dir);
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      al_err_set(err, SHARD_EIO, "%s: cannot create directory: %s", p, strerror(e));
      free(p);
      return -1;
    }
    *s = '/';
  }
  int rc = 0;
  if (mkdir(p, 0777) != 0 && errno != EEXIST)
    rc = al_err_set(err, SHARD_EIO, "%s: cannot create directory: %s", p, strerror(errno));
  else {
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
      rc = al_err_set(err, SHARD_EIO, "%s: exists and is not a directory", p);
  }
  free(p);
  return rc;
}

int shard_fsync_dir(const char *dir, al_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return al_err_set(err, SHARD_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
  int rc = 0;
  if (fsync(fd) != 0 && errno != EINVAL)
    rc = al_err_set(err, SHARD_EIO, "%s: cannot fsync directory: %s", dir, strerror(errno));
  close(fd);
  return rc;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return al_xstrdup(".");
  if (slash == path) return al_xstrdup("/");
  return al_xstrndup(path, (size_t)(slash - path));
}

int shard_write_file_atomic(const char *path, const void *data, size_t len, al_err *err) {
  char *tmp = al_xasprintf("%s.tmp.%ld", path, (long)getpid());
  int rc = -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    goto out;
  }
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      al_err_set(err, SHARD_EIO, "%s: cannot write: %s", tmp, strerror(errno));
      close(fd);
      unlink(tmp);
      goto out;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fsync(fd) != 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot fsync: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    goto out;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
    unlink(tmp);
    goto out;
  }
  char *d = dir_of(path);
  rc = shard_fsync_dir(d, err);
  free(d);
out:
  free(tmp);
  return rc;
}

/* Files an earlier attempt may have left in a task directory. */
static int is_task_output(const char *name) {
  return fnmatch("shard_*.safetensors", name, 0) == 0 || strstr(name, ".tmp.") != NULL;
}

int shard_dir_reset(const char *dir, al_err *err) {
  if (shard_mkdirs(dir, err) != 0) return -1;
  DIR *d = opendir(dir);
  if (!d) return al_err_set(err, SHARD_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
  int removed = 0, rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!is_task_output(de->d_name)) continue;
    char *p = al_xasprintf("%s/%s", dir, de->d_name);
    if (unlink(p) == 0) removed++;
    else if (errno != ENOENT) rc = al_err_set(err, SHARD_EIO, "%s: cannot remove: %s", p, strerror(errno));
    free(p);
    if (rc) break;
  }
  closedir(d);
  if (rc) return -1;
  if (removed > 0 && shard_fsync_dir(dir, err) != 0) return -1;
  return removed;
}

int shard_dir_remove(const char *dir, al_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0 && errno == ENOENT) return 0;
  int n = shard_dir_reset(dir, err);
  if (n < 0) return -1;
  if (rmdir(dir) != 0 && errno != ENOTEMPTY && errno != EEXIST)
    return al_err_set(err, SHARD_EIO, "%s: cannot remove directory: %s", dir, strerror(errno));
  return n;
}
