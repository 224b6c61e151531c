/* cfg_set: one key from command-line text, validated exactly like the file. */
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

/* Splits "coordinator.port" / "job.timeout" / "workers[2].num_processes". */
static int parse_path(const char *key, cfg_section *sec, size_t *pool, const char **name) {
  const char *dot = strchr(key, '.');
  if (!dot) return -1;
  size_t sl = (size_t)(dot - key);
  *name = dot + 1;
  *pool = 0;
  if (sl == 11 && memcmp(key, "coordinator", 11) == 0) *sec = CFG_SEC_COORD;
  else if (sl == 3 && memcmp(key, "job", 3) == 0) *sec = CFG_SEC_JOB;
  else if (sl > 9 && memcmp(key, "workers[", 8) == 0 && key[sl - 1] == ']') {
    char *end;
    unsigned long long i = strtoull(key + 8, &end, 10);
    if (end != key + sl - 1 || end == key + 8) return -1;
    *sec = CFG_SEC_POOL;
    *pool = (size_t)i;
  } else {
    return -1;
  }
  return 0;
}

int cfg_set(cfg_config *cfg, const char *key, const char *value, al_err *err) {
  al_err_clear(err);
  cfg_section sec;
  size_t pool;
  const char *name;
  if (parse_path(key, &sec, &pool, &name) != 0)
    return al_err_set(err, CFG_ERR_SCHEMA,
                      "key '%s': unknown key (expected coordinator.<key>, job.<key> or "
                      "workers[<n>].<key>)", key);
  int ki = cfg_key_find(sec, name, strlen(name));
  if (ki < 0) {
    const char *near = cfg_key_suggest(sec, name, strlen(name));
    if (near)
      return al_err_set(err, CFG_ERR_SCHEMA, "key '%s': unknown key in section '%s' (did you mean '%s'?)",
                        key, cfg_section_names[sec], near);
    return al_err_set(err, CFG_ERR_SCHEMA, "key '%s': unknown key in section '%s' (see docs/CONFIGURATION.md)",
                      key, cfg_section_names[sec]);
  }
  if (sec == CFG_SEC_POOL && pool >= cfg->nworkers)
    return al_err_set(err, CFG_ERR_SCHEMA, "key '%s': no such worker pool (the config has %zu)",
                      key, cfg->nworkers);
  const cfg_key *k = &cfg_keys[ki];

  /* Work on a copy so that a failed cross-key check leaves *cfg as it was. */
  cfg_config next;
  cfg_copy(&next, cfg);
  char msg[512];
  /* NULL is YAML null; other text is a plain scalar, except for string keys where
   * the command line's text is taken as it is. */
  cfg_scalar s = {value ? value : "", value ? strlen(value) : 0, !value || k->kind != CFG_K_STR};
  if (cfg_apply_scalar(k, cfg_key_field(k, cfg_section_base(&next, sec, pool)), &s, "null", msg,
                       sizeof msg) != 0) {
    cfg_free(&next);
    return al_err_set(err, CFG_ERR_SCHEMA, "key '%s': %s", key, msg);
  }
  if (sec != CFG_SEC_POOL) cfg_mark_set(&next, (size_t)ki);
  if (k->flags & CFG_F_ALIAS) {
    /* An explicit flag for the job spelling sets the effective value too. */
    const char *cname = strcmp(k->name, "max_task_retries") == 0 ? "max_retries" : k->name;
    int ci = cfg_key_find(CFG_SEC_COORD, cname, strlen(cname));
    const cfg_key *ck = &cfg_keys[ci];
    void *dst = cfg_key_field(ck, &next.coordinator);
    void *src = cfg_key_field(k, &next.job);
    memcpy(dst, src, ck->kind == CFG_K_INT ? sizeof(int64_t) : sizeof(double));
    cfg_mark_set(&next, (size_t)ci);
  }
  cfg_resolve_aliases(&next);
  int bad = cfg_check_cross(&next, msg, sizeof msg);
  if (bad >= 0) {
    cfg_free(&next);
    return al_err_set(err, CFG_ERR_SCHEMA, "%s", msg);
  }
  cfg_free(cfg);
  *cfg = next;
  return 0;
}
