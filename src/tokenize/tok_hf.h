/* Byte-level BPE tokenizers of other libraries: a Hugging Face tokenizer.json (BPE model
 * with ByteLevel handling) or a tiktoken rank file. They share one model: tokens are
 * raw byte strings, merges are (left id, right id) -> (rank, result id), and text is cut
 * by a pre-tokenizer (tok_pretok.h) before the merges run on each piece.
 *
 * A al_tok_bpe whose `hf` field is set is such a tokenizer; al_tok_encode, al_tok_decode and
 * al_tok_build_sample_text dispatch to the functions here. Internal to src/tokenize. */
#ifndef AL_TOKENIZE_TOK_HF_H
#define AL_TOKENIZE_TOK_HF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_pretok.h"

typedef enum { TOK_HF_NORM_NONE = 0, TOK_HF_NORM_NFC, TOK_HF_NORM_NFKC } tok_hf_norm;

typedef struct tok_hf_added {
  char *content;   /* owned UTF-8 */
  size_t len;
  int32_t id;
  bool special, lstrip, rstrip, single_word, normalized;
} tok_hf_added;

/* What a Split does with the spans its pattern matches (the library's
 * SplitDelimiterBehavior; with invert, the gaps between matches are the matched spans). */
typedef enum {
  TOK_HF_SPLIT_ISOLATED = 0,      /* matches and gaps are pieces */
  TOK_HF_SPLIT_REMOVED,           /* matches are dropped */
  TOK_HF_SPLIT_MERGED_WITH_PREV,  /* a match joins the gap before it */
  TOK_HF_SPLIT_MERGED_WITH_NEXT,  /* a match joins the gap after it */
  TOK_HF_SPLIT_CONTIGUOUS,        /* consecutive matches are one piece */
} tok_hf_split;

/* One pre-tokenizer stage: cut every piece of the previous stage with `pat` as `split`
 * says, after prefixing it with a space when prefix_space is set and it does not start
 * with one (ByteLevel's add_prefix_space). pat NULL: no cut. */
typedef struct tok_hf_stage {
  tok_pretok *pat;   /* owned */
  tok_hf_split split;
  bool invert;
  bool prefix_space;
} tok_hf_stage;
#define TOK_HF_MAX_STAGES 8

struct tok_hf {
  bool tiktoken;            /* a rank file (else tokenizer.json) */
  /* ids: raw bytes of each token (NULL for ids no token has) */
  char **id_bytes;          /* owned; id_bytes[i] owned */
  uint32_t *id_len;
  bool *id_special;         /* skipped by decode(skip_special_tokens) */
  size_t n_ids;             /* max id + 1 */
  tok_strmap vocab;         /* raw bytes -> id of the model's vocabulary */
  int32_t byte_id[256];     /* the token of each single byte, or -1 */
  int32_t byte_fallback_id[256]; /* "<0xXX>" tokens when byte_fallback, else -1 */
  int32_t unk_id;           /* -1 when none */
  tok_pairmap pairs;        /* (left, right) -> (rank, result) */
  bool whole_piece_first;   /* ignore_merges / tiktoken: a piece in the vocab is one id */
  tok_hf_norm norm;
  tok_hf_stage stages[TOK_HF_MAX_STAGES];
  int n_stages;
  tok_hf_added *added;      /* owned */
  size_t n_added;
  bool added_first[2][256]; /* [normalized][b]: an added token starts with byte b */
  /* [normalized]: bit (b0 << 8 | b1) is set when an added token starts with bytes b0 b1,
   * added_one when one is a single byte: a cheap test before the tokens are compared
   * (Llama 3 has 256 added tokens, all starting with '<', a common byte in code). */
  uint64_t added_pair[2][65536 / 64];
  bool added_one[2];
  int added_first_only[2];  /* [normalized]: the first byte of every added token when they
                              * share one, else -1 */
  /* post-processor (TemplateProcessing single): ids before and after the sequence */
  int32_t *tmpl_pre, *tmpl_post;
  size_t n_tmpl_pre, n_tmpl_post;
  /* sample markers, -1 when the vocabulary has none (tok_hf_build_sample) */
  int32_t bos, eos, code, code_end;
};

/* Loaders. dir is the text/ directory. Return 0, or -1 with err naming the file and the
 * JSON path or line at fault. On success the tokenizer is stored in t->hf (owned by t). */
int tok_hf_load_json(struct al_tok_bpe *t, const char *path, al_err *err);
int tok_hf_load_tiktoken(struct al_tok_bpe *t, const char *rank_path, const char *config_path,
                         al_err *err);
/* Loads dir's tokenizer.json or *.tiktoken (+ config.json) into t->hf. *found tells
 * whether dir holds either; returns -1 (err filled) when it does and loading fails. */
int tok_hf_try_load(struct al_tok_bpe *t, const char *dir, bool *found, al_err *err);
/* The same from memory (fuzz targets). name is used in messages. The caller frees the
 * returned tokenizer with tok_hf_free. */
struct tok_hf *tok_hf_parse_json(const char *data, size_t n, const char *name, al_err *err);
struct tok_hf *tok_hf_parse_tiktoken(const char *ranks, size_t n_ranks, const char *config,
                                     size_t n_config, const char *name, al_err *err);
void tok_hf_free(struct tok_hf *h);

/* Shared load steps (tok_hf_model.c): allocate the id table, set one id's bytes, and
 * build the merge pairs of a rank file (every split of a token into two tokens). */
void tok_hf_ids_init(struct tok_hf *h, size_t n_ids);
int tok_hf_set_id(struct tok_hf *h, int32_t id, const char *bytes, size_t n, bool special);
void tok_hf_pairs_from_ranks(struct tok_hf *h);
/* Fills byte_id from the vocabulary and added_first from the added tokens. */
void tok_hf_finish(struct tok_hf *h);

/* Per-thread state. */
typedef struct tok_hf_enc tok_hf_enc;
/* The byte-level state of a al_tok_encoder (borrowed), NULL for the original's kind. */
tok_hf_enc *tok_encoder_hf(al_tok_encoder *e);
tok_hf_enc *tok_hf_enc_new(const struct tok_hf *h);
void tok_hf_enc_free(tok_hf_enc *e);
void tok_hf_enc_trim(tok_hf_enc *e);

/* encode(text, add_special_tokens) of the reference library; invalid UTF-8 is replaced
 * by U+FFFD first. out is reset. Returns 0 or -1 (err filled). */
int tok_hf_encode(tok_hf_enc *e, const char *text, size_t len, bool add_special_tokens,
                  int64_t max_length, al_tok_ids *out, al_err *err);
/* BPE of one piece (raw bytes) appended to out. */
void tok_hf_bpe_piece(tok_hf_enc *e, const unsigned char *p, size_t n, al_tok_ids *out);
/* Heap string (caller frees): the bytes of the ids, U+FFFD for invalid UTF-8. */
char *tok_hf_decode(const struct tok_hf *h, const int32_t *ids, size_t n, bool skip_special);
al_tok_sample_status tok_hf_build_sample(tok_hf_enc *e, al_tok_modality m, const char *text,
                                      size_t len, int64_t max_seq_len, al_tok_sample *out,
                                      al_err *err);

#endif
