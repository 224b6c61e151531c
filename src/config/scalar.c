/* Scalar resolution with the YAML 1.1 rules PyYAML's safe_load applies to the
 * original's files (null: ~ null Null NULL and empty; booleans: true/false, yes/no,
 * on/off in three casings; integers with optional sign, underscores and 0x), then
 * conversion into a key's field with a message saying what was expected. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

static bool text_is(const cfg_scalar *s, const char *const *words) {
  for (size_t i = 0; words[i]; i++)
    if (strlen(words[i]) == s->len && memcmp(words[i], s->text, s->len) == 0) return true;
  return false;
}

bool cfg_scalar_is_null(const cfg_scalar *s) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  return s->plain && text_is(s, nulls);
}

int cfg_scalar_bool(const cfg_scalar *s, bool *out) {
  static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                    "on",   "On",   "ON",   NULL};
  static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO",
                                   "off",   "Off",   "OFF",   NULL};
  if (!s->plain) return -1;
  if (text_is(s, yes)) *out = true;
  else if (text_is(s, no)) *out = false;
  else return -1;
  return 0;
}

/* Parses an unsigned magnitude in base 10 or 16 with YAML 1.1 underscores between
 * digits. Returns 0, -1 (not a number), -2 (overflow). Leading zeros (YAML 1.1 octal)
 * are refused rather than silently read as decimal or octal. */
static int parse_magnitude(const char *p, size_t n, uint64_t *out) {
  int base = 10;
  if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
    n -= 2;
  } else if (n > 1 && p[0] == '0') {
    return -1;
  }
  if (n == 0 || p[0] == '_' || p[n - 1] == '_') return -1;
  uint64_t v = 0;
  bool overflow = false;
  for (size_t i = 0; i < n; i++) {
    int d;
    char c = p[i];
    if (c == '_') continue;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) overflow = true;
    else v = v * (uint64_t)base + (uint64_t)d;
  }
  if (overflow) return -2;
  *out = v;
  return 0;
}

int cfg_scalar_int(const cfg_scalar *s, int64_t *out) {
  if (!s->plain || s->len == 0) return -1;
  const char *p = s->text;
  size_t n = s->len;
  bool neg = false;
  if (p[0] == '+' || p[0] == '-') {
    neg = p[0] == '-';
    p++;
    n--;
  }
  uint64_t mag;
  int rc = parse_magnitude(p, n, &mag);
  if (rc != 0) return rc;
  if (neg) {
    if (mag > (uint64_t)INT64_MAX + 1) return -2;
    *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
  } else {
    if (mag > (uint64_t)INT64_MAX) return -2;
    *out = (int64_t)mag;
  }
  return 0;
}

int cfg_scalar_double(const cfg_scalar *s, double *out) {
  int64_t i;
  int rc = cfg_scalar_int(s, &i);
  if (rc == 0) {
    *out = (double)i;
    return 0;
  }
  if (!s->plain || s->len == 0 || s->len > 64) return -1;
  /* Decimal notation only: strtod alone would also take hex floats, inf and nan. */
  char buf[72];
  size_t j = 0;
  bool digit = false;
  for (size_t k = 0; k < s->len; k++) {
    char c = s->text[k];
    if (c == '_') continue;
    if (isdigit((unsigned char)c)) digit = true;
    else if (!(c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return -1;
    buf[j++] = c;
  }
  buf[j] = '\0';
  if (!digit) return -1;
  char *end;
  errno = 0;
  double d = strtod(buf, &end);
  if (*end != '\0' || !isfinite(d)) return -1;
  *out = d;
  return 0;
}

int cfg_scalar_size(const cfg_scalar *s, int64_t *out) {
  static const struct {
    const char *suffix;
    int64_t mult;
  } units[] = {{"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
  int rc = cfg_scalar_int(s, out);
  if (rc != -1) return rc;
  /* "16MiB": plain or quoted; the suffix makes it unambiguous. */
  for (size_t u = 0; u < AL_ARRAY_LEN(units); u++) {
    size_t sl = strlen(units[u].suffix);
    if (s->len <= sl || memcmp(s->text + s->len - sl, units[u].suffix, sl) != 0) continue;
    cfg_scalar num = {s->text, s->len - sl, true};
    while (num.len > 0 && num.text[num.len - 1] == ' ') num.len--;
    int64_t v;
    int r = cfg_scalar_int(&num, &v);
    if (r != 0) return r;
    if (v < 0) return -1;
    if (v > INT64_MAX / units[u].mult) return -2;
    *out = v * units[u].mult;
    return 0;
  }
  return -1;
}

void cfg_scalar_describe(const cfg_scalar *s, char *buf, size_t cap) {
  al_buf b = {0};
  al_buf_puts(&b, s->plain ? "'" : "the quoted string '");
  size_t shown = AL_MIN(s->len, (size_t)60);
  for (size_t i = 0; i < shown; i++) {
    unsigned char c = (unsigned char)s->text[i];
    if (c == '\'') al_buf_puts(&b, "\\'");
    else if (c == '\\') al_buf_puts(&b, "\\\\");
    else if (c == '\n') al_buf_puts(&b, "\\n");
    else if (c == '\t') al_buf_puts(&b, "\\t");
    else if (c < 0x20 || c == 0x7f) al_buf_printf(&b, "\\x%02x", c);
    else al_buf_append(&b, &c, 1);
  }
  if (shown < s->len) al_buf_puts(&b, "...");
  al_buf_puts(&b, "'");
  snprintf(buf, cap, "%s", al_buf_cstr(&b));
  al_buf_free(&b);
}

bool cfg_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    unsigned char c = p[i];
    size_t n;
    uint32_t cp;
    if (c == 0) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return false;
    if (i + n >= len) return false; /* truncated sequence */
    for (size_t k = 1; k <= n; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

static void free_strlist(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

int cfg_apply_scalar(const cfg_key *k, void *field, const cfg_scalar *s, const char *what,
                     char *msg, size_t cap) {
  char expect[160], got[200];
  cfg_key_expect(k, expect, sizeof expect);
  if (!s) snprintf(got, sizeof got, "%s", what);
  else if (cfg_scalar_is_null(s)) snprintf(got, sizeof got, "null");
  else cfg_scalar_describe(s, got, sizeof got);

  bool is_null = s && cfg_scalar_is_null(s);
  if (is_null && (k->flags & CFG_F_NULLABLE)) {
    if (k->kind == CFG_K_STR) {
      free(*(char **)field);
      *(char **)field = NULL;
    } else {
      *(int64_t *)field = CFG_INT_NULL;
    }
    return 0;
  }
  if (!s || is_null) goto bad;

  switch (k->kind) {
  case CFG_K_INT: {
    int64_t v;
    if (cfg_scalar_int(s, &v) != 0 || v < k->imin || v > k->imax) goto bad;
    *(int64_t *)field = v;
    return 0;
  }
  case CFG_K_SIZE: {
    int64_t v;
    if (cfg_scalar_size(s, &v) != 0 || v < k->imin || v > k->imax) goto bad;
    *(int64_t *)field = v;
    return 0;
  }
  case CFG_K_SECONDS: {
    double v;
    if (cfg_scalar_double(s, &v) != 0 || v > CFG_MAX_SECONDS) goto bad;
    if ((k->flags & CFG_F_ZERO_OK) ? v < 0 : v <= 0) goto bad;
    *(double *)field = v;
    return 0;
  }
  case CFG_K_FACTOR: {
    double v;
    if (cfg_scalar_double(s, &v) != 0 || v < 1 || v > 1000) goto bad;
    *(double *)field = v;
    return 0;
  }
  case CFG_K_BOOL: {
    bool v;
    if (cfg_scalar_bool(s, &v) != 0) goto bad;
    *(bool *)field = v;
    return 0;
  }
  case CFG_K_ENUM:
    for (int i = 0; k->enum_names[i]; i++) {
      if (strlen(k->enum_names[i]) == s->len && memcmp(k->enum_names[i], s->text, s->len) == 0) {
        *(int *)field = i;
        return 0;
      }
    }
    goto bad;
  case CFG_K_STR: {
    bool b;
    /* A bare yes/no/on/off is a boolean to YAML (and to the original): quote it. */
    if (cfg_scalar_bool(s, &b) == 0) {
      snprintf(msg, cap, "expected %s, got the boolean %s (quote it to use it as text)", expect,
               got);
      return -1;
    }
    if (!cfg_utf8_valid(s->text, s->len)) goto bad;
    if ((k->flags & CFG_F_NONEMPTY) && s->len == 0) goto bad;
    free(*(char **)field);
    *(char **)field = al_xstrndup(s->text, s->len);
    return 0;
  }
  case CFG_K_STRLIST: {
    /* From the command line: a comma-separated list; "" is the empty list. */
    char **list = NULL;
    size_t n = 0;
    const char *p = s->text, *end = s->text + s->len;
    while (s->len > 0) {
      const char *comma = memchr(p, ',', (size_t)(end - p));
      const char *stop = comma ? comma : end;
      if (stop == p || !cfg_utf8_valid(p, (size_t)(stop - p))) {
        free_strlist(list, n);
        goto bad;
      }
      list = al_xrealloc(list, (n + 1) * sizeof *list);
      list[n++] = al_xstrndup(p, (size_t)(stop - p));
      if (!comma) break;
      p = comma + 1;
    }
    char ***lp = field;
    size_t *np = (size_t *)((char *)field + sizeof(char **));
    free_strlist(*lp, *np);
    *lp = list;
    *np = n;
    return 0;
  }
  }
bad:
  snprintf(msg, cap, "expected %s, got %s", expect, got);
  return -1;
}
