/* auralith-pipeline sample: the row the pipeline builds for each file, or why it skips
 * the file, for every modality. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auralith/tokenizer.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "common/al.h"
#include "media/media.h"

static const cli_opt OPTS[] = {
    {"tokenizers", 't', "ROOT", "tokenizers root (text/, image/, audio/, video/; each optional)", NULL, CLI_REQUIRED},
    {"max-seq-len", 0, "N", "truncate each row to N ids (Python ids[:N])", "4096", 0},
    {0}};

static const cli_cmd CMD = {
    "sample", "Print the row the pipeline builds for each file.", "-t ROOT [--max-seq-len N] FILE...", OPTS,
    "One JSON line per FILE, in the order given:\n"
    "  {\"file\", \"modality\", \"input_ids\", \"modality_mask\"}  for a file that gives a row\n"
    "  {\"file\", \"skipped\": REASON}                             for a file the pipeline skips\n"
    "Rows are built as a worker builds them (text and code with the BPE tokenizer, images,\n"
    "audio and video with their VQ tokenizers). Exit 0 when every file was processed\n"
    "(skips included), 1 when the tokenizers cannot be loaded, 2 on a usage error.\n"};

static void print_json(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
  printf("%s\n", s);
  free(s);
  json_decref(o);
}

static json_t *file_obj(const char *path) {
  json_t *o = json_object();
  size_t n;
  char *shown = al_tok_decode_utf8_replace(path, strlen(path), false, &n);
  json_object_set_new(o, "file", json_stringn(shown, n));
  free(shown);
  return o;
}

static void print_skip(const char *path, const char *reason) {
  json_t *o = file_obj(path);
  json_object_set_new(o, "skipped", json_string(reason));
  print_json(o);
}

static json_t *int_array(const al_tok_ids *ids) {
  json_t *a = json_array();
  for (size_t i = 0; i < ids->len; i++) json_array_append_new(a, json_integer(ids->v[i]));
  return a;
}

int cmd_sample(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  if (v.npositional == 0) {
    rc = cli_usage_error(&CMD, "expected at least one FILE");
    cli_values_free(&v);
    return rc;
  }
  char *end;
  const char *msl = cli_get(&v, "max-seq-len");
  long long max_seq_len = strtoll(msl, &end, 10);
  if (*end || end == msl || max_seq_len < 0 || max_seq_len > INT32_MAX) {
    rc = cli_usage_error(&CMD, "--max-seq-len must be an integer from 0 to 2147483647");
    cli_values_free(&v);
    return rc;
  }
  const char *root = cli_get(&v, "tokenizers");
  al_err err = {0};
  al_tok_bpe *bpe = NULL;
  /* §13: text loads when text/ holds vocab.json; its other files are then required. */
  char *vocab = al_xasprintf("%s/text/vocab.json", root);
  struct stat st;
  if (stat(vocab, &st) == 0 && !(bpe = al_tok_bpe_load(root, &err))) {
    fprintf(stderr, "auralith-pipeline sample: %s\n", err.msg);
    free(vocab);
    cli_values_free(&v);
    return 1;
  }
  free(vocab);
  med_set media;
  if (med_set_load(root, &media, &err) < 0) {
    fprintf(stderr, "auralith-pipeline sample: %s\n", err.msg);
    al_tok_bpe_free(bpe);
    cli_values_free(&v);
    return 1;
  }
  if (!bpe && !med_set_any(&media)) {
    fprintf(stderr, "auralith-pipeline sample: No tokenizers found in %s\n", root);
    cli_values_free(&v);
    return 1;
  }
  al_tok_encoder *enc = bpe ? al_tok_encoder_new(bpe, 64) : NULL;
  for (int i = 0; i < v.npositional; i++) {
    const char *path = v.positional[i];
    al_tok_modality m = al_tok_classify(path);
    if (m == TOK_MOD_NONE) {
      print_skip(path, "unclassified");
      continue;
    }
    al_tok_sample s = {0};
    al_tok_sample_status ss;
    al_err_clear(&err);
    if (m == TOK_MOD_TEXT || m == TOK_MOD_CODE) {
      if (!enc) {
        char r[64];
        snprintf(r, sizeof r, "no tokenizer for modality '%s'", al_tok_modality_name(m));
        print_skip(path, r);
        continue;
      }
      ss = al_tok_build_sample(enc, path, max_seq_len, &s, &err);
    } else {
      ss = med_build_sample(&media, m, path, max_seq_len, &s, &err);
    }
    if (ss != TOK_SAMPLE_OK) {
      print_skip(path, ss == TOK_SAMPLE_ERROR ? err.msg : al_tok_sample_status_name(ss));
    } else {
      json_t *o = file_obj(path);
      json_object_set_new(o, "modality", json_string(al_tok_modality_name(m)));
      json_object_set_new(o, "input_ids", int_array(&s.ids));
      json_object_set_new(o, "modality_mask", int_array(&s.mask));
      print_json(o);
    }
    al_tok_sample_free(&s);
  }
  if (enc) al_tok_encoder_free(enc);
  al_tok_bpe_free(bpe);
  med_set_clear(&media);
  rc = fflush(stdout) == 0 ? 0 : 1;
  cli_values_free(&v);
  return rc;
}
