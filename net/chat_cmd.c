#include "chat_cmd.h"

#include <stdbool.h>
#include <string.h>

/* min..max arguments; `rest`: the last argument takes the rest of the line. */
typedef struct cmd_spec {
	const char *name;
	nt_chat_op op;
	unsigned min, max;
	bool rest;
	const char *usage;
	const char *help;
} cmd_spec;

static const cmd_spec specs[] = {
	{ "help", NT_CHAT_HELP, 0, 0, false, "/help", "this list" },
	{ "create", NT_CHAT_CREATE, 1, 1, false, "/create GROUP", "create a group (you are its owner)" },
	{ "join", NT_CHAT_JOIN, 1, 1, false, "/join GROUP", "ask to join; an online admin lets you in" },
	{ "leave", NT_CHAT_LEAVE, 1, 1, false, "/leave GROUP", "leave; another member commits it" },
	{ "add", NT_CHAT_ADD, 2, 2, false, "/add GROUP USER", "add a user (admins)" },
	{ "remove", NT_CHAT_REMOVE, 2, 2, false, "/remove GROUP USER", "remove a user (admins)" },
	{ "role", NT_CHAT_ROLE, 3, 3, false, "/role GROUP USER ROLE", "make USER admin or member (the owner)" },
	{ "msg", NT_CHAT_MSG, 2, 2, true, "/msg GROUP TEXT", "write to a group (it becomes the current one)" },
	{ "switch", NT_CHAT_SWITCH, 1, 1, false, "/switch GROUP", "plain lines go to GROUP from now on" },
	{ "dm", NT_CHAT_DM, 2, 2, true, "/dm USER TEXT", "a direct message (USER may be offline)" },
	{ "send-file", NT_CHAT_SEND_FILE, 2, 2, true, "/send-file GROUP PATH", "encrypt and send a file" },
	{ "get-file", NT_CHAT_GET_FILE, 1, 2, false, "/get-file REF [OUT]", "fetch and decrypt a file announced in a group" },
	{ "who", NT_CHAT_WHO, 0, 0, false, "/who", "who of your contacts is online" },
	{ "groups", NT_CHAT_GROUPS, 0, 0, false, "/groups", "your groups, roles and epochs" },
	{ "members", NT_CHAT_MEMBERS, 0, 1, false, "/members [GROUP]", "a group's members" },
	{ "fingerprint", NT_CHAT_FINGERPRINT, 1, 1, false, "/fingerprint USER", "the safety number to compare with USER" },
	{ "trust", NT_CHAT_TRUST, 1, 2, false, "/trust USER [verified]", "accept USER's new key, or mark it verified" },
	{ "history", NT_CHAT_HISTORY, 0, 1, false, "/history [GROUP]", "the last messages of a group" },
	{ "quit", NT_CHAT_QUIT, 0, 0, false, "/quit", "leave the chat (also ctrl-C, ctrl-D)" },
};

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Cuts the next space-delimited word off *p; NULL when none is left. */
static char *next_word(char **p)
{
	char *s = skip_spaces(*p);
	if (!*s)
		return NULL;
	char *e = s;
	while (*e && *e != ' ')
		e++;
	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

void nt_chat_parse(char *line, nt_chat_cmd *cmd)
{
	memset(cmd, 0, sizeof *cmd);
	trim_end(line);
	char *p = skip_spaces(line);
	if (!*p) {
		cmd->op = NT_CHAT_NOTHING;
		return;
	}
	if (*p != '/') {
		cmd->op = NT_CHAT_TEXT;
		cmd->a[0] = p;
		return;
	}
	p++;
	char *name = next_word(&p);
	const cmd_spec *s = NULL;
	for (size_t i = 0; name && i < sizeof specs / sizeof specs[0]; i++)
		if (!strcmp(specs[i].name, name))
			s = &specs[i];
	if (!s) {
		cmd->op = NT_CHAT_BAD;
		cmd->err = "unknown command (/help lists them)";
		return;
	}
	unsigned n = 0;
	while (n < s->max) {
		char *w;
		if (s->rest && n + 1 == s->max) {
			w = skip_spaces(p);
			if (!*w)
				break;
			p = w + strlen(w);
		} else if (!(w = next_word(&p))) {
			break;
		}
		cmd->a[n++] = w;
	}
	if (n < s->min || *skip_spaces(p)) {
		cmd->op = NT_CHAT_BAD;
		cmd->err = s->usage;
		memset(cmd->a, 0, sizeof cmd->a);
		return;
	}
	cmd->op = s->op;
}

void nt_chat_help(FILE *f)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		fprintf(f, "  %-24s %s\n", specs[i].usage, specs[i].help);
	fprintf(f, "  %-24s %s\n", "TEXT", "a line without '/' goes to the current group");
}
