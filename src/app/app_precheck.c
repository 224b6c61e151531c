/* Checks made before a job is submitted, so that what cannot succeed fails at once
 * with its reason instead of after every task's retries: the input directory must
 * exist and be a directory, the sizes must be positive, and the tokenizers directory
 * must load. The tokenizers are loaded with the same loader the workers use (the
 * submitter reads the same paths as the workers: it lists the input files itself). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "app/app_precheck.h"
#include "media/media.h"

int app_precheck_input_dir(const char *dir, al_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return al_err_set(err, AL_E_ARG, "input directory %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return al_err_set(err, AL_E_ARG, "input directory %s: not a directory", dir);
  return 0;
}

int app_precheck_tokenizers(const char *dir, al_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return al_err_set(err, AL_E_ARG, "tokenizers directory %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return al_err_set(err, AL_E_ARG, "tokenizers directory %s: not a directory", dir);
  al_err e, me;
  al_err_clear(&e);
  al_err_clear(&me);
  /* The media tokenizers (image/, audio/, video/) are checked as the workers load them;
   * a directory with only those is usable (its text files are skipped). */
  med_set media;
  if (med_set_load(dir, &media, &me) < 0)
    return al_err_set(err, AL_E_ARG, "tokenizers directory %s cannot be used: %s", dir, me.msg);
  int any_media = med_set_any(&media);
  med_set_clear(&media);
  al_tok_bpe *t = al_tok_bpe_load(dir, &e);
  if (t) {
    al_tok_bpe_free(t);
    return 0;
  }
  char *t1 = al_xasprintf("%s/text/vocab.json", dir), *t2 = al_xasprintf("%s/vocab.json", dir);
  int text_present = stat(t1, &st) == 0 || stat(t2, &st) == 0;
  free(t1);
  free(t2);
  if (text_present || !any_media)
    return al_err_set(err, AL_E_ARG, "tokenizers directory %s cannot be used: %s", dir, e.msg);
  return 0;
}

int app_precheck_size(const char *name, int64_t v, int64_t max, al_err *err) {
  if (v < 1 || v > max)
    return al_err_set(err, AL_E_ARG, "%s must be between 1 and %lld, got %lld", name, (long long)max, (long long)v);
  return 0;
}
