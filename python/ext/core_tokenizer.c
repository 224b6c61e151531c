/* _core.Tokenizer: a loaded text tokenizer (al_tok_bpe) and a pool of encoders, so that
 * encode and encode_batch run with the GIL released and any number of Python threads
 * can use one tokenizer at once. Also _core.train. */
#include "core.h" /* Python.h first, as CPython requires */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auralith/tokenizer.h"

/* Idle encoders kept per tokenizer (each holds a ~5 MiB word cache); more threads than
 * this still work, their encoders are freed after use. */
#define POOL_MAX 64
/* Threads encode_batch starts at most. */
#define BATCH_MAX_THREADS 64

typedef struct {
  PyObject_HEAD
  al_tok_bpe *t;
  pthread_mutex_t mu; /* guards pool */
  al_tok_encoder *pool[POOL_MAX];
  int npool;
  /* Python ints for ids 0..nints-1, made once (under the GIL) on the first list
   * result: a list of ids then costs one reference increment per id instead of one
   * int object allocation, which is most of the time of returning lists. */
  PyObject **ints;
  size_t nints;
} TokObject;

/* Ids past the vocabulary length (orphaned ids of a retrained string) are rare; they
 * get fresh int objects. */
#define INT_CACHE_SLACK 1024
#define INT_CACHE_MAX ((size_t)1 << 22)

static al_tok_encoder *take_encoder(TokObject *o) {
  al_tok_encoder *e = NULL;
  pthread_mutex_lock(&o->mu);
  if (o->npool > 0) e = o->pool[--o->npool];
  pthread_mutex_unlock(&o->mu);
  return e ? e : al_tok_encoder_new(o->t, 0);
}

static void put_encoder(TokObject *o, al_tok_encoder *e) {
  al_tok_encoder_trim(e);
  pthread_mutex_lock(&o->mu);
  if (o->npool < POOL_MAX) {
    o->pool[o->npool++] = e;
    e = NULL;
  }
  pthread_mutex_unlock(&o->mu);
  if (e) al_tok_encoder_free(e);
}

static int tok_init(TokObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", NULL};
  PyObject *path = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&:Tokenizer", kw, PyUnicode_FSConverter, &path)) return -1;
  if (self->t) {
    Py_DECREF(path);
    PyErr_SetString(PyExc_RuntimeError, "Tokenizer is already loaded");
    return -1;
  }
  al_err err;
  al_err_clear(&err);
  al_tok_bpe *t;
  const char *p = PyBytes_AS_STRING(path);
  Py_BEGIN_ALLOW_THREADS
  t = al_tok_bpe_load(p, &err);
  Py_END_ALLOW_THREADS
  Py_DECREF(path);
  if (!t) {
    core_raise_tokenizer(&err);
    return -1;
  }
  self->t = t;
  return 0;
}

static PyObject *tok_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  TokObject *self = (TokObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  pthread_mutex_init(&self->mu, NULL);
  return (PyObject *)self;
}

static void tok_dealloc(TokObject *self) {
  for (size_t i = 0; i < self->nints; i++) Py_XDECREF(self->ints[i]);
  PyMem_Free(self->ints);
  for (int i = 0; i < self->npool; i++) al_tok_encoder_free(self->pool[i]);
  self->npool = 0;
  if (self->t) al_tok_bpe_free(self->t);
  pthread_mutex_destroy(&self->mu);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_loaded(TokObject *self) {
  if (self->t) return 0;
  PyErr_SetString(PyExc_RuntimeError, "Tokenizer is not loaded");
  return -1;
}

/* max_length: None = no limit, else an int (Python slicing semantics for negatives). */
static int parse_max_length(PyObject *o, int64_t *out) {
  if (o == Py_None) {
    *out = TOK_NO_LIMIT;
    return 0;
  }
  long long v = PyLong_AsLongLong(o);
  if (v == -1 && PyErr_Occurred()) return -1;
  *out = v == INT64_MIN ? INT64_MIN + 1 : (int64_t)v;
  return 0;
}

/* UTF-8 bytes of a str (borrowed from the object's cache) or of bytes/bytearray-free
 * bytes objects. The pointer lives as long as the object. */
static int text_bytes(PyObject *o, const char **s, Py_ssize_t *n) {
  if (PyUnicode_Check(o)) {
    *s = PyUnicode_AsUTF8AndSize(o, n);
    return *s ? 0 : -1;
  }
  if (PyBytes_Check(o)) {
    *s = PyBytes_AS_STRING(o);
    *n = PyBytes_GET_SIZE(o);
    return 0;
  }
  PyErr_Format(PyExc_TypeError, "text must be str or bytes, not %.100s", Py_TYPE(o)->tp_name);
  return -1;
}

static int make_int_cache(TokObject *self) {
  size_t n = al_tok_bpe_vocab_len(self->t) + INT_CACHE_SLACK;
  if (n > INT_CACHE_MAX) n = INT_CACHE_MAX;
  PyObject **v = PyMem_Calloc(n, sizeof *v);
  if (!v) {
    PyErr_NoMemory();
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!(v[i] = PyLong_FromSize_t(i))) {
      for (size_t k = 0; k < i; k++) Py_DECREF(v[k]);
      PyMem_Free(v);
      return -1;
    }
  }
  self->ints = v;
  self->nints = n;
  return 0;
}

static PyObject *ids_to_list(TokObject *self, const al_tok_ids *ids) {
  if (!self->ints && make_int_cache(self) < 0) return NULL;
  PyObject *l = PyList_New((Py_ssize_t)ids->len);
  if (!l) return NULL;
  PyObject **items = ((PyListObject *)l)->ob_item;
  for (size_t i = 0; i < ids->len; i++) {
    int32_t id = ids->v[i];
    PyObject *v;
    if (id >= 0 && (size_t)id < self->nints) {
      v = self->ints[id];
      Py_INCREF(v);
    } else if (!(v = PyLong_FromLong(id))) {
      Py_DECREF(l);
      return NULL;
    }
    items[i] = v;
  }
  return l;
}

static PyObject *tok_encode_py(TokObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"text", "add_special_tokens", "max_length", NULL};
  PyObject *text, *maxlen_obj = Py_None;
  int add = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pO:encode", kw, &text, &add, &maxlen_obj)) return NULL;
  if (check_loaded(self) < 0) return NULL;
  int64_t maxlen;
  const char *s;
  Py_ssize_t n;
  if (parse_max_length(maxlen_obj, &maxlen) < 0 || text_bytes(text, &s, &n) < 0) return NULL;
  al_tok_ids ids = {0};
  al_err err;
  al_err_clear(&err);
  int rc;
  Py_BEGIN_ALLOW_THREADS
  al_tok_encoder *e = take_encoder(self);
  rc = al_tok_encode(e, s, (size_t)n, add != 0, maxlen, &ids, &err);
  put_encoder(self, e);
  Py_END_ALLOW_THREADS
  if (rc != 0) {
    al_tok_ids_free(&ids);
    return core_raise_tokenizer(&err);
  }
  PyObject *l = ids_to_list(self, &ids);
  al_tok_ids_free(&ids);
  return l;
}

/* ---- encode_batch ------------------------------------------------------------------ */

/* _core.Ids: one text's ids, owned, read through the buffer protocol (native int32), so
 * NumPy views them with np.frombuffer and nothing is copied. */
typedef struct {
  PyObject_HEAD
  al_tok_ids ids; /* owned; released in ids_dealloc */
} IdsObject;

static const int32_t NO_IDS[1] = {0}; /* a valid address for an empty buffer */

static int ids_getbuffer(IdsObject *self, Py_buffer *view, int flags) {
  void *buf = self->ids.len ? (void *)self->ids.v : (void *)NO_IDS;
  if (PyBuffer_FillInfo(view, (PyObject *)self, buf, (Py_ssize_t)(self->ids.len * sizeof(int32_t)), 1,
                        flags) < 0)
    return -1;
  if (flags & PyBUF_FORMAT) view->format = "i";
  view->itemsize = sizeof(int32_t);
  return 0;
}

static void ids_dealloc(IdsObject *self) {
  al_tok_ids_free(&self->ids);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t ids_length(IdsObject *self) { return (Py_ssize_t)self->ids.len; }

static PyBufferProcs ids_as_buffer = {.bf_getbuffer = (getbufferproc)ids_getbuffer};
static PySequenceMethods ids_as_sequence = {.sq_length = (lenfunc)ids_length};

static PyTypeObject IdsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "auralith_pipeline._core.Ids",
    .tp_doc = "The ids of one text as native int32, for np.frombuffer.",
    .tp_basicsize = sizeof(IdsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)ids_dealloc,
    .tp_as_buffer = &ids_as_buffer,
    .tp_as_sequence = &ids_as_sequence,
};

/* Takes ownership of *ids (left zeroed). Returns a new reference or NULL. */
static PyObject *ids_object(al_tok_ids *ids) {
  IdsObject *o = PyObject_New(IdsObject, &IdsType);
  if (!o) return NULL;
  o->ids = *ids;
  memset(ids, 0, sizeof *ids);
  return (PyObject *)o;
}

/* How a batch returns its ids. */
typedef enum { OUT_LISTS, OUT_ARRAYS } out_kind;

typedef struct batch {
  TokObject *tok;
  const char **s;
  size_t *n;
  al_tok_ids *out;
  size_t count;
  bool add;
  int64_t maxlen;
  out_kind kind;
  /* OUT_LISTS: each thread turns its texts' ids into borrowed pointers to the cached
   * ints (items[i], NULL when an id is outside the cache) and counts the references it
   * hands out per id (refs[thread][id]); the GIL holder then adds the counts and copies
   * the pointers, so building lists is a copy instead of one increment per id. */
  PyObject ***items;
  size_t **refs;
  atomic_int next_thread;
  atomic_size_t next;
  atomic_int failed;
  pthread_mutex_t err_mu;
  al_err err;
} batch;

/* Asks for transparent huge pages on the whole 2 MiB pages of a large fresh buffer: on
 * multi-megabyte results a page fault per 4 KiB written was most of the time. */
static void advise_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (bytes < 2 * huge) return;
  uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/* Ids per input byte to reserve up front: the original's word-level tokenizer gives
 * about 0.5 on prose, byte-level ones about 0.25; a larger text grows by doubling. */
#define RESERVE_IDS(n) ((n) / 2 + 16)

static int batch_one(batch *b, al_tok_encoder *e, size_t i, size_t *refs, al_err *err) {
  al_tok_ids *out = &b->out[i];
  size_t want = RESERVE_IDS(b->n[i]);
  if (b->maxlen >= 0 && b->maxlen != TOK_NO_LIMIT && (size_t)b->maxlen + 2 < want) want = (size_t)b->maxlen + 2;
  al_tok_ids_reserve(out, want);
  if (al_tok_encode(e, b->s[i], b->n[i], b->add, b->maxlen, out, err) != 0) return -1;
  if (b->kind == OUT_ARRAYS) {
    al_tok_ids_shrink_to_fit(out);
    return 0;
  }
  if (!refs || out->len == 0) return 0;
  PyObject **p = malloc(out->len * sizeof *p);
  if (!p) return 0; /* the GIL holder builds this list the slow way */
  advise_huge(p, out->len * sizeof *p);
  PyObject **ints = b->tok->ints;
  size_t nints = b->tok->nints;
  for (size_t k = 0; k < out->len; k++) {
    int32_t id = out->v[k];
    if (id < 0 || (size_t)id >= nints) {
      /* undo this text's counts: it is built the slow way */
      for (size_t j = 0; j < k; j++) refs[out->v[j]]--;
      free(p);
      return 0;
    }
    p[k] = ints[id];
    refs[id]++;
  }
  b->items[i] = p;
  return 0;
}

/* Texts are handed out in small groups so threads stay balanced on uneven lengths
 * without contending on the counter for every short text. */
static void *batch_worker(void *arg) {
  batch *b = arg;
  int me = atomic_fetch_add(&b->next_thread, 1);
  size_t *refs = b->refs ? b->refs[me] : NULL;
  al_tok_encoder *e = take_encoder(b->tok);
  al_err err;
  al_err_clear(&err);
  for (;;) {
    size_t i = atomic_fetch_add(&b->next, 8);
    if (i >= b->count || atomic_load(&b->failed)) break;
    size_t end = i + 8 < b->count ? i + 8 : b->count;
    for (; i < end; i++) {
      if (batch_one(b, e, i, refs, &err) != 0) {
        pthread_mutex_lock(&b->err_mu);
        if (!atomic_load(&b->failed)) b->err = err;
        atomic_store(&b->failed, 1);
        pthread_mutex_unlock(&b->err_mu);
        break;
      }
    }
  }
  put_encoder(b->tok, e);
  return NULL;
}

static long default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? n : 1;
}

/* With the GIL: the list of id lists. Adds the threads' reference counts first, so every
 * items[i] array holds owned references from then on. */
static PyObject *batch_lists(TokObject *self, batch *b, long nthreads) {
  if (b->refs) {
    for (long t = 0; t < nthreads; t++) {
      size_t *r = b->refs[t];
      if (!r) continue;
      for (size_t id = 0; id < self->nints; id++)
        if (r[id]) Py_SET_REFCNT(self->ints[id], Py_REFCNT(self->ints[id]) + (Py_ssize_t)r[id]);
    }
  }
  PyObject *result = PyList_New((Py_ssize_t)b->count);
  for (size_t i = 0; i < b->count; i++) {
    PyObject *l = NULL;
    if (result && b->items[i]) {
      if ((l = PyList_New((Py_ssize_t)b->out[i].len))) {
        advise_huge(((PyListObject *)l)->ob_item, b->out[i].len * sizeof(PyObject *));
        memcpy(((PyListObject *)l)->ob_item, b->items[i], b->out[i].len * sizeof(PyObject *));
        free(b->items[i]);
        b->items[i] = NULL;
      }
    } else if (result) {
      l = ids_to_list(self, &b->out[i]);
    }
    if (!l) {
      Py_CLEAR(result);
      if (b->items[i]) { /* owned references nobody will take */
        for (size_t k = 0; k < b->out[i].len; k++) Py_DECREF(b->items[i][k]);
        free(b->items[i]);
        b->items[i] = NULL;
      }
      continue;
    }
    PyList_SET_ITEM(result, (Py_ssize_t)i, l);
  }
  return result;
}

/* Returns a list of lists of ids, or, with arrays=True, a list of _core.Ids buffers. */
static PyObject *tok_encode_batch_py(TokObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"texts", "add_special_tokens", "max_length", "num_threads", "arrays", NULL};
  PyObject *texts, *maxlen_obj = Py_None, *threads_obj = Py_None;
  int add = 1, arrays = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pOOp:encode_batch", kw, &texts, &add, &maxlen_obj,
                                   &threads_obj, &arrays))
    return NULL;
  if (check_loaded(self) < 0) return NULL;
  int64_t maxlen;
  if (parse_max_length(maxlen_obj, &maxlen) < 0) return NULL;
  long nthreads = default_threads();
  if (threads_obj != Py_None) {
    nthreads = PyLong_AsLong(threads_obj);
    if (nthreads == -1 && PyErr_Occurred()) return NULL;
    if (nthreads < 1) {
      PyErr_Format(PyExc_ValueError, "num_threads must be >= 1, got %ld", nthreads);
      return NULL;
    }
  }
  if (nthreads > BATCH_MAX_THREADS) nthreads = BATCH_MAX_THREADS;
  if (!arrays && !self->ints && make_int_cache(self) < 0) return NULL;
  /* The fast sequence holds a reference to every text, so their UTF-8 buffers stay
   * valid while the GIL is released even if the caller's list changes meanwhile. */
  PyObject *seq = PySequence_Fast(texts, "texts must be a sequence of str or bytes");
  if (!seq) return NULL;
  size_t count = (size_t)PySequence_Fast_GET_SIZE(seq);
  PyObject **texts_v = PySequence_Fast_ITEMS(seq);
  PyObject *result = NULL;
  batch b;
  memset(&b, 0, sizeof b);
  b.tok = self;
  b.count = count;
  b.add = add != 0;
  b.maxlen = maxlen;
  b.kind = arrays ? OUT_ARRAYS : OUT_LISTS;
  if ((size_t)nthreads > (count + 7) / 8) nthreads = (long)((count + 7) / 8);
  if (nthreads < 1) nthreads = 1;
  b.s = PyMem_Calloc(count ? count : 1, sizeof *b.s);
  b.n = PyMem_Calloc(count ? count : 1, sizeof *b.n);
  b.out = PyMem_Calloc(count ? count : 1, sizeof *b.out);
  if (!arrays) {
    b.items = PyMem_Calloc(count ? count : 1, sizeof *b.items);
    b.refs = PyMem_Calloc((size_t)nthreads, sizeof *b.refs);
    /* a thread without counts (allocation failed) leaves its texts to the slow path */
    for (long t = 0; b.refs && t < nthreads; t++) b.refs[t] = calloc(self->nints, sizeof **b.refs);
  }
  if (!b.s || !b.n || !b.out || (!arrays && (!b.items || !b.refs))) {
    PyErr_NoMemory();
    goto done;
  }
  for (size_t i = 0; i < count; i++) {
    Py_ssize_t n;
    if (text_bytes(texts_v[i], &b.s[i], &n) < 0) goto done;
    b.n[i] = (size_t)n;
  }
  atomic_init(&b.next, 0);
  atomic_init(&b.next_thread, 0);
  atomic_init(&b.failed, 0);
  pthread_mutex_init(&b.err_mu, NULL);
  Py_BEGIN_ALLOW_THREADS
  pthread_t tids[BATCH_MAX_THREADS];
  long started = 0;
  for (long i = 1; i < nthreads; i++) {
    /* A thread that cannot be started only means fewer threads share the work. */
    if (pthread_create(&tids[started], NULL, batch_worker, &b) != 0) break;
    started++;
  }
  batch_worker(&b); /* the calling thread works too */
  for (long i = 0; i < started; i++) pthread_join(tids[i], NULL);
  Py_END_ALLOW_THREADS
  pthread_mutex_destroy(&b.err_mu);
  if (atomic_load(&b.failed)) {
    core_raise_tokenizer(&b.err);
    /* borrowed pointers, no counts added yet: dropping them is enough */
    goto done;
  }
  if (arrays) {
    result = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; result && i < count; i++) {
      PyObject *o = ids_object(&b.out[i]);
      if (!o) {
        Py_CLEAR(result);
        break;
      }
      PyList_SET_ITEM(result, (Py_ssize_t)i, o);
    }
  } else {
    result = batch_lists(self, &b, nthreads);
  }
done:
  if (b.out)
    for (size_t i = 0; i < count; i++) al_tok_ids_free(&b.out[i]);
  if (b.items)
    for (size_t i = 0; i < count; i++) free(b.items[i]);
  if (b.refs)
    for (long t = 0; t < nthreads; t++) free(b.refs[t]);
  PyMem_Free(b.items);
  PyMem_Free(b.refs);
  PyMem_Free(b.s);
  PyMem_Free(b.n);
  PyMem_Free(b.out);
  Py_DECREF(seq);
  return result;
}

static PyObject *tok_decode_py(TokObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"ids", "skip_special_tokens", NULL};
  PyObject *ids_obj;
  int skip = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|p:decode", kw, &ids_obj, &skip)) return NULL;
  if (check_loaded(self) < 0) return NULL;
  PyObject *seq = PySequence_Fast(ids_obj, "ids must be a sequence of int");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  int32_t *v = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *v);
  if (!v) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(it, &overflow);
    if (x == -1 && PyErr_Occurred()) {
      PyMem_Free(v);
      Py_DECREF(seq);
      return NULL;
    }
    /* Ids outside the vocabulary are dropped by decode, as the original's; those
     * outside int32 become -1, which is dropped the same way. */
    v[i] = (overflow || x < INT32_MIN || x > INT32_MAX) ? -1 : (int32_t)x;
  }
  Py_DECREF(seq);
  char *s;
  Py_BEGIN_ALLOW_THREADS
  s = al_tok_decode(self->t, v, (size_t)n, skip != 0);
  Py_END_ALLOW_THREADS
  PyMem_Free(v);
  PyObject *r = PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
  free(s);
  return r;
}

static PyObject *tok_token_id_py(TokObject *self, PyObject *arg) {
  if (check_loaded(self) < 0) return NULL;
  const char *s = PyUnicode_AsUTF8(arg);
  if (!s) return NULL;
  int32_t id = al_tok_bpe_token_id(self->t, s);
  if (id < 0) Py_RETURN_NONE;
  return PyLong_FromLong(id);
}

static PyObject *tok_info_py(TokObject *self, PyObject *unused) {
  if (check_loaded(self) < 0) return NULL;
  return Py_BuildValue("{s:n,s:n,s:L,s:O,s:O}", "vocab_len", (Py_ssize_t)al_tok_bpe_vocab_len(self->t), "merges",
                       (Py_ssize_t)al_tok_bpe_merge_count(self->t), "max_merge_depth",
                       (long long)al_tok_bpe_max_merge_depth(self->t), "lowercase",
                       al_tok_bpe_lowercase(self->t) ? Py_True : Py_False, "rank_merging",
                       al_tok_bpe_rank_merging(self->t) ? Py_True : Py_False);
}

static PyMethodDef tok_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))tok_encode_py, METH_VARARGS | METH_KEYWORDS,
     "encode(text, add_special_tokens=True, max_length=None) -> list[int]"},
    {"encode_batch", (PyCFunction)(void (*)(void))tok_encode_batch_py, METH_VARARGS | METH_KEYWORDS,
     "encode_batch(texts, add_special_tokens=True, max_length=None, num_threads=None, arrays=False)"},
    {"decode", (PyCFunction)(void (*)(void))tok_decode_py, METH_VARARGS | METH_KEYWORDS,
     "decode(ids, skip_special_tokens=True) -> str"},
    {"token_id", (PyCFunction)tok_token_id_py, METH_O, "token_id(token) -> int or None"},
    {"info", (PyCFunction)tok_info_py, METH_NOARGS, "info() -> dict"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject TokType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "auralith_pipeline._core.Tokenizer",
    .tp_doc = "Tokenizer(path): a text tokenizer directory loaded by libauralith.",
    .tp_basicsize = sizeof(TokObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = tok_new,
    .tp_init = (initproc)tok_init,
    .tp_dealloc = (destructor)tok_dealloc,
    .tp_methods = tok_methods,
};

int core_tokenizer_init(PyObject *m) {
  if (PyType_Ready(&TokType) < 0 || PyType_Ready(&IdsType) < 0) return -1;
  if (PyModule_AddObjectRef(m, "Ids", (PyObject *)&IdsType) < 0) return -1;
  return PyModule_AddObjectRef(m, "Tokenizer", (PyObject *)&TokType);
}

/* ---- training ---------------------------------------------------------------------- */

PyObject *core_train(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"corpus", "out_dir", "vocab_size", "min_frequency", "max_merge_depth", "lowercase", NULL};
  PyObject *corpus, *out = NULL;
  long long vocab_size = 32000, min_freq = 2, depth = 50;
  int lower = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO&|LLLp:train", kw, &corpus, PyUnicode_FSConverter, &out,
                                   &vocab_size, &min_freq, &depth, &lower))
    return NULL;
  const char *s;
  Py_ssize_t n;
  if (text_bytes(corpus, &s, &n) < 0) {
    Py_DECREF(out);
    return NULL;
  }
  al_tok_train_opts o;
  al_tok_train_opts_default(&o);
  o.vocab_size = vocab_size;
  o.min_frequency = min_freq;
  o.max_merge_depth = depth;
  o.lowercase = lower != 0;
  size_t nv = 0, nm = 0;
  al_err err;
  al_err_clear(&err);
  int rc;
  const char *dir = PyBytes_AS_STRING(out);
  Py_BEGIN_ALLOW_THREADS
  rc = al_tok_train(s, (size_t)n, &o, dir, &nv, &nm, &err);
  Py_END_ALLOW_THREADS
  Py_DECREF(out);
  if (rc != 0) return core_raise_tokenizer(&err);
  return Py_BuildValue("(nn)", (Py_ssize_t)nv, (Py_ssize_t)nm);
}
