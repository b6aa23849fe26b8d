/*
 * mode_demo.c: `echover demo`, a guided tour on loopback.
 *
 * It grows with the project: today it shows the layers that exist (the
 * built-in known-answer tests); the server and clients join it as they land.
 */
#include <stdio.h>

#include "cli_util.h"
#include "modes.h"
#include "selftest.h"

int nt_demo_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		printf("usage: echover demo\n\nRuns a server and clients on loopback with temporary state and\n"
		       "narrates what each sees. Leaves nothing behind.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "echover demo: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	printf("== echover demo ==\n\n1. The primitives this binary is built on, checked against known answers:\n");
	if (cr_selftest(stdout) != CR_OK) {
		fprintf(stderr, "echover demo: a self-test failed; stopping\n");
		return 1;
	}
	printf("\nAll checks passed.\n");
	return 0;
}
