/* Writing the Prometheus text exposition format (0.0.4): HELP/TYPE headers and
 * samples with escaped label values. Shared by the coordinator's and the worker's
 * /metrics so both follow one set of rules. Every function appends to out (grown as
 * needed; the caller owns it). Prefix: ops_prom_. */
#ifndef AL_OPS_PROM_H
#define AL_OPS_PROM_H

#include <stddef.h>

#include "common/al.h"

/* "# HELP name text" and "# TYPE name type" (type: counter, gauge, histogram). */
void ops_prom_help(al_buf *out, const char *name, const char *type, const char *text);
/* A label value with backslash, double quote and newline escaped; at most n bytes of
 * s, stopping early at a NUL. */
void ops_prom_label_value(al_buf *out, const char *s, size_t n);
/* "name value": integers print without a fraction, others with 17 significant digits. */
void ops_prom_sample(al_buf *out, const char *name, double v);
/* "name{label="value"} v" with value escaped (s is NUL-terminated). */
void ops_prom_sample_l(al_buf *out, const char *name, const char *label, const char *value, double v);

#endif
