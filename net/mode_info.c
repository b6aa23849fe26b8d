/*
 * mode_info.c: the `version` and `selftest` modes.
 */
#include <stdio.h>

#include "aes_gcm.h"
#include "cli_util.h"
#include "modes.h"
#include "selftest.h"
#include "st_version.h"
#include "version.h"

int nt_version_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		printf("usage: echover version\n\nPrints the versions of echover and of the libraries built into it,\n"
		       "the AES-GCM code in use on this CPU, and the build's hardening flags.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "echover version: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	printf("echover %s\n", cr_echover_version());
	printf("  BearSSL   %s\n", cr_bearssl_version());
	printf("  libsodium %s\n", cr_sodium_version());
	printf("  SQLite    %s\n", st_sqlite_version());
	printf("  AES-GCM   %s\n", cr_aes_gcm_impl());
	printf("  MLS suite 0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519\n");
	printf("  build     %s\n", cr_build_flags());
	return 0;
}

int nt_selftest_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		printf("usage: echover selftest\n\nRuns the known-answer tests built into this binary, one line per\n"
		       "primitive; exits 1 if any fails.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "echover selftest: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cr_selftest(stdout) == CR_OK ? 0 : 1;
}
