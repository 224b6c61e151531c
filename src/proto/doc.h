/* Representative messages and generated reference text for the wire protocol. Used by
 * docs/PROTOCOL.md (its message reference is generated from here and checked by a
 * test), the fuzz seed corpora, tests and benchmarks. Prefix: proto_. */
#ifndef AL_PROTO_DOC_H
#define AL_PROTO_DOC_H

#include "common/al.h"
#include "proto/messages.h"

/* Fills *out with a representative message of type t whose strings and arrays point at
 * static storage (nothing to free; proto_msg_free is harmless). Returns 0, or -1 for an
 * unknown type. */
int proto_msg_example(proto_msg_type t, proto_msg *out);

/* Appends the Markdown reference of one message type: heading, direction, field table
 * (key, type, required, meaning) and a hex dump of the encoded example frame. */
void proto_doc_message(proto_msg_type t, al_buf *md);

/* Appends a hex dump (16 bytes a line, offset column) of data. */
void proto_doc_hexdump(const void *data, size_t len, al_buf *out);

#endif
