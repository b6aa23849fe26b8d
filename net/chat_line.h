/*
 * chat_line.h: the interactive chat's line editor, sans I/O. It takes the
 * bytes a terminal in non-canonical mode sends, one at a time, and keeps the
 * line being typed; it renders the prompt and line into a caller's buffer.
 * mode_chat.c owns the terminal and writes what this module renders, so
 * every key and every redraw is unit-testable without a terminal.
 *
 * Keys: printable ASCII and UTF-8 sequences are inserted at the end;
 * backspace (DEL 0x7f or ^H) removes the last character (a whole UTF-8
 * sequence); ^U clears the line; ^W removes the last word; Enter (CR or LF)
 * completes the line; ^C quits, ^D quits on an empty line. Escape sequences
 * (arrow keys, function keys: ESC [ ... final byte, ESC O x) are swallowed
 * whole, so they never land in a message as garbage. Other control bytes
 * are ignored. The line holds at most NT_CHAT_LINE_MAX bytes; further input
 * is refused (the caller may ring the bell).
 *
 * Redraw: one terminal row, no cursor addressing beyond carriage return and
 * "erase to end of line" (ESC [ K), which every terminal and tmux know. A
 * line wider than the terminal shows its tail, so the row never wraps and
 * erasing it with one carriage return stays correct.
 */
#ifndef ECHOVER_NT_CHAT_LINE_H
#define ECHOVER_NT_CHAT_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A text message is at most NT_CLIENT_TEXT_MAX bytes; a typed line with its
 * command ("/msg GROUP ") stays well below a terminal's practical use. */
#define NT_CHAT_LINE_MAX 4096
/* Longest escape sequence swallowed; a longer one is dropped unfinished. */
#define NT_CHAT_ESC_MAX 16
/* The erase sequence: carriage return, erase to the end of the row. */
#define NT_CHAT_ERASE "\r\033[K"

typedef enum nt_chat_key {
	NT_KEY_NONE = 0,  /* nothing visible changed (ignored byte, escape in progress) */
	NT_KEY_CHANGED,   /* the line changed: redraw */
	NT_KEY_FULL,      /* refused: the line is full */
	NT_KEY_ENTER,     /* a line is complete: nt_chat_line_take */
	NT_KEY_QUIT,      /* ^C, or ^D on an empty line */
} nt_chat_key;

typedef struct nt_chat_line {
	char buf[NT_CHAT_LINE_MAX + 1]; /* NUL-terminated */
	size_t len;
	uint8_t esc;                    /* 0 none, 1 after ESC, 2 in CSI, 3 after ESC O */
	uint8_t esc_len;
	bool last_cr;                   /* a CR just completed a line: swallow the LF of CR LF */
} nt_chat_line;

void nt_chat_line_init(nt_chat_line *l);
/* Feeds one byte of terminal input. */
nt_chat_key nt_chat_line_feed(nt_chat_line *l, uint8_t byte);
/* Copies the line into out[cap] (NUL-terminated, cut to cap - 1 bytes)
 * and empties the editor; returns the line's length. */
size_t nt_chat_line_take(nt_chat_line *l, char *out, size_t cap);
/* Writes into out[cap] the bytes that redraw the row: NT_CHAT_ERASE, the
 * prompt, then as much of the line's tail as fits in cols - 1 columns after
 * the prompt (cols 0: no limit). Returns the byte count (never more than
 * cap - 1; out is NUL-terminated). Columns are counted as code points. */
size_t nt_chat_line_render(const nt_chat_line *l, const char *prompt, unsigned cols, char *out, size_t cap);
/* Code points of s[n] (the display width the editor assumes). */
size_t nt_chat_width(const char *s, size_t n);

/* What peers send is shown through this filter: a message must not be able
 * to move the cursor, retitle the window or clear the screen. Copies s[n]
 * into out[cap] (NUL-terminated) with every C0 control, DEL and UTF-8
 * encoded C1 control (U+0080..U+009F) replaced by '?', and newlines by
 * spaces unless keep_newlines. Returns the bytes written. */
size_t nt_chat_sanitize(const uint8_t *s, size_t n, bool keep_newlines, char *out, size_t cap);
/* A progress bar for file transfers into out[cap]: "[#####.....]  50% 1.0/2.0 MB",
 * `width` cells of bar. total 0 renders as complete. */
size_t nt_chat_progress(uint64_t done, uint64_t total, unsigned width, char *out, size_t cap);

#endif
