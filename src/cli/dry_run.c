/* submit-job --dry-run: the plan of a job without running anything (files by
 * modality, files that would be skipped by reason, tasks, bytes). Classification is
 * the worker's (worker/inputs.h); content sniffing of --detect-text is left to the run,
 * so such files are listed as "to sniff". */
#include "cli/dry_run.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app_scan.h"
#include "worker/decomp.h"
#include "worker/inputs.h"

int cli_dry_run(const char *input_dir, int64_t files_per_task, bool detect_text) {
  app_file_list files;
  al_err err;
  if (app_scan_files(input_dir, &files, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    return 1;
  }
  if (files.n == 0) {
    fprintf(stderr, "[ERROR] No files found in %s\n", input_dir);
    app_file_list_free(&files);
    return 1;
  }
  /* kinds: text, code, JSON Lines, to sniff, image, audio, video, unclassified */
  static const char *const names[] = {"text",  "code",  "JSON Lines", "to sniff (--detect-text)",
                                      "image", "audio", "video",      "unclassified"};
  uint64_t n[8] = {0}, bytes[8] = {0}, compressed = 0, total = 0;
  for (size_t i = 0; i < files.n; i++) {
    worker_input in;
    worker_input_classify(files.v[i], detect_text, &in);
    int k = in.jsonl ? 2 : in.sniff ? 3 : in.m == TOK_MOD_TEXT ? 0 : in.m == TOK_MOD_CODE ? 1
          : in.m == TOK_MOD_IMAGE ? 4 : in.m == TOK_MOD_AUDIO ? 5 : in.m == TOK_MOD_VIDEO ? 6 : 7;
    struct stat st;
    uint64_t b = stat(files.v[i], &st) == 0 ? (uint64_t)st.st_size : 0;
    n[k]++;
    bytes[k] += b;
    total += b;
    if (in.zkind != WORKER_Z_NONE && k < 4) compressed++;
  }
  uint64_t fpt = files_per_task > 0 ? (uint64_t)files_per_task : 500;
  printf("Dry run (nothing is submitted)\nInput:    %s\nFiles:    %zu (%.1f MB)\nTasks:    %llu (%llu files per task)\n",
         input_dir, files.n, (double)total / 1e6, (unsigned long long)((files.n + fpt - 1) / fpt),
         (unsigned long long)fpt);
  printf("Tokenized:\n");
  for (int k = 0; k < 4; k++)
    if (n[k]) printf("  %-26s %8llu files  %10.1f MB\n", names[k], (unsigned long long)n[k], (double)bytes[k] / 1e6);
  if (compressed) printf("  (of which compressed: %llu)\n", (unsigned long long)compressed);
  printf("Skipped:\n");
  for (int k = 4; k < 8; k++) {
    if (!n[k]) continue;
    char reason[64];
    if (k < 7) snprintf(reason, sizeof reason, "no tokenizer for modality '%s'", names[k]);
    else snprintf(reason, sizeof reason, "unclassified");
    printf("  %-34s %8llu files  %10.1f MB\n", reason, (unsigned long long)n[k], (double)bytes[k] / 1e6);
  }
  if (!n[4] && !n[5] && !n[6] && !n[7]) printf("  none\n");
  app_file_list_free(&files);
  return 0;
}
