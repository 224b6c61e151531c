/* Row building under the long-document and packing rules (see rows.h). */
#include "shard/rows.h"

#include <stdlib.h>
#include <string.h>

struct shard_rows {
  shard_writer *w;
  uint32_t L;
  shard_long_mode lm;
  shard_pack_mode pm;
  /* the row being filled */
  int32_t *ids;
  uint8_t *mods;
  size_t len;
  shard_segment *segs;
  size_t nseg, seg_cap;
  int seg_open;           /* the row's last segment belongs to the open document */
  char **seg_sources;     /* source of each segment's document (owned, seg_cap slots) */
  /* the open document */
  int in_doc;
  char *source;
  uint8_t modality;
  int32_t close;
  int reserve_close;
  uint64_t doc_pos;       /* position within the document of the next id emitted */
  uint64_t doc_ids;       /* ids of the document so far, markers included */
  size_t keep;            /* truncate: ids of the document that may reach the row */
  shard_row_counts c;
};

int shard_long_mode_parse(const char *s, shard_long_mode *out) {
  if (!s || !strcmp(s, "truncate")) *out = SHARD_LONG_TRUNCATE;
  else if (!strcmp(s, "split")) *out = SHARD_LONG_SPLIT;
  else return -1;
  return 0;
}

int shard_pack_mode_parse(const char *s, shard_pack_mode *out) {
  if (!s || !strcmp(s, "none")) *out = SHARD_PACK_NONE;
  else if (!strcmp(s, "greedy")) *out = SHARD_PACK_GREEDY;
  else return -1;
  return 0;
}

const char *shard_long_mode_name(shard_long_mode m) { return m == SHARD_LONG_SPLIT ? "split" : "truncate"; }
const char *shard_pack_mode_name(shard_pack_mode m) { return m == SHARD_PACK_GREEDY ? "greedy" : "none"; }

shard_rows *shard_rows_new(shard_writer *w, uint32_t L, shard_long_mode lm, shard_pack_mode pm) {
  shard_rows *r = al_xcalloc(1, sizeof *r);
  r->w = w;
  r->L = L;
  r->lm = lm;
  r->pm = pm;
  r->ids = al_xmalloc(((size_t)L + 1) * sizeof *r->ids);
  r->mods = al_xmalloc((size_t)L + 1);
  return r;
}

void shard_rows_free(shard_rows *r) {
  if (!r) return;
  free(r->ids);
  free(r->mods);
  free(r->segs);
  for (size_t i = 0; i < r->nseg; i++) free(r->seg_sources[i]);
  free(r->seg_sources);
  free(r->source);
  free(r);
}

void shard_rows_counts(const shard_rows *r, shard_row_counts *out) {
  *out = r->c;
  out->ids_truncated = r->c.ids_encoded - r->c.ids_written;
}

static int flush_row(shard_rows *r, al_err *err) {
  if (r->len == 0 && r->pm == SHARD_PACK_GREEDY) return 0;
  int rc;
  if (r->pm == SHARD_PACK_GREEDY)
    rc = shard_writer_add_packed(r->w, r->ids, r->mods, r->len, r->segs, r->nseg, (const char *const *)r->seg_sources,
                                 err);
  else
    rc = shard_writer_add_raw(r->w, r->ids, r->mods, r->len, r->source, err);
  if (rc != 0) return -1;
  r->c.rows++;
  r->c.ids_written += r->len;
  r->c.pad_ids += r->L - r->len;
  r->len = 0;
  for (size_t i = 0; i < r->nseg; i++) free(r->seg_sources[i]);
  r->nseg = 0;
  r->seg_open = 0;
  return 0;
}

/* Puts ids of the open document into rows, writing every row that fills up. */
static int emit(shard_rows *r, const int32_t *ids, size_t n, al_err *err) {
  if (r->L == 0) return 0; /* rows of length 0 hold nothing */
  while (n > 0) {
    if (r->len == r->L && flush_row(r, err) != 0) return -1;
    size_t k = AL_MIN(n, (size_t)r->L - r->len);
    memcpy(r->ids + r->len, ids, k * sizeof *ids);
    memset(r->mods + r->len, r->modality, k);
    if (r->pm == SHARD_PACK_GREEDY) {
      if (!r->seg_open) {
        if (r->nseg == r->seg_cap) {
          r->seg_cap = r->seg_cap ? 2 * r->seg_cap : 16;
          r->segs = al_xrealloc(r->segs, r->seg_cap * sizeof *r->segs);
          r->seg_sources = al_xrealloc(r->seg_sources, r->seg_cap * sizeof *r->seg_sources);
        }
        r->seg_sources[r->nseg] = al_xstrdup(r->source);
        r->segs[r->nseg++] = (shard_segment){0, (uint32_t)r->doc_pos};
        r->seg_open = 1;
      }
      r->segs[r->nseg - 1].len += (uint32_t)k;
    }
    r->len += k;
    r->doc_pos += k;
    ids += k;
    n -= k;
  }
  return 0;
}

/* Truncate mode: the document's ids that may still reach the row. */
static size_t room(const shard_rows *r) {
  return r->doc_ids < r->keep ? (size_t)(r->keep - r->doc_ids) : 0;
}

void shard_rows_begin(shard_rows *r, const char *source, uint8_t modality, int32_t open, int32_t close,
                      int reserve_close) {
  free(r->source);
  r->source = al_xstrdup(source ? source : "");
  r->in_doc = 1;
  r->modality = modality;
  r->close = close;
  r->reserve_close = reserve_close;
  r->doc_pos = 0;
  r->doc_ids = 0;
  r->seg_open = 0;
  /* The original's truncated row: text (open + body + close)[:L]; code
   * (open + body[:L-2] + close)[:L], i.e. open and at most L-2 body ids before close. */
  r->keep = reserve_close ? (r->L >= 2 ? r->L - 1 : 1) : r->L;
  al_err ignored;
  if (open >= 0) shard_rows_push(r, &open, 1, &ignored); /* cannot fail: the row has room */
}

int shard_rows_push(shard_rows *r, const int32_t *ids, size_t n, al_err *err) {
  if (!r->in_doc || n == 0) return 0;
  size_t use = n;
  if (r->lm == SHARD_LONG_TRUNCATE) use = AL_MIN(n, room(r));
  r->doc_ids += n;
  r->c.ids_encoded += n;
  return emit(r, ids, use, err);
}

int shard_rows_end(shard_rows *r, al_err *err) {
  if (!r->in_doc) return 0;
  int32_t close = r->close;
  int rc = 0;
  if (close < 0) {
    /* no close marker */
  } else if (r->lm == SHARD_LONG_TRUNCATE) {
    /* the close marker is written when the truncated document has room for it (always
     * for a reserved close, except in rows of length 1) */
    int fits = AL_MIN(r->doc_ids, (uint64_t)r->keep) < r->L;
    r->doc_ids++;
    r->c.ids_encoded++;
    rc = fits ? emit(r, &close, 1, err) : 0;
  } else {
    r->doc_ids++;
    r->c.ids_encoded++;
    rc = emit(r, &close, 1, err);
  }
  r->in_doc = 0;
  r->seg_open = 0;
  r->c.documents++;
  if (rc == 0 && r->pm == SHARD_PACK_NONE) rc = flush_row(r, err);
  return rc;
}

int shard_rows_finish(shard_rows *r, al_err *err) {
  if (r->pm == SHARD_PACK_GREEDY) return flush_row(r, err);
  return 0;
}
