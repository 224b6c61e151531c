/* Embedded mode of the pipeline runner: start the in-process deployment of src/app
 * (coordinator + num_workers workers on one loop thread, no TCP, memory store), attach
 * a client over a socketpair, and run the job exactly as in external mode. */
#include "app/app.h"
#include "client/alc.h"
#include "app/app_pipeline.h"

int app_pipeline_run_embedded(const al_pipeline_options *o, const app_pipeline_plan *plan,
                              al_pipeline_result *r, al_err *err) {
  /* One tokenizer thread per worker, as submit-job --embedded -w N does. */
  app_embedded *e = app_embedded_start(plan->cfg, (unsigned)plan->num_workers, 1, err);
  if (!e) return -1;
  int fd = app_embedded_connect(e, err);
  al_client *c = fd >= 0 ? alc_connect_fd(fd, "embedded coordinator", AL_ROLE_SUBMITTER, NULL,
                                           o->request_timeout_s, err)
                          : NULL;
  int rc = -1;
  if (c) {
    rc = app_pipeline_submit_and_follow(&c, o, plan, true, r, err);
    al_close(c);
  }
  app_embedded_stop(e); /* joins the loop thread once the manifest is written */
  return rc;
}
