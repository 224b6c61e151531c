/* auralith-pipeline encode: print the token ids the pipeline produces for a text. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "common/al.h"

#define ENCODE_MAX_INPUT ((size_t)1 << 34) /* 16 GiB: refuse anything larger */

static const cli_opt OPTS[] = {
    {"tokenizers", 't', "DIR", "tokenizers root (holding text/) or a text tokenizer directory", NULL, CLI_REQUIRED},
    {"no-special-tokens", 0, NULL, "do not add <bos>/<eos>", NULL, 0},
    {"max-length", 0, "N", "keep the first N ids (Python ids[:N]; negative drops from the end)", NULL, 0},
    {"jsonl", 0, NULL, "input is JSON lines {\"text\": ...}; print one array per line", NULL, 0},
    {0}};

static const cli_cmd CMD = {
    "encode", "Print the token ids of a text as a JSON array.", "-t DIR [OPTIONS] [FILE|-]", OPTS,
    "The input is read as the pipeline reads files: UTF-8 with invalid bytes replaced by\n"
    "U+FFFD and CRLF/CR turned into LF. Without FILE (or with -) it is read from stdin.\n"};

static char *read_input(const char *path, size_t *len, al_err *err) {
  if (strcmp(path, "-") != 0) return al_tok_read_text_file(path, len, err);
  al_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    if (b.len + n > ENCODE_MAX_INPUT) {
      al_buf_free(&b);
      al_err_set(err, 1, "stdin: input larger than %zu bytes", ENCODE_MAX_INPUT);
      return NULL;
    }
    al_buf_append(&b, chunk, n);
  }
  char *s = al_tok_decode_utf8_replace(b.data ? b.data : "", b.len, true, len);
  al_buf_free(&b);
  return s;
}

static void print_ids(const al_tok_ids *ids, al_buf *out) {
  al_buf_append(out, "[", 1);
  for (size_t i = 0; i < ids->len; i++) al_buf_printf(out, i ? ", %d" : "%d", ids->v[i]);
  al_buf_append(out, "]\n", 2);
  if (out->len > (1u << 20)) {
    fwrite(out->data, 1, out->len, stdout);
    out->len = 0;
  }
}

int cmd_encode(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  int64_t max_len = TOK_NO_LIMIT;
  if (cli_given(&v, "max-length") && !cli_get_int(&v, "max-length", INT64_MIN + 1, INT64_MAX, &max_len)) {
    cli_values_free(&v);
    return 2;
  }
  if (v.npositional > 1) {
    rc = cli_usage_error(&CMD, "expected at most one input FILE, got %d", v.npositional);
    cli_values_free(&v);
    return rc;
  }
  const char *input = v.npositional ? v.positional[0] : "-";
  bool special = !cli_flag(&v, "no-special-tokens");
  bool jsonl = cli_flag(&v, "jsonl");
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(cli_get(&v, "tokenizers"), &err);
  if (!t) {
    fprintf(stderr, "auralith-pipeline encode: %s\n", err.msg);
    cli_values_free(&v);
    return 1;
  }
  size_t len;
  char *text = read_input(input, &len, &err);
  rc = 0;
  if (!text) {
    fprintf(stderr, "auralith-pipeline encode: %s\n", err.msg);
    rc = 1;
  }
  al_tok_encoder *e = al_tok_encoder_new(t, 0);
  al_tok_ids ids = {0};
  al_buf out = {0};
  if (text && !jsonl) {
    if (al_tok_encode(e, text, len, special, max_len, &ids, &err) < 0) {
      fprintf(stderr, "auralith-pipeline encode: %s\n", err.msg);
      rc = 1;
    } else {
      print_ids(&ids, &out);
    }
  } else if (text) {
    size_t line = 0, pos = 0;
    while (pos < len && rc == 0) {
      line++;
      char *nl = memchr(text + pos, '\n', len - pos);
      size_t end = nl ? (size_t)(nl - text) : len;
      size_t n = end - pos;
      const char *l = text + pos;
      pos = nl ? end + 1 : len;
      size_t k = 0;
      while (k < n && (l[k] == ' ' || l[k] == '\t')) k++;
      if (k == n) continue; /* blank line */
      json_error_t je;
      json_t *row = json_loadb(l, n, JSON_ALLOW_NUL, &je);
      json_t *txt = row ? json_object_get(row, "text") : NULL;
      if (!row) {
        fprintf(stderr, "auralith-pipeline encode: %s:%zu:%d: invalid JSON: %s\n", input, line, je.column, je.text);
        rc = 1;
      } else if (!json_is_string(txt)) {
        fprintf(stderr, "auralith-pipeline encode: %s:%zu: expected an object with a string \"text\"\n", input, line);
        rc = 1;
      } else if (al_tok_encode(e, json_string_value(txt), json_string_length(txt), special, max_len, &ids, &err) < 0) {
        fprintf(stderr, "auralith-pipeline encode: %s:%zu: %s\n", input, line, err.msg);
        rc = 1;
      } else {
        print_ids(&ids, &out);
      }
      json_decref(row);
    }
  }
  if (out.len) fwrite(out.data, 1, out.len, stdout);
  if (fflush(stdout) != 0) rc = 1;
  al_buf_free(&out);
  al_tok_ids_free(&ids);
  free(text);
  al_tok_encoder_free(e);
  al_tok_bpe_free(t);
  cli_values_free(&v);
  return rc;
}
