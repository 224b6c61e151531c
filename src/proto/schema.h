/* Internal to src/proto: the field schema of every message. The generic codec
 * (codec.c) and the documentation generator walk these tables, so the wire format,
 * the C structs and docs/PROTOCOL.md cannot drift apart. */
#ifndef AL_PROTO_SCHEMA_H
#define AL_PROTO_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "proto/messages.h"

typedef enum proto_fkind {
  PF_STR,   /* const char * */
  PF_U64,   /* uint64_t */
  PF_U32,   /* uint32_t */
  PF_F64,   /* double */
  PF_BOOL,  /* bool */
  PF_ROLE,  /* proto_role, as its name */
  PF_STRS,  /* const char ** + size_t count */
  PF_LIST   /* array of sub-structs + size_t count */
} proto_fkind;

struct proto_schema;

typedef struct proto_field {
  const char *key;           /* wire key = C member name */
  uint8_t key_len;           /* strlen(key) */
  uint8_t kind;              /* proto_fkind */
  uint8_t required;          /* missing -> PROTO_E_BAD_FIELD */
  uint16_t off;              /* offsetof the member */
  uint16_t count_off;        /* PF_STRS / PF_LIST: offsetof the n_<key> member */
  const struct proto_schema *sub; /* PF_LIST element schema */
  const char *doc;           /* meaning, for docs/PROTOCOL.md */
} proto_field;

typedef struct proto_schema {
  const char *name;          /* message wire name or element name for errors/docs */
  uint16_t size;             /* sizeof the struct */
  uint8_t n_fields;
  const proto_field *fields;
} proto_schema;

typedef struct proto_msg_info {
  const char *name;          /* wire name */
  const proto_schema *schema;
  const char *direction;     /* for docs */
  const char *summary;       /* for docs */
} proto_msg_info;

/* Indexed by proto_msg_type; entry 0 (PROTO_MSG_NONE) is empty. */
extern const proto_msg_info proto_msg_table[PROTO_MSG_COUNT_];

#endif
