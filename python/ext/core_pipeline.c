/* _core.run_pipeline: al_pipeline_run with the GIL released. Progress callbacks are
 * made on the calling thread, which takes the GIL back only for the duration of the
 * Python call. A callback that raises stops the run (embedded: the job is cancelled;
 * external: the runner detaches) and its exception propagates. When asked
 * (handle_sigint, main thread only), SIGINT is caught for the duration of the run and
 * ends it as the CLI's Ctrl-C does; the result then says "interrupted". */
#include "core.h" /* Python.h first, as CPython requires */

#include <signal.h>
#include <string.h>

#include "auralith/pipeline.h"

static volatile sig_atomic_t g_sigint;
static void on_sigint(int sig) {
  (void)sig;
  g_sigint = 1;
}

typedef struct run_ctx {
  PyThreadState *ts;          /* saved while the GIL is released */
  PyObject *progress;         /* callable or NULL (borrowed) */
  PyObject *submitted;        /* callable or NULL (borrowed) */
  volatile sig_atomic_t *stop;
  volatile sig_atomic_t local_stop;
  PyObject *exc_type, *exc_value, *exc_tb; /* first callback exception */
} run_ctx;

static void callback_failed(run_ctx *c) {
  if (!c->exc_type) PyErr_Fetch(&c->exc_type, &c->exc_value, &c->exc_tb);
  else PyErr_Clear();
  *c->stop = 1;
}

static void cb_progress(void *ud, const al_job *j) {
  run_ctx *c = ud;
  if (!c->progress || c->exc_type) return;
  PyEval_RestoreThread(c->ts);
  PyObject *d = core_job_dict(j);
  PyObject *r = d ? PyObject_CallOneArg(c->progress, d) : NULL;
  Py_XDECREF(d);
  if (!r) callback_failed(c);
  Py_XDECREF(r);
  c->ts = PyEval_SaveThread();
}

static void cb_submitted(void *ud, const char *job_id, uint64_t files, uint64_t tasks) {
  run_ctx *c = ud;
  if (!c->submitted || c->exc_type) return;
  PyEval_RestoreThread(c->ts);
  PyObject *r = PyObject_CallFunction(c->submitted, "sKK", job_id, (unsigned long long)files,
                                      (unsigned long long)tasks);
  if (!r) callback_failed(c);
  Py_XDECREF(r);
  c->ts = PyEval_SaveThread();
}

/* An optional callable argument: None means none. */
static int opt_callable(PyObject *o, PyObject **out, const char *name) {
  if (o == Py_None) {
    *out = NULL;
    return 0;
  }
  if (!PyCallable_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be callable or None", name);
    return -1;
  }
  *out = o;
  return 0;
}

static PyObject *result_dict(const al_pipeline_result *r, int interrupted) {
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  PyObject *errs = PyList_New((Py_ssize_t)r->n_errors);
  if (!errs) goto fail;
  for (size_t i = 0; i < r->n_errors; i++) {
    PyObject *s = core_str_or_none(r->errors[i]);
    if (!s) {
      Py_DECREF(errs);
      goto fail;
    }
    PyList_SET_ITEM(errs, (Py_ssize_t)i, s);
  }
  if (core_dict_steal(d, "job_id", core_str_or_none(r->job_id)) < 0 ||
      core_dict_steal(d, "status", core_str_or_none(r->status)) < 0 ||
      core_dict_steal(d, "total_tasks", PyLong_FromUnsignedLongLong(r->total_tasks)) < 0 ||
      core_dict_steal(d, "completed_tasks", PyLong_FromUnsignedLongLong(r->completed_tasks)) < 0 ||
      core_dict_steal(d, "failed_tasks", PyLong_FromUnsignedLongLong(r->failed_tasks)) < 0 ||
      core_dict_steal(d, "elapsed_seconds", PyFloat_FromDouble(r->elapsed_s)) < 0 ||
      core_dict_steal(d, "files", PyLong_FromUnsignedLongLong(r->files)) < 0 ||
      core_dict_steal(d, "samples", PyLong_FromUnsignedLongLong(r->samples)) < 0 ||
      core_dict_steal(d, "tokens", PyLong_FromUnsignedLongLong(r->tokens)) < 0 ||
      core_dict_steal(d, "coordinator", core_str_or_none(r->coordinator)) < 0 ||
      core_dict_steal(d, "errors", errs) < 0 ||
      core_dict_steal(d, "interrupted", PyBool_FromLong(interrupted)) < 0)
    goto fail;
  return d;
fail:
  Py_DECREF(d);
  return NULL;
}

PyObject *core_run_pipeline(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"input_dir", "output_dir", "tokenizers_dir", "config_path", "job_name", "job_id",
                       "max_seq_len", "shard_size", "files_per_task", "timeout", "embedded", "num_workers",
                       "coordinator", "auth_token", "request_timeout", "detach", "progress", "on_submitted",
                       "handle_sigint", NULL};
  PyObject *in = NULL, *out = NULL, *tok = NULL, *cfg = NULL;
  const char *job_name = NULL, *job_id = NULL, *coordinator = NULL, *token = NULL;
  long long max_seq_len = 0, shard_size = 0, fpt = 0;
  double timeout = 0, req_timeout = 0;
  int embedded = 0, num_workers = 0, detach = 0, handle_sigint = 0;
  PyObject *progress_obj = Py_None, *submitted_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&O&O&|$O&zzLLLdpizzdpOOp:run_pipeline", kw,
                                   PyUnicode_FSConverter, &in, PyUnicode_FSConverter, &out,
                                   PyUnicode_FSConverter, &tok, PyUnicode_FSConverter, &cfg, &job_name, &job_id,
                                   &max_seq_len, &shard_size, &fpt, &timeout, &embedded, &num_workers,
                                   &coordinator, &token, &req_timeout, &detach, &progress_obj, &submitted_obj,
                                   &handle_sigint)) {
    Py_XDECREF(in);
    Py_XDECREF(out);
    Py_XDECREF(tok);
    Py_XDECREF(cfg);
    return NULL;
  }
  PyObject *ret = NULL;
  run_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  if (opt_callable(progress_obj, &ctx.progress, "progress") < 0 ||
      opt_callable(submitted_obj, &ctx.submitted, "on_submitted") < 0)
    goto done;
  if (max_seq_len < 0 || shard_size < 0 || fpt < 0 || num_workers < 0 || timeout < 0) {
    PyErr_SetString(PyExc_ValueError,
                    "max_seq_len, shard_size, files_per_task, num_workers and timeout must not be negative");
    goto done;
  }
  al_pipeline_options o;
  al_pipeline_options_init(&o);
  o.config_path = cfg ? PyBytes_AS_STRING(cfg) : NULL;
  o.input_dir = PyBytes_AS_STRING(in);
  o.output_dir = PyBytes_AS_STRING(out);
  o.tokenizers_dir = PyBytes_AS_STRING(tok);
  o.job_name = job_name;
  o.job_id = job_id;
  o.max_seq_len = max_seq_len;
  o.shard_size = shard_size;
  o.files_per_task = fpt;
  o.timeout_s = timeout;
  o.embedded = embedded != 0;
  o.num_workers = num_workers;
  o.coordinator = coordinator;
  o.auth_token = token;
  o.request_timeout_s = req_timeout;
  o.detach = detach != 0;
  o.on_progress = cb_progress;
  o.on_submitted = cb_submitted;
  o.user_data = &ctx;
  ctx.stop = handle_sigint ? &g_sigint : &ctx.local_stop;
  o.stop = ctx.stop;

  struct sigaction old_sa, sa;
  if (handle_sigint) {
    g_sigint = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);
  }
  al_pipeline_result r;
  al_err err;
  al_err_clear(&err);
  int rc;
  ctx.ts = PyEval_SaveThread();
  rc = al_pipeline_run(&o, &r, &err);
  PyEval_RestoreThread(ctx.ts);
  int interrupted = 0;
  if (handle_sigint) {
    sigaction(SIGINT, &old_sa, NULL);
    interrupted = g_sigint && !ctx.exc_type;
    g_sigint = 0;
  }
  if (ctx.exc_type) {
    PyErr_Restore(ctx.exc_type, ctx.exc_value, ctx.exc_tb);
  } else if (rc != 0) {
    core_raise(&err, err.code == AL_E_CONFIG);
  } else {
    ret = result_dict(&r, interrupted);
  }
  al_pipeline_result_free(&r);
done:
  Py_DECREF(in);
  Py_DECREF(out);
  Py_DECREF(tok);
  Py_XDECREF(cfg);
  return ret;
}
