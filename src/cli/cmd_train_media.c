/* auralith-pipeline train-tokenizer image|audio|video|all: the original's media
 * tokenizer trainers (original-behaviour.md §20.1), writing config.json and
 * vq_codebook.json in the original's format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/al.h"
#include "media/media.h"

static const cli_opt IMAGE_OPTS[] = {
    {"images", 0, "DIR", "directory of .npy images (H×W×3 or H×W; recursive, sorted)", NULL, CLI_REQUIRED},
    {"output", 'o', "DIR", "output directory for config.json and vq_codebook.json", NULL, CLI_REQUIRED},
    {"codebook-size", 0, "N", "number of codes", "1024", 0},
    {"image-size", 0, "N", "image side after resizing", "224", 0},
    {"patch-size", 0, "N", "patch side", "16", 0},
    {"sample-size", 0, "N", "train on N random patches (seed 42)", NULL, 0},
    {0}};
static const cli_cmd IMAGE_CMD = {"train-tokenizer image", "Train the image VQ tokenizer.",
                                  "--images DIR -o DIR [OPTIONS]", IMAGE_OPTS, NULL};

static const cli_opt AUDIO_OPTS[] = {
    {"audio", 0, "DIR", "directory of .npy waveforms at the sample rate (recursive, sorted)", NULL, CLI_REQUIRED},
    {"output", 'o', "DIR", "output directory for config.json and vq_codebook.json", NULL, CLI_REQUIRED},
    {"codebook-size", 0, "N", "number of codes", "512", 0},
    {"sample-rate", 0, "HZ", "sample rate", "16000", 0},
    {"sample-size", 0, "N", "train on N random patches (seed 42)", NULL, 0},
    {0}};
static const cli_cmd AUDIO_CMD = {"train-tokenizer audio", "Train the audio VQ tokenizer.",
                                  "--audio DIR -o DIR [OPTIONS]", AUDIO_OPTS,
                                  "n_fft 512, hop_length 256, n_mels 80 and patch_length 16, as the original.\n"};

static const cli_opt VIDEO_OPTS[] = {
    {"videos", 0, "DIR", "directory of videos (.avi .mkv .mov .mp4 .webm; recursive, sorted)", NULL, CLI_REQUIRED},
    {"output", 'o', "DIR", "output directory for config.json and vq_codebook.json", NULL, CLI_REQUIRED},
    {"codebook-size", 0, "N", "number of codes", "1024", 0},
    {"image-size", 0, "N", "frame side after resizing", "224", 0},
    {"patch-size", 0, "N", "patch side", "16", 0},
    {"max-frames", 0, "N", "frames sampled per video", "32", 0},
    {"sample-size", 0, "N", "use the first N videos", NULL, 0},
    {0}};
static const cli_cmd VIDEO_CMD = {"train-tokenizer video", "Train the video VQ tokenizer.",
                                  "--videos DIR -o DIR [OPTIONS]", VIDEO_OPTS, NULL};

static const cli_opt ALL_OPTS[] = {
    {"corpus", 0, "FILE|DIR", "text corpus (see 'train-tokenizer text')", NULL, 0},
    {"images", 0, "DIR", "directory of .npy images", NULL, 0},
    {"audio", 0, "DIR", "directory of .npy waveforms", NULL, 0},
    {"videos", 0, "DIR", "directory of videos", NULL, 0},
    {"output", 'o', "DIR", "tokenizers root: text/, image/, audio/, video/ are written under it", NULL, CLI_REQUIRED},
    {"vocab-size", 0, "N", "text vocabulary size", "32000", 0},
    {"codebook-size", 0, "N", "image and video codes", "1024", 0},
    {"audio-codebook-size", 0, "N", "audio codes", "512", 0},
    {"image-size", 0, "N", "image and frame side", "224", 0},
    {"patch-size", 0, "N", "patch side", "16", 0},
    {"sample-rate", 0, "HZ", "audio sample rate", "16000", 0},
    {"max-frames", 0, "N", "frames sampled per video", "32", 0},
    {0}};
static const cli_cmd ALL_CMD = {"train-tokenizer all", "Train every tokenizer whose input is given.",
                                "-o ROOT [--corpus P] [--images DIR] [--audio DIR] [--videos DIR] [OPTIONS]", ALL_OPTS,
                                "At least one input is required. The text tokenizer is saved only when it learned\n"
                                "at least one merge, as the original.\n"};

static int u32(const cli_values *v, const char *name, uint32_t *out) {
  int64_t x;
  if (!cli_get_int(v, name, 1, 1 << 24, &x)) return -1;
  *out = (uint32_t)x;
  return 0;
}

static int report(const char *what, const char *out, int rc, const med_train_result *r, const al_err *err) {
  if (rc < 0) {
    fprintf(stderr, "auralith-pipeline train-tokenizer %s: %s\n", what, err->msg);
    return 1;
  }
  printf("%s tokenizer saved to %s: files=%zu vectors=%zu iterations=%d\n", what, out, r->files, r->rows,
         r->iterations);
  return 0;
}

static int parse(const cli_cmd *cmd, int argc, char **argv, cli_values *v) {
  int rc = cli_parse(cmd, argc, argv, v);
  if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
  if (v->npositional) return cli_usage_error(cmd, "unexpected argument '%s'", v->positional[0]);
  return -1;
}

static int64_t opt_or(const cli_values *v, const char *name, int *bad) {
  int64_t x = -1;
  if (cli_given(v, name) && !cli_get_int(v, name, 0, INT64_MAX, &x)) *bad = 1;
  return x;
}

int cmd_train_image(int argc, char **argv) {
  cli_values v;
  int rc = parse(&IMAGE_CMD, argc, argv, &v);
  if (rc >= 0) {
    cli_values_free(&v);
    return rc;
  }
  med_image_cfg c = {0, 0, 0, 3};
  int bad = 0;
  int64_t ss = opt_or(&v, "sample-size", &bad);
  if (bad || u32(&v, "codebook-size", &c.codebook_size) || u32(&v, "image-size", &c.image_size) ||
      u32(&v, "patch-size", &c.patch_size)) {
    cli_values_free(&v);
    return 2;
  }
  al_err err = {0};
  med_train_result r = {0};
  const char *out = cli_get(&v, "output");
  rc = report("image", out, med_train_image(cli_get(&v, "images"), &c, ss, out, &r, &err), &r, &err);
  cli_values_free(&v);
  return rc;
}

static void audio_defaults(med_audio_cfg *c) {
  c->n_fft = 512, c->hop_length = 256, c->n_mels = 80, c->patch_length = 16, c->downmix = 0;
}

int cmd_train_audio(int argc, char **argv) {
  cli_values v;
  int rc = parse(&AUDIO_CMD, argc, argv, &v);
  if (rc >= 0) {
    cli_values_free(&v);
    return rc;
  }
  med_audio_cfg c;
  audio_defaults(&c);
  int bad = 0;
  int64_t ss = opt_or(&v, "sample-size", &bad);
  if (bad || u32(&v, "codebook-size", &c.codebook_size) || u32(&v, "sample-rate", &c.sample_rate)) {
    cli_values_free(&v);
    return 2;
  }
  al_err err = {0};
  med_train_result r = {0};
  const char *out = cli_get(&v, "output");
  rc = report("audio", out, med_train_audio(cli_get(&v, "audio"), &c, ss, out, &r, &err), &r, &err);
  cli_values_free(&v);
  return rc;
}

int cmd_train_video(int argc, char **argv) {
  cli_values v;
  int rc = parse(&VIDEO_CMD, argc, argv, &v);
  if (rc >= 0) {
    cli_values_free(&v);
    return rc;
  }
  med_video_cfg c = {{0, 0, 0, 3}, 0, 1};
  int bad = 0;
  int64_t ss = opt_or(&v, "sample-size", &bad);
  if (bad || u32(&v, "codebook-size", &c.img.codebook_size) || u32(&v, "image-size", &c.img.image_size) ||
      u32(&v, "patch-size", &c.img.patch_size) || u32(&v, "max-frames", &c.max_frames)) {
    cli_values_free(&v);
    return 2;
  }
  al_err err = {0};
  med_train_result r = {0};
  const char *out = cli_get(&v, "output");
  rc = report("video", out, med_train_video(cli_get(&v, "videos"), &c, ss, out, &r, &err), &r, &err);
  cli_values_free(&v);
  return rc;
}

int cmd_train_all(int argc, char **argv, int (*train_text)(int, char **)) {
  cli_values v;
  int rc = parse(&ALL_CMD, argc, argv, &v);
  if (rc >= 0) {
    cli_values_free(&v);
    return rc;
  }
  const char *corpus = cli_get(&v, "corpus"), *images = cli_get(&v, "images"), *audio = cli_get(&v, "audio"),
             *videos = cli_get(&v, "videos"), *root = cli_get(&v, "output");
  if (!corpus && !images && !audio && !videos) {
    rc = cli_usage_error(&ALL_CMD, "give at least one of --corpus, --images, --audio, --videos");
    cli_values_free(&v);
    return rc;
  }
  med_image_cfg ic = {0, 0, 0, 3};
  med_audio_cfg ac;
  audio_defaults(&ac);
  med_video_cfg vc = {{0, 0, 0, 3}, 0, 1};
  if (u32(&v, "codebook-size", &ic.codebook_size) || u32(&v, "image-size", &ic.image_size) ||
      u32(&v, "patch-size", &ic.patch_size) || u32(&v, "audio-codebook-size", &ac.codebook_size) ||
      u32(&v, "sample-rate", &ac.sample_rate) || u32(&v, "max-frames", &vc.max_frames)) {
    cli_values_free(&v);
    return 2;
  }
  vc.img = ic;
  rc = 0;
  int trained = 0;
  char names[64] = "";
  if (corpus) {
    char *out = al_xasprintf("%s/text", root);
    char *targv[] = {"text", "--corpus", (char *)corpus, "-o", out, "--vocab-size", (char *)cli_get(&v, "vocab-size"), NULL};
    int r = train_text(7, targv);
    if (r == 0) trained++, strcat(names, "text ");
    else rc = 1;
    free(out);
  }
  struct {
    const char *name, *dir;
  } jobs[3] = {{"image", images}, {"audio", audio}, {"video", videos}};
  for (int i = 0; i < 3 && rc == 0; i++) {
    if (!jobs[i].dir) continue;
    char *out = al_xasprintf("%s/%s", root, jobs[i].name);
    al_err err = {0};
    med_train_result r = {0};
    int t = i == 0 ? med_train_image(jobs[i].dir, &ic, -1, out, &r, &err)
            : i == 1 ? med_train_audio(jobs[i].dir, &ac, -1, out, &r, &err)
                     : med_train_video(jobs[i].dir, &vc, -1, out, &r, &err);
    if (report(jobs[i].name, out, t, &r, &err) == 0) {
      trained++;
      strcat(names, jobs[i].name);
      strcat(names, " ");
    } else {
      rc = 1;
    }
    free(out);
  }
  if (rc == 0) printf("[OK] Trained %d tokenizer(s): %s\n", trained, names);
  cli_values_free(&v);
  return rc;
}
