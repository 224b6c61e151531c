/* The fixed classes of a task failure, for metric labels (bounded: never the error
 * text itself). Prefix: coord_reason_. */
#ifndef AL_COORD_COORD_REASON_H
#define AL_COORD_COORD_REASON_H

typedef enum {
  COORD_REASON_TOKENIZERS = 0, /* tokenizers directory missing or corrupt */
  COORD_REASON_TASK_TIMEOUT,   /* the attempt ran past task_timeout */
  COORD_REASON_WORKER_LOST,    /* its worker's heartbeat was lost */
  COORD_REASON_CANCELLED,
  COORD_REASON_JOB_TIMEOUT,
  COORD_REASON_OUTPUT,         /* shards could not be written, verified or published */
  COORD_REASON_OTHER,
  COORD_REASON_COUNT_
} coord_reason;

/* Classifies an error text (NULL: other). */
coord_reason coord_reason_of(const char *error);
/* "tokenizers", "task_timeout", "worker_lost", "cancelled", "job_timeout", "output", "other". */
const char *coord_reason_name(coord_reason r);

#endif
