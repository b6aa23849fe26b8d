/*
 * echover.c: main() of the one echover binary. It parses the mode from argv
 * and dispatches; every mode lives in its module and owns its own state.
 */
#include <stdio.h>
#include <string.h>

#include "modes.h"

typedef struct mode {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} mode;

static int help_main(int argc, char **argv);

static const mode modes[] = {
	{ "demo", nt_demo_main, "a guided tour on loopback: a real server, four clients, who can read what, what the server stores" },
	{ "client", nt_chat_main, "the interactive chat: groups, direct messages, files, safety numbers" },
	{ "server", nt_server_main, "run the server (TLS, SQLite), or print invite codes and users" },
	{ "register", nt_client_mode_main, "client: create an identity and register on a server" },
	{ "send", nt_client_mode_main, "client: send a message to a group" },
	{ "dm", nt_client_mode_main, "client: send a direct message" },
	{ "recv", nt_client_mode_main, "client: process and print what arrived (--wait S to keep waiting)" },
	{ "group", nt_client_mode_main, "client: create, join, leave, add, remove, list, members" },
	{ "send-file", nt_client_mode_main, "client: send a file to a group" },
	{ "get-file", nt_client_mode_main, "client: fetch a file announced in a group" },
	{ "who", nt_client_mode_main, "client: who is online" },
	{ "fingerprint", nt_client_mode_main, "client: the safety number with a user" },
	{ "trust", nt_client_mode_main, "client: accept a user's changed key, or mark it verified" },
	{ "history", nt_client_mode_main, "client: the stored messages of a group" },
	{ "selftest", nt_selftest_main, "run the built-in known-answer tests of every primitive" },
	{ "version", nt_version_main, "print versions of echover and its libraries, and build flags" },
	{ "help", help_main, "show this help" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: echover MODE [OPTIONS]\n\n"
		   "echover is an end-to-end encrypted group chat (MLS, RFC 9420): one binary\n"
		   "that is both the server and the client.\n\nmodes:\n");
	for (const mode *m = modes; m->name; m++)
		fprintf(f, "  %-12s %s\n", m->name, m->help);
	fprintf(f, "\n`echover MODE --help` describes a mode's options.\n");
}

static int help_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return nt_version_main(argc - 1, argv + 1);
	for (const mode *m = modes; m->name; m++)
		if (!strcmp(argv[1], m->name))
			return m->main(argc - 1, argv + 1);
	fprintf(stderr, "echover: unknown mode '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
