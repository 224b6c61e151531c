/* auralith_pipeline._core: the CPython extension over libauralith's public API
 * (include/auralith/). One file per exposed object: the module and its exceptions
 * (core_module.c), the tokenizer (core_tokenizer.c), the admin client
 * (core_client.c), the pipeline runner (core_pipeline.c). Nothing here reaches into
 * the library's src/ internals, so the extension keeps working when the shared
 * library exports only its public symbols. */
#ifndef AURALITH_PY_CORE_H
#define AURALITH_PY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "auralith/client.h"

/* Raises the Python exception that matches err->code (client.h ALC_E_*, or the
 * config loader's codes when is_config), with err->msg as its message and the code
 * in its `code` attribute. Always returns NULL. */
PyObject *core_raise(const al_err *err, int is_config);
/* Raises TokenizerError(msg). Returns NULL. */
PyObject *core_raise_tokenizer(const al_err *err);

/* dict helpers: set a key to a new reference, stealing it; return -1 on failure. */
int core_dict_steal(PyObject *d, const char *key, PyObject *v);
/* A str from a C string, None for NULL. */
PyObject *core_str_or_none(const char *s);
/* The job snapshot as the original's job record dict plus our counters. */
PyObject *core_job_dict(const al_job *j);

int core_tokenizer_init(PyObject *m);
int core_client_init(PyObject *m);
PyObject *core_run_pipeline(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *core_train(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *core_load_config(PyObject *self, PyObject *args, PyObject *kwargs);

#endif
