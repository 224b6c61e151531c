/* Embedded mode for builds without src/embedded: see embedded_hook.h. Delete this
 * file when src/embedded defines alc_pipeline_run_embedded. */
#include "client/alc_internal.h"
#include "client/embedded_hook.h"

int alc_pipeline_run_embedded(const alc_pipeline_options *o, const alc_pipeline_plan *plan,
                              alc_pipeline_result *r, al_err *err) {
  (void)o;
  (void)plan;
  (void)r;
  return al_err_set(err, ALC_E_ARG, "embedded mode is not linked in this build");
}
