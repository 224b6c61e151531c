/* Pre-submit checks of a job's inputs (see app_precheck.c). Each returns 0, or -1
 * with err (code AL_E_ARG) naming the directory or setting and the problem.
 * Prefix: app_precheck_. */
#ifndef AL_APP_PRECHECK_H
#define AL_APP_PRECHECK_H

#include <stdint.h>

#include "common/al.h"

/* dir must exist and be a directory ("input directory <dir>: No such file or directory"). */
int app_precheck_input_dir(const char *dir, al_err *err);
/* Loads the text tokenizer of dir and frees it again: a missing, unreadable or corrupt
 * vocab.json / merges.txt / config.json is reported here, before any task exists. */
int app_precheck_tokenizers(const char *dir, al_err *err);
/* name (e.g. "max_seq_len") must lie in [1, max]. */
int app_precheck_size(const char *name, int64_t v, int64_t max, al_err *err);

#endif
