/* libFuzzer target for the config loader: any input either loads or fails with a
 * message; a loaded config printed with cfg_print_yaml must load again and print the
 * same text (the --print-config round trip). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "config/config.h"

static char *print_yaml(const cfg_config *cfg, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (!f) abort();
  cfg_print_yaml(cfg, f);
  fclose(f);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int init;
  if (!init) {
    al_log_set_level(AL_LOG_NONE); /* ignored-section warnings would flood the output */
    unsetenv(CFG_ENV_AUTH_TOKEN);
    init = 1;
  }
  cfg_config cfg;
  al_err err;
  if (cfg_load_string("fuzz.yaml", data, size, &cfg, &err) != 0) {
    if (err.msg[0] == '\0') abort(); /* every failure says why */
    cfg_free(&cfg);
    return 0;
  }
  size_t len1 = 0, len2 = 0;
  char *t1 = print_yaml(&cfg, &len1);
  cfg_config again;
  if (cfg_load_string("printed.yaml", t1, len1, &again, &err) != 0) {
    fprintf(stderr, "printed config does not load: %s\n%s\n", err.msg, t1);
    abort();
  }
  char *t2 = print_yaml(&again, &len2);
  if (len1 != len2 || memcmp(t1, t2, len1) != 0) {
    fprintf(stderr, "round trip changed the config:\n%s\n---\n%s\n", t1, t2);
    abort();
  }
  free(t1);
  free(t2);
  cfg_free(&again);
  cfg_free(&cfg);
  return 0;
}
