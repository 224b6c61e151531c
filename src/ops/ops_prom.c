/* See ops_prom.h. */
#include "ops/ops_prom.h"

#include <math.h>
#include <string.h>

void ops_prom_help(al_buf *o, const char *name, const char *type, const char *text) {
  al_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

void ops_prom_label_value(al_buf *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && s[i]; i++) {
    if (s[i] == '\\' || s[i] == '"') {
      char e[2] = {'\\', s[i]};
      al_buf_append(o, e, 2);
    } else if (s[i] == '\n') {
      al_buf_append(o, "\\n", 2);
    } else {
      al_buf_append(o, &s[i], 1);
    }
  }
}

/* Counters and most gauges are whole numbers: print them as such (no exponent up to
 * 2^53), the rest with full precision. */
static void value(al_buf *o, double v) {
  if (v == floor(v) && fabs(v) < 9007199254740992.0) al_buf_printf(o, " %.0f\n", v);
  else al_buf_printf(o, " %.17g\n", v);
}

void ops_prom_sample(al_buf *o, const char *name, double v) {
  al_buf_puts(o, name);
  value(o, v);
}

void ops_prom_sample_l(al_buf *o, const char *name, const char *label, const char *val, double v) {
  al_buf_printf(o, "%s{%s=\"", name, label);
  ops_prom_label_value(o, val, strlen(val));
  al_buf_append(o, "\"}", 2);
  value(o, v);
}
