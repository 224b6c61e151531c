/* auralith-pipeline train-tokenizer: train the text BPE tokenizer like the original's
 * `train-tokenizer text`; image, audio, video and all are in cmd_train_media.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auralith/tokenizer.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "common/al.h"

#define TRAIN_MAX_FILES 10000000 /* files collected from a corpus directory */

static const cli_opt TEXT_OPTS[] = {
    {"corpus", 0, "FILE|DIR", "a text file, or a directory whose *.txt files (recursive, sorted) are used", NULL, CLI_REQUIRED},
    {"output", 'o', "DIR", "output directory for vocab.json, merges.txt, config.json", NULL, CLI_REQUIRED},
    {"vocab-size", 0, "N", "vocabulary size (counting the 6 legacy aliases)", "32000", 0},
    {"min-frequency", 0, "N", "stop when the best pair occurs fewer times", "2", 0},
    {"lowercase", 0, NULL, "lowercase text before training and encoding", NULL, 0},
    {"max-corpus-size", 0, "N", "use at most N characters of the corpus", NULL, 0},
    {"max-merge-depth", 0, "N", "merges applied when encoding (default: all learned merges)", NULL, 0},
    {0}};

static const cli_cmd TEXT_CMD = {
    "train-tokenizer text", "Train the BPE text tokenizer.",
    "--corpus FILE|DIR -o DIR [OPTIONS]", TEXT_OPTS,
    "The merges, ids and files are those the original trainer produces for the same corpus.\n"
    "One difference: the original writes max_merge_depth 50 to config.json, so encoding\n"
    "uses only the first 50 merges; this trainer writes the number of learned merges, so\n"
    "every merge is applied, unless --max-merge-depth N is given.\n"};

static void group_help(void) {
  printf("Usage: auralith-pipeline train-tokenizer SUBCOMMAND [OPTIONS]\n\n"
         "Train a tokenizer.\n\n"
         "Subcommands:\n"
         "  text    Train the BPE text tokenizer (see 'train-tokenizer text --help')\n"
         "  image   Train the image VQ tokenizer from .npy images\n"
         "  audio   Train the audio VQ tokenizer from .npy waveforms\n"
         "  video   Train the video VQ tokenizer from video files\n"
         "  all     Train every tokenizer whose input is given, into one tokenizers root\n");
}

typedef struct pathlist {
  char **v;
  size_t len, cap;
} pathlist;

/* Python's Path ordering: component by component. */
static int cmp_path(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  for (;;) {
    size_t lx = strcspn(x, "/"), ly = strcspn(y, "/");
    size_t m = lx < ly ? lx : ly;
    int c = memcmp(x, y, m);
    if (c) return c;
    if (lx != ly) return lx < ly ? -1 : 1;
    if (!x[lx] || !y[ly]) return (x[lx] ? 1 : 0) - (y[ly] ? 1 : 0);
    x += lx + 1;
    y += ly + 1;
  }
}

static int collect_txt(const char *dir, pathlist *out, al_err *err) {
  DIR *d = opendir(dir);
  if (!d) return al_err_set(err, errno, "%s: cannot list directory: %s", dir, strerror(errno));
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char *p = al_xasprintf("%s/%s", dir, de->d_name);
    struct stat st;
    if (stat(p, &st) != 0) {
      free(p);
      continue;
    }
    if (S_ISDIR(st.st_mode)) rc = collect_txt(p, out, err);
    size_t nl = strlen(de->d_name);
    if (S_ISREG(st.st_mode) && nl >= 4 && strcmp(de->d_name + nl - 4, ".txt") == 0) {
      if (out->len >= TRAIN_MAX_FILES) {
        rc = al_err_set(err, 1, "%s: more than %d .txt files", dir, TRAIN_MAX_FILES);
      } else {
        if (out->len == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 64;
          out->v = al_xrealloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->len++] = p;
        p = NULL;
      }
    }
    free(p);
  }
  closedir(d);
  return rc;
}

/* Byte length of the first max_chars code points of valid UTF-8 s[0..n). */
static size_t prefix_chars(const char *s, size_t n, int64_t max_chars) {
  size_t i = 0;
  int64_t c = 0;
  while (i < n && c < max_chars) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80) i++;
    c++;
  }
  return i;
}

/* Reads a corpus file as UTF-8 text (universal newlines). Undecodable bytes are an
 * error naming the offset, as the original fails on them. */
static int read_corpus_file(const char *path, al_buf *out, al_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return al_err_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
  al_buf raw = {0};
  char chunk[65536];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) al_buf_append(&raw, chunk, k);
  bool bad_read = ferror(f) != 0;
  fclose(f);
  if (bad_read) {
    al_buf_free(&raw);
    return al_err_set(err, EIO, "%s: read error", path);
  }
  size_t n;
  char *text = al_tok_decode_utf8_replace(raw.data ? raw.data : "", raw.len, true, &n);
  /* a strict decode (no newline translation) reproduces the bytes exactly when they
   * are valid; the first difference is the first invalid byte */
  size_t strict_n;
  char *strict = al_tok_decode_utf8_replace(raw.data ? raw.data : "", raw.len, false, &strict_n);
  size_t off = 0;
  while (off < raw.len && off < strict_n && raw.data[off] == strict[off]) off++;
  bool valid = strict_n == raw.len && off == raw.len;
  free(strict);
  if (!valid) {
    free(text);
    al_buf_free(&raw);
    return al_err_set(err, 1, "%s: not valid UTF-8 (byte offset %zu)", path, off);
  }
  al_buf_append(out, text, n);
  free(text);
  al_buf_free(&raw);
  return 0;
}

static int train_text(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&TEXT_CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  al_tok_train_opts o;
  al_tok_train_opts_default(&o);
  o.max_merge_depth = -1; /* all learned merges */
  int64_t max_chars = -1;
  if (!cli_get_int(&v, "vocab-size", 0, INT32_MAX, &o.vocab_size) ||
      !cli_get_int(&v, "min-frequency", INT64_MIN + 1, INT64_MAX, &o.min_frequency) ||
      (cli_given(&v, "max-corpus-size") && !cli_get_int(&v, "max-corpus-size", 0, INT64_MAX, &max_chars)) ||
      (cli_given(&v, "max-merge-depth") && !cli_get_int(&v, "max-merge-depth", 0, INT64_MAX, &o.max_merge_depth))) {
    cli_values_free(&v);
    return 2;
  }
  if (v.npositional) {
    rc = cli_usage_error(&TEXT_CMD, "unexpected argument '%s'", v.positional[0]);
    cli_values_free(&v);
    return rc;
  }
  o.lowercase = cli_flag(&v, "lowercase");
  const char *corpus = cli_get(&v, "corpus");
  const char *outdir = cli_get(&v, "output");
  struct stat st;
  if (stat(corpus, &st) != 0) {
    rc = cli_usage_error(&TEXT_CMD, "invalid value for '--corpus': path '%s' does not exist", corpus);
    cli_values_free(&v);
    return rc;
  }
  al_err err = {0};
  al_buf text = {0};
  rc = 0;
  if (S_ISDIR(st.st_mode)) {
    pathlist files = {0};
    if (collect_txt(corpus, &files, &err) < 0) {
      fprintf(stderr, "auralith-pipeline train-tokenizer text: %s\n", err.msg);
      rc = 1;
    } else if (files.len == 0) {
      fprintf(stderr, "auralith-pipeline train-tokenizer text: no .txt files found in %s\n", corpus);
      rc = 1;
    }
    if (files.len > 1) qsort(files.v, files.len, sizeof *files.v, cmp_path);
    int64_t chars = 0;
    for (size_t i = 0; i < files.len && rc == 0; i++) {
      if (max_chars >= 0 && chars >= max_chars) break;
      if (i) al_buf_append(&text, "\n", 1);
      size_t before = text.len;
      if (read_corpus_file(files.v[i], &text, &err) < 0) {
        fprintf(stderr, "auralith-pipeline train-tokenizer text: %s\n", err.msg);
        rc = 1;
      }
      for (size_t k = before; k < text.len; k++) chars += ((unsigned char)text.data[k] & 0xc0) != 0x80;
    }
    for (size_t i = 0; i < files.len; i++) free(files.v[i]);
    free(files.v);
  } else if (read_corpus_file(corpus, &text, &err) < 0) {
    fprintf(stderr, "auralith-pipeline train-tokenizer text: %s\n", err.msg);
    rc = 1;
  }
  if (rc == 0 && max_chars >= 0) text.len = prefix_chars(text.data ? text.data : "", text.len, max_chars);
  size_t nv = 0, nm = 0;
  if (rc == 0) {
    double t0 = al_mono_s();
    al_info("training on %zu bytes of text", text.len);
    if (al_tok_train(text.data ? text.data : "", text.len, &o, outdir, &nv, &nm, &err) < 0) {
      fprintf(stderr, "auralith-pipeline train-tokenizer text: %s\n", err.msg);
      rc = 1;
    } else {
      al_info("trained in %.2f s", al_mono_s() - t0);
      printf("Text tokenizer saved to %s: vocab=%zu merges=%zu\n", outdir, nv, nm);
    }
  }
  al_buf_free(&text);
  cli_values_free(&v);
  return rc;
}

int cmd_train_tokenizer(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    group_help();
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "text") == 0) return train_text(argc - 1, argv + 1);
  if (strcmp(sub, "image") == 0) return cmd_train_image(argc - 1, argv + 1);
  if (strcmp(sub, "audio") == 0) return cmd_train_audio(argc - 1, argv + 1);
  if (strcmp(sub, "video") == 0) return cmd_train_video(argc - 1, argv + 1);
  if (strcmp(sub, "all") == 0) return cmd_train_all(argc - 1, argv + 1, train_text);
  fprintf(stderr, "auralith-pipeline train-tokenizer: unknown subcommand '%s'\nTry 'auralith-pipeline train-tokenizer --help'.\n", sub);
  return 2;
}
