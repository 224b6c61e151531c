/* Input classification beyond extensions (see inputs.h). */
#include "worker/inputs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/al.h"
#include "worker/decomp.h"

/* Exact names, and prefixes that may carry a suffix ("LICENSE-MIT", "README.old"). */
static const char *const EXACT[] = {"makefile", "gnumakefile", "dockerfile", "containerfile", "vagrantfile",
                                    "gemfile", "rakefile", "procfile", "kconfig", "kbuild", "copyright",
                                    "todo", "maintainers", "credits", "thanks", "version"};
static const char *const PREFIX[] = {"readme", "license", "licence", "copying", "changelog", "changes",
                                     "news", "authors", "contributing", "install", "notice", "history",
                                     "contributors", "patents", "hacking", "faq"};

bool worker_well_known_text_name(const char *base) {
  for (size_t i = 0; i < AL_ARRAY_LEN(EXACT); i++)
    if (strcasecmp(base, EXACT[i]) == 0) return true;
  for (size_t i = 0; i < AL_ARRAY_LEN(PREFIX); i++) {
    size_t n = strlen(PREFIX[i]);
    if (strncasecmp(base, PREFIX[i], n) == 0 && (base[n] == '\0' || base[n] == '.' || base[n] == '-' || base[n] == '_'))
      return true;
  }
  return false;
}

static bool ends_with(const char *s, size_t n, const char *ext) {
  size_t e = strlen(ext);
  return n > e && strncasecmp(s + n - e, ext, e) == 0;
}

void worker_input_classify(const char *path, bool detect_text, worker_input *out) {
  memset(out, 0, sizeof *out);
  size_t inner_len;
  out->zkind = (int)worker_zkind_of(path, &inner_len);
  char *inner = al_xstrndup(path, inner_len);
  if (ends_with(inner, inner_len, ".jsonl") || ends_with(inner, inner_len, ".ndjson")) {
    out->jsonl = true;
    out->m = TOK_MOD_TEXT;
  } else {
    out->m = al_tok_classify(inner);
    if (out->m == TOK_MOD_NONE && detect_text) {
      const char *slash = strrchr(inner, '/');
      if (worker_well_known_text_name(slash ? slash + 1 : inner)) out->m = TOK_MOD_TEXT;
      else out->sniff = true;
    }
  }
  free(inner);
}
