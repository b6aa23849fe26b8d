/*
 * test_nt_cli_opts.c: the client modes' shared options (net/cli_opts.h):
 * the table-driven parser, defaults and their checks, and secrets read
 * from a descriptor or the environment (never argv).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_opts.h"
#include "t.h"

static int parse(nt_cli_opts *o, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	char err[256];
	return nt_cli_opts_parse(o, argc, argv, err, sizeof err);
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

static const t_case cases[] = {
	T(parses_options_and_positionals), T(refuses_bad_options), T(finish_checks_values_and_fills_defaults),
	T(secrets_from_descriptor_or_environment), { 0 },
};

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
