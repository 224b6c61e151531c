/* Input discovery for a job, as the original's DistributedPipeline does it: every
 * file under a directory, recursively, hidden and unsupported files included, sorted
 * by full path string. Special files (FIFOs, sockets, devices) and dangling links are
 * listed too, so that the worker skips them with a reason in the manifest. Used by the external runner and by embedded mode.
 * Prefix: alc_. */
#ifndef AL_CLIENT_SCAN_H
#define AL_CLIENT_SCAN_H

#include <stddef.h>

#include "common/al.h"

/* Bounds: files listed and directory depth followed. */
#define ALC_SCAN_MAX_FILES ((size_t)50000000)
#define ALC_SCAN_MAX_DEPTH 256

typedef struct alc_file_list {
  char **v;    /* heap strings, sorted by strcmp (= Python's str order for UTF-8) */
  size_t n;
} alc_file_list;

/* Lists the non-directory entries under dir. Paths are dir as Python's Path prints it
 * ("./a//b/" -> "a/b") joined with the relative path. Symlinks to files count as
 * files; symlinks to directories are not followed (no cycles, a warning each). Subdirectories that
 * cannot be read are skipped with a warning. A missing dir, or one with no files,
 * gives an empty list (the caller reports "No files found in <dir>"). Returns 0, or -1
 * with err when a bound is exceeded or dir is not a directory. *out is overwritten;
 * release with alc_file_list_free. */
int alc_scan_files(const char *dir, alc_file_list *out, al_err *err);
void alc_file_list_free(alc_file_list *l);

/* Python's PurePosixPath string of p: duplicate slashes and "." parts removed, no
 * trailing slash ("." for an empty result). Heap string the caller frees. */
char *alc_path_normalize(const char *p);

#endif
