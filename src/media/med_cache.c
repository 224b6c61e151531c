/* Process-wide cache of media tokenizer sets (see media.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/media.h"

#define NFILES 6

typedef struct entry {
  char *dir;
  med_set set;
  int refs;
  int stale;                 /* replaced: freed when the last user releases it */
  struct timespec mtime[NFILES];
  off_t size[NFILES];
  struct entry *next;
} entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static entry *current, *retired;
static uint64_t loads;

/* The files a set is loaded from; a change to any of them means a reload. */
static void stat_files(const char *dir, struct timespec mt[NFILES], off_t sz[NFILES]) {
  static const char *const names[NFILES] = {"image/config.json", "image/vq_codebook.json", "audio/config.json",
                                            "audio/vq_codebook.json", "video/config.json", "video/vq_codebook.json"};
  for (int i = 0; i < NFILES; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (stat(path, &st) == 0) {
      mt[i] = st.st_mtim;
      sz[i] = st.st_size;
    } else {
      mt[i].tv_sec = mt[i].tv_nsec = 0;
      sz[i] = -1;
    }
  }
}

static void entry_free(entry *e) {
  med_set_clear(&e->set);
  free(e->dir);
  free(e);
}

static void unlink_from(entry **list, entry *e) {
  for (entry **p = list; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      return;
    }
}

int med_cache_acquire(const char *dir, med_ref *ref, al_err *err) {
  struct timespec mt[NFILES];
  off_t sz[NFILES];
  stat_files(dir, mt, sz);
  pthread_mutex_lock(&mu);
  entry *e = current;
  while (e && strcmp(e->dir, dir) != 0) e = e->next;
  if (e && (memcmp(e->size, sz, sizeof sz) != 0 || memcmp(e->mtime, mt, sizeof mt) != 0)) {
    unlink_from(&current, e);
    if (e->refs) {
      e->stale = 1;
      e->next = retired;
      retired = e;
    } else {
      entry_free(e);
    }
    e = NULL;
  }
  if (!e) {
    /* Loading under the lock: it happens once per directory and change, and a second
     * thread asking for the same directory would otherwise load it twice. */
    e = al_xcalloc(1, sizeof *e);
    if (med_set_load(dir, &e->set, err) < 0) {
      pthread_mutex_unlock(&mu);
      free(e);
      return -1;
    }
    loads++;
    e->dir = al_xstrdup(dir);
    memcpy(e->mtime, mt, sizeof mt);
    memcpy(e->size, sz, sizeof sz);
    e->next = current;
    current = e;
  }
  e->refs++;
  pthread_mutex_unlock(&mu);
  ref->set = &e->set;
  ref->entry_ = e;
  return 0;
}

void med_cache_release(med_ref *ref) {
  entry *e = ref->entry_;
  if (!e) return;
  pthread_mutex_lock(&mu);
  if (--e->refs == 0 && e->stale) {
    unlink_from(&retired, e);
    entry_free(e);
  }
  pthread_mutex_unlock(&mu);
  ref->set = NULL;
  ref->entry_ = NULL;
}

uint64_t med_cache_loads(void) {
  pthread_mutex_lock(&mu);
  uint64_t n = loads;
  pthread_mutex_unlock(&mu);
  return n;
}

void med_cache_clear(void) {
  pthread_mutex_lock(&mu);
  for (entry *e = current, *n; e; e = n) {
    n = e->next;
    if (e->refs) {
      e->stale = 1;
      e->next = retired;
      retired = e;
    } else {
      entry_free(e);
    }
  }
  current = NULL;
  pthread_mutex_unlock(&mu);
}
