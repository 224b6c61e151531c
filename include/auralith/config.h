/* Reading a configuration file (the original's YAML schema, docs/CONFIGURATION.md)
 * through the same loader and validation as the commands, for programs that want the
 * effective values: the Python package's DistributedConfig. Prefix: alc_.
 *
 *   al_err err;
 *   char *json = al_config_load_json("configs/distributed.yaml", false, &err);
 *   if (!json) { fprintf(stderr, "%s\n", err.msg); return 1; }   // FILE:LINE:COL: ...
 *   ... parse json ...
 *   free(json);
 */
#ifndef AURALITH_CONFIG_H
#define AURALITH_CONFIG_H

#include <stdbool.h>

#include "auralith/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* al_err codes (same numbers as the loader's). */
enum {
  AL_CFG_E_NOT_FOUND = 1, /* the file does not exist */
  AL_CFG_E_IO = 2,        /* the file cannot be read (or is too large) */
  AL_CFG_E_SYNTAX = 3,    /* not well-formed YAML */
  AL_CFG_E_SCHEMA = 4     /* unknown or duplicate key, wrong type, value out of range */
};

/* Loads and validates path (NULL = the built-in defaults) and applies the environment
 * (AURALITH_AUTH_TOKEN) as the commands do. Returns the effective configuration as a
 * compact JSON object {"coordinator": {...}, "workers": [{...}, ...], "job": {...}}
 * holding every key with its value (defaults filled in), as a NUL-terminated heap
 * string the caller releases with free(). Secrets (state_store_password, auth_token)
 * are "<redacted>" when redact_secrets. On error returns NULL and err holds the
 * loader's message, "FILE:LINE:COLUMN: key 'x.y': expected ..., got ...", with one of
 * the codes above. */
char *al_config_load_json(const char *path, bool redact_secrets, al_err *err);

#ifdef __cplusplus
}
#endif

#endif
