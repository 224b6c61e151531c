/* al_version (include/auralith/version.h): the public name of the library's
 * version, compiled into libauralith and libauralith-client alike. */
#include "auralith/version.h"

const char *al_version(void) { return AURALITH_VERSION_STRING; }

int al_version_number(void) { return AURALITH_VERSION_NUMBER; }
