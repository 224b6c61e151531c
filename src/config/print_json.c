/* cfg_to_json: the effective configuration as one JSON object, for callers that hand
 * it to another language (the Python package's DistributedConfig). Same keys, sections
 * and values as cfg_print_yaml; numbers keep their kind (integers stay integers). */
#include <jansson.h>
#include <stdlib.h>

#include "config/cfg_internal.h"

static json_t *value_json(const cfg_key *k, const void *field, bool redact) {
  switch (k->kind) {
  case CFG_K_INT:
  case CFG_K_SIZE: {
    int64_t v = *(const int64_t *)field;
    if ((k->flags & CFG_F_NULLABLE) && v == CFG_INT_NULL) return json_null();
    return json_integer((json_int_t)v);
  }
  case CFG_K_SECONDS:
  case CFG_K_FACTOR:
    return json_real(*(const double *)field);
  case CFG_K_BOOL:
    return json_boolean(*(const bool *)field);
  case CFG_K_ENUM:
    return json_string(k->enum_names[*(const int *)field]);
  case CFG_K_STR: {
    const char *s = *(char *const *)field;
    if (!s) return json_null();
    return json_string(redact && (k->flags & CFG_F_SECRET) ? "<redacted>" : s);
  }
  case CFG_K_STRLIST: {
    char *const *v = *(char **const *)field;
    size_t n = *(const size_t *)((const char *)field + sizeof(char **));
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
  }
  }
  return json_null();
}

static json_t *section_json(cfg_section sec, const void *base, bool redact) {
  json_t *o = json_object();
  for (size_t i = 0; i < cfg_nkeys; i++) {
    const cfg_key *k = &cfg_keys[i];
    if (k->section != sec) continue;
    json_object_set_new(o, k->name, value_json(k, cfg_key_field(k, (void *)base), redact));
  }
  return o;
}

char *cfg_to_json(const cfg_config *cfg, bool redact_secrets) {
  json_t *root = json_object();
  json_object_set_new(root, "coordinator", section_json(CFG_SEC_COORD, &cfg->coordinator, redact_secrets));
  json_t *pools = json_array();
  for (size_t i = 0; i < cfg->nworkers; i++)
    json_array_append_new(pools, section_json(CFG_SEC_POOL, &cfg->workers[i], redact_secrets));
  json_object_set_new(root, "workers", pools);
  json_object_set_new(root, "job", section_json(CFG_SEC_JOB, &cfg->job, redact_secrets));
  char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
  json_decref(root);
  if (!s) abort(); /* jansson fails only when out of memory; al_x* policy */
  return s;
}
