/* The job manifest: at the end of a job the coordinator writes <output_dir>/index.json
 * (src/shard/index.h) from the results its workers reported. The manifest is built on
 * the loop (a copy of the results) and written on the thread pool, so the fsync never
 * blocks the coordinator. */
#ifndef AL_COORD_MANIFEST_H
#define AL_COORD_MANIFEST_H

#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"

/* Builds the manifest of job j (every task that reported a result, once each) and
 * writes it atomically, synchronously. Returns 0 or -1 with err naming the file. */
int coord_write_manifest(const coord_job *j, al_err *err);
/* Same, with the write on loop's thread pool; failures are logged. */
void coord_write_manifest_async(uv_loop_t *loop, const coord_job *j);

#endif
