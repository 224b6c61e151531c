/* Loader of tiktoken rank files ("<base64 token> <rank>" per line) with the config.json
 * beside them: {"pattern": "cl100k_base" | "o200k_base" | "p50k_base" | "r50k_base" |
 * "gpt2" | <regex>, "special_tokens": {"<|endoftext|>": 100257, ...},
 * "bos_token": ..., "eos_token": ...} (the last two optional). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"

static int b64val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Standard base64 with padding into out (room for 3 * n / 4 bytes). Returns the byte
 * count or -1. */
static long b64decode(const char *s, size_t n, unsigned char *out) {
  if (n == 0 || n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      if (s[i + k] == '=' && i + 4 == n && k >= 2) { v[k] = 0; pad++; continue; }
      if (pad || (v[k] = b64val((unsigned char)s[i + k])) < 0) return -1;
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[o++] = (unsigned char)(w >> 16);
    if (pad < 2) out[o++] = (unsigned char)(w >> 8);
    if (pad < 1) out[o++] = (unsigned char)w;
  }
  return (long)o;
}

static const char *named_pattern(const char *name) {
  if (strcmp(name, "cl100k_base") == 0) return TOK_PAT_CL100K;
  if (strcmp(name, "o200k_base") == 0) return TOK_PAT_O200K;
  if (strcmp(name, "p50k_base") == 0 || strcmp(name, "r50k_base") == 0 || strcmp(name, "gpt2") == 0 ||
      strcmp(name, "p50k_edit") == 0)
    return TOK_PAT_GPT2;
  return NULL;
}

struct tok_hf *tok_hf_parse_tiktoken(const char *ranks, size_t n_ranks, const char *config,
                                     size_t n_config, const char *name, al_err *err) {
  json_error_t je;
  json_t *cfg = json_loadb(config, n_config, 0, &je);
  if (!cfg || !json_is_object(cfg)) {
    al_err_set(err, AL_E_FORMAT, "%s: config.json: %s", name, cfg ? "not an object" : je.text);
    json_decref(cfg);
    return NULL;
  }
  struct tok_hf *h = al_xcalloc(1, sizeof *h);
  h->tiktoken = true;
  h->whole_piece_first = true;
  int rc = -1;
  unsigned char *buf = NULL;
  json_t *pat = json_object_get(cfg, "pattern"), *specials = json_object_get(cfg, "special_tokens");
  if (!json_is_string(pat) || json_string_length(pat) == 0) {
    al_err_set(err, AL_E_FORMAT, "%s: config.json: pattern: missing (a tiktoken encoding name or a regex)", name);
    goto out;
  }
  if (specials && !json_is_object(specials)) {
    al_err_set(err, AL_E_FORMAT, "%s: config.json: special_tokens: not an object", name);
    goto out;
  }
  /* pass 1: the largest id */
  int64_t mx = -1;
  const char *k;
  json_t *v;
  json_object_foreach(specials, k, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= (1 << 24) || !*k) {
      al_err_set(err, AL_E_FORMAT, "%s: config.json: special_tokens.%s: not an id in 0..16777215 of a non-empty token", name, k);
      goto out;
    }
    if (json_integer_value(v) > mx) mx = json_integer_value(v);
  }
  size_t lines = 0;
  for (size_t i = 0; i < n_ranks;) {
    const char *nl = memchr(ranks + i, '\n', n_ranks - i);
    size_t end = nl ? (size_t)(nl - ranks) : n_ranks;
    const char *sp = memchr(ranks + i, ' ', end - i);
    lines++;
    if (end == i) { i = end + 1; continue; }
    char *e = NULL;
    long long r = sp ? strtoll(sp + 1, &e, 10) : -1;
    if (!sp || r < 0 || r >= (1 << 24) || e != ranks + end) {
      al_err_set(err, AL_E_FORMAT, "%s: line %zu: not \"<base64 token> <rank>\" with a rank in 0..16777215", name, lines);
      goto out;
    }
    if (r > mx) mx = r;
    i = end + 1;
  }
  tok_hf_ids_init(h, (size_t)(mx + 1));
  tok_strmap_init(&h->vocab, lines + 16);
  buf = al_xmalloc(n_ranks + 4);
  lines = 0;
  for (size_t i = 0; i < n_ranks;) {
    const char *nl = memchr(ranks + i, '\n', n_ranks - i);
    size_t end = nl ? (size_t)(nl - ranks) : n_ranks;
    lines++;
    if (end == i) { i = end + 1; continue; }
    const char *sp = memchr(ranks + i, ' ', end - i);
    long b = b64decode(ranks + i, (size_t)(sp - ranks - i), buf);
    if (b <= 0) {
      al_err_set(err, AL_E_FORMAT, "%s: line %zu: the token is not base64 of at least one byte", name, lines);
      goto out;
    }
    int32_t r = (int32_t)strtol(sp + 1, NULL, 10);
    if (!tok_strmap_put(&h->vocab, (const char *)buf, (size_t)b, r)) {
      al_err_set(err, AL_E_FORMAT, "%s: line %zu: the token appears twice", name, lines);
      goto out;
    }
    tok_hf_set_id(h, r, (const char *)buf, (size_t)b, false);
    i = end + 1;
  }
  h->added = al_xcalloc(json_object_size(specials) + 1, sizeof *h->added);
  json_object_foreach(specials, k, v) {
    tok_hf_added *a = &h->added[h->n_added++];
    a->len = strlen(k);
    a->content = al_xstrdup(k);
    a->id = (int32_t)json_integer_value(v);
    a->special = true;
    tok_hf_set_id(h, a->id, k, a->len, true);
  }
  const char *pname = json_string_value(pat), *ptext = named_pattern(pname);
  al_err pe = {0};
  h->stages[0].pat = ptext ? tok_pretok_new(ptext, strlen(ptext), false, &pe)
                           : tok_pretok_new(pname, json_string_length(pat), false, &pe);
  if (!h->stages[0].pat) {
    al_err_set(err, AL_E_FORMAT, "%s: config.json: pattern: %s", name, pe.msg);
    goto out;
  }
  h->n_stages = 1;
  tok_hf_pairs_from_ranks(h);
  tok_hf_finish(h);
  for (int m = 0; m < 2; m++) {
    json_t *t = json_object_get(cfg, m ? "eos_token" : "bos_token");
    if (!t) continue;
    json_t *id = json_is_string(t) ? json_object_get(specials, json_string_value(t)) : NULL;
    if (!id) {
      al_err_set(err, AL_E_FORMAT, "%s: config.json: %s: not one of special_tokens", name, m ? "eos_token" : "bos_token");
      goto out;
    }
    *(m ? &h->eos : &h->bos) = (int32_t)json_integer_value(id);
  }
  json_t *code = json_object_get(specials, "<CODE>"), *code_end = json_object_get(specials, "<CODE_END>");
  if (code) h->code = (int32_t)json_integer_value(code);
  if (code_end) h->code_end = (int32_t)json_integer_value(code_end);
  rc = 0;
out:
  free(buf);
  json_decref(cfg);
  if (rc < 0) {
    tok_hf_free(h);
    return NULL;
  }
  return h;
}
