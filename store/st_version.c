#include "st_version.h"

#include <sqlite3.h>

const char *st_sqlite_version(void) { return sqlite3_libversion(); }
