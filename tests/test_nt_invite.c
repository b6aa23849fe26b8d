/*
 * test_nt_invite.c: invite codes (net/invite.h) and the `server invite` /
 * `server users` operator commands run against a temporary database.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invite.h"
#include "modes.h"
#include "st_server.h"
#include "t.h"

TEST(code_format_and_hash)
{
	cr_rng_det det;
	cr_rng rng;
	uint8_t seed[32] = { 5 };
	cr_rng_det_init(&det, &rng, seed);
	char a[NT_INVITE_CODE_LEN + 1], b[NT_INVITE_CODE_LEN + 1];
	uint8_t ha[32], hb[32], h[32];
	CHECK_OK(nt_invite_new(&rng, a, ha));
	CHECK_OK(nt_invite_new(&rng, b, hb));
	CHECK(strlen(a) == NT_INVITE_CODE_LEN);
	CHECK(strcmp(a, b) != 0);
	for (size_t i = 0; i < NT_INVITE_CODE_LEN; i++) {
		if (i % 6 == 5)
			CHECK(a[i] == '-');
		else
			CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	}
	nt_invite_hash((const uint8_t *)a, strlen(a), h);
	CHECK_MEM(h, ha, 32);
	a[0] ^= 1;
	nt_invite_hash((const uint8_t *)a, strlen(a), h);
	CHECK(memcmp(h, ha, 32) != 0);
}

static cr_err fixed_fill(void *ctx, uint8_t *out, size_t n)
{
	memcpy(out, ctx, n);
	return CR_OK;
}

TEST(hex_digits_cover_all_nibbles)
{
	/* A source whose bytes are 0x01, 0x23, ... shows every nibble's digit. */
	static const uint8_t raw[NT_INVITE_RAW_LEN] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x0f, 0xf0 };
	cr_rng rng = { fixed_fill, (void *)raw };
	char code[NT_INVITE_CODE_LEN + 1];
	uint8_t h[32];
	CHECK_OK(nt_invite_new(&rng, code, h));
	CHECK(strcmp(code, "01234-56789-abcde-f0ff0") == 0);
}

/* Runs a mode with stdout captured into buf. */
static int run_captured(char **argv, int argc, char *buf, size_t cap)
{
	char path[] = "/tmp/echover-out-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	int saved = dup(1), saved_err = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(fd, 1);
	dup2(null, 2); /* usage text of the negative cases */
	int rc = nt_server_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved_err, 2);
	close(saved);
	close(saved_err);
	close(null);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, buf, cap - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return rc;
}

TEST(server_invite_and_users_commands)
{
	char db[] = "/tmp/echover-db-XXXXXX";
	int fd = mkstemp(db);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	char out[4096];
	char *inv[] = { "server", "--db", db, "invite", "--count", "3", NULL };
	CHECK(run_captured(inv, 6, out, sizeof out) == 0);
	CHECK(strlen(out) == 3 * (NT_INVITE_CODE_LEN + 1));
	st_server *s = NULL;
	CHECK_OK(st_server_open(&s, db));
	if (!s)
		return;
	/* Each printed code is usable exactly once; a tampered one is not. */
	st_user u;
	memset(&u, 0, sizeof u);
	strcpy(u.name, "zed");
	u.created = 86400;
	int64_t uid;
	CHECK_OK(st_user_add(s, &u, &uid));
	char *line = out;
	for (int i = 0; i < 3; i++) {
		uint8_t h[32];
		nt_invite_hash((const uint8_t *)line, NT_INVITE_CODE_LEN, h);
		CHECK_OK(st_invite_use(s, h, uid, 1));
		CHECK_ERR(st_invite_use(s, h, uid, 1), ST_ERR_NOT_FOUND);
		line += NT_INVITE_CODE_LEN + 1;
	}
	out[0] ^= 1;
	uint8_t h[32];
	nt_invite_hash((const uint8_t *)out, NT_INVITE_CODE_LEN, h);
	CHECK_ERR(st_invite_use(s, h, uid, 1), ST_ERR_NOT_FOUND);
	st_server_close(s);
	char *users[] = { "server", "users", "--db", db, NULL };
	CHECK(run_captured(users, 4, out, sizeof out) == 0);
	CHECK(strncmp(out, "zed ", 4) == 0);
	CHECK(strstr(out, "1970-01-02T00:00:00Z") != NULL);
	/* Usage errors. */
	char *bad[] = { "server", "--db", db, "invite", "--count", "0", NULL };
	CHECK(run_captured(bad, 6, out, sizeof out) == 2);
	char *policy[] = { "server", "--db", db, "--policy", "closed", NULL };
	CHECK(run_captured(policy, 5, out, sizeof out) == 2);
	char *timeout[] = { "server", "--db", db, "--idle-timeout", "0", NULL };
	CHECK(run_captured(timeout, 5, out, sizeof out) == 2);
	char *extra[] = { "server", "--db", db, "users", "invite", NULL };
	CHECK(run_captured(extra, 5, out, sizeof out) == 2);
	char wal[64], shm[64];
	snprintf(wal, sizeof wal, "%s-wal", db);
	snprintf(shm, sizeof shm, "%s-shm", db);
	unlink(wal);
	unlink(shm);
	unlink(db);
}

static const t_case cases[] = {
	T(code_format_and_hash), T(hex_digits_cover_all_nibbles), T(server_invite_and_users_commands), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
