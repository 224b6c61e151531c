/* libFuzzer target: what --resume reads from an output directory (coord_resume_load):
 * index.json and a commit journal (coord_journal.h). The input is split at its first
 * NUL byte: before it index.json, after it the journal (no NUL: the journal alone).
 * Loading either gives a resume state or, for an index.json that does not parse, NULL
 * with a reason; matching a task's files then reuses it at most once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord/coord_jm.h"
#include "coord/coord_journal.h"
#include "coord/coord_resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *name, const uint8_t *p, size_t n) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!p) {
    unlink(path);
    return;
  }
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (n && fwrite(p, 1, n, f) != n) abort();
  fclose(f);
}

static void remove_dir(void) {
  put("index.json", NULL, 0);
  put(".staging/" COORD_JOURNAL_PREFIX "j" COORD_JOURNAL_SUFFIX, NULL, 0);
  char staging[96];
  snprintf(staging, sizeof staging, "%s/.staging", dir);
  rmdir(staging);
  rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/fuzz_resume.XXXXXX");
    if (!mkdtemp(dir)) abort();
    atexit(remove_dir);
    char staging[96];
    snprintf(staging, sizeof staging, "%s/.staging", dir);
    mkdir(staging, 0700);
  }
  const uint8_t *nul = memchr(data, 0, size);
  if (nul) {
    put("index.json", data, (size_t)(nul - data));
    put(".staging/" COORD_JOURNAL_PREFIX "j" COORD_JOURNAL_SUFFIX, nul + 1, size - (size_t)(nul - data) - 1);
  } else {
    put("index.json", NULL, 0);
    put(".staging/" COORD_JOURNAL_PREFIX "j" COORD_JOURNAL_SUFFIX, data, size);
  }
  size_t bad = 0;
  al_err err;
  al_err_clear(&err);
  coord_resume *r = coord_resume_load(dir, 4096, NULL, NULL, 0, &bad, &err);
  if (!r) {
    if (!err.msg[0]) abort();
    return 0;
  }
  static const char *const files[] = {"/in/a.txt", "/in/b.txt", "/in/c.txt"};
  for (size_t n = 1; n <= 3; n++) {
    coord_task_result res;
    int hit = coord_resume_match(r, files, n, &res);
    if (hit != 0 && hit != 1) abort();
    if (hit) {
      if (res.shards_written != (int64_t)res.n_shards || res.skipped != (int64_t)res.n_skips) abort();
      coord_task_result_free(&res);
    }
  }
  coord_resume_free(r);
  return 0;
}
