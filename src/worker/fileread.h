/* Reading one input file safely for tokenization.
 *
 * The input tree is untrusted: files vanish between the scan and the read, FIFOs and
 * devices must not hang a worker thread, and a huge file must not need more memory than
 * its sample can use. worker_read_file opens with O_NONBLOCK (a FIFO without a writer
 * then opens at once), refuses anything that is not a regular file after fstat, and reads
 * at most max_bytes. */
#ifndef AL_WORKER_FILEREAD_H
#define AL_WORKER_FILEREAD_H

#include <stddef.h>

typedef enum {
  WORKER_READ_OK = 0,
  WORKER_READ_VANISHED,     /* ENOENT: removed since the scan */
  WORKER_READ_UNREADABLE,   /* permission or I/O error */
  WORKER_READ_NOT_REGULAR,  /* directory, FIFO, socket, device */
} worker_read_status;

/* Human-readable reason for a skip ("vanished since scan", ...). Static string. */
const char *worker_read_status_name(worker_read_status s);

/* Opens path for reading with the same rules (O_NONBLOCK, regular files only) and
 * leaves the descriptor in *fd (caller closes). detail as below. */
worker_read_status worker_open_regular(const char *path, int *fd, char *detail, size_t detail_cap);

/* Reads up to max_bytes of path into *data (heap, NUL-terminated, caller frees) and sets
 * *len and *truncated (1 if the file was longer). On failure *data is NULL and errno
 * detail goes to detail (may be NULL, capacity detail_cap). */
worker_read_status worker_read_file(const char *path, size_t max_bytes, char **data, size_t *len,
                                    int *truncated, char *detail, size_t detail_cap);

#endif
