/* Shared tokenizer cache (see tokcache.h). */
#include "worker/tokcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#define TOKCACHE_NFILES 5

typedef struct cache_entry {
  char *dir;                 /* as given by the task */
  al_tok_bpe *bpe;
  uint64_t generation;
  int refs;                  /* users holding it */
  int stale;                 /* replaced: free when refs drops to 0 */
  struct timespec mtime[TOKCACHE_NFILES];
  off_t size[TOKCACHE_NFILES];
  al_tok_encoder *pool[WORKER_TOKCACHE_MAX_POOLED]; /* idle encoders of this tokenizer */
  size_t npool;
  struct cache_entry *next;
} cache_entry;

struct worker_tokcache {
  pthread_mutex_t mu;
  cache_entry *entries;      /* current entries, one per directory */
  cache_entry *retired;      /* replaced entries still in use */
  uint64_t next_generation;
  uint64_t loads;
  uint64_t encoders_made;
};

/* The files a text tokenizer can be loaded from (tok_bpe_load): the original's three,
 * a Hugging Face tokenizer.json, and one *.tiktoken rank file (the last slot). A change
 * to any of them reloads the tokenizer. */
static const char *FILES[TOKCACHE_NFILES - 1] = {"vocab.json", "merges.txt", "config.json", "tokenizer.json"};

worker_tokcache *worker_tokcache_new(void) {
  worker_tokcache *c = al_xcalloc(1, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  c->next_generation = 1;
  return c;
}

static void entry_free(cache_entry *e) {
  for (size_t i = 0; i < e->npool; i++) al_tok_encoder_free(e->pool[i]);
  al_tok_bpe_free(e->bpe);
  free(e->dir);
  free(e);
}

void worker_tokcache_free(worker_tokcache *c) {
  if (!c) return;
  for (cache_entry *e = c->entries, *n; e; e = n) { n = e->next; entry_free(e); }
  for (cache_entry *e = c->retired, *n; e; e = n) { n = e->next; entry_free(e); }
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static void stat_one(const char *path, struct timespec *mt, off_t *sz) {
  struct stat st;
  if (stat(path, &st) == 0) {
    *mt = st.st_mtim;
    *sz = st.st_size;
  } else {
    mt->tv_sec = mt->tv_nsec = 0;
    *sz = -1;
  }
}

/* Stats the tokenizer files under dir's text directory (dir/text when it is a
 * directory, else dir itself, as tok_bpe_load decides). For *.tiktoken, the newest
 * such file and the sum of their sizes (two of them is a load error anyway). */
static void stat_files(const char *dir, struct timespec mt[TOKCACHE_NFILES], off_t sz[TOKCACHE_NFILES]) {
  char base[4096], path[4400];
  struct stat st;
  snprintf(base, sizeof base, "%s/text", dir);
  if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode)) snprintf(base, sizeof base, "%s", dir);
  for (int i = 0; i < TOKCACHE_NFILES - 1; i++) {
    snprintf(path, sizeof path, "%s/%s", base, FILES[i]);
    stat_one(path, &mt[i], &sz[i]);
  }
  struct timespec *tm = &mt[TOKCACHE_NFILES - 1];
  off_t *ts = &sz[TOKCACHE_NFILES - 1];
  tm->tv_sec = tm->tv_nsec = 0;
  *ts = -1;
  DIR *d = opendir(base);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n <= 9 || strcmp(de->d_name + n - 9, ".tiktoken") != 0) continue;
    snprintf(path, sizeof path, "%s/%s", base, de->d_name);
    struct timespec m;
    off_t z;
    stat_one(path, &m, &z);
    if (m.tv_sec > tm->tv_sec || (m.tv_sec == tm->tv_sec && m.tv_nsec > tm->tv_nsec)) *tm = m;
    *ts = (*ts < 0 ? 0 : *ts) + (z < 0 ? 0 : z);
  }
  if (d) closedir(d);
}

static int same_files(const cache_entry *e, struct timespec mt[TOKCACHE_NFILES], off_t sz[TOKCACHE_NFILES]) {
  for (int i = 0; i < TOKCACHE_NFILES; i++)
    if (e->mtime[i].tv_sec != mt[i].tv_sec || e->mtime[i].tv_nsec != mt[i].tv_nsec || e->size[i] != sz[i])
      return 0;
  return 1;
}

int worker_tokcache_acquire(worker_tokcache *c, const char *dir, worker_tok_ref *ref, al_err *err) {
  struct timespec mt[TOKCACHE_NFILES];
  off_t sz[TOKCACHE_NFILES];
  stat_files(dir, mt, sz);
  pthread_mutex_lock(&c->mu);
  cache_entry **link = &c->entries;
  for (; *link; link = &(*link)->next)
    if (strcmp((*link)->dir, dir) == 0) break;
  cache_entry *e = *link;
  if (e && same_files(e, mt, sz)) {
    e->refs++;
    pthread_mutex_unlock(&c->mu);
    ref->bpe = e->bpe;
    ref->generation = e->generation;
    ref->entry_ = e;
    return 0;
  }
  /* Load under the lock: loads are rare and concurrent loads of one directory would
   * only waste memory. */
  al_tok_bpe *bpe = al_tok_bpe_load(dir, err);
  if (!bpe) {
    pthread_mutex_unlock(&c->mu);
    return -1;
  }
  c->loads++;
  if (e) { /* files changed: retire the old load */
    *link = e->next;
    if (e->refs == 0) {
      entry_free(e);
    } else {
      e->stale = 1;
      e->next = c->retired;
      c->retired = e;
    }
  }
  cache_entry *n = al_xcalloc(1, sizeof *n);
  n->dir = al_xstrdup(dir);
  n->bpe = bpe;
  n->generation = c->next_generation++;
  n->refs = 1;
  memcpy(n->mtime, mt, sizeof mt[0] * TOKCACHE_NFILES);
  memcpy(n->size, sz, sizeof sz[0] * TOKCACHE_NFILES);
  n->next = c->entries;
  c->entries = n;
  pthread_mutex_unlock(&c->mu);
  ref->bpe = bpe;
  ref->generation = n->generation;
  ref->entry_ = n;
  return 0;
}

void worker_tokcache_release(worker_tokcache *c, worker_tok_ref *ref) {
  cache_entry *e = ref->entry_;
  if (!e) return;
  pthread_mutex_lock(&c->mu);
  e->refs--;
  if (e->stale && e->refs == 0) {
    for (cache_entry **l = &c->retired; *l; l = &(*l)->next) {
      if (*l == e) {
        *l = e->next;
        break;
      }
    }
    entry_free(e);
  }
  pthread_mutex_unlock(&c->mu);
  ref->entry_ = NULL;
  ref->bpe = NULL;
}

al_tok_encoder *worker_tokcache_take_encoder(worker_tokcache *c, const worker_tok_ref *ref) {
  cache_entry *e = ref->entry_;
  pthread_mutex_lock(&c->mu);
  al_tok_encoder *enc = e->npool ? e->pool[--e->npool] : NULL;
  if (!enc) c->encoders_made++;
  pthread_mutex_unlock(&c->mu);
  /* a new encoder is built outside the lock: zeroing its cache takes a millisecond */
  return enc ? enc : al_tok_encoder_new(ref->bpe, 0);
}

void worker_tokcache_put_encoder(worker_tokcache *c, const worker_tok_ref *ref, al_tok_encoder *enc) {
  if (!enc) return;
  al_tok_encoder_trim(enc); /* a pooled encoder keeps its word cache, not a huge file's arrays */
  cache_entry *e = ref->entry_;
  pthread_mutex_lock(&c->mu);
  /* a replaced tokenizer's encoders die with it: nobody will take them again */
  if (!e->stale && e->npool < WORKER_TOKCACHE_MAX_POOLED) {
    e->pool[e->npool++] = enc;
    enc = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  al_tok_encoder_free(enc);
}

uint64_t worker_tokcache_encoders_made(worker_tokcache *c) {
  pthread_mutex_lock(&c->mu);
  uint64_t n = c->encoders_made;
  pthread_mutex_unlock(&c->mu);
  return n;
}

uint64_t worker_tokcache_loads(worker_tokcache *c) {
  pthread_mutex_lock(&c->mu);
  uint64_t n = c->loads;
  pthread_mutex_unlock(&c->mu);
  return n;
}
