/* Allocation-free msgpack reader used by the frame validator and the message decoder.
 * Hand-written rather than msgpack-c's unpacker because that one builds an object tree
 * (allocating up front from counts declared by the peer), while these readers decode
 * straight into the message structs and bound everything by the bytes present. */
#include "proto/mpread.h"

#include <string.h>

void proto_mpr_init(proto_mpr *r, const uint8_t *data, size_t len) {
  r->base = data;
  r->p = data;
  r->end = data + len;
  r->why = NULL;
  r->at = 0;
}

static int fail(proto_mpr *r, const uint8_t *at, const char *why) {
  r->why = why;
  r->at = (size_t)(at - r->base);
  return -1;
}

static uint64_t be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

/* Size of the fixed-width part after the type byte, for scalar types, or -1. */
static int scalar_width(uint8_t b) {
  switch (b) {
    case 0xcc: case 0xd0: return 1;
    case 0xcd: case 0xd1: return 2;
    case 0xca: case 0xce: case 0xd2: return 4;
    case 0xcb: case 0xcf: case 0xd3: return 8;
    case 0xd4: return 2;  /* fixext: type byte + data */
    case 0xd5: return 3;
    case 0xd6: return 5;
    case 0xd7: return 9;
    case 0xd8: return 17;
    default: return -1;
  }
}

int proto_mpr_skip(proto_mpr *r, int depth_left) {
  const uint8_t *start = r->p;
  if (r->p >= r->end) return fail(r, r->p, "truncated msgpack object");
  uint8_t b = *r->p;
  uint64_t count = 0, bytes = 0;
  int lenw = 0, extra = 0;
  bool container = false;
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    r->p++;
    return 0;
  }
  if (b <= 0x8f) {
    count = (uint64_t)(b & 0x0f) * 2;
    container = true;
  } else if (b <= 0x9f) {
    count = b & 0x0f;
    container = true;
  } else if (b <= 0xbf) {
    bytes = b & 0x1f;
  } else {
    switch (b) {
      case 0xc4: case 0xd9: lenw = 1; break;
      case 0xc5: case 0xda: lenw = 2; break;
      case 0xc6: case 0xdb: lenw = 4; break;
      case 0xc7: lenw = 1; extra = 1; break;
      case 0xc8: lenw = 2; extra = 1; break;
      case 0xc9: lenw = 4; extra = 1; break;
      case 0xdc: lenw = 2; container = true; break;
      case 0xdd: lenw = 4; container = true; break;
      case 0xde: lenw = 2; container = true; break;
      case 0xdf: lenw = 4; container = true; break;
      case 0xc1: return fail(r, start, "invalid msgpack byte 0xc1");
      default: {
        int w = scalar_width(b);
        if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, start, "truncated msgpack object");
        r->p += 1 + w;
        return 0;
      }
    }
    if ((size_t)(r->end - r->p - 1) < (size_t)lenw) return fail(r, start, "truncated msgpack object");
    uint64_t n = be(r->p + 1, lenw);
    if (container) count = (b == 0xde || b == 0xdf) ? n * 2 : n;
    else bytes = n + (uint64_t)extra;
  }
  const uint8_t *body = r->p + 1 + lenw;
  if (!container) {
    if ((uint64_t)(r->end - body) < bytes) return fail(r, start, "truncated msgpack object");
    r->p = body + bytes;
    return 0;
  }
  if (depth_left <= 0) return fail(r, start, "msgpack nesting too deep");
  if ((uint64_t)(r->end - body) < count) return fail(r, start, "truncated msgpack object");
  r->p = body;
  for (uint64_t i = 0; i < count; i++) {
    if (proto_mpr_skip(r, depth_left - 1) != 0) {
      const char *why = r->why;
      size_t at = r->at;
      r->p = start;
      r->why = why;
      r->at = at;
      return -1;
    }
  }
  return 0;
}

int proto_mpr_uint(proto_mpr *r, uint64_t *v) {
  if (r->p >= r->end) return fail(r, r->p, "expected an unsigned integer");
  uint8_t b = *r->p;
  if (b <= 0x7f) {
    *v = b;
    r->p++;
    return 0;
  }
  int w = 0;
  bool sign = false;
  switch (b) {
    case 0xcc: w = 1; break;
    case 0xcd: w = 2; break;
    case 0xce: w = 4; break;
    case 0xcf: w = 8; break;
    case 0xd0: w = 1; sign = true; break;
    case 0xd1: w = 2; sign = true; break;
    case 0xd2: w = 4; sign = true; break;
    case 0xd3: w = 8; sign = true; break;
    default: return fail(r, r->p, "expected an unsigned integer");
  }
  if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, r->p, "truncated msgpack object");
  uint64_t x = be(r->p + 1, w);
  if (sign && (x >> (w * 8 - 1)) & 1) return fail(r, r->p, "expected an unsigned integer, got a negative one");
  *v = x;
  r->p += 1 + w;
  return 0;
}

int proto_mpr_double(proto_mpr *r, double *v) {
  if (r->p >= r->end) return fail(r, r->p, "expected a number");
  uint8_t b = *r->p;
  if (b == 0xca || b == 0xcb) {
    int w = b == 0xca ? 4 : 8;
    if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, r->p, "truncated msgpack object");
    uint64_t x = be(r->p + 1, w);
    if (w == 4) {
      uint32_t u = (uint32_t)x;
      float f;
      memcpy(&f, &u, 4);
      *v = f;
    } else {
      memcpy(v, &x, 8);
    }
    r->p += 1 + w;
    return 0;
  }
  if (b >= 0xe0) {
    *v = (double)(int8_t)b;
    r->p++;
    return 0;
  }
  if (b >= 0xd0 && b <= 0xd3) {
    int w = 1 << (b - 0xd0);
    if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, r->p, "truncated msgpack object");
    uint64_t x = be(r->p + 1, w);
    int64_t s;
    if (w == 8) {
      memcpy(&s, &x, 8);
    } else {
      uint64_t sign = 1ull << (w * 8 - 1);
      s = (int64_t)(x ^ sign) - (int64_t)sign;
    }
    *v = (double)s;
    r->p += 1 + w;
    return 0;
  }
  uint64_t u;
  if (proto_mpr_uint(r, &u) != 0) return fail(r, r->p, "expected a number");
  *v = (double)u;
  return 0;
}

int proto_mpr_bool(proto_mpr *r, bool *v) {
  if (r->p >= r->end || (*r->p != 0xc2 && *r->p != 0xc3)) return fail(r, r->p, "expected a boolean");
  *v = *r->p == 0xc3;
  r->p++;
  return 0;
}

int proto_mpr_str(proto_mpr *r, const char **s, uint32_t *len) {
  if (r->p >= r->end) return fail(r, r->p, "expected a string");
  uint8_t b = *r->p;
  int w;
  uint64_t n;
  if (b >= 0xa0 && b <= 0xbf) {
    w = 0;
    n = b & 0x1f;
  } else if (b == 0xd9 || b == 0xda || b == 0xdb) {
    w = b == 0xd9 ? 1 : b == 0xda ? 2 : 4;
    if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, r->p, "truncated msgpack object");
    n = be(r->p + 1, w);
  } else {
    return fail(r, r->p, "expected a string");
  }
  const uint8_t *body = r->p + 1 + w;
  if ((uint64_t)(r->end - body) < n) return fail(r, r->p, "truncated msgpack object");
  *s = (const char *)body;
  *len = (uint32_t)n;
  r->p = body + n;
  return 0;
}

static int container(proto_mpr *r, uint32_t *n, bool map) {
  if (r->p >= r->end) return fail(r, r->p, map ? "expected a map" : "expected an array");
  uint8_t b = *r->p;
  uint8_t fix = map ? 0x80 : 0x90;
  uint8_t b16 = map ? 0xde : 0xdc;
  int w;
  uint64_t c;
  if (b >= fix && b <= fix + 0x0f) {
    w = 0;
    c = b & 0x0f;
  } else if (b == b16 || b == b16 + 1) {
    w = b == b16 ? 2 : 4;
    if ((size_t)(r->end - r->p - 1) < (size_t)w) return fail(r, r->p, "truncated msgpack object");
    c = be(r->p + 1, w);
  } else {
    return fail(r, r->p, map ? "expected a map" : "expected an array");
  }
  uint64_t need = map ? c * 2 : c;
  if ((uint64_t)(r->end - r->p - 1 - w) < need) return fail(r, r->p, "truncated msgpack object");
  *n = (uint32_t)c;
  r->p += 1 + w;
  return 0;
}

int proto_mpr_array(proto_mpr *r, uint32_t *n) { return container(r, n, false); }
int proto_mpr_map(proto_mpr *r, uint32_t *n) { return container(r, n, true); }

bool proto_mpr_nil(proto_mpr *r) {
  if (r->p < r->end && *r->p == 0xc0) {
    r->p++;
    return true;
  }
  return false;
}

const char *proto_mpr_peek_name(const proto_mpr *r) {
  if (r->p >= r->end) return "end of data";
  uint8_t b = *r->p;
  if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3)) return "integer";
  if (b <= 0x8f || b == 0xde || b == 0xdf) return "map";
  if (b <= 0x9f || b == 0xdc || b == 0xdd) return "array";
  if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb)) return "string";
  switch (b) {
    case 0xc0: return "nil";
    case 0xc2: case 0xc3: return "boolean";
    case 0xc4: case 0xc5: case 0xc6: return "binary";
    case 0xca: case 0xcb: return "float";
    case 0xc1: return "invalid byte 0xc1";
    default: return "extension";
  }
}
