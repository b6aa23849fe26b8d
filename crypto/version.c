#include "version.h"

#include <sodium.h>

#include "buildinfo.h" /* written by build.sh */

#ifndef ECHOVER_VERSION
#define ECHOVER_VERSION "dev"
#endif
#ifndef ECHOVER_BEARSSL_VERSION
#define ECHOVER_BEARSSL_VERSION "unknown"
#endif
#ifndef ECHOVER_BUILD_FLAGS
#define ECHOVER_BUILD_FLAGS "unknown"
#endif

const char *cr_echover_version(void) { return ECHOVER_VERSION; }
/* BearSSL has no run-time version call; build.sh records the package's. */
const char *cr_bearssl_version(void) { return ECHOVER_BEARSSL_VERSION; }
const char *cr_sodium_version(void) { return sodium_version_string(); }
const char *cr_build_flags(void) { return ECHOVER_BUILD_FLAGS; }
