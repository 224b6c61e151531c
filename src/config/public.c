/* al_config_load_json: the config loader behind include/auralith/config.h. */
#include "auralith/config.h"

#include <stdlib.h>

#include "config/config.h"

char *al_config_load_json(const char *path, bool redact_secrets, al_err *err) {
  cfg_config cfg;
  if (path) {
    if (cfg_load(path, &cfg, err) != 0) return NULL;
  } else {
    cfg_defaults(&cfg);
    cfg_apply_env(&cfg);
  }
  char *json = cfg_to_json(&cfg, redact_secrets);
  cfg_free(&cfg);
  return json;
}
