/* Job and task statuses: the wire strings and the public enums (auralith/client.h). The
 * string tables are indexed by the enum; index 0 is the UNKNOWN value. */
#include <string.h>

#include "client/alc_internal.h"

static const char *const JOB_NAMES[] = {"unknown",   "pending", "running",   "completed", "completed_with_errors",
                                        "failed",    "cancelled", "timeout"};
static const char *const TASK_NAMES[] = {"unknown", "pending", "assigned", "running",
                                         "completed", "failed", "cancelled"};

static int parse(const char *s, const char *const *names, size_t n, const char *what, int *out, al_err *err) {
  for (size_t i = 1; s && i < n; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (int)i;
      return 0;
    }
  return al_err_set(err, AL_E_ARG, "unknown %s status: \"%.200s\"", what, s ? s : "(null)");
}

const char *al_job_state_name(al_job_state s) {
  return (unsigned)s < AL_ARRAY_LEN(JOB_NAMES) ? JOB_NAMES[s] : JOB_NAMES[0];
}

int al_job_state_parse(const char *s, al_job_state *out, al_err *err) {
  int v = 0;
  if (parse(s, JOB_NAMES, AL_ARRAY_LEN(JOB_NAMES), "job", &v, err) != 0) return -1;
  *out = (al_job_state)v;
  return 0;
}

bool al_job_state_is_final(al_job_state s) {
  return s == AL_JOB_COMPLETED || s == AL_JOB_COMPLETED_WITH_ERRORS || s == AL_JOB_FAILED ||
         s == AL_JOB_CANCELLED || s == AL_JOB_TIMEOUT;
}

const char *al_task_state_name(al_task_state s) {
  return (unsigned)s < AL_ARRAY_LEN(TASK_NAMES) ? TASK_NAMES[s] : TASK_NAMES[0];
}

int al_task_state_parse(const char *s, al_task_state *out, al_err *err) {
  int v = 0;
  if (parse(s, TASK_NAMES, AL_ARRAY_LEN(TASK_NAMES), "task", &v, err) != 0) return -1;
  *out = (al_task_state)v;
  return 0;
}
