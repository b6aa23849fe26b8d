/*
 * st_version.h: the SQLite library version linked into echover.
 */
#ifndef ECHOVER_ST_VERSION_H
#define ECHOVER_ST_VERSION_H

const char *st_sqlite_version(void);

#endif
