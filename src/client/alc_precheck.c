/* Checks made before a job is submitted, so that what cannot succeed fails at once
 * with its reason instead of after every task's retries: the input directory must
 * exist and be a directory, the sizes must be positive, and the tokenizers directory
 * must load. The tokenizers are loaded with the same loader the workers use (the
 * submitter reads the same paths as the workers: it lists the input files itself). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "auralith/tokenizer.h"
#include "client/alc_internal.h"
#include "client/precheck.h"

int alc_precheck_input_dir(const char *dir, al_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return al_err_set(err, ALC_E_ARG, "input directory %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return al_err_set(err, ALC_E_ARG, "input directory %s: not a directory", dir);
  return 0;
}

int alc_precheck_tokenizers(const char *dir, al_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return al_err_set(err, ALC_E_ARG, "tokenizers directory %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return al_err_set(err, ALC_E_ARG, "tokenizers directory %s: not a directory", dir);
  al_err e;
  al_err_clear(&e);
  tok_bpe *t = tok_bpe_load(dir, &e);
  if (!t) return al_err_set(err, ALC_E_ARG, "tokenizers directory %s cannot be used: %s", dir, e.msg);
  tok_bpe_free(t);
  return 0;
}

int alc_precheck_size(const char *name, int64_t v, int64_t max, al_err *err) {
  if (v < 1 || v > max)
    return al_err_set(err, ALC_E_ARG, "%s must be between 1 and %lld, got %lld", name, (long long)max, (long long)v);
  return 0;
}
