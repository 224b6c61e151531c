/* _core.Client: a blocking admin connection to a coordinator (al_client). Every call
 * runs with the GIL released; a mutex serialises calls because one al_client is not
 * thread-safe. */
#include "core.h" /* Python.h first, as CPython requires */

#include <pthread.h>
#include <string.h>


typedef struct {
  PyObject_HEAD
  al_client *c;
  pthread_mutex_t mu;
} ClientObject;

static PyObject *client_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  ClientObject *self = (ClientObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  pthread_mutex_init(&self->mu, NULL);
  return (PyObject *)self;
}

static int client_init(ClientObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"address", "token", "timeout", "role", NULL};
  const char *address = NULL, *token = NULL, *role = "admin";
  double timeout = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zzds:Client", kw, &address, &token, &timeout, &role)) return -1;
  al_role r;
  if (!strcmp(role, "admin")) r = AL_ROLE_ADMIN;
  else if (!strcmp(role, "submitter")) r = AL_ROLE_SUBMITTER;
  else {
    PyErr_Format(PyExc_ValueError, "role must be 'admin' or 'submitter', got '%s'", role);
    return -1;
  }
  if (self->c) {
    PyErr_SetString(PyExc_RuntimeError, "Client is already connected");
    return -1;
  }
  al_err err;
  al_err_clear(&err);
  al_client *c;
  Py_BEGIN_ALLOW_THREADS
  c = al_connect(address, r, token, timeout, &err);
  Py_END_ALLOW_THREADS
  if (!c) {
    core_raise(&err, 0);
    return -1;
  }
  self->c = c;
  return 0;
}

static void client_dealloc(ClientObject *self) {
  if (self->c) al_close(self->c);
  pthread_mutex_destroy(&self->mu);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Locks the client for a call made without the GIL; sets an exception when closed. */
static int lock_open(ClientObject *self) {
  pthread_mutex_lock(&self->mu);
  if (self->c) return 0;
  pthread_mutex_unlock(&self->mu);
  return -1;
}

#define CLOSED_ERROR() (PyErr_SetString(PyExc_ValueError, "operation on a closed DistributedClient"), (PyObject *)NULL)

static PyObject *client_close(ClientObject *self, PyObject *unused) {
  al_client *c;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&self->mu);
  c = self->c;
  self->c = NULL;
  pthread_mutex_unlock(&self->mu);
  al_close(c);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject *worker_dict(const al_worker *w) {
  /* The original's list_workers gave {id, status: "active", cpu_usage, memory_usage};
   * a live worker keeps status "active", others show their state. */
  const char *status = w->state && !strcmp(w->state, "alive") ? "active" : w->state;
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  if (core_dict_steal(d, "id", core_str_or_none(w->id)) < 0 ||
      core_dict_steal(d, "status", core_str_or_none(status)) < 0 ||
      core_dict_steal(d, "state", core_str_or_none(w->state)) < 0 ||
      core_dict_steal(d, "cpu_usage", PyFloat_FromDouble(w->cpu_percent)) < 0 ||
      core_dict_steal(d, "memory_usage", PyFloat_FromDouble(w->mem_percent)) < 0 ||
      core_dict_steal(d, "rss_bytes", PyLong_FromUnsignedLongLong(w->rss_bytes)) < 0 ||
      core_dict_steal(d, "slots", PyLong_FromUnsignedLong(w->slots)) < 0 ||
      core_dict_steal(d, "running", PyLong_FromUnsignedLong(w->running)) < 0 ||
      core_dict_steal(d, "queued", PyLong_FromUnsignedLong(w->queued)) < 0 ||
      core_dict_steal(d, "tasks_completed", PyLong_FromUnsignedLongLong(w->tasks_completed)) < 0 ||
      core_dict_steal(d, "tasks_failed", PyLong_FromUnsignedLongLong(w->tasks_failed)) < 0 ||
      core_dict_steal(d, "last_seen_s", PyFloat_FromDouble(w->last_seen_s)) < 0) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

static PyObject *client_list_workers(ClientObject *self, PyObject *unused) {
  al_worker_list ws = {0};
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = al_list_workers(self->c, &ws, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) {
    al_worker_list_free(&ws);
    return core_raise(&err, 0);
  }
  PyObject *l = PyList_New((Py_ssize_t)ws.n);
  for (size_t i = 0; l && i < ws.n; i++) {
    PyObject *d = worker_dict(&ws.v[i]);
    if (!d) {
      Py_CLEAR(l);
      break;
    }
    PyList_SET_ITEM(l, (Py_ssize_t)i, d);
  }
  al_worker_list_free(&ws);
  return l;
}

static PyObject *client_list_jobs(ClientObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"limit", NULL};
  unsigned int limit = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|I:list_jobs", kw, &limit)) return NULL;
  al_job_list js = {0};
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = al_list_jobs(self->c, limit, &js, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) {
    al_job_list_free(&js);
    return core_raise(&err, 0);
  }
  PyObject *l = PyList_New((Py_ssize_t)js.n);
  for (size_t i = 0; l && i < js.n; i++) {
    PyObject *d = core_job_dict(&js.v[i]);
    if (!d) {
      Py_CLEAR(l);
      break;
    }
    PyList_SET_ITEM(l, (Py_ssize_t)i, d);
  }
  al_job_list_free(&js);
  return l;
}

static PyObject *client_get_job(ClientObject *self, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id) return NULL;
  al_job j = {0};
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = al_job_status(self->c, id, &j, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) {
    al_job_free(&j);
    return core_raise(&err, 0);
  }
  PyObject *d = core_job_dict(&j);
  al_job_free(&j);
  return d;
}

static PyObject *client_get_metrics(ClientObject *self, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id) return NULL;
  al_metrics m;
  memset(&m, 0, sizeof m);
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = al_job_metrics(self->c, id, &m, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) return core_raise(&err, 0);
  return Py_BuildValue("{s:K,s:K,s:K,s:d,s:d}", "total_tasks", (unsigned long long)m.total_tasks,
                       "completed_tasks", (unsigned long long)m.completed_tasks, "failed_tasks",
                       (unsigned long long)m.failed_tasks, "throughput", m.throughput, "error_rate", m.error_rate);
}

static PyObject *client_get_task(ClientObject *self, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id) return NULL;
  al_task t = {0};
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = al_get_task(self->c, id, &t, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) {
    al_task_free(&t);
    return core_raise(&err, 0);
  }
  PyObject *d = PyDict_New();
  if (d && (core_dict_steal(d, "id", core_str_or_none(t.id)) < 0 ||
            core_dict_steal(d, "job_id", core_str_or_none(t.job_id)) < 0 ||
            core_dict_steal(d, "status", core_str_or_none(t.status)) < 0 ||
            core_dict_steal(d, "worker_id", core_str_or_none(t.worker_id)) < 0 ||
            core_dict_steal(d, "error", core_str_or_none(t.error)) < 0 ||
            core_dict_steal(d, "attempts", PyLong_FromUnsignedLong(t.attempts)) < 0 ||
            core_dict_steal(d, "retries", PyLong_FromUnsignedLong(t.retries)) < 0 ||
            core_dict_steal(d, "files", PyLong_FromUnsignedLongLong(t.files)) < 0))
    Py_CLEAR(d);
  al_task_free(&t);
  return d;
}

/* Calls that take one string and return nothing. */
typedef int (*str_call)(al_client *, const char *, al_err *);
static PyObject *simple_call(ClientObject *self, PyObject *arg, str_call fn) {
  const char *s = PyUnicode_AsUTF8(arg);
  if (!s) return NULL;
  al_err err;
  al_err_clear(&err);
  int rc = -2;
  Py_BEGIN_ALLOW_THREADS
  if (lock_open(self) == 0) {
    rc = fn(self->c, s, &err);
    pthread_mutex_unlock(&self->mu);
  }
  Py_END_ALLOW_THREADS
  if (rc == -2) return CLOSED_ERROR();
  if (rc != 0) return core_raise(&err, 0);
  Py_RETURN_NONE;
}

static PyObject *client_cancel_job(ClientObject *self, PyObject *arg) { return simple_call(self, arg, al_cancel_job); }
static PyObject *client_set_strategy(ClientObject *self, PyObject *arg) {
  return simple_call(self, arg, al_set_strategy);
}
static PyObject *client_drain_worker(ClientObject *self, PyObject *arg) {
  return simple_call(self, arg, al_drain_worker);
}

static PyObject *client_info(ClientObject *self, PyObject *unused) {
  PyObject *r = NULL;
  pthread_mutex_lock(&self->mu); /* short: no I/O */
  if (self->c)
    r = Py_BuildValue("{s:s,s:s,s:s}", "address", al_address(self->c), "server_version",
                      al_server_version(self->c), "strategy", al_server_strategy(self->c));
  pthread_mutex_unlock(&self->mu);
  if (!r && !PyErr_Occurred()) return CLOSED_ERROR();
  return r;
}

static PyObject *client_closed(ClientObject *self, void *unused) { return PyBool_FromLong(self->c == NULL); }

static PyMethodDef client_methods[] = {
    {"close", (PyCFunction)client_close, METH_NOARGS, "close(): closes the connection (idempotent)."},
    {"list_workers", (PyCFunction)client_list_workers, METH_NOARGS, "list_workers() -> list[dict]"},
    {"list_jobs", (PyCFunction)(void (*)(void))client_list_jobs, METH_VARARGS | METH_KEYWORDS,
     "list_jobs(limit=0) -> list[dict]"},
    {"get_job", (PyCFunction)client_get_job, METH_O, "get_job(job_id) -> dict"},
    {"get_metrics", (PyCFunction)client_get_metrics, METH_O, "get_metrics(job_id) -> dict"},
    {"get_task", (PyCFunction)client_get_task, METH_O, "get_task(task_id) -> dict"},
    {"cancel_job", (PyCFunction)client_cancel_job, METH_O, "cancel_job(job_id)"},
    {"set_strategy", (PyCFunction)client_set_strategy, METH_O, "set_strategy(name)"},
    {"drain_worker", (PyCFunction)client_drain_worker, METH_O, "drain_worker(worker_id)"},
    {"info", (PyCFunction)client_info, METH_NOARGS, "info() -> {address, server_version, strategy}"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef client_getset[] = {{"closed", (getter)client_closed, NULL, "True after close()", NULL},
                                      {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ClientType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "auralith_pipeline._core.Client",
    .tp_doc = "Client(address=None, token=None, timeout=0, role='admin'): a coordinator connection.",
    .tp_basicsize = sizeof(ClientObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = client_new,
    .tp_init = (initproc)client_init,
    .tp_dealloc = (destructor)client_dealloc,
    .tp_methods = client_methods,
    .tp_getset = client_getset,
};

int core_client_init(PyObject *m) {
  if (PyType_Ready(&ClientType) < 0) return -1;
  return PyModule_AddObjectRef(m, "Client", (PyObject *)&ClientType);
}
