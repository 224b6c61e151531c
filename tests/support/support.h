/* Helpers for tests that use real components: temporary directories, real child
 * processes, free loopback ports, a real redis-server, files, and libuv loop teardown. */
#ifndef AL_TEST_SUPPORT_H
#define AL_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string. Removed (with
 * its contents) by ts_rmtree. */
char *ts_mkdtemp(const char *tag);
int ts_rmtree(const char *path);
/* Writes n bytes to path (creating parent directories). Returns 0 on success. */
int ts_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file; caller frees; *len receives the size. NULL if unreadable. */
char *ts_read_file(const char *path, size_t *len);
/* Path of a file in tests/data (AL_DATA_DIR) or the shared reference; caller frees. */
char *ts_data_path(const char *rel);
/* Path of the auralith-pipeline binary (AL_PIPELINE). */
const char *ts_pipeline_bin(void);

/* A reproducible pseudo-random number below n (xorshift64 on *state, which must not be
 * 0), for tests that generate inputs from a fixed seed. */
unsigned ts_rand(unsigned long long *state, unsigned n);

/* A loopback TCP port nobody listens on right now. */
int ts_free_port(void);

/* Runs argv to completion with a timeout, capturing stdout and stderr (each caller
 * frees; either out pointer may be NULL). stdin_data (may be NULL) is fed to stdin.
 * Returns the exit status (0-255), 128+signal if killed, or -1 on timeout/spawn error. */
int ts_run(char *const argv[], const char *stdin_data, char **out, char **err, double timeout_s);

/* Starts argv in the background with stdout/stderr sent to log_path (may be NULL for
 * /dev/null). Returns the pid or -1. */
pid_t ts_spawn(char *const argv[], const char *log_path);
/* Waits up to timeout_s for pid; returns its exit status as ts_run, or -1 on timeout. */
int ts_wait(pid_t pid, double timeout_s);
/* SIGTERM, then SIGKILL after grace_s; reaps. */
void ts_stop(pid_t pid, double grace_s);
/* Waits until a TCP connect to 127.0.0.1:port succeeds; 0 on success. */
int ts_wait_port(int port, double timeout_s);
/* Waits until the redis-server started as pid answers on port. A free port can be
 * taken by another process between ts_free_port() and the server's bind; then the
 * server exits, and something else answers on the port. Returns 0 when INFO on the port
 * reports pid as its process_id, -2 when pid exited (it is reaped: do not stop it), -1
 * on timeout. password may be NULL. */
int ts_wait_redis(pid_t pid, int port, const char *password, double timeout_s);

/* A real redis-server on a free loopback port, no persistence. password may be NULL.
 * Returns 0 on success (fills port and pid). Skips nothing: fails loudly when
 * redis-server is missing. */
typedef struct ts_redis {
  pid_t pid;
  int port;
  char *dir;
} ts_redis;
int ts_redis_start(ts_redis *r, const char *password);
void ts_redis_stop(ts_redis *r);
/* Runs redis-cli against it with the given args; returns stdout (caller frees). */
char *ts_redis_cli(const ts_redis *r, const char *password, const char *const args[]);

/* A coordinator for tests: the configuration of one on 127.0.0.1:port (port 0: the
 * options given to the adjust below decide) with the memory store (release with cfg_free), and an app_coord_opts.adjust that replaces the
 * options with the test's own (*(const coord_options *)ud), keeping the store. */
struct cfg_config;
struct coord_options;
void ts_coord_cfg(struct cfg_config *cfg, int port);
void ts_coord_adjust(struct coord_options *co, void *ud);

/* Closes every handle still on the loop, runs it until they are closed, and returns
 * uv_loop_close()'s result (0 = clean). */
int ts_loop_close_all(uv_loop_t *loop);

#endif
