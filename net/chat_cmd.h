/*
 * chat_cmd.h: what a line typed into the interactive chat asks for, sans
 * I/O. A line that starts with '/' is a command with its arguments; any
 * other non-empty line is text for the current group. The table of commands
 * also gives /help its text, so the help and the parser never disagree.
 *
 * Arguments are split on spaces; the last argument of /msg and /dm is the
 * rest of the line (the message text, spaces and all). Group and user names
 * are checked only for being present: the client engine checks their form.
 */
#ifndef ECHOVER_NT_CHAT_CMD_H
#define ECHOVER_NT_CHAT_CMD_H

#include <stdio.h>

typedef enum nt_chat_op {
	NT_CHAT_NOTHING = 0, /* an empty line */
	NT_CHAT_TEXT,        /* text for the current group: a[0] */
	NT_CHAT_HELP,
	NT_CHAT_CREATE,      /* a[0] group */
	NT_CHAT_JOIN,        /* a[0] group */
	NT_CHAT_LEAVE,       /* a[0] group */
	NT_CHAT_ADD,         /* a[0] group, a[1] user */
	NT_CHAT_REMOVE,      /* a[0] group, a[1] user */
	NT_CHAT_ROLE,        /* a[0] group, a[1] user, a[2] role (admin, member) */
	NT_CHAT_MSG,         /* a[0] group, a[1] text */
	NT_CHAT_SWITCH,      /* a[0] group */
	NT_CHAT_DM,          /* a[0] user, a[1] text */
	NT_CHAT_SEND_FILE,   /* a[0] group, a[1] path */
	NT_CHAT_GET_FILE,    /* a[0] ref, a[1] output path or NULL */
	NT_CHAT_WHO,
	NT_CHAT_GROUPS,
	NT_CHAT_MEMBERS,     /* a[0] group or NULL (the current one) */
	NT_CHAT_FINGERPRINT, /* a[0] user */
	NT_CHAT_TRUST,       /* a[0] user, a[1] "verified" or NULL */
	NT_CHAT_HISTORY,     /* a[0] group or NULL (the current one) */
	NT_CHAT_QUIT,
	NT_CHAT_BAD,         /* unknown command or wrong arguments: err says which */
} nt_chat_op;

#define NT_CHAT_ARGS_MAX 3

typedef struct nt_chat_cmd {
	nt_chat_op op;
	const char *a[NT_CHAT_ARGS_MAX]; /* point into the parsed line (NULL when absent) */
	const char *err;                 /* NT_CHAT_BAD: a static text for people */
} nt_chat_cmd;

/* Parses line in place (it writes NULs between arguments); cmd's pointers
 * point into it. */
void nt_chat_parse(char *line, nt_chat_cmd *cmd);
/* Writes the /help text, one command a line. */
void nt_chat_help(FILE *f);

#endif
