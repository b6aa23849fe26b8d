/*
 * cli_util.h: the small pieces every mode's argument parsing shares.
 */
#ifndef ECHOVER_CLI_UTIL_H
#define ECHOVER_CLI_UTIL_H

#include <stdbool.h>

/* True when argv[1..] asks for help (--help or -h anywhere). */
bool nt_wants_help(int argc, char **argv);

#endif
