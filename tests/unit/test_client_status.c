/* Job and task statuses of the public API (auralith/client.h): every enum value and its
 * wire string map both ways, unknown strings are refused with a message naming them,
 * and the final states are the original's. */
#include <string.h>

#include "auralith/client.h"
#include "harness.h"

static void test_job_states(void) {
  static const char *const wire[] = {"pending", "running", "completed", "completed_with_errors",
                                     "failed", "cancelled", "timeout"};
  for (size_t i = 0; i < sizeof wire / sizeof wire[0]; i++) {
    al_job_state s = AL_JOB_UNKNOWN;
    al_err err;
    al_err_clear(&err);
    CHECK(al_job_state_parse(wire[i], &s, &err) == 0);
    CHECK(s != AL_JOB_UNKNOWN);
    CHECK_EQ_STR(al_job_state_name(s), wire[i]);
    CHECK(al_status_is_final(wire[i]) == al_job_state_is_final(s));
  }
  CHECK_EQ_STR(al_job_state_name(AL_JOB_COMPLETED_WITH_ERRORS), "completed_with_errors");
  CHECK(!al_job_state_is_final(AL_JOB_PENDING));
  CHECK(!al_job_state_is_final(AL_JOB_RUNNING));
  CHECK(al_job_state_is_final(AL_JOB_TIMEOUT));
  CHECK(!al_job_state_is_final(AL_JOB_UNKNOWN));
  CHECK_EQ_STR(al_job_state_name(AL_JOB_UNKNOWN), "unknown");
  CHECK_EQ_STR(al_job_state_name((al_job_state)99), "unknown");

  al_job_state s = AL_JOB_RUNNING;
  al_err err;
  al_err_clear(&err);
  CHECK(al_job_state_parse("Completed", &s, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_ARG);
  CHECK_CONTAINS(err.msg, "unknown job status: \"Completed\"");
  CHECK_EQ_INT(s, AL_JOB_RUNNING); /* untouched on failure */
  CHECK(al_job_state_parse("unknown", &s, &err) == -1);
  CHECK(al_job_state_parse(NULL, &s, NULL) == -1);
  CHECK(!al_status_is_final(NULL));
  CHECK(!al_status_is_final("done"));
}

static void test_task_states(void) {
  static const char *const wire[] = {"pending", "assigned", "running", "completed", "failed", "cancelled"};
  for (size_t i = 0; i < sizeof wire / sizeof wire[0]; i++) {
    al_task_state s = AL_TASK_UNKNOWN;
    CHECK(al_task_state_parse(wire[i], &s, NULL) == 0);
    CHECK_EQ_INT(s, (int)i + 1);
    CHECK_EQ_STR(al_task_state_name(s), wire[i]);
  }
  al_task_state s = AL_TASK_PENDING;
  al_err err;
  al_err_clear(&err);
  CHECK(al_task_state_parse("timeout", &s, &err) == -1);
  CHECK_CONTAINS(err.msg, "unknown task status: \"timeout\"");
  CHECK_EQ_STR(al_task_state_name((al_task_state)-1), "unknown");
}

int main(void) {
  RUN(test_job_states);
  RUN(test_task_states);
  return TEST_REPORT();
}
