/* The library's version. The macros are the version the headers come from; the function
 * says which library was loaded at run time (a program built against one version may
 * run with a later compatible libauralith.so.0). The version is the project version of
 * CMakeLists.txt (test_public_headers checks that they agree). */
#ifndef AURALITH_VERSION_H
#define AURALITH_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define AURALITH_VERSION_MAJOR 0
#define AURALITH_VERSION_MINOR 1
#define AURALITH_VERSION_PATCH 0
#define AURALITH_VERSION_STRING "0.1.0"
/* One number for comparisons: major * 10000 + minor * 100 + patch. */
#define AURALITH_VERSION_NUMBER \
  (AURALITH_VERSION_MAJOR * 10000 + AURALITH_VERSION_MINOR * 100 + AURALITH_VERSION_PATCH)

/* The loaded library's version, as AURALITH_VERSION_STRING (static storage; never
 * freed). */
const char *al_version(void);
/* The loaded library's AURALITH_VERSION_NUMBER. */
int al_version_number(void);

#ifdef __cplusplus
}
#endif

#endif
