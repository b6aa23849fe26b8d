/*
 * version.h: what this build of echover is made of (set by build.sh).
 */
#ifndef ECHOVER_VERSION_H
#define ECHOVER_VERSION_H

const char *cr_echover_version(void);
const char *cr_bearssl_version(void);
const char *cr_sodium_version(void);
const char *cr_build_flags(void);

#endif
