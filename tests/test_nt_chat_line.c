/*
 * test_nt_chat_line.c: the interactive chat's line editor (net/chat_line.h):
 * keys, escape sequences, limits, the redraw bytes; and the parser of typed
 * lines (net/chat_cmd.h), with its refusals.
 */
#include <stdio.h>
#include <string.h>

#include "chat_cmd.h"
#include "chat_line.h"
#include "t.h"

static nt_chat_key feed_str(nt_chat_line *l, const char *s)
{
	nt_chat_key last = NT_KEY_NONE;
	for (; *s; s++)
		last = nt_chat_line_feed(l, (uint8_t)*s);
	return last;
}

TEST(types_and_enters)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	CHECK(nt_chat_line_feed(&l, 'h') == NT_KEY_CHANGED);
	CHECK(feed_str(&l, "ello") == NT_KEY_CHANGED);
	CHECK(l.len == 5 && !strcmp(l.buf, "hello"));
	CHECK(nt_chat_line_feed(&l, '\r') == NT_KEY_ENTER);
	char out[32];
	CHECK(nt_chat_line_take(&l, out, sizeof out) == 5);
	CHECK(!strcmp(out, "hello"));
	CHECK(l.len == 0 && l.buf[0] == '\0');
	/* The LF of CR LF does not complete a second, empty line; a lone LF does. */
	CHECK(nt_chat_line_feed(&l, '\n') == NT_KEY_NONE);
	CHECK(nt_chat_line_feed(&l, '\n') == NT_KEY_ENTER);
}

TEST(backspace_removes_whole_utf8_chars)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "a\xc3\xa9\xe2\x82\xac"); /* a, e-acute, euro sign */
	CHECK(l.len == 6);
	CHECK(nt_chat_width(l.buf, l.len) == 3);
	CHECK(nt_chat_line_feed(&l, 0x7f) == NT_KEY_CHANGED);
	CHECK(l.len == 3 && !strcmp(l.buf, "a\xc3\xa9"));
	CHECK(nt_chat_line_feed(&l, 0x08) == NT_KEY_CHANGED);
	CHECK(!strcmp(l.buf, "a"));
	CHECK(nt_chat_line_feed(&l, 0x7f) == NT_KEY_CHANGED);
	CHECK(l.len == 0);
	/* Backspace on an empty line changes nothing. */
	CHECK(nt_chat_line_feed(&l, 0x7f) == NT_KEY_NONE);
	CHECK(l.len == 0);
}

TEST(ctrl_u_and_ctrl_w)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "/msg room hello  ");
	CHECK(nt_chat_line_feed(&l, 0x17) == NT_KEY_CHANGED);
	CHECK(!strcmp(l.buf, "/msg room "));
	CHECK(nt_chat_line_feed(&l, 0x15) == NT_KEY_CHANGED);
	CHECK(l.len == 0 && l.buf[0] == '\0');
	CHECK(nt_chat_line_feed(&l, 0x15) == NT_KEY_NONE);
	CHECK(nt_chat_line_feed(&l, 0x17) == NT_KEY_NONE);
}

TEST(quit_keys)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	CHECK(nt_chat_line_feed(&l, 0x04) == NT_KEY_QUIT); /* ^D on an empty line */
	feed_str(&l, "x");
	CHECK(nt_chat_line_feed(&l, 0x04) == NT_KEY_NONE); /* ^D with text: ignored */
	CHECK(!strcmp(l.buf, "x"));
	CHECK(nt_chat_line_feed(&l, 0x03) == NT_KEY_QUIT); /* ^C always */
}

TEST(escape_sequences_are_swallowed)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "ab");
	CHECK(feed_str(&l, "\033[A") == NT_KEY_NONE);     /* up arrow */
	CHECK(feed_str(&l, "\033[1;5C") == NT_KEY_NONE);  /* ctrl-right */
	CHECK(feed_str(&l, "\033OP") == NT_KEY_NONE);     /* F1 */
	CHECK(feed_str(&l, "\033[3~") == NT_KEY_NONE);    /* delete */
	CHECK(!strcmp(l.buf, "ab"));
	CHECK(nt_chat_line_feed(&l, 'c') == NT_KEY_CHANGED);
	CHECK(!strcmp(l.buf, "abc"));
	/* An endless CSI is dropped after NT_CHAT_ESC_MAX bytes; typing resumes. */
	nt_chat_line_feed(&l, 0x1b);
	nt_chat_line_feed(&l, '[');
	for (int i = 0; i < NT_CHAT_ESC_MAX + 2; i++)
		nt_chat_line_feed(&l, '1');
	CHECK(l.esc == 0);
	CHECK(nt_chat_line_feed(&l, 'd') == NT_KEY_CHANGED);
	CHECK(l.buf[l.len - 1] == 'd');
}

TEST(control_bytes_ignored_tab_is_space)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	for (uint8_t b = 1; b < 0x20; b++) {
		if (b == 0x03 || b == 0x04 || b == 0x08 || b == '\t' || b == '\n' || b == '\r' || b == 0x15 ||
		    b == 0x17 || b == 0x1b)
			continue;
		CHECK(nt_chat_line_feed(&l, b) == NT_KEY_NONE);
	}
	CHECK(nt_chat_line_feed(&l, 0) == NT_KEY_NONE);
	CHECK(l.len == 0);
	CHECK(nt_chat_line_feed(&l, '\t') == NT_KEY_CHANGED);
	CHECK(!strcmp(l.buf, " "));
}

TEST(full_line_refused)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	for (size_t i = 0; i < NT_CHAT_LINE_MAX; i++)
		if (nt_chat_line_feed(&l, 'x') != NT_KEY_CHANGED) {
			CHECK(false);
			return;
		}
	CHECK(l.len == NT_CHAT_LINE_MAX);
	CHECK(nt_chat_line_feed(&l, 'y') == NT_KEY_FULL);
	CHECK(l.len == NT_CHAT_LINE_MAX && l.buf[NT_CHAT_LINE_MAX] == '\0');
	/* take cuts to the caller's buffer but reports the whole length. */
	char small[8];
	CHECK(nt_chat_line_take(&l, small, sizeof small) == NT_CHAT_LINE_MAX);
	CHECK(!strcmp(small, "xxxxxxx"));
	CHECK(l.len == 0);
}

TEST(render_erases_then_draws)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "half a li");
	char out[128];
	size_t n = nt_chat_line_render(&l, "[room] ", 0, out, sizeof out);
	CHECK(n == strlen(out));
	CHECK(!strcmp(out, "\r\033[K[room] half a li"));
	nt_chat_line_init(&l);
	n = nt_chat_line_render(&l, "> ", 80, out, sizeof out);
	CHECK(!strcmp(out, "\r\033[K> "));
}

TEST(render_shows_the_tail_of_a_wide_line)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "0123456789abcdef");
	char out[128];
	/* 12 columns: 11 usable, 2 for the prompt, 9 for the line's tail. */
	nt_chat_line_render(&l, "> ", 12, out, sizeof out);
	CHECK(!strcmp(out, "\r\033[K> 789abcdef"));
	/* A multi-byte character is never cut in half. */
	nt_chat_line_init(&l);
	feed_str(&l, "\xc3\xa9\xc3\xa9\xc3\xa9");
	nt_chat_line_render(&l, "> ", 5, out, sizeof out);
	CHECK(!strcmp(out, "\r\033[K> \xc3\xa9\xc3\xa9"));
	/* A prompt wider than the row leaves no room for the line. */
	nt_chat_line_render(&l, "[a-long-group] ", 8, out, sizeof out);
	CHECK(!strcmp(out, "\r\033[K[a-long-group] "));
}

TEST(render_respects_small_buffers)
{
	nt_chat_line l;
	nt_chat_line_init(&l);
	feed_str(&l, "abcdefgh");
	char out[10];
	memset(out, 'Z', sizeof out);
	size_t n = nt_chat_line_render(&l, "> ", 0, out, sizeof out);
	CHECK(n == sizeof out - 1);
	CHECK(out[sizeof out - 1] == '\0');
	CHECK(!memcmp(out, "\r\033[K> abc", 9));
}

TEST(sanitize_defuses_terminal_controls)
{
	/* A peer's message that would clear the screen, retitle the window and
	 * send a C1 CSI (U+009B) is shown with every control replaced. */
	const char evil[] = "hi\033[2J\033]0;pwned\a\xc2\x9b" "31m\x7f\r\nok \xc3\xa9";
	char out[64];
	size_t n = nt_chat_sanitize((const uint8_t *)evil, strlen(evil), false, out, sizeof out);
	CHECK(n == strlen(out));
	CHECK(!strcmp(out, "hi?[2J?]0;pwned??31m?? ok \xc3\xa9"));
	CHECK(strchr(out, 0x1b) == NULL);
	n = nt_chat_sanitize((const uint8_t *)"a\nb", 3, true, out, sizeof out);
	CHECK(n == 3 && !strcmp(out, "a\nb"));
	/* A NUL in the body does not cut the line short; output is bounded. */
	n = nt_chat_sanitize((const uint8_t *)"a\0b", 3, false, out, sizeof out);
	CHECK(n == 3 && !strcmp(out, "a?b"));
	char tiny[4];
	n = nt_chat_sanitize((const uint8_t *)"abcdef", 6, false, tiny, sizeof tiny);
	CHECK(n == 3 && !strcmp(tiny, "abc"));
	CHECK(nt_chat_sanitize((const uint8_t *)"x", 1, false, tiny, 0) == 0);
}

TEST(progress_bar)
{
	char out[128];
	nt_chat_progress(500000, 1000000, 10, out, sizeof out);
	CHECK(!strcmp(out, "[#####.....]  50% 0.5/1.0 MB"));
	nt_chat_progress(0, 2000000, 4, out, sizeof out);
	CHECK(!strcmp(out, "[....]   0% 0.0/2.0 MB"));
	nt_chat_progress(7, 7, 4, out, sizeof out);
	CHECK(!strcmp(out, "[####] 100% 0.0/0.0 MB"));
	/* Nonsense counts render as complete, never past the bar. */
	nt_chat_progress(9, 0, 4, out, sizeof out);
	CHECK(!strncmp(out, "[####] 100%", 11));
	nt_chat_progress(9, 3, 4, out, sizeof out);
	CHECK(!strncmp(out, "[####] 100%", 11));
	char small[6];
	CHECK(nt_chat_progress(1, 2, 10, small, sizeof small) == 5);
}

/* --- the command parser --- */

TEST(parse_text_and_empty)
{
	char line[64];
	nt_chat_cmd c;
	strcpy(line, "   ");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_NOTHING);
	strcpy(line, "  hello world  ");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_TEXT);
	CHECK(!strcmp(c.a[0], "hello world"));
}

TEST(parse_commands_with_arguments)
{
	char line[128];
	nt_chat_cmd c;
	strcpy(line, "/msg  room   hi  there, bob ");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_MSG);
	CHECK(!strcmp(c.a[0], "room"));
	CHECK(!strcmp(c.a[1], "hi  there, bob"));
	strcpy(line, "/add room carol");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_ADD && !strcmp(c.a[0], "room") && !strcmp(c.a[1], "carol"));
	strcpy(line, "/get-file abc123");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_GET_FILE && !strcmp(c.a[0], "abc123") && c.a[1] == NULL);
	strcpy(line, "/get-file abc123 out.bin");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_GET_FILE && !strcmp(c.a[1], "out.bin"));
	strcpy(line, "/send-file room my file.txt");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_SEND_FILE && !strcmp(c.a[1], "my file.txt"));
	strcpy(line, "/members");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_MEMBERS && c.a[0] == NULL);
	strcpy(line, "/quit");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_QUIT);
	strcpy(line, "/dm dave see you");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_DM && !strcmp(c.a[0], "dave") && !strcmp(c.a[1], "see you"));
	strcpy(line, "/role room carol admin");
	nt_chat_parse(line, &c);
	CHECK(c.op == NT_CHAT_ROLE && !strcmp(c.a[0], "room") && !strcmp(c.a[1], "carol") &&
	      !strcmp(c.a[2], "admin"));
}

TEST(parse_refuses_bad_lines)
{
	char line[128];
	nt_chat_cmd c;
	const char *bad[] = { "/", "/nope", "/msg room", "/msg", "/add room", "/create", "/create a b",
			      "/quit now", "/who x", "/get-file a b c", "/QUIT", "/trust a b c",
			      "/role room carol", "/role room carol admin now" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(line, bad[i]);
		nt_chat_parse(line, &c);
		if (!CHECK(c.op == NT_CHAT_BAD && c.err != NULL))
			t_note("line '%s'", bad[i]);
		CHECK(c.a[0] == NULL && c.a[1] == NULL && c.a[2] == NULL);
	}
	/* A usage error names the usage. */
	strcpy(line, "/add room");
	nt_chat_parse(line, &c);
	CHECK(c.err && strstr(c.err, "/add GROUP USER") != NULL);
}

TEST(help_lists_every_command)
{
	char buf[4096] = { 0 };
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	if (!CHECK(f != NULL))
		return;
	nt_chat_help(f);
	fclose(f);
	const char *names[] = { "/help", "/create", "/join", "/leave", "/add", "/remove", "/role", "/msg", "/switch",
				"/dm", "/send-file", "/get-file", "/who", "/groups", "/members", "/fingerprint",
				"/trust", "/history", "/quit" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!CHECK(strstr(buf, names[i]) != NULL))
			t_note("missing %s", names[i]);
		/* Every command the help names parses (with enough arguments). */
		char line[64];
		snprintf(line, sizeof line, "%s a b", names[i]);
		nt_chat_cmd c;
		nt_chat_parse(line, &c);
		CHECK(c.op != NT_CHAT_TEXT);
	}
}

static const t_case cases[] = {
	T(types_and_enters),
	T(backspace_removes_whole_utf8_chars),
	T(ctrl_u_and_ctrl_w),
	T(quit_keys),
	T(escape_sequences_are_swallowed),
	T(control_bytes_ignored_tab_is_space),
	T(full_line_refused),
	T(render_erases_then_draws),
	T(render_shows_the_tail_of_a_wide_line),
	T(render_respects_small_buffers),
	T(sanitize_defuses_terminal_controls),
	T(progress_bar),
	T(parse_text_and_empty),
	T(parse_commands_with_arguments),
	T(parse_refuses_bad_lines),
	T(help_lists_every_command),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
