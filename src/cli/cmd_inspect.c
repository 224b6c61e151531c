/* auralith-pipeline inspect: header, schema check and one row of a .safetensors shard,
 * optionally decoded back to text with a tokenizer. */
#include <stdio.h>
#include <stdlib.h>

#include "auralith/tokenizer.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "shard/inspect.h"

static const cli_opt OPTS[] = {
    {"sample", 0, "N", "print row N (0-based): its ids and modality mask", NULL, 0},
    {"tokenizers", 't', "DIR", "decode the row with the text tokenizer of DIR (or DIR/text)", NULL, 0},
    {"skip-special", 0, NULL, "leave special tokens out of the decoded text", NULL, 0},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {0}};

static const cli_cmd CMD = {
    "inspect", "Print the header (tensors, dtypes, shapes, metadata) and one sample of a shard.",
    "FILE.safetensors [--sample N] [-t TOKENIZERS_DIR] [--json]", OPTS,
    "The file is fully validated first (header, offsets, length); exit 1 names what is wrong.\n"
    "'auralith shard: yes' means it also follows the pipeline's shard schema."};

typedef struct decode_ctx {
  al_tok_bpe *bpe;
  bool skip_special;
} decode_ctx;

static char *decode_row(void *ctx, const int32_t *ids, size_t n) {
  decode_ctx *d = ctx;
  return al_tok_decode(d->bpe, ids, n, d->skip_special);
}

int cmd_inspect(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  if (v.npositional != 1) {
    cli_values_free(&v);
    return cli_usage_error(&CMD, "expected exactly one FILE.safetensors");
  }
  shard_inspect_opts o = {.sample = -1, .json = cli_flag(&v, "json")};
  int64_t sample = -1;
  if (cli_given(&v, "sample") && !cli_get_int(&v, "sample", 0, INT64_MAX, &sample)) {
    cli_values_free(&v);
    return 2;
  }
  o.sample = sample;
  decode_ctx dc = {0};
  const char *tdir = cli_get(&v, "tokenizers");
  if (tdir && o.sample < 0) {
    cli_values_free(&v);
    return cli_usage_error(&CMD, "--tokenizers decodes a row: give --sample N too");
  }
  al_err err;
  al_err_clear(&err);
  if (tdir) {
    dc.bpe = al_tok_bpe_load(tdir, &err);
    if (!dc.bpe) {
      fprintf(stderr, "auralith-pipeline inspect: %s\n", err.msg);
      cli_values_free(&v);
      return 1;
    }
    dc.skip_special = cli_flag(&v, "skip-special");
    o.decode = decode_row;
    o.decode_ctx = &dc;
  }
  rc = shard_inspect(stdout, v.positional[0], &o, &err) == 0 ? 0 : 1;
  if (rc != 0) fprintf(stderr, "auralith-pipeline inspect: %s\n", err.msg);
  al_tok_bpe_free(dc.bpe);
  cli_values_free(&v);
  return rc;
}
