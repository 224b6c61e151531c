/* Builds a small node tree from libyaml's event stream. The event API (rather than the
 * document API) lets us see anchors and aliases and reject them with a position, and
 * keep every node's line and column for error messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/cfg_internal.h"

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

static cfg_yn *yn_new(cfg_yn_kind kind, yaml_mark_t mark) {
  cfg_yn *n = al_xcalloc(1, sizeof *n);
  n->kind = kind;
  n->line = mark.line + 1;
  n->col = mark.column + 1;
  return n;
}

static void yn_push(cfg_yn *parent, cfg_yn *kid) {
  if (parent->nkids == parent->cap) {
    parent->cap = parent->cap ? parent->cap * 2 : 8;
    parent->kids = al_xrealloc(parent->kids, parent->cap * sizeof *parent->kids);
  }
  parent->kids[parent->nkids++] = kid;
}

void cfg_yn_free(cfg_yn *n) {
  if (!n) return;
  /* Depth is bounded by CFG_MAX_DEPTH, so recursion is safe. */
  for (size_t i = 0; i < n->nkids; i++) cfg_yn_free(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n);
}

static int fail_at(al_err *err, const char *name, yaml_mark_t m, const char *fmt,
                   const char *arg) {
  char what[512];
  snprintf(what, sizeof what, fmt, arg);
  return al_err_set(err, CFG_ERR_SYNTAX, "%s:%zu:%zu: invalid YAML: %s", name,
                    (size_t)m.line + 1, (size_t)m.column + 1, what);
}

/* Checks anchor and tag of a node event. For scalars, *plain is cleared by tags that
 * force a string. Returns -1 with err set when the node uses a feature we reject. */
static int check_props(const char *name, const yaml_event_t *ev, const yaml_char_t *anchor,
                       const yaml_char_t *tag, bool scalar, bool *plain, al_err *err) {
  if (anchor)
    return fail_at(err, name, ev->start_mark,
                   "anchors (&%s) are not supported in configuration files", (const char *)anchor);
  if (!tag) return 0;
  const char *t = (const char *)tag;
  if (scalar && strcmp(t, "!") == 0) {
    *plain = false;
    return 0;
  }
  if (strncmp(t, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) == 0) {
    const char *s = t + strlen(YAML_TAG_PREFIX);
    if (scalar && strcmp(s, "str") == 0) {
      *plain = false;
      return 0;
    }
    if (scalar && (strcmp(s, "int") == 0 || strcmp(s, "float") == 0 || strcmp(s, "bool") == 0 ||
                   strcmp(s, "null") == 0)) {
      *plain = true;
      return 0;
    }
    if (!scalar && (strcmp(s, "map") == 0 || strcmp(s, "seq") == 0)) return 0;
  }
  return fail_at(err, name, ev->start_mark, "unsupported tag '%s'", t);
}

typedef struct yn_builder {
  const char *name;
  cfg_yn *root;
  cfg_yn *stack[CFG_MAX_DEPTH];
  size_t depth;
  int documents;
  al_err *err;
} yn_builder;

static int attach(yn_builder *b, cfg_yn *n, const yaml_event_t *ev, bool container) {
  if (b->depth == 0) {
    if (b->root) {
      cfg_yn_free(n);
      return fail_at(b->err, b->name, ev->start_mark, "%s", "more than one root node");
    }
    b->root = n;
  } else {
    yn_push(b->stack[b->depth - 1], n);
  }
  if (container) {
    if (b->depth == CFG_MAX_DEPTH) {
      char depth[16];
      snprintf(depth, sizeof depth, "%d", CFG_MAX_DEPTH);
      return fail_at(b->err, b->name, ev->start_mark, "nesting deeper than %s levels", depth);
    }
    b->stack[b->depth++] = n;
  }
  return 0;
}

/* One event; returns 1 at the end of the stream, 0 to continue, -1 on error. */
static int on_event(yn_builder *b, yaml_event_t *ev) {
  bool plain = true;
  cfg_yn *n;
  switch (ev->type) {
  case YAML_STREAM_START_EVENT:
  case YAML_DOCUMENT_END_EVENT:
  case YAML_NO_EVENT:
    return 0;
  case YAML_STREAM_END_EVENT:
    return 1;
  case YAML_DOCUMENT_START_EVENT:
    if (++b->documents > 1)
      return fail_at(b->err, b->name, ev->start_mark, "%s",
                     "expected a single YAML document, found a second one");
    return 0;
  case YAML_ALIAS_EVENT:
    return fail_at(b->err, b->name, ev->start_mark,
                   "aliases (*%s) are not supported in configuration files",
                   (const char *)ev->data.alias.anchor);
  case YAML_SCALAR_EVENT:
    plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (check_props(b->name, ev, ev->data.scalar.anchor, ev->data.scalar.tag, true, &plain,
                    b->err) != 0)
      return -1;
    n = yn_new(CFG_YN_SCALAR, ev->start_mark);
    n->len = ev->data.scalar.length;
    n->text = al_xstrndup((const char *)ev->data.scalar.value, n->len);
    n->plain = plain;
    return attach(b, n, ev, false);
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
    const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
    if (check_props(b->name, ev, anchor, tag, false, &plain, b->err) != 0) return -1;
    n = yn_new(seq ? CFG_YN_SEQ : CFG_YN_MAP, ev->start_mark);
    return attach(b, n, ev, true);
  }
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    if (b->depth > 0) b->depth--;
    return 0;
  }
  return 0;
}

int cfg_yn_parse(const char *name, const void *data, size_t len, cfg_yn **root,
                 al_err *err) {
  *root = NULL;
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) return al_err_set(err, CFG_ERR_IO, "%s: out of memory", name);
  yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
  yn_builder b = {.name = name, .err = err};
  int rc = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      /* libyaml's own words, at the position it reports. Reader errors (bad
       * encoding) carry a byte offset instead of a mark. */
      yaml_mark_t m = p.problem_mark;
      if (p.error == YAML_READER_ERROR) {
        const unsigned char *d = data;
        size_t off = AL_MIN(p.problem_offset, len);
        m.line = 0;
        m.column = 0;
        for (size_t i = 0; i < off; i++) {
          if (d[i] == '\n') {
            m.line++;
            m.column = 0;
          } else {
            m.column++;
          }
        }
      }
      if (p.context)
        al_err_set(err, CFG_ERR_SYNTAX, "%s:%zu:%zu: invalid YAML: %s %s (line %zu, column %zu)",
                   name, (size_t)m.line + 1, (size_t)m.column + 1,
                   p.problem ? p.problem : "syntax error", p.context,
                   (size_t)p.context_mark.line + 1, (size_t)p.context_mark.column + 1);
      else
        al_err_set(err, CFG_ERR_SYNTAX, "%s:%zu:%zu: invalid YAML: %s", name,
                   (size_t)m.line + 1, (size_t)m.column + 1,
                   p.problem ? p.problem : "syntax error");
      rc = -1;
      break;
    }
    int r = on_event(&b, &ev);
    yaml_event_delete(&ev);
    if (r < 0) {
      rc = -1;
      break;
    }
    if (r == 1) break;
  }
  yaml_parser_delete(&p);
  if (rc != 0) {
    cfg_yn_free(b.root);
    return -1;
  }
  *root = b.root;
  return 0;
}
