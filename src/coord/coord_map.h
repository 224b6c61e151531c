/* A string-keyed hash map (open chaining) for the coordinator's id lookups. Keys are
 * copied; values are borrowed pointers the caller owns. */
#ifndef AL_COORD_MAP_H
#define AL_COORD_MAP_H

#include <stddef.h>

typedef struct coord_map_entry coord_map_entry;
typedef struct coord_map {
  coord_map_entry **buckets;
  size_t nbuckets, count;
} coord_map;

void coord_map_init(coord_map *m);
void coord_map_free(coord_map *m); /* frees the map's memory, not the values */
/* Key of length klen (need not be NUL-terminated). */
void *coord_map_get(const coord_map *m, const char *key, size_t klen);
/* Inserts or replaces. */
void coord_map_put(coord_map *m, const char *key, void *val);
/* Returns the removed value or NULL. */
void *coord_map_del(coord_map *m, const char *key);

#endif
