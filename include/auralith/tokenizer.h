/* Text and code tokenizer: byte-exact port of the original's BPETokenizer (encode,
 * decode, train), file classification and per-file sample construction.
 *
 * Threading: a al_tok_bpe is immutable once loaded and may be shared by any number of
 * threads. Each thread encodes through its own al_tok_encoder (scratch buffers and a
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

/* A growable id list. Zero-initialise; release with al_tok_ids_free. */
typedef struct al_tok_ids {
  int32_t *v;
  size_t len;
  size_t cap;
} al_tok_ids;
void al_tok_ids_free(al_tok_ids *ids);
void al_tok_ids_push(al_tok_ids *ids, int32_t id);
/* Appends n ids (copied from v), or n copies of `fill` when v is NULL. */
void al_tok_ids_append(al_tok_ids *ids, const int32_t *v, size_t n, int32_t fill);
/* Makes room for `extra` more ids, so appends up to len + extra do not reallocate. */
void al_tok_ids_reserve(al_tok_ids *ids, size_t extra);
/* Gives back the capacity beyond len (a shrinking realloc, no copy in practice). */
void al_tok_ids_shrink_to_fit(al_tok_ids *ids);

/* ---- Loading -------------------------------------------------------------------- */
typedef struct al_tok_bpe al_tok_bpe;

/* Loads vocab.json, merges.txt and config.json from dir, which is either a text
 * tokenizer directory or a tokenizers root holding text/. Returns NULL on error (err
 * filled). The caller owns the result and frees it with al_tok_bpe_free after every
 * encoder made from it is freed. */
al_tok_bpe *al_tok_bpe_load(const char *dir, struct al_err *err);
void al_tok_bpe_free(al_tok_bpe *t);

size_t al_tok_bpe_vocab_len(const al_tok_bpe *t);     /* entries in vocab.json (aliases count) */
size_t al_tok_bpe_merge_count(const al_tok_bpe *t);
int64_t al_tok_bpe_max_merge_depth(const al_tok_bpe *t);
bool al_tok_bpe_lowercase(const al_tok_bpe *t);
/* True when rank-ordered merging is provably equal to the original's rule-by-rule
 * application for this merge list (otherwise the literal algorithm is used). */
bool al_tok_bpe_rank_merging(const al_tok_bpe *t);
/* Id of a vocab token, or -1. */
int32_t al_tok_bpe_token_id(const al_tok_bpe *t, const char *token);

/* ---- Encoding ------------------------------------------------------------------- */
typedef struct al_tok_encoder al_tok_encoder;

/* Per-thread encoding state over a shared tokenizer (borrowed; must outlive the
 * encoder). The word cache has fixed memory: cache_entries lines of 64 bytes (rounded
 * up to a power of two; 0 = default 65536 = 4 MiB) plus fixed 128 KiB and 1 MiB levels,
 * in one block (on huge pages when it reaches 2 MiB and the kernel allows madvise).
 * Free with al_tok_encoder_free. */
al_tok_encoder *al_tok_encoder_new(const al_tok_bpe *t, size_t cache_entries);
void al_tok_encoder_free(al_tok_encoder *e);
/* Frees the encoder's working memory beyond what ordinary text needs (a file without
 * whitespace grows its work arrays to ~20 bytes per input byte); keeps the word cache.
 * For encoders that are kept and reused. */
void al_tok_encoder_trim(al_tok_encoder *e);

/* Appends the ids of text[0..len) to out (out->len is reset to 0 first), exactly as the
 * original's encode(text, add_special_tokens, max_length). text must be UTF-8; invalid
 * bytes are treated as U+FFFD like a file read with errors="replace". Returns 0, or -1
 * when normalisation fails (err filled). */
int al_tok_encode(al_tok_encoder *e, const char *text, size_t len, bool add_special_tokens,
               int64_t max_length, al_tok_ids *out, struct al_err *err);

/* The original's decode(ids, skip_special_tokens) as a NUL-terminated heap string the
 * caller frees. */
char *al_tok_decode(const al_tok_bpe *t, const int32_t *ids, size_t n, bool skip_special_tokens);

/* ---- Files and classification --------------------------------------------------- */

/* Reads a file as Python's Path.read_text(encoding="utf-8", errors="replace"): invalid
 * bytes become U+FFFD, CRLF/CR become LF, a BOM is kept. Returns a NUL-terminated heap
 * string (caller frees; *len = bytes without the NUL) or NULL with err filled. */
char *al_tok_read_text_file(const char *path, size_t *len, struct al_err *err);

/* Same conversion on a memory buffer (caller frees the result). */
char *al_tok_decode_utf8_replace(const char *data, size_t n, bool universal_newlines, size_t *len);

typedef enum {
  TOK_MOD_NONE = -1,
  TOK_MOD_TEXT = 0,
  TOK_MOD_IMAGE = 1,
  TOK_MOD_AUDIO = 2,
  TOK_MOD_VIDEO = 3,
  TOK_MOD_CODE = 4
} al_tok_modality;

/* classify_file(Path(path)) of the original (§12), except that `.gif` (any case) is an
 * image here; the original leaves it unclassified. */
al_tok_modality al_tok_classify(const char *path);
/* "text", "image", "audio", "video", "code", or NULL for TOK_MOD_NONE. */
const char *al_tok_modality_name(al_tok_modality m);

/* ---- Samples (§17) -------------------------------------------------------------- */
typedef struct al_tok_sample {
  al_tok_ids ids;
  al_tok_ids mask;   /* modality id per position */
} al_tok_sample;
void al_tok_sample_free(al_tok_sample *s);

typedef enum {
  TOK_SAMPLE_OK = 0,
  TOK_SAMPLE_UNCLASSIFIED,   /* classify gave None */
  TOK_SAMPLE_NOT_TEXT,       /* image/audio/video: not built here */
  TOK_SAMPLE_BLANK,          /* text or code file that is blank after stripping */
  TOK_SAMPLE_ERROR           /* unreadable file (err filled) */
} al_tok_sample_status;

/* Builds the sample of a text or code file as the original's `process` does: text ->
 * encode(text, True, max_seq_len), mask 0; code -> [13] + encode(text, False,
 * max_seq_len - 2) + [14], mask 4; both truncated to max_seq_len. The file is
 * classified by its path. out is reset and filled only on TOK_SAMPLE_OK. */
al_tok_sample_status al_tok_build_sample(al_tok_encoder *e, const char *path, int64_t max_seq_len,
                                   al_tok_sample *out, struct al_err *err);
/* The same from text already read (modality TEXT or CODE). */
al_tok_sample_status al_tok_build_sample_text(al_tok_encoder *e, al_tok_modality m, const char *text,
                                        size_t len, int64_t max_seq_len, al_tok_sample *out,
                                        struct al_err *err);
const char *al_tok_sample_status_name(al_tok_sample_status s);

/* ---- Training (§14.3) ----------------------------------------------------------- */
typedef struct al_tok_train_opts {
  int64_t vocab_size;        /* 32000 */
  int64_t min_frequency;     /* 2 */
  int64_t max_merge_depth;   /* written to config.json; the original's default is 50;
                                negative = the number of merges learned (applies all) */
  bool lowercase;
} al_tok_train_opts;
void al_tok_train_opts_default(al_tok_train_opts *o);

/* Trains on corpus[0..len) (UTF-8) exactly as BPETokenizer.train and writes vocab.json,
 * merges.txt and config.json into out_dir (created if missing) as the original's save
 * does. *n_vocab / *n_merges (may be NULL) receive the vocab length and merge count.
 * Returns 0 or -1 with err filled. */
int al_tok_train(const char *corpus, size_t len, const al_tok_train_opts *o, const char *out_dir,
              size_t *n_vocab, size_t *n_merges, struct al_err *err);

#ifdef __cplusplus
}
#endif

#endif
