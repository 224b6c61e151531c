/* Generic message codec driven by the schema tables: msgpack-c's packer for encoding,
 * the allocation-free reader (mpread.h) for decoding straight into the structs. */
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mpread.h"
#include "proto/schema.h"

/* ---- Arena: every string and array of one decoded message ---------------------------- */
struct proto_arena {
  struct proto_arena *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

static void *arena_alloc(proto_msg *m, size_t n, size_t align, size_t hint) {
  struct proto_arena *a = m->arena_;
  if (a) {
    size_t at = (a->used + align - 1) & ~(align - 1);
    if (at + n <= a->cap) {
      a->used = at + n;
      return a->data + at;
    }
  }
  /* First chunk sized from the payload so one malloc usually serves the message. */
  size_t cap = a ? a->cap * 2 : hint;
  if (cap < n) cap = n;
  struct proto_arena *c = al_xmalloc(sizeof *c + cap);
  c->next = a;
  c->cap = cap;
  c->used = n;
  m->arena_ = c;
  return c->data;
}

void proto_msg_free(proto_msg *m) {
  struct proto_arena *a = m->arena_;
  while (a) {
    struct proto_arena *n = a->next;
    free(a);
    a = n;
  }
  memset(m, 0, sizeof *m);
}

/* ---- Names ------------------------------------------------------------------------------ */
const char *proto_msg_type_name(proto_msg_type t) {
  if (t <= PROTO_MSG_NONE || t >= PROTO_MSG_COUNT_) return NULL;
  return proto_msg_table[t].name;
}

proto_msg_type proto_msg_type_from_name(const char *name, size_t len) {
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    const char *n = proto_msg_table[t].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) return (proto_msg_type)t;
  }
  return PROTO_MSG_NONE;
}

static const char *const role_names[] = {"none", "worker", "submitter", "admin"};

const char *proto_role_name(proto_role r) {
  return (r >= PROTO_ROLE_WORKER && r <= PROTO_ROLE_ADMIN) ? role_names[r] : "none";
}

/* ---- Encoding ---------------------------------------------------------------------------- */
/* msgpack-c calls this for every item, so it stays small: no NUL terminator upkeep. */
static int buf_write(void *data, const char *p, size_t n) {
  al_buf *b = data;
  if (b->cap - b->len <= n) al_buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

static void pack_str(msgpack_packer *pk, const char *s) {
  size_t n = s ? strlen(s) : 0;
  msgpack_pack_str_with_body(pk, s ? s : "", n);
}

static void pack_key(msgpack_packer *pk, const proto_field *f) { msgpack_pack_str_with_body(pk, f->key, f->key_len); }

static size_t get_count(const void *obj, const proto_field *f) {
  return *(const size_t *)((const char *)obj + f->count_off);
}

static const void *get_ptr(const void *obj, const proto_field *f) {
  return *(const void *const *)((const char *)obj + f->off);
}

static void pack_struct(msgpack_packer *pk, const proto_schema *s, const void *obj, size_t extra_keys);

static void pack_fields(msgpack_packer *pk, const proto_schema *s, const void *obj) {
  for (unsigned i = 0; i < s->n_fields; i++) {
    const proto_field *f = &s->fields[i];
    const char *at = (const char *)obj + f->off;
    if (f->kind == PF_STR && !f->required && get_ptr(obj, f) == NULL) continue;
    pack_key(pk, f);
    switch ((proto_fkind)f->kind) {
      case PF_STR: pack_str(pk, get_ptr(obj, f)); break;
      case PF_U64: msgpack_pack_uint64(pk, *(const uint64_t *)at); break;
      case PF_U32: msgpack_pack_uint32(pk, *(const uint32_t *)at); break;
      case PF_F64: msgpack_pack_double(pk, *(const double *)at); break;
      case PF_BOOL:
        if (*(const bool *)at) msgpack_pack_true(pk);
        else msgpack_pack_false(pk);
        break;
      case PF_ROLE: pack_str(pk, proto_role_name(*(const proto_role *)at)); break;
      case PF_STRS: {
        const char *const *v = get_ptr(obj, f);
        size_t n = v ? get_count(obj, f) : 0;
        msgpack_pack_array(pk, n);
        for (size_t k = 0; k < n; k++) pack_str(pk, v[k]);
        break;
      }
      case PF_LIST: {
        const char *v = get_ptr(obj, f);
        size_t n = v ? get_count(obj, f) : 0;
        msgpack_pack_array(pk, n);
        for (size_t k = 0; k < n; k++) pack_struct(pk, f->sub, v + k * f->sub->size, 0);
        break;
      }
    }
  }
}

static size_t count_keys(const proto_schema *s, const void *obj) {
  size_t n = 0;
  for (unsigned i = 0; i < s->n_fields; i++) {
    const proto_field *f = &s->fields[i];
    if (f->kind == PF_STR && !f->required && get_ptr(obj, f) == NULL) continue;
    n++;
  }
  return n;
}

static void pack_struct(msgpack_packer *pk, const proto_schema *s, const void *obj, size_t extra_keys) {
  msgpack_pack_map(pk, count_keys(s, obj) + extra_keys);
  pack_fields(pk, s, obj);
}

size_t proto_msg_encode(const proto_msg *m, al_buf *out) {
  if (m->type <= PROTO_MSG_NONE || m->type >= PROTO_MSG_COUNT_) return 0;
  const proto_msg_info *info = &proto_msg_table[m->type];
  size_t start = out->len;
  static const char zero[4] = {0};
  al_buf_append(out, zero, 4);
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, buf_write);
  const void *body = &m->u;
  msgpack_pack_map(&pk, 1 + (m->request_id ? 1 : 0) + count_keys(info->schema, body));
  msgpack_pack_str_with_body(&pk, "t", 1);
  msgpack_pack_str_with_body(&pk, info->name, strlen(info->name));
  if (m->request_id) {
    msgpack_pack_str_with_body(&pk, "rid", 3);
    msgpack_pack_uint64(&pk, m->request_id);
  }
  pack_fields(&pk, info->schema, body);
  size_t len = out->len - start - 4;
  if (len > PROTO_MAX_FRAME_LIMIT) {
    out->len = start;
    return 0;
  }
  unsigned char *h = (unsigned char *)out->data + start;
  h[0] = (unsigned char)(len >> 24);
  h[1] = (unsigned char)(len >> 16);
  h[2] = (unsigned char)(len >> 8);
  h[3] = (unsigned char)len;
  return len + 4;
}

void proto_encode_error(al_buf *out, uint64_t request_id, uint32_t code, const char *fmt, ...) {
  char text[AL_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  proto_msg m;
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_ERROR;
  m.request_id = request_id;
  m.u.error.code = code;
  m.u.error.message = text;
  proto_msg_encode(&m, out);
}

/* ---- Decoding ------------------------------------------------------------------------------ */
/* Where in the message a value sits, for error messages: a chain of (name, index). */
typedef struct path_node {
  const struct path_node *up;
  const char *name;   /* field key */
  long index;         /* element index, or -1 */
} path_node;

typedef struct dctx {
  proto_msg *m;
  const char *type;   /* message wire name */
  size_t hint;        /* first arena chunk size */
  al_err *err;
} dctx;

static void path_format(const path_node *p, char *buf, size_t cap) {
  const path_node *nodes[PROTO_MAX_DEPTH + 2];
  int n = 0;
  for (; p && n < (int)AL_ARRAY_LEN(nodes); p = p->up) nodes[n++] = p;
  size_t used = 0;
  buf[0] = '\0';
  for (int i = n - 1; i >= 0 && used < cap; i--) {
    int w;
    if (nodes[i]->index >= 0)
      w = snprintf(buf + used, cap - used, "%s%s[%ld]", used ? "." : "", nodes[i]->name, nodes[i]->index);
    else
      w = snprintf(buf + used, cap - used, "%s%s", used ? "." : "", nodes[i]->name);
    if (w < 0) break;
    used += (size_t)w;
  }
}

static int field_error(dctx *c, const path_node *p, const char *fmt, const char *a, const char *b) {
  char where[256];
  path_format(p, where, sizeof where);
  char what[512];
  snprintf(what, sizeof what, fmt, a, b);
  return al_err_set(c->err, PROTO_E_BAD_FIELD, "%s: field '%s' %s", c->type, where, what);
}

static int type_error(dctx *c, const path_node *p, proto_mpr *r, const char *expected) {
  return field_error(c, p, "must be %s, got %s", expected, proto_mpr_peek_name(r));
}

static int read_string(dctx *c, proto_mpr *r, const path_node *p, const char **out) {
  const char *s;
  uint32_t n;
  if (proto_mpr_str(r, &s, &n) != 0) return type_error(c, p, r, "a string");
  if (memchr(s, '\0', n)) return field_error(c, p, "contains a NUL byte%s%s", "", "");
  char *copy = arena_alloc(c->m, (size_t)n + 1, 1, c->hint);
  memcpy(copy, s, n);
  copy[n] = '\0';
  *out = copy;
  return 0;
}

static int decode_struct(dctx *c, proto_mpr *r, uint32_t n_keys, const proto_schema *s, void *obj,
                         const path_node *up, int depth, bool top);

/* Fewest bytes a valid element of schema s can take: map header + each required key
 * (string header + name) with a one-byte value. */
static uint64_t min_encoded_size(const proto_schema *s) {
  uint64_t n = 1;
  for (unsigned i = 0; i < s->n_fields; i++)
    if (s->fields[i].required) n += 1u + s->fields[i].key_len + 1u;
  return n;
}

static int decode_value(dctx *c, proto_mpr *r, const proto_field *f, void *obj, const path_node *p, int depth) {
  char *at = (char *)obj + f->off;
  switch ((proto_fkind)f->kind) {
    case PF_STR: return read_string(c, r, p, (const char **)at);
    case PF_U64:
      if (proto_mpr_uint(r, (uint64_t *)at) != 0) return type_error(c, p, r, "an unsigned integer");
      return 0;
    case PF_U32: {
      uint64_t v;
      if (proto_mpr_uint(r, &v) != 0) return type_error(c, p, r, "an unsigned integer");
      if (v > UINT32_MAX) return field_error(c, p, "is out of range (max 4294967295)%s%s", "", "");
      *(uint32_t *)at = (uint32_t)v;
      return 0;
    }
    case PF_F64:
      if (proto_mpr_double(r, (double *)at) != 0) return type_error(c, p, r, "a number");
      return 0;
    case PF_BOOL:
      if (proto_mpr_bool(r, (bool *)at) != 0) return type_error(c, p, r, "a boolean");
      return 0;
    case PF_ROLE: {
      const char *s;
      uint32_t n;
      if (proto_mpr_str(r, &s, &n) != 0) return type_error(c, p, r, "a string");
      for (int k = PROTO_ROLE_WORKER; k <= PROTO_ROLE_ADMIN; k++) {
        if (strlen(role_names[k]) == n && memcmp(role_names[k], s, n) == 0) {
          *(proto_role *)at = (proto_role)k;
          return 0;
        }
      }
      char got[64];
      snprintf(got, sizeof got, "%.*s", (int)AL_MIN(n, 40u), s);
      return field_error(c, p, "must be worker, submitter or admin, got '%s'%s", got, "");
    }
    case PF_STRS: {
      uint32_t n;
      if (proto_mpr_array(r, &n) != 0) return type_error(c, p, r, "an array of strings");
      const char **v = n ? arena_alloc(c->m, n * sizeof *v, sizeof(void *), c->hint) : NULL;
      for (uint32_t k = 0; k < n; k++) {
        path_node e = {p->up, p->name, (long)k};
        if (read_string(c, r, &e, &v[k]) != 0) return -1;
      }
      *(const char ***)at = v;
      *(size_t *)((char *)obj + f->count_off) = n;
      return 0;
    }
    case PF_LIST: {
      uint32_t n;
      if (proto_mpr_array(r, &n) != 0) return type_error(c, p, r, "an array of maps");
      if (depth >= PROTO_MAX_DEPTH) return field_error(c, p, "is nested too deeply%s%s", "", "");
      /* The array is allocated before its elements are read, so the declared count is
       * checked against what the required keys of n elements need: this bounds the
       * decoded size to a small multiple of the frame, whatever count a peer claims. */
      size_t sz = f->sub->size;
      if ((uint64_t)n * min_encoded_size(f->sub) > proto_mpr_left(r)) {
        /* Certainly invalid; decode into one scratch element to name the first fault. */
        char *one = arena_alloc(c->m, sz, 16, c->hint);
        for (uint32_t k = 0; k < n; k++) {
          path_node e = {p->up, p->name, (long)k};
          uint32_t keys;
          memset(one, 0, sz);
          if (proto_mpr_map(r, &keys) != 0) return type_error(c, &e, r, "a map");
          if (decode_struct(c, r, keys, f->sub, one, &e, depth + 1, false) != 0) return -1;
        }
        return field_error(c, p, "declares more elements than the frame holds%s%s", "", "");
      }
      char *v = n ? arena_alloc(c->m, (size_t)n * sz, 16, c->hint) : NULL;
      if (v) memset(v, 0, (size_t)n * sz);
      for (uint32_t k = 0; k < n; k++) {
        path_node e = {p->up, p->name, (long)k};
        uint32_t keys;
        if (proto_mpr_map(r, &keys) != 0) return type_error(c, &e, r, "a map");
        if (decode_struct(c, r, keys, f->sub, v + k * sz, &e, depth + 1, false) != 0) return -1;
      }
      *(char **)at = v;
      *(size_t *)((char *)obj + f->count_off) = n;
      return 0;
    }
  }
  return -1;
}

/* Wire key (k, kn; may hold NUL bytes) equals the schema key. */
static bool key_matches(const proto_field *f, const char *k, uint32_t kn) {
  return f->key_len == kn && memcmp(f->key, k, kn) == 0;
}

static int decode_struct(dctx *c, proto_mpr *r, uint32_t n_keys, const proto_schema *s, void *obj,
                         const path_node *up, int depth, bool top) {
  uint64_t seen = 0;
  unsigned next = 0;  /* our encoder writes fields in schema order: try that first */
  for (uint32_t i = 0; i < n_keys; i++) {
    const char *k;
    uint32_t kn;
    if (proto_mpr_str(r, &k, &kn) != 0) {
      char where[256];
      path_format(up, where, sizeof where);
      return al_err_set(c->err, PROTO_E_BAD_FIELD, "%s: %s%skeys must be strings, got %s", c->type, where,
                        where[0] ? ": " : "", proto_mpr_peek_name(r));
    }
    int fi = -1;
    if (next < s->n_fields && key_matches(&s->fields[next], k, kn)) {
      fi = (int)next;
    } else {
      for (unsigned j = 0; j < s->n_fields; j++) {
        if (key_matches(&s->fields[j], k, kn)) {
          fi = (int)j;
          break;
        }
      }
    }
    if (fi < 0 && top && kn == 3 && memcmp(k, "rid", 3) == 0) {
      if (!proto_mpr_nil(r) && proto_mpr_uint(r, &c->m->request_id) != 0)
        return al_err_set(c->err, PROTO_E_BAD_FIELD, "%s: field 'rid' must be an unsigned integer, got %s",
                          c->type, proto_mpr_peek_name(r));
      continue;
    }
    if (fi < 0 || proto_mpr_nil(r)) {
      /* Unknown key (forward compatibility), "t" (read by the caller) or nil = absent. */
      if (fi < 0 && proto_mpr_skip(r, PROTO_MAX_DEPTH - depth) != 0)
        return al_err_set(c->err, PROTO_E_BAD_FRAME, "%s: invalid msgpack at payload offset %zu: %s", c->type,
                          r->at, r->why);
      continue;
    }
    const proto_field *f = &s->fields[fi];
    path_node p = {up, f->key, -1};
    if (seen & (1ull << fi)) return field_error(c, &p, "appears twice%s%s", "", "");
    seen |= 1ull << fi;
    next = (unsigned)fi + 1;
    if (decode_value(c, r, f, obj, &p, depth) != 0) return -1;
  }
  for (unsigned j = 0; j < s->n_fields; j++) {
    if (s->fields[j].required && !(seen & (1ull << j))) {
      path_node p = {up, s->fields[j].key, -1};
      return field_error(c, &p, "is missing%s%s", "", "");
    }
  }
  return 0;
}

static bool key_is(const char *k, uint32_t kn, const char *want) {
  return strlen(want) == kn && memcmp(k, want, kn) == 0;
}

/* Looks for "t" and "rid" among the top-level keys (values of other keys skipped). */
static int scan_header(proto_mpr r, uint32_t n_keys, const char **t, uint32_t *tn, uint64_t *rid,
                       bool *rid_bad, bool stop_at_t) {
  for (uint32_t i = 0; i < n_keys; i++) {
    const char *k;
    uint32_t kn;
    if (proto_mpr_str(&r, &k, &kn) != 0) return -1;
    if (key_is(k, kn, "t") && *t == NULL) {
      if (proto_mpr_str(&r, t, tn) != 0) return -2;
      if (stop_at_t) return 0;
    } else if (key_is(k, kn, "rid")) {
      if (proto_mpr_nil(&r)) continue;
      if (proto_mpr_uint(&r, rid) != 0) {
        *rid_bad = true;
        if (proto_mpr_skip(&r, PROTO_MAX_DEPTH) != 0) return -1;
      }
    } else if (proto_mpr_skip(&r, PROTO_MAX_DEPTH) != 0) {
      return -1;
    }
  }
  return 0;
}

int proto_msg_decode(const uint8_t *payload, size_t len, proto_msg *out, al_err *err) {
  memset(out, 0, sizeof *out);
  proto_mpr r;
  proto_mpr_init(&r, payload, len);
  uint32_t n_keys;
  if (proto_mpr_map(&r, &n_keys) != 0)
    return al_err_set(err, PROTO_E_BAD_FRAME, "message: payload must be a msgpack map, got %s",
                      proto_mpr_peek_name(&r));
  proto_mpr body = r;
  const char *t = NULL;
  uint32_t tn = 0;
  uint64_t rid = 0;
  bool rid_bad = false;
  /* Our encoder writes "t" first, so this normally reads one key. */
  int hs = scan_header(body, n_keys, &t, &tn, &rid, &rid_bad, true);
  if (hs == -2) return al_err_set(err, PROTO_E_BAD_FIELD, "message: field 't' must be a string");
  if (hs != 0)
    return al_err_set(err, PROTO_E_BAD_FRAME, "message: invalid msgpack map");
  proto_msg_type type = t ? proto_msg_type_from_name(t, tn) : PROTO_MSG_NONE;
  if (type != PROTO_MSG_NONE) {
    const proto_msg_info *info = &proto_msg_table[type];
    dctx c = {out, info->name, len * 2 + 256, err};
    if (decode_struct(&c, &body, n_keys, info->schema, &out->u, NULL, 0, true) == 0) {
      if (body.p == body.end) {
        out->type = type;
        return 0;
      }
      al_err_set(err, PROTO_E_BAD_FRAME, "%s: %zu trailing bytes after the message map", info->name,
                 (size_t)(body.end - body.p));
    }
    proto_msg_free(out);
  } else if (!t) {
    al_err_set(err, PROTO_E_BAD_FIELD, "message: missing field 't' (message type)");
  } else {
    al_err_set(err, PROTO_E_UNKNOWN_TYPE, "unknown message type '%.*s'", (int)AL_MIN(tn, 64u), t);
  }
  /* Failed: still report the request id so the error reply can echo it. */
  const char *t2 = t;
  rid = 0;
  scan_header(r, n_keys, &t2, &tn, &rid, &rid_bad, false);
  out->request_id = rid_bad ? 0 : rid;
  return -1;
}
