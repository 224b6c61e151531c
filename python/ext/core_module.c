/* Module definition, exceptions and small helpers shared by the other files. */

#include "core.h" /* Python.h first, as CPython requires */

#include "auralith/config.h"

/* Exception classes, created at import. AuralithError is the base of all; the others
 * also derive from the built-in a caller would catch for that kind of failure. */
static PyObject *AuralithError, *ConfigError, *ConnectError, *RequestTimeout, *NotFoundError,
    *AuthError, *InvalidRequestError, *NoFilesError, *TokenizerError;

static PyObject *raise_with_code(PyObject *cls, const char *msg, int code) {
  PyObject *exc = PyObject_CallFunction(cls, "s", msg);
  if (!exc) return NULL;
  PyObject *c = PyLong_FromLong(code);
  if (!c || PyObject_SetAttrString(exc, "code", c) < 0) {
    Py_XDECREF(c);
    Py_DECREF(exc);
    return NULL;
  }
  Py_DECREF(c);
  PyErr_SetObject(cls, exc);
  Py_DECREF(exc);
  return NULL;
}

PyObject *core_raise(const al_err *err, int is_config) {
  PyObject *cls = AuralithError;
  if (is_config) {
    cls = ConfigError;
  } else {
    switch (err->code) {
    case AL_E_CONNECT:
    case AL_E_CLOSED:
    case AL_E_IO: cls = ConnectError; break;
    case AL_E_TIMEOUT: cls = RequestTimeout; break;
    case AL_E_NOT_FOUND: cls = NotFoundError; break;
    case AL_E_AUTH:
    case AL_E_NOT_ALLOWED: cls = AuthError; break;
    case AL_E_ARG:
    case AL_E_ADDRESS:
    case AL_E_BAD_STATE:
    case AL_E_BAD_FIELD: cls = InvalidRequestError; break;
    case AL_E_NO_FILES: cls = NoFilesError; break;
    default: break;
    }
  }
  return raise_with_code(cls, err->msg[0] ? err->msg : "unknown error", err->code);
}

PyObject *core_raise_tokenizer(const al_err *err) {
  return raise_with_code(TokenizerError, err->msg[0] ? err->msg : "tokenizer error", err->code);
}

int core_dict_steal(PyObject *d, const char *key, PyObject *v) {
  if (!v) return -1;
  int rc = PyDict_SetItemString(d, key, v);
  Py_DECREF(v);
  return rc;
}

PyObject *core_str_or_none(const char *s) {
  if (!s) Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

PyObject *core_job_dict(const al_job *j) {
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  PyObject *errs = PyList_New((Py_ssize_t)j->n_errors);
  if (!errs) goto fail;
  for (size_t i = 0; i < j->n_errors; i++) {
    PyObject *s = core_str_or_none(j->errors[i]);
    if (!s) {
      Py_DECREF(errs);
      goto fail;
    }
    PyList_SET_ITEM(errs, (Py_ssize_t)i, s);
  }
  if (core_dict_steal(d, "id", core_str_or_none(j->id)) < 0 ||
      core_dict_steal(d, "name", core_str_or_none(j->name)) < 0 ||
      core_dict_steal(d, "status", core_str_or_none(j->status)) < 0 ||
      core_dict_steal(d, "created_at", core_str_or_none(j->created_at)) < 0 ||
      core_dict_steal(d, "completed_at", core_str_or_none(j->completed_at)) < 0 ||
      core_dict_steal(d, "total_tasks", PyLong_FromUnsignedLongLong(j->total_tasks)) < 0 ||
      core_dict_steal(d, "completed_tasks", PyLong_FromUnsignedLongLong(j->completed_tasks)) < 0 ||
      core_dict_steal(d, "failed_tasks", PyLong_FromUnsignedLongLong(j->failed_tasks)) < 0 ||
      core_dict_steal(d, "retried_tasks", PyLong_FromUnsignedLongLong(j->retried_tasks)) < 0 ||
      core_dict_steal(d, "samples", PyLong_FromUnsignedLongLong(j->samples)) < 0 ||
      core_dict_steal(d, "tokens", PyLong_FromUnsignedLongLong(j->tokens)) < 0 ||
      core_dict_steal(d, "bytes", PyLong_FromUnsignedLongLong(j->bytes)) < 0 ||
      core_dict_steal(d, "sealed", PyBool_FromLong(j->sealed)) < 0 ||
      core_dict_steal(d, "errors", errs) < 0)
    goto fail;
  return d;
fail:
  Py_DECREF(d);
  return NULL;
}

static PyObject *core_load_config_impl(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "redact_secrets", NULL};
  PyObject *path_obj = Py_None;
  int redact = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|Op:load_config", kw, &path_obj, &redact)) return NULL;
  PyObject *path_bytes = NULL;
  const char *path = NULL;
  if (path_obj != Py_None) {
    if (!PyUnicode_FSConverter(path_obj, &path_bytes)) return NULL;
    path = PyBytes_AS_STRING(path_bytes);
  }
  al_err err;
  al_err_clear(&err);
  char *json;
  Py_BEGIN_ALLOW_THREADS
  json = al_config_load_json(path, redact != 0, &err);
  Py_END_ALLOW_THREADS
  Py_XDECREF(path_bytes);
  if (!json) return core_raise(&err, 1);
  PyObject *s = PyUnicode_FromString(json);
  free(json);
  return s;
}

static PyObject *set_log_level(PyObject *self, PyObject *arg) {
  long lvl = PyLong_AsLong(arg);
  if (lvl == -1 && PyErr_Occurred()) return NULL;
  if (lvl < AL_LOG_DEBUG || lvl > AL_LOG_NONE) {
    PyErr_Format(PyExc_ValueError, "log level must be %d (debug) .. %d (none), got %ld", AL_LOG_DEBUG,
                 AL_LOG_NONE, lvl);
    return NULL;
  }
  al_log_set_level((al_log_level)lvl);
  Py_RETURN_NONE;
}

static PyObject *get_log_level(PyObject *self, PyObject *unused) { return PyLong_FromLong(al_log_get_level()); }

static PyMethodDef core_methods[] = {
    {"run_pipeline", (PyCFunction)(void (*)(void))core_run_pipeline, METH_VARARGS | METH_KEYWORDS,
     "run_pipeline(**options) -> dict: runs a job (al_pipeline_run)."},
    {"train", (PyCFunction)(void (*)(void))core_train, METH_VARARGS | METH_KEYWORDS,
     "train(corpus, out_dir, vocab_size, min_frequency, max_merge_depth, lowercase) -> (vocab_len, merges)"},
    {"load_config", (PyCFunction)(void (*)(void))core_load_config_impl, METH_VARARGS | METH_KEYWORDS,
     "load_config(path=None, redact_secrets=False) -> str: the effective configuration as JSON."},
    {"set_log_level", set_log_level, METH_O, "set_log_level(level): 0 debug, 1 info, 2 warn, 3 error, 4 none."},
    {"get_log_level", get_log_level, METH_NOARGS, "get_log_level() -> int"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "auralith_pipeline._core",
                                         "C core of auralith_pipeline over libauralith.", -1, core_methods,
                                         NULL, NULL, NULL, NULL};

static PyObject *new_exc(PyObject *m, const char *name, PyObject *base1, PyObject *base2, const char *doc) {
  char full[128];
  snprintf(full, sizeof full, "auralith_pipeline.%s", name);
  PyObject *bases = base2 ? PyTuple_Pack(2, base1, base2) : PyTuple_Pack(1, base1);
  if (!bases) return NULL;
  PyObject *cls = PyErr_NewExceptionWithDoc(full, doc, bases, NULL);
  Py_DECREF(bases);
  if (!cls) return NULL;
  if (PyModule_AddObjectRef(m, name, cls) < 0) {
    Py_DECREF(cls);
    return NULL;
  }
  return cls; /* the module and this static both hold a reference */
}

PyMODINIT_FUNC PyInit__core(void) {
  PyObject *m = PyModule_Create(&core_module);
  if (!m) return NULL;
  if (!(AuralithError = new_exc(m, "AuralithError", PyExc_Exception, NULL,
                                "Base of every error raised by auralith_pipeline; `code` holds the C library's code.")) ||
      !(ConfigError = new_exc(m, "ConfigError", AuralithError, PyExc_ValueError,
                              "A configuration file is missing, unreadable or invalid (message: FILE:LINE:COLUMN: ...).")) ||
      !(ConnectError = new_exc(m, "ConnectError", AuralithError, PyExc_ConnectionError,
                               "The coordinator cannot be reached or closed the connection.")) ||
      !(RequestTimeout = new_exc(m, "RequestTimeout", AuralithError, PyExc_TimeoutError,
                                 "The coordinator did not answer within the request timeout.")) ||
      !(NotFoundError = new_exc(m, "NotFoundError", AuralithError, PyExc_ValueError,
                                "Unknown job, task or worker (the original raised ValueError).")) ||
      !(AuthError = new_exc(m, "AuthError", AuralithError, PyExc_PermissionError,
                            "The auth token is missing or wrong, or the role may not do this.")) ||
      !(InvalidRequestError = new_exc(m, "InvalidRequestError", AuralithError, PyExc_ValueError,
                                      "A bad argument, address, or a request the job's state refuses.")) ||
      !(NoFilesError = new_exc(m, "NoFilesError", AuralithError, PyExc_FileNotFoundError,
                               "The input directory holds no files (the original raised FileNotFoundError).")) ||
      !(TokenizerError = new_exc(m, "TokenizerError", AuralithError, NULL,
                                 "A tokenizer cannot be loaded, trained or used.")) ||
      core_tokenizer_init(m) < 0 || core_client_init(m) < 0 ||
      PyModule_AddIntConstant(m, "LOG_DEBUG", AL_LOG_DEBUG) < 0 ||
      PyModule_AddIntConstant(m, "LOG_INFO", AL_LOG_INFO) < 0 ||
      PyModule_AddIntConstant(m, "LOG_WARN", AL_LOG_WARN) < 0 ||
      PyModule_AddIntConstant(m, "LOG_ERROR", AL_LOG_ERROR) < 0 ||
      PyModule_AddIntConstant(m, "LOG_NONE", AL_LOG_NONE) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
