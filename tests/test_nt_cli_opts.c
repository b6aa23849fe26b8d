/*
 * test_nt_cli_opts.c: the client modes' options (net/cli_opts.h): the
 * table-driven parser, which options each mode takes (a foreign one is a
 * usage error, a mode's help lists only its own), defaults and their
 * checks, --id, and secrets read from a descriptor or the environment
 * (never argv).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_opts.h"
#include "t.h"

static char last_err[256];

static int parse_as(nt_cli_opts *o, unsigned mode, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	last_err[0] = 0;
	return nt_cli_opts_parse(o, mode, argc, argv, last_err, sizeof last_err);
}

/* As every mode would: the table's mode checks are tested below. */
static int parse(nt_cli_opts *o, char **argv)
{
	return parse_as(o, NT_MODE_ALL, argv);
}

TEST(parses_options_and_positionals)
{
	nt_cli_opts o;
	char *argv[] = { "send", "--user", "alice", "team", "--json", "--timeout", "7", "hello world",
			 "--server", "10.0.0.1:9000", NULL };
	CHECK(parse(&o, argv) == 0);
	CHECK(!strcmp(o.user, "alice") && o.json && o.timeout_s == 7 && !o.cheap_kdf);
	CHECK(o.n_pos == 2 && !strcmp(o.pos[0], "team") && !strcmp(o.pos[1], "hello world"));
	CHECK(o.passphrase_fd == -1 && o.password_fd == -1);
	char err[256];
	o.db = "/nonexistent/x.db";
	CHECK(nt_cli_opts_finish(&o, err, sizeof err) == 0);
	CHECK(!strcmp(o.host, "10.0.0.1") && o.port == 9000 && !strcmp(o.db_path, "/nonexistent/x.db"));
	/* "--" ends the options: a text may start with a dash. */
	char *argv2[] = { "send", "team", "--", "--not-an-option", NULL };
	CHECK(parse(&o, argv2) == 0 && o.n_pos == 2 && !strcmp(o.pos[1], "--not-an-option"));
}

TEST(refuses_bad_options)
{
	nt_cli_opts o;
	char *unknown[] = { "recv", "--bogus", NULL };
	char *missing[] = { "recv", "--user", NULL };
	char *range[] = { "recv", "--wait", "-1", NULL };
	char *nan[] = { "recv", "--timeout", "10s", NULL };
	char *many[] = { "send", "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL };
	CHECK(parse(&o, unknown) == 2);
	CHECK(parse(&o, missing) == 2);
	CHECK(parse(&o, range) == 2);
	CHECK(parse(&o, nan) == 2);
	CHECK(parse(&o, many) == 2);
}

TEST(finish_checks_values_and_fills_defaults)
{
	nt_cli_opts o;
	char err[256];
	char *none[] = { "recv", NULL };
	unsetenv("ECHOVER_USER");
	CHECK(parse(&o, none) == 0);
	CHECK(nt_cli_opts_finish(&o, err, sizeof err) == 2 && strstr(err, "ECHOVER_USER"));
	setenv("ECHOVER_USER", "Bad Name", 1);
	CHECK(parse(&o, none) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 2);
	char home[] = "/tmp/echover-opts-XXXXXX";
	if (!CHECK(mkdtemp(home) != NULL))
		return;
	char sub[300];
	snprintf(sub, sizeof sub, "%s/h", home);
	setenv("ECHOVER_USER", "carol", 1);
	setenv("ECHOVER_HOME", sub, 1);
	CHECK(parse(&o, none) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 0);
	char want[400];
	snprintf(want, sizeof want, "%s/carol.db", sub);
	CHECK(!strcmp(o.db_path, want) && !strcmp(o.host, "127.0.0.1") && o.port == 7443);
	CHECK(access(sub, R_OK | W_OK | X_OK) == 0);
	rmdir(sub);
	rmdir(home);
	unsetenv("ECHOVER_HOME");
	char *badserver[] = { "recv", "--server", "localhost", NULL };
	char *badport[] = { "recv", "--server", "h:70000", NULL };
	char *badpin[] = { "recv", "--server-pin", "SHA256:nope", NULL };
	CHECK(parse(&o, badserver) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 2);
	CHECK(parse(&o, badport) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 2);
	CHECK(parse(&o, badpin) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 2);
	unsetenv("ECHOVER_USER");
}

TEST(secrets_from_descriptor_or_environment)
{
	char out[64], err[128];
	int p[2];
	if (!CHECK(pipe(p) == 0))
		return;
	CHECK(write(p[1], "s3cret phrase\nrest", 18) == 18);
	close(p[1]);
	CHECK(nt_read_secret("passphrase", p[0], "ECHOVER_TEST_SECRET", out, sizeof out, err, sizeof err) == 0);
	CHECK(!strcmp(out, "s3cret phrase"));
	close(p[0]);
	if (!CHECK(pipe(p) == 0))
		return;
	close(p[1]);
	CHECK(nt_read_secret("passphrase", p[0], "ECHOVER_TEST_SECRET", out, sizeof out, err, sizeof err) == -1);
	close(p[0]);
	setenv("ECHOVER_TEST_SECRET", "from env", 1);
	CHECK(nt_read_secret("passphrase", -1, "ECHOVER_TEST_SECRET", out, sizeof out, err, sizeof err) == 0);
	CHECK(!strcmp(out, "from env"));
	char tiny[4];
	CHECK(nt_read_secret("passphrase", -1, "ECHOVER_TEST_SECRET", tiny, sizeof tiny, err, sizeof err) == -1);
	unsetenv("ECHOVER_TEST_SECRET");
}

/* The options only some modes take, and which. */
static const struct {
	const char *name;
	unsigned modes;
} own_options[] = {
	{ "--invite", NT_MODE_REGISTER },
	{ "--cheap-kdf", NT_MODE_REGISTER },
	{ "--id", NT_MODE_SEND | NT_MODE_DM },
	{ "--wait", NT_MODE_RECV },
	{ "--limit", NT_MODE_HISTORY },
	{ "--verified", NT_MODE_TRUST },
	{ "--json", NT_MODE_ONE_SHOT },
	{ "--update-after", NT_MODE_SEND | NT_MODE_DM | NT_MODE_RECV | NT_MODE_GROUP | NT_MODE_CHAT },
};
#define N_OWN (sizeof own_options / sizeof own_options[0])

static bool help_has(const char *help, const char *opt)
{
	/* "  --id HEX32 ...": the name followed by a space, so --id is not --idle. */
	char needle[40];
	snprintf(needle, sizeof needle, "  %s ", opt);
	return strstr(help, needle) != NULL;
}

TEST(each_mode_lists_only_its_own_options)
{
	for (unsigned mode = 1; mode <= NT_MODE_CHAT; mode <<= 1) {
		char *help = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&help, &len);
		if (!CHECK(f != NULL))
			return;
		nt_cli_opts_help(f, mode);
		fclose(f);
		CHECK(help_has(help, "--server") && help_has(help, "--user") && help_has(help, "--passphrase-fd"));
		for (size_t i = 0; i < N_OWN; i++) {
			bool want = (own_options[i].modes & mode) != 0;
			if (!CHECK(help_has(help, own_options[i].name) == want))
				fprintf(stderr, "  mode bit %#x: %s %s\n", mode, own_options[i].name,
					want ? "missing" : "listed but not taken");
		}
		free(help);
	}
}

TEST(a_foreign_option_is_a_usage_error)
{
	nt_cli_opts o;
	for (unsigned mode = 1; mode <= NT_MODE_CHAT; mode <<= 1)
		for (size_t i = 0; i < N_OWN; i++) {
			const char *name = own_options[i].name;
			bool flag = !strcmp(name, "--cheap-kdf") || !strcmp(name, "--verified") || !strcmp(name, "--json");
			char *argv[] = { "mode", (char *)name, flag ? NULL : "1", NULL };
			int rc = parse_as(&o, mode, argv);
			if (own_options[i].modes & mode) {
				CHECK(rc == 0);
			} else {
				CHECK(rc == 2 && strstr(last_err, name) && strstr(last_err, "is not an option of"));
			}
		}
	char *send_invite[] = { "send", "team", "hi", "--invite", "CODE", NULL };
	CHECK(parse_as(&o, NT_MODE_SEND, send_invite) == 2 && strstr(last_err, "`echover send`"));
	char *chat_json[] = { "client", "--json", NULL };
	CHECK(parse_as(&o, NT_MODE_CHAT, chat_json) == 2 && strstr(last_err, "`echover client`"));
	char *group_wait[] = { "group", "list", "--wait", "3", NULL };
	CHECK(parse_as(&o, NT_MODE_GROUP, group_wait) == 2 && strstr(last_err, "--wait"));
	/* Common options stay common. */
	char *who[] = { "who", "--server", "127.0.0.1:1", "--timeout", "3", "--db", "x", NULL };
	CHECK(parse_as(&o, NT_MODE_WHO, who) == 0 && o.timeout_s == 3);
}

TEST(message_id_is_32_hex_digits)
{
	nt_cli_opts o;
	char err[256];
	char *good[] = { "send", "--user", "alice", "--db", "x.db", "--id", "00112233445566778899AaBbCcDdEeFf", NULL };
	CHECK(parse_as(&o, NT_MODE_SEND, good) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 0);
	static const uint8_t want[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	CHECK(o.have_id && memcmp(o.id, want, sizeof want) == 0);
	char *none[] = { "send", "--user", "alice", "--db", "x.db", NULL };
	CHECK(parse_as(&o, NT_MODE_SEND, none) == 0 && nt_cli_opts_finish(&o, err, sizeof err) == 0 && !o.have_id);
	static const char *const bad[] = { "0011", "00112233445566778899aabbccddeeff00", "00112233445566778899aabbccddeefg",
					   "", "00112233445566778899aabbccddeef" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = { "send", "--user", "alice", "--db", "x.db", "--id", (char *)bad[i], NULL };
		CHECK(parse_as(&o, NT_MODE_SEND, argv) == 0);
		CHECK(nt_cli_opts_finish(&o, err, sizeof err) == 2 && strstr(err, "--id") && !o.have_id);
	}
}

static const t_case cases[] = {
	T(parses_options_and_positionals), T(refuses_bad_options), T(finish_checks_values_and_fills_defaults),
	T(secrets_from_descriptor_or_environment), T(each_mode_lists_only_its_own_options),
	T(a_foreign_option_is_a_usage_error), T(message_id_is_32_hex_digits), { 0 },
};

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
