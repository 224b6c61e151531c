/* See coord_reason.h. The texts matched are the coordinator's own failure messages
 * and the worker's task errors (task_exec.c). */
#include "coord/coord_reason.h"

#include <string.h>

coord_reason coord_reason_of(const char *err) {
  if (!err) return COORD_REASON_OTHER;
  if (strstr(err, "tokenizer")) return COORD_REASON_TOKENIZERS;
  if (strstr(err, "job timed out") || strstr(err, "job timeout")) return COORD_REASON_JOB_TIMEOUT;
  if (strstr(err, "task_timeout") || strstr(err, "timed out")) return COORD_REASON_TASK_TIMEOUT;
  if (strstr(err, "heartbeat") || strstr(err, "lost")) return COORD_REASON_WORKER_LOST;
  if (strstr(err, "cancel")) return COORD_REASON_CANCELLED;
  if (strstr(err, "timeout")) return COORD_REASON_JOB_TIMEOUT;
  if (strstr(err, "output") || strstr(err, "shards")) return COORD_REASON_OUTPUT;
  return COORD_REASON_OTHER;
}

const char *coord_reason_name(coord_reason r) {
  static const char *const NAMES[COORD_REASON_COUNT_] = {"tokenizers", "task_timeout", "worker_lost", "cancelled",
                                                         "job_timeout", "output",       "other"};
  return (unsigned)r < COORD_REASON_COUNT_ ? NAMES[r] : "other";
}
