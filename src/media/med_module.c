/* Finding and loading the media codec module (libauralith_media.so, src/mediamod) on
 * first use. The decoders that need FFmpeg, libjpeg and libsndfile live there so that
 * commands and workers that never decode a media file never load those libraries.
 *
 * Search order, first hit wins:
 *  1. $AURALITH_MEDIA_MODULE: the module's path (then nothing else is tried);
 *  2. next to the shared libauralith when the code runs from it (the Python extension,
 *     other dynamic users), and next to the running executable (build tree);
 *  3. <executable dir>/AL_MEDIA_REL_LIBDIR (an installed bin/ finds its lib/);
 *  4. AL_MEDIA_INSTALL_PATH, the configured install location.
 * The first outcome, success or failure, is kept for the life of the process: a module
 * is never unloaded, and a missing one is not searched for again per file. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/media_internal.h"

#ifndef AL_MEDIA_REL_LIBDIR
#define AL_MEDIA_REL_LIBDIR "../lib"
#endif
#ifndef AL_MEDIA_INSTALL_PATH
#define AL_MEDIA_INSTALL_PATH "/usr/local/lib/" MMOD_MODULE_FILE
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const mmod_api *api;        /* set once by load_once, then read-only */
static char failure[AL_ERR_MSG_MAX];
static char module_path[PATH_MAX];

/* Opens one candidate. Returns 1 loaded, 0 no such file (tried is extended), -1 the file
 * exists but is unusable (failure says why). */
static int try_path(const char *path, char *tried, size_t cap) {
  if (access(path, F_OK) != 0) {
    size_t n = strlen(tried);
    snprintf(tried + n, cap - n, "%s%s", n ? ", " : "", path);
    return 0;
  }
  /* RTLD_LOCAL: the codec libraries' symbols stay out of the global namespace. */
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    snprintf(failure, sizeof failure, "media module %s cannot be loaded: %s", path, e ? e : "unknown error");
    return -1;
  }
  mmod_entry_fn entry;
  void *sym = dlsym(h, MMOD_ENTRY_SYMBOL);
  memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
  const mmod_api *a = entry ? entry() : NULL;
  if (!a || a->abi_version != MMOD_ABI_VERSION || a->struct_size < sizeof(mmod_api)) {
    snprintf(failure, sizeof failure, "media module %s is not a compatible %s (ABI version %u, this build needs %u)",
             path, MMOD_MODULE_FILE, a ? a->abi_version : 0u, MMOD_ABI_VERSION);
    dlclose(h);
    return -1;
  }
  snprintf(module_path, sizeof module_path, "%s", path);
  __atomic_store_n(&api, a, __ATOMIC_RELEASE);
  return 1;
}

static int try_dir(const char *dir, const char *rel, char *tried, size_t cap) {
  char p[PATH_MAX];
  int n = rel ? snprintf(p, sizeof p, "%s/%s/%s", dir, rel, MMOD_MODULE_FILE)
              : snprintf(p, sizeof p, "%s/%s", dir, MMOD_MODULE_FILE);
  if (n < 0 || (size_t)n >= sizeof p) return 0;
  return try_path(p, tried, cap);
}

/* dirname of path into out (an empty string when path has no slash). */
static void dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) : 0;
  if (n >= cap) n = 0;
  memcpy(out, path, n);
  out[n] = '\0';
}

static void load_once(void) {
  char tried[2048] = "";
  const char *env = getenv("AURALITH_MEDIA_MODULE");
  if (env && *env) {
    if (try_path(env, tried, sizeof tried) == 0)
      snprintf(failure, sizeof failure, "media module %s (AURALITH_MEDIA_MODULE) does not exist", env);
    return;
  }
  char lib_dir[PATH_MAX] = "", exe_dir[PATH_MAX] = "", exe[PATH_MAX];
  Dl_info info;
  if (dladdr((void *)&load_once, &info) && info.dli_fname && strncmp(strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname, "lib", 3) == 0 &&
      strstr(info.dli_fname, ".so"))
    dir_of(info.dli_fname, lib_dir, sizeof lib_dir);
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    dir_of(exe, exe_dir, sizeof exe_dir);
  }
  int r = 0;
  if (lib_dir[0]) r = try_dir(lib_dir, NULL, tried, sizeof tried);
  if (r == 0 && exe_dir[0]) r = try_dir(exe_dir, NULL, tried, sizeof tried);
  if (r == 0 && exe_dir[0]) r = try_dir(exe_dir, AL_MEDIA_REL_LIBDIR, tried, sizeof tried);
  if (r == 0) r = try_path(AL_MEDIA_INSTALL_PATH, tried, sizeof tried);
  if (r == 0)
    snprintf(failure, sizeof failure,
             "media module %s not found (tried %s); install it next to libauralith or set AURALITH_MEDIA_MODULE "
             "to its path",
             MMOD_MODULE_FILE, tried);
}

const mmod_api *med_module_get(al_err *err) {
  pthread_once(&once, load_once);
  if (!api) al_err_set(err, AL_E_FAILED, "%s", failure);
  return api;
}

int med_module_available(al_err *err) { return med_module_get(err) ? 0 : -1; }

int med_module_loaded(void) {
  /* Only meaningful after pthread_once ran; a call before any media work reports 0
   * without triggering a load. */
  return __atomic_load_n(&api, __ATOMIC_ACQUIRE) != NULL;
}

const char *med_module_path(void) { return api ? module_path : NULL; }
