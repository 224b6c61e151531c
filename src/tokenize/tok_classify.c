/* classify_file(Path(path)) of the original (utils/file_types.py), with PurePosixPath's
 * name/suffix/parent rules and Python's Unicode lowercasing and IGNORECASE matching.
 * One deliberate difference: `.gif` is an image here (a supported image format; the
 * decoder reads it), where the original leaves it unclassified. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

/* Sorted (strcmp order) so that bsearch works. */
static const char *const TEXT_EXTS[] = {".csv", ".html", ".json", ".jsonl", ".md", ".rst", ".tsv", ".txt", ".xml"};
static const char *const IMAGE_EXTS[] = {".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tiff", ".webp"};
static const char *const AUDIO_EXTS[] = {".flac", ".m4a", ".mp3", ".ogg", ".wav"};
static const char *const VIDEO_EXTS[] = {".avi", ".mkv", ".mov", ".mp4", ".webm"};
static const char *const CODE_EXTS[] = {
    ".abap", ".ada", ".adb", ".ado", ".ads", ".agda", ".asm", ".astro", ".awk", ".bas", ".bash",
    ".bat", ".bzl", ".c", ".cabal", ".cairo", ".capnp", ".cbl", ".cc", ".cfg", ".cjs", ".cl",
    ".clj", ".cljc", ".cljs", ".clu", ".cmake", ".cmd", ".cob", ".comp", ".conf", ".coq", ".cpp",
    ".cpy", ".cr", ".cs", ".csh", ".css", ".csx", ".cts", ".cu", ".cue", ".cuh", ".cxx", ".d",
    ".dart", ".dhall", ".do", ".dockerfile", ".edn", ".el", ".elm", ".env", ".erb", ".erl", ".ex",
    ".expect", ".exs", ".f", ".f03", ".f08", ".f90", ".f95", ".fbs", ".fish", ".for", ".frag",
    ".fs", ".fsi", ".fsx", ".glsl", ".go", ".gql", ".gradle", ".graphql", ".groovy", ".gvy",
    ".gy", ".h", ".hack", ".hcl", ".hh", ".hhi", ".hlsl", ".hpp", ".hrl", ".hs", ".hxx", ".idr",
    ".ini", ".java", ".jl", ".js", ".jsonnet", ".jsx", ".just", ".ksh", ".kt", ".kts", ".lean",
    ".less", ".lhs", ".libsonnet", ".lisp", ".ll", ".lua", ".m", ".metal", ".mjs", ".ml", ".mli",
    ".mm", ".move", ".mts", ".nim", ".nims", ".nix", ".pas", ".php", ".pig", ".pkl", ".pl",
    ".plsql", ".pm", ".pp", ".pro", ".properties", ".proto", ".ps1", ".psd1", ".psm1", ".psql",
    ".ptx", ".purs", ".pxd", ".py", ".pyi", ".pyx", ".r", ".rb", ".rego", ".rex", ".rexx", ".rkt",
    ".rmd", ".rpg", ".rpgle", ".rs", ".s", ".sas", ".sass", ".sbt", ".sc", ".scala", ".scm",
    ".scss", ".sed", ".sh", ".smithy", ".sol", ".sql", ".ss", ".starlark", ".styl", ".sv",
    ".svelte", ".svh", ".swift", ".tcl", ".tf", ".tfvars", ".thrift", ".toml", ".ts", ".tsx", ".v",
    ".vb", ".vbs", ".vert", ".vh", ".vhd", ".vhdl", ".vue", ".vy", ".wasm", ".wat", ".wgsl", ".yaml", ".yml", ".zeek",
    ".zig", ".zsh"};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_set(const char *const *set, size_t n, const char *s) {
  return bsearch(&s, set, n, sizeof *set, cmp_str) != NULL;
}

/* Python str.lower() of valid UTF-8 s[0..n); caller frees. */
static uint32_t *lower_cps(const char *s, size_t n, size_t *out_n) {
  uint32_t *cps = al_xmalloc((n + 1) * sizeof *cps);
  size_t m = 0;
  for (size_t i = 0; i < n;) i += tok_utf8_next((const unsigned char *)s + i, &cps[m++]);
  uint32_t *lo = al_xmalloc((2 * m + 1) * sizeof *lo);
  size_t k = 0;
  for (size_t i = 0; i < m; i++) k += (size_t)tok_lower_at(cps, m, i, lo + k);
  free(cps);
  *out_n = k;
  return lo;
}

/* One character of the name against one pattern letter, as re.IGNORECASE does. */
static bool char_match(uint32_t c, char p) {
  if (c < 0x80) return (c | 0x20) == (uint32_t)p && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  if (p == 'i') return c == 0x130 || c == 0x131;
  if (p == 's') return c == 0x17f;
  return false;
}

static bool search_any(const uint32_t *s, size_t n, const char *const *words, size_t nw) {
  for (size_t w = 0; w < nw; w++) {
    size_t wl = strlen(words[w]);
    for (size_t i = 0; i + wl <= n; i++) {
      size_t k = 0;
      while (k < wl && char_match(s[i + k], words[w][k])) k++;
      if (k == wl) return true;
    }
  }
  return false;
}

/* PurePosixPath components: '/'-separated, empty and '.' parts dropped. Returns the
 * last two (name and parent name; empty when absent). */
static void path_parts(const char *p, const char **name, size_t *nlen, const char **par, size_t *plen) {
  *name = *par = "";
  *nlen = *plen = 0;
  size_t i = 0, n = strlen(p);
  while (i < n) {
    while (i < n && p[i] == '/') i++;
    size_t j = i;
    while (j < n && p[j] != '/') j++;
    if (j > i && !(j - i == 1 && p[i] == '.')) {
      *par = *name;
      *plen = *nlen;
      *name = p + i;
      *nlen = j - i;
    }
    i = j;
  }
}

al_tok_modality al_tok_classify(const char *path) {
  size_t plen_raw = strlen(path);
  char *fixed = NULL;
  if (!tok_utf8_valid(path, plen_raw)) {
    /* undecodable bytes: compare on a replaced copy (no extension contains them) */
    fixed = al_tok_decode_utf8_replace(path, plen_raw, false, NULL);
    path = fixed;
  }
  const char *name, *par;
  size_t nlen, plen;
  path_parts(path, &name, &nlen, &par, &plen);
  /* suffix: from the last dot when 0 < i < len(name) - 1 */
  size_t dot = nlen;
  for (size_t i = nlen; i > 0; i--) {
    if (name[i - 1] == '.') { dot = i - 1; break; }
  }
  al_tok_modality m = TOK_MOD_NONE;
  if (dot == nlen || dot == 0 || dot + 1 >= nlen) goto out;
  size_t el;
  uint32_t *ext = lower_cps(name + dot, nlen - dot, &el);
  al_buf eb = {0};
  for (size_t i = 0; i < el; i++) {
    char tmp[4];
    al_buf_append(&eb, tmp, tok_utf8_put(ext[i], tmp));
  }
  const char *e = al_buf_cstr(&eb);
  if (strcmp(e, ".npy") == 0) {
    size_t pl;
    uint32_t *pn = lower_cps(par, plen, &pl);
    static const char *const IMG[] = {"image", "img", "picture", "photo", "visual"};
    static const char *const AUD[] = {"audio", "speech", "sound", "music", "waveform"};
    if (search_any(pn, pl, IMG, 5)) m = TOK_MOD_IMAGE;
    else if (search_any(pn, pl, AUD, 5)) m = TOK_MOD_AUDIO;
    free(pn);
  } else if (in_set(CODE_EXTS, AL_ARRAY_LEN(CODE_EXTS), e)) {
    m = TOK_MOD_CODE;
  } else if (in_set(TEXT_EXTS, AL_ARRAY_LEN(TEXT_EXTS), e)) {
    m = TOK_MOD_TEXT;
  } else if (in_set(IMAGE_EXTS, AL_ARRAY_LEN(IMAGE_EXTS), e)) {
    m = TOK_MOD_IMAGE;
  } else if (in_set(AUDIO_EXTS, AL_ARRAY_LEN(AUDIO_EXTS), e)) {
    m = TOK_MOD_AUDIO;
  } else if (in_set(VIDEO_EXTS, AL_ARRAY_LEN(VIDEO_EXTS), e)) {
    m = TOK_MOD_VIDEO;
  }
  free(ext);
  al_buf_free(&eb);
out:
  free(fixed);
  return m;
}

const char *al_tok_modality_name(al_tok_modality m) {
  switch (m) {
  case TOK_MOD_TEXT: return "text";
  case TOK_MOD_IMAGE: return "image";
  case TOK_MOD_AUDIO: return "audio";
  case TOK_MOD_VIDEO: return "video";
  case TOK_MOD_CODE: return "code";
  default: return NULL;
  }
}
