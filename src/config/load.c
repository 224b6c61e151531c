/* cfg_load: reads the file, builds the node tree and walks it against the key table.
 * The first problem stops the load with "FILE:LINE:COLUMN: key 'a.b': expected X, got
 * Y"; the result is either the whole file applied or the defaults. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

/* Top-level sections of the original's single-machine pipeline config that older
 * copies of configs/distributed.yaml carry. The original's loader ignores them, so do
 * we (with a warning), rather than refuse files that worked. */
static const char *const ignored_sections[] = {"pipeline",     "sources",  "preprocessing",
                                               "tokenization", "sharding", "storage", NULL};

typedef struct load_ctx {
  const char *name;
  cfg_config *cfg;
  al_err *err;
  /* Where each coordinator/job key was first given, for duplicate and cross-key
   * messages (0 = not in the file). */
  size_t line[128], col[128];
} load_ctx;

static int fail(load_ctx *x, const cfg_yn *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(load_ctx *x, const cfg_yn *at, const char *path, const char *fmt, ...) {
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return al_err_set(x->err, CFG_ERR_SCHEMA, "%s:%zu:%zu: key '%s': %s", x->name, at->line,
                    at->col, path, what);
}

static const char *node_kind_text(const cfg_yn *n) {
  return n->kind == CFG_YN_MAP ? "a mapping" : n->kind == CFG_YN_SEQ ? "a sequence" : "a scalar";
}

static bool node_is_null(const cfg_yn *n) {
  if (n->kind != CFG_YN_SCALAR) return false;
  cfg_scalar s = {n->text, n->len, n->plain};
  return cfg_scalar_is_null(&s);
}

/* A mapping key must be a non-empty scalar. */
static int key_text(load_ctx *x, const cfg_yn *k, const char *parent, const char **name) {
  if (k->kind != CFG_YN_SCALAR || node_is_null(k) || memchr(k->text, '\0', k->len))
    return fail(x, k, parent, "expected a key name, got %s",
                k->kind == CFG_YN_SCALAR ? "an empty or null key" : node_kind_text(k));
  *name = k->text;
  return 0;
}

static int apply_node(load_ctx *x, const cfg_key *k, void *field, const cfg_yn *v,
                      const char *path) {
  char msg[512];
  if (k->kind == CFG_K_STRLIST) {
    if (node_is_null(v)) { /* `worker_ids:` with nothing: the empty list */
      char ***lp = field;
      size_t *np = (size_t *)((char *)field + sizeof(char **));
      for (size_t i = 0; i < *np; i++) free((*lp)[i]);
      free(*lp);
      *lp = NULL;
      *np = 0;
      return 0;
    }
    if (v->kind != CFG_YN_SEQ)
      return fail(x, v, path, "expected a list of non-empty strings, got %s",
                  v->kind == CFG_YN_MAP ? "a mapping" : "a single value (write it as [value])");
    char **list = v->nkids ? al_xcalloc(v->nkids, sizeof *list) : NULL;
    for (size_t i = 0; i < v->nkids; i++) {
      const cfg_yn *it = v->kids[i];
      cfg_scalar s = {it->text, it->len, it->plain};
      static const cfg_key item = {CFG_SEC_POOL, "item", CFG_K_STR, 0, 0, 0, CFG_F_NONEMPTY, NULL};
      char *str = NULL;
      if (cfg_apply_scalar(&item, &str, it->kind == CFG_YN_SCALAR ? &s : NULL,
                           node_kind_text(it), msg, sizeof msg) != 0) {
        for (size_t j = 0; j < i; j++) free(list[j]);
        free(list);
        char ipath[300];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        return fail(x, it, ipath, "%s", msg);
      }
      list[i] = str;
    }
    char ***lp = field;
    size_t *np = (size_t *)((char *)field + sizeof(char **));
    for (size_t i = 0; i < *np; i++) free((*lp)[i]);
    free(*lp);
    *lp = list;
    *np = v->nkids;
    return 0;
  }
  cfg_scalar s = {v->text, v->len, v->plain};
  if (cfg_apply_scalar(k, field, v->kind == CFG_YN_SCALAR ? &s : NULL, node_kind_text(v), msg,
                       sizeof msg) != 0)
    return fail(x, v, path, "%s", msg);
  return 0;
}

static int unknown_key(load_ctx *x, const cfg_yn *k, cfg_section sec, const char *path) {
  /* The right key in the wrong section is a common slip (job.max_retries). */
  for (int other = 0; other < 3; other++)
    if (other != (int)sec && cfg_key_find((cfg_section)other, k->text, k->len) >= 0)
      return fail(x, k, path, "unknown key in section '%s' (it belongs in %s)",
                  cfg_section_names[sec],
                  other == CFG_SEC_POOL ? "a pool under 'workers'"
                  : other == CFG_SEC_COORD ? "section 'coordinator'" : "section 'job'");
  const char *near = cfg_key_suggest(sec, k->text, k->len);
  if (near)
    return fail(x, k, path, "unknown key in section '%s' (did you mean '%s'?)",
                cfg_section_names[sec], near);
  return fail(x, k, path, "unknown key in section '%s' (see docs/CONFIGURATION.md)",
              cfg_section_names[sec]);
}

/* coordinator and job: a mapping (or null) of known keys, each at most once. */
static int load_section(load_ctx *x, cfg_section sec, const cfg_yn *m) {
  const char *sname = cfg_section_names[sec];
  if (node_is_null(m)) return 0;
  if (m->kind != CFG_YN_MAP)
    return fail(x, m, sname, "expected a mapping of %s settings, got %s", sname,
                m->kind == CFG_YN_SEQ ? "a sequence" : "a scalar");
  void *base = cfg_section_base(x->cfg, sec, 0);
  for (size_t i = 0; i + 1 < m->nkids; i += 2) {
    const cfg_yn *k = m->kids[i], *v = m->kids[i + 1];
    const char *name = NULL;
    if (key_text(x, k, sname, &name) != 0) return -1;
    char path[320];
    snprintf(path, sizeof path, "%s.%.200s", sname, name);
    int ki = cfg_key_find(sec, k->text, k->len);
    if (ki < 0) return unknown_key(x, k, sec, path);
    if (x->line[ki])
      return fail(x, k, path, "duplicate key (first given at line %zu, column %zu)", x->line[ki],
                  x->col[ki]);
    x->line[ki] = k->line;
    x->col[ki] = k->col;
    if (apply_node(x, &cfg_keys[ki], cfg_key_field(&cfg_keys[ki], base), v, path) != 0) return -1;
    cfg_mark_set(x->cfg, (size_t)ki);
  }
  return 0;
}

static int load_pool(load_ctx *x, size_t idx, const cfg_yn *m, cfg_pool *p) {
  char ppath[64];
  snprintf(ppath, sizeof ppath, "workers[%zu]", idx);
  if (m->kind != CFG_YN_MAP)
    return fail(x, m, ppath, "expected a mapping describing a worker pool (with at least 'name'), "
                "got %s", node_is_null(m) ? "null" : node_kind_text(m));
  size_t seen_line[128] = {0}, seen_col[128] = {0};
  for (size_t i = 0; i + 1 < m->nkids; i += 2) {
    const cfg_yn *k = m->kids[i], *v = m->kids[i + 1];
    const char *name = NULL;
    if (key_text(x, k, ppath, &name) != 0) return -1;
    char path[320];
    snprintf(path, sizeof path, "%s.%.200s", ppath, name);
    int ki = cfg_key_find(CFG_SEC_POOL, k->text, k->len);
    if (ki < 0) return unknown_key(x, k, CFG_SEC_POOL, path);
    if (seen_line[ki])
      return fail(x, k, path, "duplicate key (first given at line %zu, column %zu)",
                  seen_line[ki], seen_col[ki]);
    seen_line[ki] = k->line;
    seen_col[ki] = k->col;
    if (apply_node(x, &cfg_keys[ki], cfg_key_field(&cfg_keys[ki], p), v, path) != 0) return -1;
  }
  if (!p->name) {
    char path[80];
    snprintf(path, sizeof path, "%s.name", ppath);
    return fail(x, m, path, "required key is missing (every worker pool needs a name)");
  }
  return 0;
}

/* Finds the node of key `name` in pool mapping m (for messages about values). */
static const cfg_yn *pool_value(const cfg_yn *m, const char *name) {
  for (size_t i = 0; i + 1 < m->nkids; i += 2)
    if (m->kids[i]->kind == CFG_YN_SCALAR && strcmp(m->kids[i]->text, name) == 0)
      return m->kids[i + 1];
  return m;
}

static int load_workers(load_ctx *x, const cfg_yn *s) {
  if (node_is_null(s)) return 0;
  if (s->kind != CFG_YN_SEQ)
    return fail(x, s, "workers", "expected a list of worker pools, got %s",
                s->kind == CFG_YN_MAP ? "a mapping (write each pool as '- name: ...')"
                                      : "a scalar");
  cfg_config *cfg = x->cfg;
  cfg->workers = s->nkids ? al_xcalloc(s->nkids, sizeof *cfg->workers) : NULL;
  for (size_t i = 0; i < s->nkids; i++) {
    cfg_pool_defaults(&cfg->workers[i]);
    cfg->nworkers = i + 1;
    if (load_pool(x, i, s->kids[i], &cfg->workers[i]) != 0) return -1;
  }
  /* Pool names are unique, and a worker id belongs to one pool. Quadratic, but
   * bounded by the file size limit and run once. */
  for (size_t i = 0; i < cfg->nworkers; i++) {
    for (size_t j = 0; j < i; j++)
      if (strcmp(cfg->workers[i].name, cfg->workers[j].name) == 0) {
        char path[64];
        snprintf(path, sizeof path, "workers[%zu].name", i);
        return fail(x, pool_value(s->kids[i], "name"), path,
                    "duplicate pool name '%.200s' (also workers[%zu])", cfg->workers[i].name, j);
      }
    for (size_t w = 0; w < cfg->workers[i].nworker_ids; w++) {
      const char *id = cfg->workers[i].worker_ids[w];
      for (size_t j = 0; j <= i; j++)
        for (size_t v = 0; v < (j == i ? w : cfg->workers[j].nworker_ids); v++)
          if (strcmp(id, cfg->workers[j].worker_ids[v]) == 0) {
            char path[80];
            snprintf(path, sizeof path, "workers[%zu].worker_ids[%zu]", i, w);
            const cfg_yn *ids = pool_value(s->kids[i], "worker_ids");
            const cfg_yn *at = ids->kind == CFG_YN_SEQ && w < ids->nkids ? ids->kids[w] : ids;
            return fail(x, at, path, "duplicate worker id '%.200s' (also workers[%zu].worker_ids[%zu])",
                        id, j, v);
          }
    }
  }
  return 0;
}

static int load_root(load_ctx *x, const cfg_yn *root) {
  if (!root || node_is_null(root)) return 0;
  if (root->kind != CFG_YN_MAP)
    return al_err_set(x->err, CFG_ERR_SCHEMA,
                      "%s:%zu:%zu: expected a mapping with the sections 'coordinator', "
                      "'workers' and 'job', got %s",
                      x->name, root->line, root->col,
                      root->kind == CFG_YN_SEQ ? "a sequence" : "a scalar");
  size_t seen_line[3] = {0}, seen_col[3] = {0};
  for (size_t i = 0; i + 1 < root->nkids; i += 2) {
    const cfg_yn *k = root->kids[i], *v = root->kids[i + 1];
    const char *name = NULL;
    if (key_text(x, k, "(top level)", &name) != 0) return -1;
    int sec = -1;
    for (int s = 0; s < 3; s++)
      if (strlen(cfg_section_names[s]) == k->len && strcmp(cfg_section_names[s], name) == 0) sec = s;
    if (sec < 0) {
      bool ignored = false;
      for (size_t s = 0; ignored_sections[s]; s++)
        if (strlen(ignored_sections[s]) == k->len && strcmp(ignored_sections[s], name) == 0)
          ignored = true;
      if (ignored) {
        al_warn("%s:%zu:%zu: ignoring section '%s' (single-machine pipeline settings, not used "
                "by the distributed pipeline)", x->name, k->line, k->col, name);
        continue;
      }
      return fail(x, k, name, "unknown section (expected coordinator, workers or job)");
    }
    if (seen_line[sec])
      return fail(x, k, name, "duplicate key (first given at line %zu, column %zu)",
                  seen_line[sec], seen_col[sec]);
    seen_line[sec] = k->line;
    seen_col[sec] = k->col;
    int rc = sec == CFG_SEC_POOL ? load_workers(x, v) : load_section(x, (cfg_section)sec, v);
    if (rc != 0) return -1;
  }
  char msg[512];
  int bad = cfg_check_cross(x->cfg, msg, sizeof msg);
  if (bad >= 0) {
    if (x->line[bad])
      return al_err_set(x->err, CFG_ERR_SCHEMA, "%s:%zu:%zu: %s", x->name, x->line[bad],
                        x->col[bad], msg);
    return al_err_set(x->err, CFG_ERR_SCHEMA, "%s: %s", x->name, msg);
  }
  return 0;
}

int cfg_load_string(const char *name, const void *data, size_t len, cfg_config *out,
                    al_err *err) {
  al_err_clear(err);
  cfg_defaults(out);
  if (!data) data = ""; /* libyaml insists on a buffer even when len is 0 */
  if (len > CFG_MAX_FILE_BYTES) {
    cfg_free(out);
    return al_err_set(err, CFG_ERR_IO, "%s: config file is larger than %u bytes", name,
                      CFG_MAX_FILE_BYTES);
  }
  cfg_yn *root = NULL;
  if (cfg_yn_parse(name, data, len, &root, err) != 0) {
    cfg_free(out);
    return -1;
  }
  load_ctx *x = al_xcalloc(1, sizeof *x);
  x->name = name;
  x->cfg = out;
  x->err = err;
  int rc = load_root(x, root);
  free(x);
  cfg_yn_free(root);
  if (rc != 0) {
    cfg_free(out); /* zeroes it: a failed load owns nothing */
    return -1;
  }
  cfg_resolve_aliases(out);
  cfg_apply_env(out);
  return 0;
}

int cfg_load(const char *path, cfg_config *out, al_err *err) {
  al_err_clear(err);
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    memset(out, 0, sizeof *out);
    if (e == ENOENT) return al_err_set(err, CFG_ERR_NOT_FOUND, "config file not found: %s", path);
    return al_err_set(err, CFG_ERR_IO, "cannot open config file %s: %s", path, strerror(e));
  }
  al_buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    al_buf_append(&b, chunk, n);
    if (b.len > CFG_MAX_FILE_BYTES) break;
  }
  int read_err = ferror(f) ? errno : 0;
  fclose(f);
  if (read_err) {
    al_buf_free(&b);
    memset(out, 0, sizeof *out);
    return al_err_set(err, CFG_ERR_IO, "cannot read config file %s: %s", path,
                      strerror(read_err));
  }
  int rc = cfg_load_string(path, b.data ? b.data : "", b.len, out, err);
  al_buf_free(&b);
  return rc;
}
