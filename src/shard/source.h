/* Names of what a row came from (docs/FORMAT.md, shards[].sources and skipped[].path):
 * an input file, a JSON Lines record "<file>:<line>", or a run of consecutive records
 * of one file "<file>:<first>-<last>", which stands for the records first..last in
 * order (as many entries as records). Runs keep a task's result and the manifest small
 * when a JSON Lines file holds millions of records. Prefix: shard_source_. */
#ifndef AL_SHARD_SOURCE_H
#define AL_SHARD_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* Parses a record name: "<file>:<n>" or "<file>:<first>-<last>" with 1 <= first <= last
 * and a non-empty file. Returns 1 with *file_len, *first and *last set, else 0. Whether
 * <file> is a JSON Lines input is for the caller to decide. */
int shard_source_record(const char *name, size_t *file_len, uint64_t *first, uint64_t *last);

/* How many entries a listed name stands for: b - a + 1 for a run "<file>:<a>-<b>"
 * (a < b), else 1. For names a commit has verified (the run's file is a JSON Lines
 * input of the task). */
uint64_t shard_source_entries(const char *name);

/* Appends the record "<file>:<line>" to a list of names (*v, *n, *cap; the list owns
 * its strings): when the last name is "<file>:<k>" or "<file>:<k>-<line - 1>" it
 * becomes "<file>:<k>-<line>" instead. Returns 1 when it extended the last name, 0 when
 * it appended a new one. */
int shard_source_add_record(char ***v, size_t *n, size_t *cap, const char *file, uint64_t line);

#endif
