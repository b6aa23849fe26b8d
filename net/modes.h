/*
 * modes.h: the entry points of echover's modes, one per subcommand of the
 * binary. Each takes argv starting at the mode's name, owns all the state it
 * creates, and returns the process exit code:
 *   0 success, 1 a failure the mode reports, 2 a usage error (client modes
 *   add 3 unreachable, 4 denied, 5 server key changed, 6 not found).
 */
#ifndef ECHOVER_MODES_H
#define ECHOVER_MODES_H

int nt_version_main(int argc, char **argv);
int nt_selftest_main(int argc, char **argv);
int nt_demo_main(int argc, char **argv);
int nt_server_main(int argc, char **argv);
/* The client subcommands (register, send, recv, group, ...): argv[0] names one. */
int nt_client_mode_main(int argc, char **argv);
/* The interactive chat (`echover client`). */
int nt_chat_main(int argc, char **argv);

#endif
