/* Tokenizers loaded once per directory and shared read-only by every worker thread.
 * An entry is reloaded when the mtime or size of one of its files changes; a replaced
 * tokenizer is freed when its last user releases it. Thread-safe (one mutex; loading
 * happens rarely), as is the per-tokenizer pool of encoders. Prefix: worker_tokcache_. */
#ifndef AL_WORKER_TOKCACHE_H
#define AL_WORKER_TOKCACHE_H

#include <stdint.h>

#include "auralith/tokenizer.h"
#include "common/al.h"

typedef struct worker_tokcache worker_tokcache;

worker_tokcache *worker_tokcache_new(void);
/* Frees every entry; no tokenizer may still be acquired. */
void worker_tokcache_free(worker_tokcache *c);

/* A borrowed tokenizer plus the generation that identifies this load (different loads
 * never share a generation, so a per-thread encoder can tell when to rebuild). */
typedef struct worker_tok_ref {
  const al_tok_bpe *bpe;
  uint64_t generation;
  void *entry_; /* internal */
} worker_tok_ref;

/* Returns 0 and fills ref, or -1 with err naming the directory and the problem. The
 * tokenizer stays valid until worker_tokcache_release(ref). */
int worker_tokcache_acquire(worker_tokcache *c, const char *dir, worker_tok_ref *ref, al_err *err);
void worker_tokcache_release(worker_tokcache *c, worker_tok_ref *ref);
/* Encoders are pooled per loaded tokenizer: an encoder's word cache (about 5 MiB) is
 * what makes encoding fast, so tasks reuse warm encoders instead of building a cold one
 * each. At most WORKER_TOKCACHE_MAX_POOLED idle encoders are kept per tokenizer; they
 * are freed with their tokenizer.
 * take: returns an encoder for ref's tokenizer (owned by the caller until put; a
 * pooled one when there is one, else a new one). put: gives it back (ownership passes
 * to the cache); call it before worker_tokcache_release(ref). */
#define WORKER_TOKCACHE_MAX_POOLED 64
al_tok_encoder *worker_tokcache_take_encoder(worker_tokcache *c, const worker_tok_ref *ref);
void worker_tokcache_put_encoder(worker_tokcache *c, const worker_tok_ref *ref, al_tok_encoder *e);
/* Encoders created so far (for tests: proves reuse). */
uint64_t worker_tokcache_encoders_made(worker_tokcache *c);
/* Number of loads performed so far (for tests: proves reuse). */
uint64_t worker_tokcache_loads(worker_tokcache *c);

#endif
