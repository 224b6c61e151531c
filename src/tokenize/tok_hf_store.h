/* The second level of a byte-level BPE encoder's piece cache (tok_hf_enc.h): every piece
 * of up to TOK_HF_STORE_KEY bytes that merged into up to TOK_HF_STORE_IDS ids, kept
 * whole, whatever its length. The first level holds only short pieces in fixed lines;
 * without this store a piece that misses there (a collision, a run of "-----" under a
 * heading, a long identifier) was merged again on every occurrence. Hugging Face
 * tokenizers caches pieces of up to 256 characters the same way.
 *
 * Bounded: at most TOK_HF_STORE_SLOTS * 3 / 4 pieces and TOK_HF_STORE_ARENA bytes;
 * when either is reached the store empties and fills again with the pieces that come
 * next (frequent pieces come back first). Not thread-safe: one per encoder. Internal. */
#ifndef AL_TOKENIZE_TOK_HF_STORE_H
#define AL_TOKENIZE_TOK_HF_STORE_H

#include <stddef.h>
#include <stdint.h>

#define TOK_HF_STORE_KEY 256
#define TOK_HF_STORE_IDS 256
#define TOK_HF_STORE_SLOTS 65536          /* 16 bytes each: 1 MiB */
#define TOK_HF_STORE_ARENA (4u << 20)     /* ids and key bytes of the pieces */

typedef struct tok_hf_store_slot {
  uint64_t hash;
  uint32_t off;   /* in the arena: nids int32 ids, then klen key bytes */
  uint16_t klen;  /* 0 = empty */
  uint16_t nids;
} tok_hf_store_slot;

typedef struct tok_hf_store {
  tok_hf_store_slot *slots; /* TOK_HF_STORE_SLOTS, owned; NULL until the first put */
  unsigned char *arena;     /* owned, grows to at most TOK_HF_STORE_ARENA */
  size_t arena_len, arena_cap;
  size_t used;              /* occupied slots */
} tok_hf_store;

/* Frees what the store owns and leaves it empty (a zeroed store is a valid empty one). */
void tok_hf_store_free(tok_hf_store *s);

/* The ids of piece p[0..n) whose tok_hash_bytes is hv, or NULL when it is not stored.
 * *nids is set on a hit. The ids are borrowed: valid until the next put. */
const int32_t *tok_hf_store_get(const tok_hf_store *s, uint64_t hv, const unsigned char *p, size_t n,
                                size_t *nids);

/* Stores a piece (not already stored) with its ids, both copied; pieces or id lists over
 * the limits are not stored. */
void tok_hf_store_put(tok_hf_store *s, uint64_t hv, const unsigned char *p, size_t n, const int32_t *ids,
                      size_t nids);

#endif
