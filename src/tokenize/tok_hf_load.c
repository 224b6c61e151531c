/* Which kind of text tokenizer a directory holds, and the file loading of the byte-level
 * kinds: tokenizer.json, or one *.tiktoken rank file with its config.json. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokenize/tok_hf.h"

static bool is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The *.tiktoken file of dir (heap path), NULL when none; two are an error. */
static char *find_rank_file(const char *dir, al_err *err, bool *ambiguous) {
  *ambiguous = false;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  char *found = NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n <= 9 || strcmp(de->d_name + n - 9, ".tiktoken") != 0) continue;
    if (found) {
      al_err_set(err, EINVAL, "%s: more than one *.tiktoken file (%s and %s)", dir, found, de->d_name);
      *ambiguous = true;
      free(found);
      closedir(d);
      return NULL;
    }
    found = al_xstrdup(de->d_name);
  }
  closedir(d);
  if (!found) return NULL;
  char *p = al_xasprintf("%s/%s", dir, found);
  free(found);
  return p;
}

int tok_hf_load_json(struct al_tok_bpe *t, const char *path, al_err *err) {
  size_t n;
  char *data = tok_slurp(path, &n, err);
  if (!data) return -1;
  t->hf = tok_hf_parse_json(data, n, path, err);
  free(data);
  return t->hf ? 0 : -1;
}

int tok_hf_load_tiktoken(struct al_tok_bpe *t, const char *rank_path, const char *config_path, al_err *err) {
  size_t nr, nc;
  char *ranks = tok_slurp(rank_path, &nr, err);
  if (!ranks) return -1;
  char *config = tok_slurp(config_path, &nc, err);
  if (!config) {
    free(ranks);
    return -1;
  }
  t->hf = tok_hf_parse_tiktoken(ranks, nr, config, nc, rank_path, err);
  free(ranks);
  free(config);
  return t->hf ? 0 : -1;
}

int tok_hf_try_load(struct al_tok_bpe *t, const char *dir, bool *found, al_err *err) {
  *found = false;
  char *json = al_xasprintf("%s/tokenizer.json", dir);
  if (is_file(json)) {
    *found = true;
    int rc = tok_hf_load_json(t, json, err);
    free(json);
    return rc;
  }
  free(json);
  bool ambiguous;
  char *ranks = find_rank_file(dir, err, &ambiguous);
  if (ambiguous) {
    *found = true;
    return -1;
  }
  if (!ranks) return 0;
  *found = true;
  char *config = al_xasprintf("%s/config.json", dir);
  int rc = tok_hf_load_tiktoken(t, ranks, config, err);
  free(ranks);
  free(config);
  return rc;
}
