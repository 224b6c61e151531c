/* Generated reference text for docs/PROTOCOL.md, from the schema tables. */
#include <stdio.h>
#include <string.h>

#include "proto/doc.h"
#include "proto/schema.h"

static const char *kind_name(const proto_field *f) {
  switch ((proto_fkind)f->kind) {
    case PF_STR: return "string";
    case PF_U64: return "uint64";
    case PF_U32: return "uint32";
    case PF_F64: return "float64";
    case PF_BOOL: return "bool";
    case PF_ROLE: return "string: worker, submitter or admin";
    case PF_STRS: return "array of string";
    case PF_LIST: return "array of map";
  }
  return "?";
}

static void field_rows(const proto_schema *s, const char *prefix, al_buf *md) {
  for (unsigned i = 0; i < s->n_fields; i++) {
    const proto_field *f = &s->fields[i];
    const char *req = f->required ? "yes" : (f->kind == PF_STR ? "no (omitted when absent)" : (f->kind == PF_STRS || f->kind == PF_LIST) ? "no (default empty)" : "no (default 0)");
    if (f->kind == PF_BOOL && !f->required) req = "no (default false)";
    al_buf_printf(md, "| `%s%s` | %s | %s | %s |\n", prefix, f->key, kind_name(f), req, f->doc ? f->doc : "");
    if (f->kind == PF_LIST) {
      char sub[128];
      snprintf(sub, sizeof sub, "%s%s[].", prefix, f->key);
      field_rows(f->sub, sub, md);
    }
  }
}

void proto_doc_hexdump(const void *data, size_t len, al_buf *out) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i += 16) {
    al_buf_printf(out, "%04zx ", i);
    for (size_t j = i; j < i + 16 && j < len; j++) al_buf_printf(out, " %02x", p[j]);
    al_buf_puts(out, "\n");
  }
}

void proto_doc_message(proto_msg_type t, al_buf *md) {
  if (t <= PROTO_MSG_NONE || t >= PROTO_MSG_COUNT_) return;
  const proto_msg_info *info = &proto_msg_table[t];
  al_buf_printf(md, "### `%s`\n\n%s. Direction: %s.\n\n", info->name, info->summary, info->direction);
  al_buf_puts(md, "| key | type | required | meaning |\n|---|---|---|---|\n");
  al_buf_printf(md, "| `t` | string | yes | `\"%s\"` |\n", info->name);
  const char *rid = strstr(info->direction, "request") ? "request id, echoed in the reply"
                    : strstr(info->direction, "reply") ? "the request id being answered"
                    : strstr(info->direction, "event") ? "request id of the subscribe"
                                                       : "0 (not a request)";
  al_buf_printf(md, "| `rid` | uint64 | no (omitted when 0) | %s |\n", rid);
  field_rows(info->schema, "", md);
  proto_msg m;
  proto_msg_example(t, &m);
  al_buf frame = {0};
  proto_msg_encode(&m, &frame);
  al_buf_printf(md, "\nExample frame (%zu bytes):\n\n```\n", frame.len);
  proto_doc_hexdump(frame.data, frame.len, md);
  al_buf_puts(md, "```\n\n");
  al_buf_free(&frame);
}
