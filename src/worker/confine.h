/* Input confinement on the worker (docs/SECURITY.md): every input file is resolved
 * (symlinks included) and read only when it is a regular file inside the job's
 * input_dir and inside one of worker_input_roots (when configured). Prefix: worker_. */
#ifndef AL_WORKER_CONFINE_H
#define AL_WORKER_CONFINE_H

#include <stddef.h>

typedef struct worker_input_guard {
  char *dir;      /* the job's input_dir resolved; NULL = not checked (none given) */
  char **roots;   /* worker_input_roots resolved (a root that does not resolve admits nothing) */
  size_t n_roots;
  int roots_set;  /* worker_input_roots was configured */
  char *dir_given;   /* for reasons: the input_dir as the job gave it */
  char *roots_given;
} worker_input_guard;

/* Resolves input_dir (NULL = no check) and roots (':'-separated, NULL = no check).
 * Never fails: what does not resolve admits nothing. Release with _free. */
void worker_input_guard_init(worker_input_guard *g, const char *input_dir, const char *roots);
void worker_input_guard_free(worker_input_guard *g);

/* Checks path. Returns 0 and the resolved path in resolved (cap bytes; read that, not
 * path), or -1 with the skip reason in reason. */
int worker_input_check(const worker_input_guard *g, const char *path, char *resolved, size_t cap, char *reason,
                       size_t reason_cap);

#endif
