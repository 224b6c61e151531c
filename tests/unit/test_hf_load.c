/* Loading byte-level BPE tokenizers: kind detection from the files of text/, the
 * refusal of every unsupported tokenizer.json component with its JSON path, malformed
 * rank files and configs, and the bos/eos/code markers rows use. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "tokenize/tok_hf.h"

/* A minimal byte-level tokenizer.json with `over` spliced in as extra top-level keys
 * (later keys win in jansson). */
static char *json_with(const char *model_extra, const char *top) {
  return al_xasprintf(
      "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"\\u0120\":3}%s%s,"
      "\"merges\":[\"a b\"]},\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},"
      "\"added_tokens\":[]%s%s}",
      model_extra[0] ? "," : "", model_extra, top[0] ? "," : "", top);
}

static void refused(const char *model_extra, const char *top, const char *want) {
  char *j = json_with(model_extra, top);
  al_err err = {0};
  struct tok_hf *h = tok_hf_parse_json(j, strlen(j), "tok.json", &err);
  CHECK_MSG(h == NULL, "accepted: %s", j);
  CHECK_CONTAINS(err.msg, want);
  tok_hf_free(h);
  free(j);
}

static void test_minimal_loads(void) {
  char *j = json_with("", "");
  al_err err = {0};
  struct tok_hf *h = tok_hf_parse_json(j, strlen(j), "tok.json", &err);
  CHECK_MSG(h != NULL, "%s", err.msg);
  if (h) {
    tok_hf_enc *e = tok_hf_enc_new(h);
    al_tok_ids ids = {0};
    CHECK(tok_hf_encode(e, "ab a", 4, true, TOK_NO_LIMIT, &ids, &err) == 0);
    CHECK_EQ_INT(ids.len, 3); /* ab, " " (3), a */
    if (ids.len == 3) {
      CHECK_EQ_INT(ids.v[0], 2);
      CHECK_EQ_INT(ids.v[1], 3);
      CHECK_EQ_INT(ids.v[2], 0);
    }
    char *back = tok_hf_decode(h, ids.v, ids.len, false);
    CHECK_EQ_STR(back, "ab a");
    free(back);
    al_tok_ids_free(&ids);
    tok_hf_enc_free(e);
  }
  tok_hf_free(h);
  free(j);
}

static void test_refusals(void) {
  refused("", "\"normalizer\":{\"type\":\"Lowercase\"}", "tok.json: normalizer: unsupported normalizer Lowercase");
  refused("", "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFC\"},{\"type\":\"Strip\"}]}",
          "normalizer.normalizers[1]: unsupported normalizer Strip");
  refused("", "\"pre_tokenizer\":{\"type\":\"Whitespace\"}", "pre_tokenizer: unsupported pre-tokenizer Whitespace");
  refused("", "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"x\"},\"behavior\":\"MergedWithAll\"},{\"type\":\"ByteLevel\"}]}",
          "pre_tokenizer.pretokenizers[0].behavior: unsupported Split behavior MergedWithAll");
  refused("", "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(x\"},\"behavior\":\"Isolated\"},{\"type\":\"ByteLevel\"}]}",
          "pre_tokenizer.pretokenizers[0].pattern: regex at offset");
  refused("", "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"ByteLevel\"},{\"type\":\"Digits\"}]}",
          "pre_tokenizer.pretokenizers[1]: a pre-tokenizer after ByteLevel");
  refused("", "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"x\"},\"behavior\":\"Isolated\"}",
          "pre_tokenizer: no ByteLevel pre-tokenizer");
  refused("", "\"pre_tokenizer\":null", "pre_tokenizer: missing");
  refused("", "\"post_processor\":{\"type\":\"RobertaProcessing\"}", "post_processor: unsupported post-processor RobertaProcessing");
  refused("", "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\"}},{\"Sequence\":{\"id\":\"A\"}}],\"special_tokens\":{}}",
          "post_processor.single[0]: special token not in special_tokens: <s>");
  refused("", "\"truncation\":{\"max_length\":5}", "tok.json: truncation:");
  refused("\"dropout\":0.1", "", "model.dropout");
  refused("\"continuing_subword_prefix\":\"##\"", "", "model.continuing_subword_prefix");
  refused("\"type\":\"Unigram\"", "", "model.type: unsupported model Unigram");
  refused("", "\"added_tokens\":[{\"id\":\"x\",\"content\":\"<s>\"}]", "added_tokens[0]: needs an integer id");
  /* a merge whose result is not in the vocabulary */
  const char *bad = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[[\"a\",\"b\"]]},"
                    "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}";
  al_err err = {0};
  CHECK(tok_hf_parse_json(bad, strlen(bad), "m.json", &err) == NULL);
  CHECK_CONTAINS(err.msg, "m.json: model.merges[0]: a part or the merged token is not in model.vocab");
  CHECK(tok_hf_parse_json("{\"model\": [", 11, "x.json", &err) == NULL);
  CHECK_CONTAINS(err.msg, "x.json: line 1");
}

static void test_tiktoken_errors(void) {
  al_err err = {0};
  const char *cfg = "{\"pattern\":\"cl100k_base\",\"special_tokens\":{\"<|e|>\":9}}";
  struct tok_hf *h = tok_hf_parse_tiktoken("YQ== 0\nYg== 1\nYWI= 2\n", 21, cfg, strlen(cfg), "r.tiktoken", &err);
  CHECK_MSG(h != NULL, "%s", err.msg);
  if (h) {
    tok_hf_enc *e = tok_hf_enc_new(h);
    al_tok_ids ids = {0};
    CHECK(tok_hf_encode(e, "abab<|e|>b", 10, true, TOK_NO_LIMIT, &ids, &err) == 0);
    CHECK_EQ_INT(ids.len, 4);
    if (ids.len == 4) {
      CHECK_EQ_INT(ids.v[0], 2); /* "abab" is one piece: ab ab */
      CHECK_EQ_INT(ids.v[1], 2);
      CHECK_EQ_INT(ids.v[2], 9);
      CHECK_EQ_INT(ids.v[3], 1);
    }
    al_tok_ids_free(&ids);
    tok_hf_enc_free(e);
  }
  tok_hf_free(h);
  CHECK(tok_hf_parse_tiktoken("YQ== 0\n!!! 1\n", 13, cfg, strlen(cfg), "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "r.tiktoken: line 2: the token is not base64");
  CHECK(tok_hf_parse_tiktoken("YQ== 0\nYg==\n", 12, cfg, strlen(cfg), "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "r.tiktoken: line 2: not \"<base64 token> <rank>\"");
  CHECK(tok_hf_parse_tiktoken("YQ== 0\nYQ== 1\n", 14, cfg, strlen(cfg), "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "line 2: the token appears twice");
  CHECK(tok_hf_parse_tiktoken("YQ== 0\n", 7, "{}", 2, "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "config.json: pattern: missing");
  const char *badpat = "{\"pattern\":\"(?<\"}";
  CHECK(tok_hf_parse_tiktoken("YQ== 0\n", 7, badpat, strlen(badpat), "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "config.json: pattern: regex at offset");
  const char *badeos = "{\"pattern\":\"gpt2\",\"eos_token\":\"<x>\"}";
  CHECK(tok_hf_parse_tiktoken("YQ== 0\n", 7, badeos, strlen(badeos), "r.tiktoken", &err) == NULL);
  CHECK_CONTAINS(err.msg, "eos_token: not one of special_tokens");
}

static char *hf_dir(const char *name) {
  const char *d = getenv("AL_DATA_DIR");
  return al_xasprintf("%s/hf/%s", d ? d : "tests/data", name);
}

static void test_detection_and_markers(void) {
  al_err err = {0};
  struct { const char *name; const char *bos, *eos; } cases[] = {
    {"gpt2", NULL, "<|endoftext|>"},
    {"llama3", "<|begin_of_text|>", "<|end_of_text|>"},
    {"cl100k", NULL, "<|endoftext|>"},
  };
  for (size_t i = 0; i < AL_ARRAY_LEN(cases); i++) {
    char *d = hf_dir(cases[i].name);
    al_tok_bpe *t = al_tok_bpe_load(d, &err);
    CHECK_MSG(t != NULL, "%s: %s", d, err.msg);
    if (t) {
      al_tok_encoder *e = al_tok_encoder_new(t, 0);
      al_tok_sample s = {0};
      static const char code[] = "int x = 1;\n";
      CHECK(al_tok_build_sample_text(e, TOK_MOD_CODE, code, sizeof code - 1, 512, &s, &err) == TOK_SAMPLE_OK);
      int32_t bos = cases[i].bos ? al_tok_bpe_token_id(t, cases[i].bos) : -1;
      int32_t eos = al_tok_bpe_token_id(t, cases[i].eos);
      CHECK(eos >= 0);
      CHECK(s.ids.len > 2);
      if (s.ids.len > 2) {
        CHECK_EQ_INT(s.ids.v[s.ids.len - 1], eos);
        if (bos >= 0) CHECK_EQ_INT(s.ids.v[0], bos);
        for (size_t k = 0; k < s.mask.len; k++) CHECK_EQ_INT(s.mask.v[k], TOK_MOD_CODE);
        /* no invented markers: the body is encode(text, no specials) */
        al_tok_ids body = {0};
        al_tok_encode(e, code, sizeof code - 1, false, TOK_NO_LIMIT, &body, &err);
        CHECK_EQ_INT(s.ids.len, body.len + 1 + (bos >= 0));
        al_tok_ids_free(&body);
      }
      /* truncation keeps the first max_seq_len ids */
      CHECK(al_tok_build_sample_text(e, TOK_MOD_TEXT, code, sizeof code - 1, 2, &s, &err) == TOK_SAMPLE_OK);
      CHECK_EQ_INT(s.ids.len, 2);
      al_tok_sample_free(&s);
      al_tok_encoder_free(e);
      al_tok_bpe_free(t);
    }
    free(d);
  }
  /* two rank files: ambiguous */
  char tmpl[] = "/tmp/al-hfload-XXXXXX";
  char *root = mkdtemp(tmpl);
  CHECK(root != NULL);
  if (!root) return;
  char *a = al_xasprintf("%s/a.tiktoken", root), *b = al_xasprintf("%s/b.tiktoken", root);
  FILE *f = fopen(a, "w");
  if (f) fclose(f);
  f = fopen(b, "w");
  if (f) fclose(f);
  CHECK(al_tok_bpe_load(root, &err) == NULL);
  CHECK_CONTAINS(err.msg, "more than one *.tiktoken file");
  unlink(b);
  CHECK(al_tok_bpe_load(root, &err) == NULL); /* no config.json */
  CHECK_CONTAINS(err.msg, "config.json");
  unlink(a);
  rmdir(root);
  free(a);
  free(b);
}

int main(void) {
  RUN(test_minimal_loads);
  RUN(test_refusals);
  RUN(test_tiktoken_errors);
  RUN(test_detection_and_markers);
  return TEST_REPORT();
}
