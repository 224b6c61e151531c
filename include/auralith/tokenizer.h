/* Text and code tokenizer: byte-exact port of the original's BPETokenizer (encode,
 * decode, train), file classification and per-file sample construction.
 *
 * Threading: a tok_bpe is immutable once loaded and may be shared by any number of
 * threads. Each thread encodes through its own tok_encoder (scratch buffers and a
 * bounded word cache). Errors are reported through an al_err (auralith/error.h) whose
 * message names the file and the line, JSON position or key that is wrong. */
#ifndef AURALITH_TOKENIZER_H
#define AURALITH_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct al_err;

/* Special token ids of the original's id space (§14.1). */
enum {
  TOK_PAD = 0, TOK_UNK = 1, TOK_BOS = 2, TOK_EOS = 3, TOK_IMG = 4, TOK_IMG_END = 5,
  TOK_AUDIO = 6, TOK_AUDIO_END = 7, TOK_VIDEO = 8, TOK_VIDEO_END = 9, TOK_FUSE = 10,
  TOK_SEP = 11, TOK_MASK = 12, TOK_CODE = 13, TOK_CODE_END = 14, TOK_THINK = 15,
  TOK_BYTE_OFFSET = 16
};

/* "No max_length": encode keeps every id. Any other value follows Python's ids[:n]
 * slicing, so a negative n drops |n| ids from the end. */
#define TOK_NO_LIMIT INT64_MIN

/* A growable id list. Zero-initialise; release with tok_ids_free. */
typedef struct tok_ids {
  int32_t *v;
  size_t len;
  size_t cap;
} tok_ids;
void tok_ids_free(tok_ids *ids);
void tok_ids_push(tok_ids *ids, int32_t id);
/* Appends n ids (copied from v), or n copies of `fill` when v is NULL. */
void tok_ids_append(tok_ids *ids, const int32_t *v, size_t n, int32_t fill);

/* ---- Loading -------------------------------------------------------------------- */
typedef struct tok_bpe tok_bpe;

/* Loads vocab.json, merges.txt and config.json from dir, which is either a text
 * tokenizer directory or a tokenizers root holding text/. Returns NULL on error (err
 * filled). The caller owns the result and frees it with tok_bpe_free after every
 * encoder made from it is freed. */
tok_bpe *tok_bpe_load(const char *dir, struct al_err *err);
void tok_bpe_free(tok_bpe *t);

size_t tok_bpe_vocab_len(const tok_bpe *t);     /* entries in vocab.json (aliases count) */
size_t tok_bpe_merge_count(const tok_bpe *t);
int64_t tok_bpe_max_merge_depth(const tok_bpe *t);
bool tok_bpe_lowercase(const tok_bpe *t);
/* True when rank-ordered merging is provably equal to the original's rule-by-rule
 * application for this merge list (otherwise the literal algorithm is used). */
bool tok_bpe_rank_merging(const tok_bpe *t);
/* Id of a vocab token, or -1. */
int32_t tok_bpe_token_id(const tok_bpe *t, const char *token);

/* ---- Encoding ------------------------------------------------------------------- */
typedef struct tok_encoder tok_encoder;

/* Per-thread encoding state over a shared tokenizer (borrowed; must outlive the
 * encoder). The word cache has fixed memory: cache_entries lines of 64 bytes (rounded
 * up to a power of two; 0 = default 65536 = 4 MiB) plus fixed 128 KiB and 1 MiB levels,
 * in one block (on huge pages when it reaches 2 MiB and the kernel allows madvise).
 * Free with tok_encoder_free. */
tok_encoder *tok_encoder_new(const tok_bpe *t, size_t cache_entries);
void tok_encoder_free(tok_encoder *e);
/* Frees the encoder's working memory beyond what ordinary text needs (a file without
 * whitespace grows its work arrays to ~20 bytes per input byte); keeps the word cache.
 * For encoders that are kept and reused. */
void tok_encoder_trim(tok_encoder *e);

/* Appends the ids of text[0..len) to out (out->len is reset to 0 first), exactly as the
 * original's encode(text, add_special_tokens, max_length). text must be UTF-8; invalid
 * bytes are treated as U+FFFD like a file read with errors="replace". Returns 0, or -1
 * when normalisation fails (err filled). */
int tok_encode(tok_encoder *e, const char *text, size_t len, bool add_special_tokens,
               int64_t max_length, tok_ids *out, struct al_err *err);

/* The original's decode(ids, skip_special_tokens) as a NUL-terminated heap string the
 * caller frees. */
char *tok_decode(const tok_bpe *t, const int32_t *ids, size_t n, bool skip_special_tokens);

/* ---- Files and classification --------------------------------------------------- */

/* Reads a file as Python's Path.read_text(encoding="utf-8", errors="replace"): invalid
 * bytes become U+FFFD, CRLF/CR become LF, a BOM is kept. Returns a NUL-terminated heap
 * string (caller frees; *len = bytes without the NUL) or NULL with err filled. */
char *tok_read_text_file(const char *path, size_t *len, struct al_err *err);

/* Same conversion on a memory buffer (caller frees the result). */
char *tok_decode_utf8_replace(const char *data, size_t n, bool universal_newlines, size_t *len);

typedef enum {
  TOK_MOD_NONE = -1,
  TOK_MOD_TEXT = 0,
  TOK_MOD_IMAGE = 1,
  TOK_MOD_AUDIO = 2,
  TOK_MOD_VIDEO = 3,
  TOK_MOD_CODE = 4
} tok_modality;

/* classify_file(Path(path)) of the original (§12). */
tok_modality tok_classify(const char *path);
/* "text", "image", "audio", "video", "code", or NULL for TOK_MOD_NONE. */
const char *tok_modality_name(tok_modality m);

/* ---- Samples (§17) -------------------------------------------------------------- */
typedef struct tok_sample {
  tok_ids ids;
  tok_ids mask;   /* modality id per position */
} tok_sample;
void tok_sample_free(tok_sample *s);

typedef enum {
  TOK_SAMPLE_OK = 0,
  TOK_SAMPLE_UNCLASSIFIED,   /* classify gave None */
  TOK_SAMPLE_NOT_TEXT,       /* image/audio/video: not built here */
  TOK_SAMPLE_BLANK,          /* text or code file that is blank after stripping */
  TOK_SAMPLE_ERROR           /* unreadable file (err filled) */
} tok_sample_status;

/* Builds the sample of a text or code file as the original's `process` does: text ->
 * encode(text, True, max_seq_len), mask 0; code -> [13] + encode(text, False,
 * max_seq_len - 2) + [14], mask 4; both truncated to max_seq_len. The file is
 * classified by its path. out is reset and filled only on TOK_SAMPLE_OK. */
tok_sample_status tok_build_sample(tok_encoder *e, const char *path, int64_t max_seq_len,
                                   tok_sample *out, struct al_err *err);
/* The same from text already read (modality TEXT or CODE). */
tok_sample_status tok_build_sample_text(tok_encoder *e, tok_modality m, const char *text,
                                        size_t len, int64_t max_seq_len, tok_sample *out,
                                        struct al_err *err);
const char *tok_sample_status_name(tok_sample_status s);

/* ---- Training (§14.3) ----------------------------------------------------------- */
typedef struct tok_train_opts {
  int64_t vocab_size;        /* 32000 */
  int64_t min_frequency;     /* 2 */
  int64_t max_merge_depth;   /* written to config.json; the original's default is 50;
                                negative = the number of merges learned (applies all) */
  bool lowercase;
} tok_train_opts;
void tok_train_opts_default(tok_train_opts *o);

/* Trains on corpus[0..len) (UTF-8) exactly as BPETokenizer.train and writes vocab.json,
 * merges.txt and config.json into out_dir (created if missing) as the original's save
 * does. *n_vocab / *n_merges (may be NULL) receive the vocab length and merge count.
 * Returns 0 or -1 with err filled. */
int tok_train(const char *corpus, size_t len, const tok_train_opts *o, const char *out_dir,
              size_t *n_vocab, size_t *n_merges, struct al_err *err);

#ifdef __cplusplus
}
#endif

#endif
