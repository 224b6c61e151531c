/* auralith-pipeline classify: the modality the pipeline assigns to each path. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"json", 0, NULL, "print one JSON object {\"path\", \"modality\"} per line", NULL, 0},
    {0}};

static const cli_cmd CMD = {
    "classify", "Print the modality (text, code, image, audio, video or null) of each path.",
    "[--json] PATH...", OPTS,
    "Only the path is used (extension, and the parent directory name for .npy); files\n"
    "need not exist. Output: one line per path, PATH<TAB>MODALITY (null when the\n"
    "pipeline skips the file as unclassified).\n"};

int cmd_classify(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  if (v.npositional == 0) {
    rc = cli_usage_error(&CMD, "expected at least one PATH");
    cli_values_free(&v);
    return rc;
  }
  bool json = cli_flag(&v, "json");
  for (int i = 0; i < v.npositional; i++) {
    const char *p = v.positional[i];
    const char *m = al_tok_modality_name(al_tok_classify(p));
    if (json) {
      json_t *o = json_object();
      /* a path that is not UTF-8 is shown with U+FFFD for its bad bytes */
      size_t n;
      char *shown = al_tok_decode_utf8_replace(p, strlen(p), false, &n);
      json_object_set_new(o, "path", json_stringn(shown, n));
      free(shown);
      json_object_set_new(o, "modality", m ? json_string(m) : json_null());
      char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
      printf("%s\n", s);
      free(s);
      json_decref(o);
    } else {
      printf("%s\t%s\n", p, m ? m : "null");
    }
  }
  rc = fflush(stdout) == 0 ? 0 : 1;
  cli_values_free(&v);
  return rc;
}
