/* One task, on a worker thread (see task_exec.h). */
#include "worker/task_exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auralith/tokenizer.h"
#include "media/media.h"
#include "worker/confine.h"
#include "worker/decomp.h"
#include "worker/docenc.h"
#include "shard/source.h"
#include "worker/fileread.h"
#include "worker/inputs.h"

void worker_task_spec_clear(worker_task_spec *s) {
  free(s->task_id);
  free(s->job_id);
  for (size_t i = 0; i < s->n_files; i++) free(s->files[i]);
  free(s->files);
  free(s->tokenizers_dir);
  free(s->output_dir);
  free(s->staging_dir);
  free(s->bad_option);
  free(s->jsonl_field);
  free(s->input_dir);
  memset(s, 0, sizeof *s);
}

char *worker_task_staging_dir(const worker_task_spec *s) {
  if (s->staging_dir && *s->staging_dir) return al_xstrdup(s->staging_dir);
  const char *slash = strrchr(s->output_dir, '/');
  if (!slash) return al_xasprintf(".staging/%s.a%u.w", s->output_dir, s->attempt);
  return al_xasprintf("%.*s/.staging/%s.a%u.w", (int)(slash - s->output_dir), s->output_dir, slash + 1, s->attempt);
}

void worker_task_remove_staging(const char *staging_dir) {
  al_err e;
  al_err_clear(&e);
  shard_dir_remove(staging_dir, &e);
  const char *slash = strrchr(staging_dir, '/');
  if (!slash) return;
  char *parent = al_xstrndup(staging_dir, (size_t)(slash - staging_dir));
  rmdir(parent); /* only when empty: other attempts may be writing there */
  free(parent);
}

void worker_task_outcome_clear(worker_task_outcome *o) {
  free(o->error);
  for (size_t i = 0; i < o->n_skips; i++) {
    free(o->skips[i].path);
    free(o->skips[i].reason);
  }
  free(o->skips);
  for (size_t i = 0; i < o->n_shards; i++) shard_info_clear(&o->shards[i]);
  free(o->shards);
  memset(o, 0, sizeof *o);
}

static void add_skip(worker_task_outcome *o, const char *path, const char *reason) {
  if (o->n_skips == o->skip_cap) {
    o->skip_cap = o->skip_cap ? 2 * o->skip_cap : 16;
    o->skips = al_xrealloc(o->skips, o->skip_cap * sizeof *o->skips);
  }
  o->skips[o->n_skips].path = al_xstrdup(path);
  o->skips[o->n_skips].reason = al_xstrdup(reason);
  o->n_skips++;
  o->skipped++;
}

/* A bad JSON Lines record: one skip "<file>:<line>", or the last skip's run of records
 * of this file grows when it has the same reason and ends at the previous line. */
static void on_bad_line(void *ud, const char *path, uint64_t line, const char *why) {
  worker_task_outcome *o = ud;
  char *reason = al_xasprintf("bad JSON Lines record: %s", why);
  worker_skip *last = o->n_skips ? &o->skips[o->n_skips - 1] : NULL;
  size_t fl;
  uint64_t a, b;
  if (last && line > 1 && strcmp(last->reason, reason) == 0 && shard_source_record(last->path, &fl, &a, &b) &&
      b == line - 1 && fl == strlen(path) && memcmp(last->path, path, fl) == 0) {
    free(last->path);
    last->path = al_xasprintf("%s:%llu-%llu", path, (unsigned long long)a, (unsigned long long)line);
    o->skipped++;
  } else {
    char *where = al_xasprintf("%s:%llu", path, (unsigned long long)line);
    add_skip(o, where, reason);
    free(where);
  }
  free(reason);
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Rewrites each shard's sources so that consecutive records of one JSON Lines file
 * (jsonl: the task's JSON Lines paths, sorted) become runs "<file>:<a>-<b>"
 * (shard/source.h): a task over a file of millions of records reports a few names. */
static void compress_record_sources(worker_task_outcome *o, char **jsonl, size_t nj) {
  if (nj == 0) return;
  for (size_t i = 0; i < o->n_shards; i++) {
    shard_info *si = &o->shards[i];
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; k < si->nsources; k++) {
      char *s = si->sources[k];
      size_t fl;
      uint64_t a, b;
      char **hit = NULL;
      if (shard_source_record(s, &fl, &a, &b) && a == b) {
        char *file = al_xstrndup(s, fl);
        hit = bsearch(&file, jsonl, nj, sizeof *jsonl, cmp_cstr);
        free(file);
      }
      if (hit) {
        shard_source_add_record(&v, &n, &cap, *hit, a);
        free(s);
        continue;
      }
      if (n == cap) {
        cap = cap ? 2 * cap : 16;
        v = al_xrealloc(v, cap * sizeof *v);
      }
      v[n++] = s;
    }
    free(si->sources);
    si->sources = v;
    si->nsources = n;
  }
}

static void fail(worker_task_outcome *o, const char *fmt, const char *a, const char *b) {
  o->ok = 0;
  o->error = al_xasprintf(fmt, a, b);
}

/* The tokenizers of one task: the text encoder (NULL when the directory has no text
 * tokenizer) and the image/audio/video set (src/media). */
typedef struct task_toks {
  al_tok_encoder *enc;
  const med_set *media;
} task_toks;

/* Builds the sample of one image, audio or video file with the media tokenizers
 * (decoding runs here, on the task's pool thread). */
static int sample_for_media(const task_toks *tk, al_tok_modality m, const char *path, uint32_t max_seq_len,
                            al_tok_sample *sample, uint64_t *bytes_read, char *reason, size_t reason_cap) {
  al_err err;
  al_err_clear(&err);
  if (med_build_sample(tk->media, m, path, max_seq_len, sample, &err) != TOK_SAMPLE_OK) {
    /* The skip already names the file: keep the reason alone, so that equal reasons
     * count together in the manifest's skip_reasons. */
    size_t pl = strlen(path);
    const char *r = strncmp(err.msg, path, pl) == 0 && err.msg[pl] == ':' && err.msg[pl + 1] == ' ' ? err.msg + pl + 2 : err.msg;
    snprintf(reason, reason_cap, "%s", r);
    return -1;
  }
  struct stat st;
  if (stat(path, &st) == 0) *bytes_read += (uint64_t)st.st_size;
  return TOK_SAMPLE_OK;
}

/* How the worker builds a sample for each modality other than text and code (those are
 * whole documents streamed into rows, worker/docenc.h): image, audio and video files
 * with the media tokenizers. A modality whose tokenizer is missing is skipped with "no
 * tokenizer for modality '...'". A sample (markers included) becomes one document.
 * Builders return TOK_SAMPLE_* or -1 with reason filled. */
typedef int (*sample_builder)(const task_toks *tk, al_tok_modality m, const char *path, uint32_t max_seq_len,
                              al_tok_sample *sample, uint64_t *bytes_read, char *reason, size_t reason_cap);

static sample_builder builder_for(al_tok_modality m) {
  switch (m) {
    case TOK_MOD_IMAGE:
    case TOK_MOD_AUDIO:
    case TOK_MOD_VIDEO: return sample_for_media;
    default: return NULL;
  }
}

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The text tokenizer (shared cache) and the media set (src/media's cache). A directory
 * with only media tokenizers is usable (text files are then skipped, as the original
 * does); a present but broken tokenizer, or none at all, fails the task. */
static int acquire_tokenizers(const char *dir, const worker_exec_env *env, worker_tok_ref *tok, med_ref *media,
                              worker_task_outcome *out) {
  al_err err, merr;
  al_err_clear(&err);
  al_err_clear(&merr);
  int have_text = worker_tokcache_acquire(env->tokenizers, dir, tok, &err) == 0;
  if (med_cache_acquire(dir, media, &merr) != 0) {
    if (have_text) worker_tokcache_release(env->tokenizers, tok);
    fail(out, "cannot load the media tokenizers in %s: %s", dir, merr.msg);
    return -1;
  }
  if (!have_text) {
    char *t1 = al_xasprintf("%s/text/vocab.json", dir), *t2 = al_xasprintf("%s/vocab.json", dir);
    int text_present = is_file(t1) || is_file(t2);
    free(t1);
    free(t2);
    if (text_present || !med_set_any(media->set)) {
      med_cache_release(media);
      fail(out, "No tokenizers found in %s: %s", dir, err.msg);
      return -1;
    }
    memset(tok, 0, sizeof *tok);
  }
  return 0;
}

static void release_tokenizers(const worker_exec_env *env, worker_tok_ref *tok, med_ref *media) {
  if (tok->bpe) worker_tokcache_release(env->tokenizers, tok);
  med_cache_release(media);
}

void worker_task_execute(const worker_task_spec *spec, const worker_exec_env *env, worker_task_outcome *out) {
  double t0 = al_mono_s();
  memset(out, 0, sizeof *out);
  out->ok = 1;
  al_err err;
  al_err_clear(&err);

  char *stage = worker_task_staging_dir(spec);
  char **jsonl = NULL; /* the task's JSON Lines paths (borrowed from spec) */
  size_t n_jsonl = 0;
  if (spec->bad_option) {
    fail(out, "%s%s", spec->bad_option, "");
    goto done;
  }
  if (env->output_root && (!al_path_resolved_under(stage, env->output_root) || !al_path_resolved_under(spec->output_dir, env->output_root))) {
    fail(out, "output directory %s is outside the worker's output root %s", spec->output_dir, env->output_root);
    goto done;
  }
  worker_tok_ref tok = {0};
  med_ref media = {0};
  if (acquire_tokenizers(spec->tokenizers_dir, env, &tok, &media, out) < 0) {
    out->permanent = 1; /* retrying cannot help: the job fails at once */
    goto done;
  }
  if (shard_dir_reset(stage, &err) < 0) {
    release_tokenizers(env, &tok, &media);
    fail(out, "cannot prepare staging directory %s: %s", stage, err.msg);
    worker_task_remove_staging(stage);
    goto done;
  }
  shard_writer *w = spec->packing == SHARD_PACK_GREEDY
                        ? shard_writer_open_packed(stage, spec->max_seq_len, (uint32_t)spec->shard_size, &err)
                        : shard_writer_open(stage, spec->max_seq_len, (uint32_t)spec->shard_size, &err);
  if (!w) {
    release_tokenizers(env, &tok, &media);
    fail(out, "cannot write shards in %s: %s", stage, err.msg);
    worker_task_remove_staging(stage);
    goto done;
  }
  task_toks tk = {tok.bpe ? worker_tokcache_take_encoder(env->tokenizers, &tok) : NULL, media.set};
  al_tok_sample sample = {0};
  shard_rows *rows = shard_rows_new(w, spec->max_seq_len, spec->long_documents, spec->packing);
  worker_input_guard guard;
  worker_input_guard_init(&guard, spec->input_dir, env->input_roots);
  jsonl = al_xcalloc(spec->n_files + 1, sizeof *jsonl);
  for (size_t i = 0; i < spec->n_files && out->ok; i++) {
    if (env->cancel && atomic_load(env->cancel)) {
      out->cancelled = 1;
      break;
    }
    const char *path = spec->files[i];
    char real[PATH_MAX], why[PATH_MAX + 200];
    if (worker_input_check(&guard, path, real, sizeof real, why, sizeof why) != 0) {
      add_skip(out, path, why); /* outside the job or the roots, or not a regular file */
      continue;
    }
    worker_input in;
    worker_input_classify(path, spec->detect_text != 0, &in);
    al_tok_modality m = in.sniff ? TOK_MOD_TEXT : in.m;
    if (m == TOK_MOD_NONE) {
      add_skip(out, path, "unclassified");
      continue;
    }
    char reason[1100];
    if (m == TOK_MOD_TEXT || m == TOK_MOD_CODE) {
      if (!tk.enc) {
        snprintf(reason, sizeof reason, "no tokenizer for modality '%s'", al_tok_modality_name(m));
        add_skip(out, path, reason);
        continue;
      }
      if (in.jsonl) jsonl[n_jsonl++] = spec->files[i];
      worker_doc_opts dopt = {.zkind = in.zkind, .decomp_limit = spec->decomp_limit, .sniff = in.sniff,
                              .jsonl_field = in.jsonl ? (spec->jsonl_field ? spec->jsonl_field : "text") : NULL,
                              .read_path = real};
      int st = worker_doc_encode(tk.enc, m, path, &dopt, rows, &out->bytes_read, on_bad_line, out, reason, sizeof reason,
                                 &err);
      if (st == WORKER_DOC_FAIL) {
        fail(out, "cannot write shards in %s: %s", stage, err.msg);
        break;
      }
      if (st == WORKER_DOC_SKIP) add_skip(out, path, reason);
      if (st == WORKER_DOC_BLANK) add_skip(out, path, "blank text");
      continue;
    }
    if (in.zkind != WORKER_Z_NONE) { /* the media decoders read files, not streams */
      add_skip(out, path, "compressed image, audio or video file");
      continue;
    }
    sample_builder build = builder_for(m);
    if (!build) {
      char r[64];
      snprintf(r, sizeof r, "no tokenizer for modality '%s'", al_tok_modality_name(m));
      add_skip(out, path, r);
      continue;
    }
    /* the whole sample: shard_rows truncates it (truncate) or splits it (split) and
     * counts what truncation drops */
    int st = build(&tk, m, real, UINT32_MAX, &sample, &out->bytes_read, reason, sizeof reason);
    if (st < 0) {
      add_skip(out, path, reason);
      continue;
    }
    if (st != TOK_SAMPLE_OK) {
      add_skip(out, path, st == TOK_SAMPLE_BLANK ? "blank text" : al_tok_sample_status_name((al_tok_sample_status)st));
      continue;
    }
    shard_rows_begin(rows, path, (uint8_t)m, -1, -1, 0);
    if (shard_rows_push(rows, sample.ids.v, sample.ids.len, &err) != 0 || shard_rows_end(rows, &err) != 0) {
      fail(out, "cannot write shards in %s: %s", stage, err.msg);
      break;
    }
    al_tok_sample_free(&sample);
  }
  if (out->ok && !out->cancelled && shard_rows_finish(rows, &err) != 0)
    fail(out, "cannot write shards in %s: %s", stage, err.msg);
  shard_rows_counts(rows, &out->counts);
  out->samples = out->counts.rows;
  shard_rows_free(rows);
  al_tok_sample_free(&sample);
  worker_input_guard_free(&guard);
  if (tk.enc) worker_tokcache_put_encoder(env->tokenizers, &tok, tk.enc);
  release_tokenizers(env, &tok, &media);

  if (out->ok && !out->cancelled && shard_writer_finish(w, &err) != 0)
    fail(out, "cannot write shards in %s: %s", stage, err.msg);
  if (!out->ok || out->cancelled) {
    shard_writer_abort(w);
    shard_writer_free(w);
    worker_task_remove_staging(stage); /* only this attempt's own files */
    if (out->cancelled) {
      out->ok = 0;
      free(out->error);
      out->error = al_xstrdup("cancelled");
    }
    goto done;
  }
  /* Shard paths in results are relative to the job output dir:
   * ".staging/<attempt dir>/shard_...". */
  const char *base = strrchr(stage, '/');
  base = base ? base + 1 : stage;
  out->n_shards = shard_writer_count(w);
  out->shards = al_xcalloc(out->n_shards ? out->n_shards : 1, sizeof *out->shards);
  for (size_t i = 0; i < out->n_shards; i++) {
    shard_info_copy(&out->shards[i], shard_writer_info(w, i));
    out->tokens += out->shards[i].tokens;
    free(out->shards[i].path);
    out->shards[i].path = al_xasprintf(".staging/%s/%s", base, out->shards[i].name);
  }
  shard_writer_free(w);
  qsort(jsonl, n_jsonl, sizeof *jsonl, cmp_cstr);
  compress_record_sources(out, jsonl, n_jsonl);
  out->status = out->samples ? "success" : "no_samples";
done:
  free(jsonl);
  free(stage);
  out->duration_s = al_mono_s() - t0;
}
