/* auralith_version (include/auralith/version.h): the public name of the library's
 * version, compiled into libauralith and libauralith-client alike. */
#include "auralith/version.h"

const char *auralith_version(void) { return AURALITH_VERSION_STRING; }

int auralith_version_number(void) { return AURALITH_VERSION_NUMBER; }
