/*
 * e2e_util.c: the real server as a child process (e2e_util.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_util.h"
#include "loopback.h"
#include "t.h"

const char *e2e_bin(void)
{
	const char *b = getenv("ECHOVER_BIN");
	return b && *b ? b : "./echover";
}

int64_t e2e_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pid_t e2e_spawn(server *s, char *const argv[], int out_fd)
{
	char log[300];
	snprintf(log, sizeof log, "%s/log", s->dir);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int l = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (l >= 0) {
			dup2(l, 2);
			dup2(out_fd >= 0 ? out_fd : l, 1);
		}
		execv(e2e_bin(), argv);
		_exit(127);
	}
	return pid;
}

bool server_start(server *s)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (!s->port || attempt > 0)
			s->port = nt_loopback_free_port();
		char listen[32];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", s->port);
		char *argv[8 + E2E_OPTIONS_MAX + 1] = { "echover", "server", "--listen", listen, "--db", s->db,
							"--policy", s->invite ? "invite" : "open" };
		size_t n = 8;
		for (size_t i = 0; s->options && s->options[i]; i++) {
			if (i == E2E_OPTIONS_MAX)
				return false;
			argv[n++] = s->options[i];
		}
		argv[n] = NULL;
		s->pid = e2e_spawn(s, argv, -1);
		if (s->pid < 0)
			return false;
		int64_t end = e2e_now_ms() + 10000;
		while (e2e_now_ms() < end) {
			int st;
			if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
				s->pid = 0;
				break; /* exited: port taken? try another */
			}
			if (nt_loopback_listening(s->port))
				return true;
			usleep(20000);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
	}
	return false;
}

void server_stop(server *s, int sig)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	int64_t end = e2e_now_ms() + 10000;
	while (e2e_now_ms() < end && waitpid(s->pid, NULL, WNOHANG) != s->pid)
		usleep(10000);
	if (e2e_now_ms() >= end) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

bool fixture(server *s, bool invite)
{
	memset(s, 0, sizeof *s);
	uint8_t seed[32] = { 0xe2 };
	cr_rng_det_init(&s->det, &s->rng, seed);
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 180)
		tmp = "/tmp";
	snprintf(s->dir, sizeof s->dir, "%s/echover-e2e-XXXXXX", tmp);
	if (!CHECK(mkdtemp(s->dir) != NULL))
		return false;
	snprintf(s->db, sizeof s->db, "%s/s.db", s->dir);
	s->invite = invite;
	return true;
}

bool fixture_up(server *s, bool invite)
{
	if (!fixture(s, invite))
		return false;
	if (CHECK(server_start(s)))
		return true;
	teardown(s);
	return false;
}

void teardown(server *s)
{
	server_stop(s, SIGKILL);
	DIR *d = opendir(s->dir);
	if (d) {
		struct dirent *e;
		char p[600];
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(s->dir);
}

bool make_invite(server *s, char code[80])
{
	int pfd[2];
	if (!CHECK(pipe(pfd) == 0))
		return false;
	char *argv[] = { "echover", "server", "--db", s->db, "invite", NULL };
	pid_t pid = e2e_spawn(s, argv, pfd[1]);
	close(pfd[1]);
	size_t n = 0;
	int64_t end = e2e_now_ms() + 10000;
	while (n < 79 && e2e_now_ms() < end) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		ssize_t r = read(pfd[0], code + n, 79 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	code[n] = 0;
	char *nl = strchr(code, '\n');
	if (nl)
		*nl = 0;
	int st = -1;
	if (pid > 0)
		waitpid(pid, &st, 0);
	return CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && strlen(code) > 0);
}

