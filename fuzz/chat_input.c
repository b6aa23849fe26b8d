/*
 * fuzz: net/chat_line.c nt_chat_line_feed / nt_chat_line_render / nt_chat_sanitize and net/chat_cmd.c nt_chat_parse: terminal keys and what peers send
 *
 * The input is fed key by key to the line editor; every completed line is
 * parsed as a command. Invariants: the line never exceeds its limit and
 * stays NUL-terminated; a render never overflows and starts with the erase
 * sequence; a sanitized text holds no control byte and no UTF-8 C1 control;
 * a parsed command's arguments lie inside the parsed line.
 */
#include <stdlib.h>
#include <string.h>

#include "chat_cmd.h"
#include "chat_line.h"

static void check_sanitized(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x20 || b == 0x7f)
			abort();
		if (b == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f)
			abort();
	}
}

static void check_cmd(const char *line, size_t cap, const nt_chat_cmd *c)
{
	for (int i = 0; i < NT_CHAT_ARGS_MAX; i++)
		if (c->a[i] && (c->a[i] < line || c->a[i] >= line + cap))
			abort();
	if (c->op == NT_CHAT_BAD && !c->err)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static nt_chat_line l; /* large: off the stack; reset below for each input */
	nt_chat_line_init(&l);
	char out[NT_CHAT_LINE_MAX + 64];
	char line[NT_CHAT_LINE_MAX + 1];
	for (size_t i = 0; i < size; i++) {
		nt_chat_key k = nt_chat_line_feed(&l, data[i]);
		if (l.len > NT_CHAT_LINE_MAX || l.buf[l.len] != '\0')
			abort();
		size_t n = nt_chat_line_render(&l, "[g] ", (unsigned)(data[i] % 100), out, sizeof out);
		if (n >= sizeof out || out[n] != '\0' || memcmp(out, NT_CHAT_ERASE, strlen(NT_CHAT_ERASE)) != 0)
			abort();
		if (k == NT_KEY_ENTER) {
			nt_chat_line_take(&l, line, sizeof line);
			nt_chat_cmd c;
			nt_chat_parse(line, &c);
			check_cmd(line, sizeof line, &c);
		}
	}
	/* The whole input as a peer's message. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	size_t n = nt_chat_sanitize(data, size, false, s, size + 1);
	if (n > size || s[n] != '\0')
		abort();
	check_sanitized(s, n);
	free(s);
	/* And as one typed line. */
	size_t k = size < NT_CHAT_LINE_MAX ? size : NT_CHAT_LINE_MAX;
	memcpy(line, data, k);
	line[k] = '\0';
	nt_chat_cmd c;
	nt_chat_parse(line, &c);
	check_cmd(line, sizeof line, &c);
	return 0;
}
