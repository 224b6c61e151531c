/* Internals shared by the config module's files: the key table (schema), the YAML
 * node tree built from libyaml events, and scalar conversion. Not a public API. */
#ifndef AL_CONFIG_CFG_INTERNAL_H
#define AL_CONFIG_CFG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* ---- Schema ----------------------------------------------------------------------- */
typedef enum { CFG_SEC_COORD = 0, CFG_SEC_POOL = 1, CFG_SEC_JOB = 2 } cfg_section;

typedef enum {
  CFG_K_INT,      /* int64_t in [imin, imax] */
  CFG_K_SECONDS,  /* double seconds, > 0 (or >= 0 with CFG_F_ZERO_OK), <= CFG_MAX_SECONDS */
  CFG_K_FACTOR,   /* double >= 1 */
  CFG_K_BOOL,     /* bool */
  CFG_K_STR,      /* char * */
  CFG_K_ENUM,     /* int-sized enum, names in enum_names */
  CFG_K_STRLIST,  /* char ** + size_t count (the count follows the pointer) */
  CFG_K_SIZE,     /* int64_t bytes in [imin, imax]; integer or NKiB/NMiB/NGiB */
} cfg_kind;

#define CFG_F_NULLABLE 1u   /* YAML null allowed (NULL string or CFG_INT_NULL) */
#define CFG_F_ORIGINAL 2u   /* key exists in the original's schema */
#define CFG_F_ZERO_OK 4u    /* CFG_K_SECONDS: 0 allowed */
#define CFG_F_SECRET 8u     /* redacted on request when printed */
#define CFG_F_NONEMPTY 16u  /* CFG_K_STR: "" rejected */
#define CFG_F_ALIAS 32u     /* job.* mirror of a coordinator.* key */

#define CFG_MAX_SECONDS 1e9 /* ~31 years: bounds conversions to ms/ns */

typedef struct cfg_key {
  cfg_section section;
  const char *name;
  cfg_kind kind;
  size_t off;                     /* in cfg_coordinator, cfg_pool or cfg_job */
  int64_t imin, imax;
  unsigned flags;
  const char *const *enum_names;  /* NULL-terminated, CFG_K_ENUM only */
} cfg_key;

extern const cfg_key cfg_keys[];
extern const size_t cfg_nkeys;
extern const char *const cfg_section_names[3];

/* Index of name within section, or -1. */
int cfg_key_find(cfg_section sec, const char *name, size_t len);
/* Closest key name within the section (for "did you mean"), or NULL. */
const char *cfg_key_suggest(cfg_section sec, const char *name, size_t len);
/* "an integer 1-65535", "a number of seconds > 0", ... into buf. */
void cfg_key_expect(const cfg_key *k, char *buf, size_t cap);
/* Address of the key's field in the section struct base. */
void *cfg_key_field(const cfg_key *k, void *section_base);
void *cfg_section_base(cfg_config *cfg, cfg_section sec, size_t pool);

void cfg_mark_set(cfg_config *cfg, size_t key_index);
bool cfg_mark_is_set(const cfg_config *cfg, size_t key_index);

/* Copies job aliases into the coordinator (coordinator wins when both are given) and
 * mirrors the effective values back into the job section. */
void cfg_resolve_aliases(cfg_config *cfg);
/* Cross-key rules (heartbeat_timeout > heartbeat_interval, soft <= hard limit,
 * hard limit >= max_frame_bytes). On a violation returns the index of the key to
 * blame (preferring one that was set) and writes "key '...': expected ..." to msg. */
int cfg_check_cross(const cfg_config *cfg, char *msg, size_t cap);

/* Shortest decimal text that reads back as exactly v ("10", "0.5", "2.25"). */
void cfg_fmt_double(double v, char *buf, size_t cap);
/* Defaults of one pool (name NULL until given). */
void cfg_pool_defaults(cfg_pool *p);
void cfg_pool_free(cfg_pool *p);

/* ---- Scalar values ---------------------------------------------------------------- */
/* A scalar as read: its text and whether it is plain (untagged, unquoted) so that
 * YAML's implicit types (null, booleans, numbers) apply. */
typedef struct cfg_scalar {
  const char *text;
  size_t len;
  bool plain;
} cfg_scalar;

bool cfg_scalar_is_null(const cfg_scalar *s);
/* Returns 0 and *out, or -1 when the text is not a boolean. */
int cfg_scalar_bool(const cfg_scalar *s, bool *out);
/* Returns 0, -1 not an integer, -2 overflow. */
int cfg_scalar_int(const cfg_scalar *s, int64_t *out);
int cfg_scalar_double(const cfg_scalar *s, double *out);
int cfg_scalar_size(const cfg_scalar *s, int64_t *out);
/* "'text'" quoted and escaped for a message, truncated; into buf. */
void cfg_scalar_describe(const cfg_scalar *s, char *buf, size_t cap);
/* True when the bytes are valid UTF-8 without NUL. */
bool cfg_utf8_valid(const char *s, size_t len);

/* Converts a scalar (NULL = a mapping/sequence, described by what) into the key's
 * field. On failure returns -1 with "expected X, got Y" in msg; the field is
 * untouched. Strings are duplicated. */
int cfg_apply_scalar(const cfg_key *k, void *field, const cfg_scalar *s, const char *what,
                     char *msg, size_t cap);

/* ---- YAML tree -------------------------------------------------------------------- */
typedef enum { CFG_YN_SCALAR, CFG_YN_MAP, CFG_YN_SEQ } cfg_yn_kind;

typedef struct cfg_yn {
  cfg_yn_kind kind;
  size_t line, col;        /* 1-based start of the node */
  char *text;              /* scalar bytes, NUL-terminated (may contain NUL) */
  size_t len;
  bool plain;              /* plain style and no explicit tag forcing a string */
  struct cfg_yn **kids;    /* sequence items, or key, value, key, value ... */
  size_t nkids, cap;
} cfg_yn;

/* Parses one YAML document. *root is NULL when the stream holds no document. Errors
 * ("NAME:LINE:COL: invalid YAML: ...") for malformed input, anchors, aliases, unknown
 * tags, several documents, nesting deeper than CFG_MAX_DEPTH. */
int cfg_yn_parse(const char *name, const void *data, size_t len, cfg_yn **root,
                 al_err *err);
void cfg_yn_free(cfg_yn *n);

#endif
