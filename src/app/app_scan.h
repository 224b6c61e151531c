/* Input discovery for a job, as the original's DistributedPipeline does it: every
 * file under a directory, recursively, hidden and unsupported files included, sorted
 * by full path string. Special files (FIFOs, sockets, devices) and dangling links are
 * listed too, so that the worker skips them with a reason in the manifest. Used by the external runner and by embedded mode.
 * Prefix: app_. */
#ifndef AL_APP_SCAN_H
#define AL_APP_SCAN_H

#include <stddef.h>

#include "common/al.h"

/* Bounds: files listed and directory depth followed. */
#define APP_SCAN_MAX_FILES ((size_t)50000000)
#define APP_SCAN_MAX_DEPTH 256

typedef struct app_file_list {
  char **v;    /* heap strings, sorted by strcmp (= Python's str order for UTF-8) */
  size_t n;
} app_file_list;

/* Lists the non-directory entries under dir. Paths are dir as Python's Path prints it
 * ("./a//b/" -> "a/b") joined with the relative path. Symlinks to files count as
 * files; symlinks to directories are not followed (no cycles, a warning each). Subdirectories that
 * cannot be read are skipped with a warning. A missing dir, or one with no files,
 * gives an empty list (the caller reports "No files found in <dir>"). Returns 0, or -1
 * with err when a bound is exceeded or dir is not a directory. *out is overwritten;
 * release with app_file_list_free. */
int app_scan_files(const char *dir, app_file_list *out, al_err *err);
void app_file_list_free(app_file_list *l);

/* Python's PurePosixPath string of p: duplicate slashes and "." parts removed, no
 * trailing slash ("." for an empty result). Heap string the caller frees. */
char *app_path_normalize(const char *p);

#endif
