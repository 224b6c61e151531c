/* cfg_print_yaml: the effective configuration as YAML that cfg_load reads back to the
 * same values. Strings are always double-quoted so that text such as "yes", "8080" or
 * "null" stays text. */
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

static void put_quoted(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"') fputs("\\\"", out);
    else if (*p == '\\') fputs("\\\\", out);
    else if (*p == '\n') fputs("\\n", out);
    else if (*p == '\t') fputs("\\t", out);
    else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\x%02x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

static void put_value(FILE *out, const cfg_key *k, const void *field, const char *indent,
                      bool redact) {
  bool list = k->kind == CFG_K_STRLIST;
  if (!list || *(const size_t *)((const char *)field + sizeof(char **)) == 0) fputc(' ', out);
  switch (k->kind) {
  case CFG_K_INT:
  case CFG_K_SIZE: {
    int64_t v = *(const int64_t *)field;
    if ((k->flags & CFG_F_NULLABLE) && v == CFG_INT_NULL) fputs("null", out);
    else fprintf(out, "%lld", (long long)v);
    break;
  }
  case CFG_K_SECONDS:
  case CFG_K_FACTOR: {
    char buf[40];
    cfg_fmt_double(*(const double *)field, buf, sizeof buf);
    fputs(buf, out);
    break;
  }
  case CFG_K_BOOL:
    fputs(*(const bool *)field ? "true" : "false", out);
    break;
  case CFG_K_ENUM:
    fputs(k->enum_names[*(const int *)field], out);
    break;
  case CFG_K_STR: {
    const char *s = *(char *const *)field;
    if (!s) fputs("null", out);
    else if (redact && (k->flags & CFG_F_SECRET)) put_quoted(out, "<redacted>");
    else put_quoted(out, s);
    break;
  }
  case CFG_K_STRLIST: {
    char *const *v = *(char **const *)field;
    size_t n = *(const size_t *)((const char *)field + sizeof(char **));
    if (n == 0) {
      fputs("[]", out);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      fprintf(out, "\n%s  - ", indent);
      put_quoted(out, v[i]);
    }
    break;
  }
  }
}

static void put_section(FILE *out, cfg_section sec, const void *base, const char *indent,
                        bool first_dash, bool redact) {
  bool first = true;
  for (size_t i = 0; i < cfg_nkeys; i++) {
    const cfg_key *k = &cfg_keys[i];
    if (k->section != sec) continue;
    /* A pool's first key follows its "- " marker. */
    fprintf(out, "%s%s:", first && first_dash ? "  - " : indent, k->name);
    put_value(out, k, cfg_key_field(k, (void *)base), indent, redact);
    fputc('\n', out);
    first = false;
  }
}

void cfg_print_yaml_opts(const cfg_config *cfg, FILE *out, bool redact_secrets) {
  fprintf(out, "# Effective auralith-pipeline configuration (see docs/CONFIGURATION.md)\n");
  fprintf(out, "coordinator:\n");
  put_section(out, CFG_SEC_COORD, &cfg->coordinator, "  ", false, redact_secrets);
  if (cfg->nworkers == 0) {
    fprintf(out, "workers: []\n");
  } else {
    fprintf(out, "workers:\n");
    for (size_t i = 0; i < cfg->nworkers; i++)
      put_section(out, CFG_SEC_POOL, &cfg->workers[i], "    ", true, redact_secrets);
  }
  fprintf(out, "job:\n");
  put_section(out, CFG_SEC_JOB, &cfg->job, "  ", false, redact_secrets);
}

void cfg_print_yaml(const cfg_config *cfg, FILE *out) { cfg_print_yaml_opts(cfg, out, false); }
