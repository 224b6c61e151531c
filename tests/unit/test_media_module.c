/* The codec module boundary (src/media/med_module.c): .npy inputs never load
 * libauralith_media.so, the first compressed image does, and a missing, foreign or
 * unusable module is a per-file reason naming it (each case in a child process, since a
 * process keeps its first outcome). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"

static med_set SET;

/* Builds the sample of one file of tests/data/pipeline/raw; returns the status, the
 * reason in err. */
static al_tok_sample_status sample_of(const char *rel, al_tok_modality m, al_err *err) {
  char *r = al_xasprintf("pipeline/raw/%s", rel);
  char *p = ts_data_path(r);
  al_tok_sample s = {0};
  al_err_clear(err);
  al_tok_sample_status st = med_build_sample(&SET, m, p, 64, &s, err);
  al_tok_sample_free(&s);
  free(p);
  free(r);
  return st;
}

static void test_npy_does_not_load(void) {
  al_err err;
  CHECK_EQ_INT(med_module_loaded(), 0);
  CHECK_MSG(sample_of("images/cat.npy", TOK_MOD_IMAGE, &err) == TOK_SAMPLE_OK, "%s", err.msg);
  CHECK_MSG(sample_of("audio/tone.npy", TOK_MOD_AUDIO, &err) == TOK_SAMPLE_OK, "%s", err.msg);
  CHECK_EQ_INT(med_module_loaded(), 0);
  CHECK(med_module_path() == NULL);
  /* A file that cannot be read fails before the module is asked for. */
  CHECK(sample_of("no-such.png", TOK_MOD_IMAGE, &err) == TOK_SAMPLE_ERROR);
  CHECK(strstr(err.msg, "cannot open") != NULL);
  CHECK_EQ_INT(med_module_loaded(), 0);
}

/* Runs photo.png in a child with AURALITH_MEDIA_MODULE=module; the child exits 0 when
 * the reason contains want. */
static void child_reason(const char *module, const char *want) {
  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    setenv("AURALITH_MEDIA_MODULE", module, 1);
    al_err err;
    int st = sample_of("photo.png", TOK_MOD_IMAGE, &err);
    int ok = st == TOK_SAMPLE_ERROR && strstr(err.msg, want) && strstr(err.msg, "photo.png") && !med_module_loaded();
    if (!ok) fprintf(stderr, "module %s: status %d, reason '%s', wanted '%s'\n", module, st, err.msg, want);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child for %s", module);
}

static void test_missing_module(void) {
  child_reason("/nonexistent/libauralith_media.so",
               "media module /nonexistent/libauralith_media.so (AURALITH_MEDIA_MODULE) does not exist");
  /* A file that is not a shared object. */
  char *cfg = ts_data_path("pipeline/tokenizers/image/config.json");
  char *want = al_xasprintf("media module %s cannot be loaded", cfg);
  child_reason(cfg, want);
  free(want);
  free(cfg);
  /* A shared object without the entry point: libauralith itself. */
  const char *bin = getenv("AL_BIN_DIR");
  if (bin) {
    char *so = al_xasprintf("%s/libauralith.so.0", bin);
    char *w = al_xasprintf("media module %s is not a compatible libauralith_media.so", so);
    child_reason(so, w);
    free(w);
    free(so);
  }
}

static void test_png_loads(void) {
  al_err err;
  CHECK_MSG(sample_of("photo.png", TOK_MOD_IMAGE, &err) == TOK_SAMPLE_OK, "%s", err.msg);
  CHECK_EQ_INT(med_module_loaded(), 1);
  const char *p = med_module_path();
  CHECK(p && strlen(p) > 20 && strcmp(p + strlen(p) - 20, "libauralith_media.so") == 0);
  CHECK(med_module_available(&err) == 0);
}

int main(void) {
  char *root = ts_data_path("pipeline/tokenizers");
  al_err err = {0};
  CHECK_MSG(med_set_load(root, &SET, &err) == 0, "%s", err.msg);
  free(root);
  RUN(test_npy_does_not_load);
  RUN(test_missing_module);
  RUN(test_png_loads);
  med_set_clear(&SET);
  return TEST_REPORT();
}
