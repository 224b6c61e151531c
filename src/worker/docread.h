/* Streaming a whole input document as text, in bounded pieces.
 *
 * split and packed rows need a document's whole encoding, so the reader never holds the
 * whole file: it reads pieces of about WORKER_PIECE bytes, cuts each back to after its
 * last ASCII whitespace (never between "\r" and "\n"), so no word, UTF-8 sequence or NFC
 * cluster straddles two pieces and encoding the pieces one after the other gives the
 * ids of encoding the whole file (the encoder's own chunks cut the same way). Each piece
 * is decoded as CPython's read_text(errors="replace"). A run of more than
 * WORKER_WORD_MAX bytes without whitespace is cut at a UTF-8 boundary (the only case
 * where ids may differ from a whole-file encoding: such a "word" is not text).
 * Memory: O(WORKER_PIECE) per open reader, plus the longest whitespace-free run.
 * Prefix: worker_. */
#ifndef AL_WORKER_DOCREAD_H
#define AL_WORKER_DOCREAD_H

#include <stddef.h>
#include <stdint.h>

#define WORKER_PIECE ((size_t)1 << 20)
#define WORKER_WORD_MAX ((size_t)64 << 20)
#define WORKER_LINE_MAX ((size_t)64 << 20) /* JSON Lines: longest record line */
#define WORKER_SNIFF ((size_t)4096)        /* detect-text: bytes looked at */

typedef struct worker_docread worker_docread;

/* Opens path (regular files only, as worker_read_file), decompressing `zkind` (a
 * worker_zkind, worker/decomp.h) with a limit of `limit` decompressed bytes (0: the
 * default for the file's size). Returns NULL with reason filled ("vanished since scan:
 * ...", "not a regular file", ...). Free with worker_docread_close. */
worker_docread *worker_docread_open(const char *path, int zkind, uint64_t limit, char *reason,
                                    size_t reason_cap);
/* detect-text: 1 when the first WORKER_SNIFF bytes (decompressed) hold no NUL and are
 * valid UTF-8 (a sequence cut by the window counts as valid), 0 if not, -1 on a read
 * error (reason filled). Call before reading; the bytes stay for the next calls. */
int worker_docread_is_text(worker_docread *r, char *reason, size_t reason_cap);
/* JSON Lines: the next raw line without its "\n" (*line NUL-terminated, borrowed until
 * the next call). Returns 1, 0 at the end, -1 on a read error or a line longer than
 * WORKER_LINE_MAX (reason filled). Do not mix with worker_docread_next. */
int worker_docread_line(worker_docread *r, const char **line, size_t *len, char *reason, size_t reason_cap);
/* The next piece: *text (NUL-terminated, borrowed until the next call or close) and *len.
 * Returns 1 for a piece, 0 at the end of the file, -1 on a read error (reason filled). */
int worker_docread_next(worker_docread *r, const char **text, size_t *len, char *reason, size_t reason_cap);
/* Raw bytes consumed so far. */
uint64_t worker_docread_bytes(const worker_docread *r);
void worker_docread_close(worker_docread *r);

#endif
