/* Output directory life cycle (see coord_outdir.h). */
#include "coord/coord_outdir.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/safetensors.h"
#include "shard/shard.h"

static int remove_depth(const char *path, int depth, al_err *err) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) return 0;
    if (err) al_err_set(err, AL_E_FAILED, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) != 0 && errno != ENOENT) {
      if (err) al_err_set(err, AL_E_FAILED, "%s: cannot remove: %s", path, strerror(errno));
      return -1;
    }
    return 0;
  }
  if (depth < 0) {
    if (err) al_err_set(err, AL_E_FAILED, "%s: nested deeper than the output layout allows; not removed", path);
    return -1;
  }
  DIR *d = opendir(path);
  if (!d) {
    if (err) al_err_set(err, AL_E_FAILED, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char *p = al_xasprintf("%s/%s", path, de->d_name);
    if (remove_depth(p, depth - 1, err) != 0) rc = -1;
    free(p);
  }
  closedir(d);
  if (rc == 0 && rmdir(path) != 0 && errno != ENOENT) {
    if (err) al_err_set(err, AL_E_FAILED, "%s: cannot remove directory: %s", path, strerror(errno));
    rc = -1;
  }
  return rc;
}

int coord_outdir_remove_tree(const char *path, al_err *err) { return remove_depth(path, 2, err); }

int coord_outdir_publish(const char *root, const char *stage, const char *task_dir, al_err *err) {
  struct stat st;
  if (lstat(task_dir, &st) == 0) {
    const char *base = strrchr(task_dir, '/');
    base = base ? base + 1 : task_dir;
    char *aside = al_xasprintf("%s/%s/replaced.%s.%ld", root, COORD_STAGING_DIR, base, (long)getpid());
    if (rename(task_dir, aside) != 0) {
      int e = errno;
      free(aside);
      return al_err_set(err, AL_E_FAILED, "%s: cannot move an earlier output aside: %s", task_dir, strerror(e));
    }
    coord_outdir_remove_tree(aside, NULL);
    free(aside);
  }
  if (rename(stage, task_dir) != 0)
    return al_err_set(err, AL_E_FAILED, "cannot publish %s as %s: %s", stage, task_dir, strerror(errno));
  return shard_fsync_dir(root, err);
}

static int has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

int coord_outdir_clean_job(const char *root, const char *job_id, int (*keep)(void *ud, const char *name), void *ud,
                           al_err *err) {
  int removed = 0;
  char *prefix = job_id ? al_xasprintf("task_%s-", job_id) : al_xstrdup("task_");
  char *replaced = job_id ? al_xasprintf("replaced.task_%s-", job_id) : al_xstrdup("replaced.");
  char *staging = al_xasprintf("%s/%s", root, COORD_STAGING_DIR);
  DIR *d = opendir(staging);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (!has_prefix(de->d_name, prefix) && !has_prefix(de->d_name, replaced)) continue;
      char *p = al_xasprintf("%s/%s", staging, de->d_name);
      if (coord_outdir_remove_tree(p, NULL) == 0) removed++;
      free(p);
    }
    closedir(d);
    rmdir(staging); /* only when empty: other jobs' attempts may still be there */
  }
  int rc = 0;
  d = opendir(root);
  if (!d) {
    rc = al_err_set(err, AL_E_FAILED, "output directory %s: cannot open: %s", root, strerror(errno));
  } else {
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (!has_prefix(de->d_name, prefix)) continue;
      if (keep && keep(ud, de->d_name)) continue;
      char *p = al_xasprintf("%s/%s", root, de->d_name);
      if (coord_outdir_remove_tree(p, NULL) == 0) removed++;
      free(p);
    }
    closedir(d);
  }
  if (removed > 0) shard_fsync_dir(root, NULL);
  free(prefix);
  free(replaced);
  free(staging);
  return rc ? -1 : removed;
}

int coord_outdir_remove_job_output(const char *root, const char *job_id, al_err *err) {
  return coord_outdir_clean_job(root, job_id, NULL, NULL, err);
}

int coord_out_mode_parse(const char *s) {
  if (!s || !*s || strcmp(s, "new") == 0) return COORD_OUT_NEW;
  if (strcmp(s, "overwrite") == 0) return COORD_OUT_OVERWRITE;
  if (strcmp(s, "resume") == 0) return COORD_OUT_RESUME;
  return -1;
}

/* Removes what a previous manifest lists: each shard, then its directory when empty. */
static void remove_listed(const char *dir, al_err *err) {
  char *path = al_xasprintf("%s/%s", dir, COORD_MANIFEST_NAME);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  free(path);
  if (!root) return;
  json_t *shards = json_object_get(root, "shards");
  size_t i;
  json_t *sh;
  json_array_foreach(shards, i, sh) {
    const char *rel = json_string_value(json_object_get(sh, "path"));
    if (!rel || rel[0] == '/' || strstr(rel, "..")) continue; /* never outside dir */
    char *p = al_xasprintf("%s/%s", dir, rel);
    if (unlink(p) != 0 && errno != ENOENT && err && !err->msg[0])
      al_err_set(err, AL_E_FAILED, "%s: cannot remove: %s", p, strerror(errno));
    char *slash = strrchr(p, '/');
    if (slash && slash > p + strlen(dir)) {
      *slash = '\0';
      rmdir(p);
    }
    free(p);
  }
  json_decref(root);
}

int coord_outdir_prepare(const char *dir, coord_out_mode mode, al_err *err) {
  char real[PATH_MAX];
  if (shard_mkdirs(dir, err) != 0) return -1;
  if (!realpath(dir, real)) return al_err_set(err, AL_E_FAILED, "output directory %s: %s", dir, strerror(errno));
  if (strcmp(real, "/") == 0)
    return al_err_set(err, AL_E_FAILED, "output directory %s is the filesystem root; choose a directory for the job", dir);
  if (mode == COORD_OUT_RESUME) return 0;
  if (mode == COORD_OUT_OVERWRITE) {
    al_err e2;
    al_err_clear(&e2);
    remove_listed(real, &e2);
    DIR *d = opendir(real);
    if (!d) return al_err_set(err, AL_E_FAILED, "output directory %s: cannot open: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
      if (!has_prefix(de->d_name, "task_") && strcmp(de->d_name, COORD_STAGING_DIR) != 0 &&
          strcmp(de->d_name, COORD_MANIFEST_NAME) != 0 && !has_prefix(de->d_name, COORD_MANIFEST_NAME ".tmp."))
        continue;
      char *p = al_xasprintf("%s/%s", real, de->d_name);
      if (coord_outdir_remove_tree(p, &e2) != 0) rc = -1;
      free(p);
    }
    closedir(d);
    if (rc != 0) return al_err_set(err, AL_E_FAILED, "--overwrite: cannot clear output directory %s: %s", dir, e2.msg);
    shard_fsync_dir(real, NULL);
    return 0;
  }
  DIR *d = opendir(real);
  if (!d) return al_err_set(err, AL_E_FAILED, "output directory %s: cannot open: %s", dir, strerror(errno));
  struct dirent *de;
  char first[256] = "";
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    snprintf(first, sizeof first, "%s", de->d_name);
    break;
  }
  closedir(d);
  if (first[0])
    return al_err_set(err, AL_E_FAILED,
                      "output directory %s is not empty (it holds '%s'); use --overwrite to replace a previous "
                      "run's output or --resume to keep its verified tasks",
                      dir, first);
  return 0;
}

int coord_outdir_sha256(const char *path, char hex[65], al_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return al_err_set(err, AL_E_FAILED, "%s: cannot open: %s", path, strerror(errno));
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int rc = 0;
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
    rc = al_err_set(err, AL_E_FAILED, "%s: cannot start SHA-256", path);
    goto out;
  }
  static _Thread_local unsigned char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = al_err_set(err, AL_E_FAILED, "%s: cannot read: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0) break;
    EVP_DigestUpdate(md, buf, (size_t)n);
  }
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  EVP_DigestFinal_ex(md, d, &dl);
  for (unsigned i = 0; i < dl && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
out:
  EVP_MD_CTX_free(md);
  close(fd);
  return rc;
}


int coord_outdir_check_shard(const char *root, const char *path, int64_t bytes, int64_t rows, int64_t max_seq_len,
                             const char *sha256, int verify_sha256, al_err *err) {
  if (!path || !*path || path[0] == '/' || strstr(path, ".."))
    return al_err_set(err, AL_E_FAILED, "shard '%.300s' is not a path inside the output directory", path ? path : "");
  char *full = al_xasprintf("%s/%s", root, path);
  struct stat st;
  int rc = 0;
  if (lstat(full, &st) != 0) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s: %s", full, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s is not a regular file", full);
  } else if ((int64_t)st.st_size != bytes) {
    rc = al_err_set(err, AL_E_FAILED, "shard %s holds %lld bytes, %lld recorded", full, (long long)st.st_size,
                    (long long)bytes);
  } else {
    shard_st_file f;
    al_err e;
    al_err_clear(&e);
    if (shard_st_load(full, &f, &e) != 0) {
      rc = al_err_set(err, AL_E_FAILED, "shard %s: %s", full, e.msg);
    } else {
      const shard_st_tensor *ids = shard_st_find(&f, "input_ids");
      if (!ids || ids->ndim != 2 || (int64_t)ids->shape[0] != rows || (int64_t)ids->shape[1] != max_seq_len)
        rc = al_err_set(err, AL_E_FAILED, "shard %s: input_ids is not %lld x %lld as recorded", full, (long long)rows,
                        (long long)max_seq_len);
      shard_st_free(&f);
    }
  }
  if (rc == 0 && verify_sha256) {
    char hex[65] = {0};
    if (coord_outdir_sha256(full, hex, err) != 0) rc = -1;
    else if (!sha256 || strcmp(hex, sha256) != 0)
      rc = al_err_set(err, AL_E_FAILED, "shard %s: sha256 %s, %s recorded", full, hex, sha256 ? sha256 : "none");
  }
  free(full);
  return rc;
}
