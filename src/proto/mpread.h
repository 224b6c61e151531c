/* Internal to src/proto: a bounds-checked, allocation-free msgpack reader over a byte
 * range. Every read either consumes exactly one well-formed item and returns 0, or
 * returns -1 leaving the cursor where it was and recording why in r->why / r->at. */
#ifndef AL_PROTO_MPREAD_H
#define AL_PROTO_MPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct proto_mpr {
  const uint8_t *base;  /* start of the payload (for offsets in errors) */
  const uint8_t *p;     /* cursor */
  const uint8_t *end;
  const char *why;      /* static text of the last failure */
  size_t at;            /* payload offset of the last failure */
} proto_mpr;

void proto_mpr_init(proto_mpr *r, const uint8_t *data, size_t len);
static inline size_t proto_mpr_left(const proto_mpr *r) { return (size_t)(r->end - r->p); }

/* Validates and skips one object, nesting bounded by depth_left. */
int proto_mpr_skip(proto_mpr *r, int depth_left);

/* Typed reads. Integers: any msgpack int encoding whose value fits. Doubles: floats
 * and integers. Container headers also check the count against the bytes left (every
 * element needs at least one byte), so callers may size allocations from them. */
int proto_mpr_uint(proto_mpr *r, uint64_t *v);
int proto_mpr_double(proto_mpr *r, double *v);
int proto_mpr_bool(proto_mpr *r, bool *v);
int proto_mpr_str(proto_mpr *r, const char **s, uint32_t *len);
int proto_mpr_array(proto_mpr *r, uint32_t *n);
int proto_mpr_map(proto_mpr *r, uint32_t *n);
/* True (and consumed) when the next item is nil. */
bool proto_mpr_nil(proto_mpr *r);

/* Name of the msgpack type of the next item ("string", "integer", "map", ...), or
 * "end of data". For "expected X, got Y" messages. */
const char *proto_mpr_peek_name(const proto_mpr *r);

#endif
