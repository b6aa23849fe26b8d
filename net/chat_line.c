#include "chat_line.h"

#include <stdio.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)
#define ESC 0x1b
#define DEL 0x7f

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

void nt_chat_line_init(nt_chat_line *l)
{
	memset(l, 0, sizeof *l);
}

static bool is_continuation(uint8_t b)
{
	return (b & 0xc0) == 0x80;
}

static void drop_last_char(nt_chat_line *l)
{
	while (l->len > 0 && is_continuation((uint8_t)l->buf[l->len - 1]))
		l->len--;
	if (l->len > 0)
		l->len--;
	l->buf[l->len] = '\0';
}

static void drop_last_word(nt_chat_line *l)
{
	while (l->len > 0 && l->buf[l->len - 1] == ' ')
		l->len--;
	while (l->len > 0 && l->buf[l->len - 1] != ' ')
		l->len--;
	l->buf[l->len] = '\0';
}

/* Escape sequences: ESC [ params... final (0x40..0x7e), ESC O x, or ESC x. */
static nt_chat_key feed_escape(nt_chat_line *l, uint8_t b)
{
	if (++l->esc_len > NT_CHAT_ESC_MAX) {
		l->esc = ESC_NONE;
		return NT_KEY_NONE;
	}
	switch (l->esc) {
	case ESC_START:
		l->esc = b == '[' ? ESC_CSI : b == 'O' ? ESC_SS3 : ESC_NONE;
		break;
	case ESC_CSI:
		if (b >= 0x40 && b <= 0x7e)
			l->esc = ESC_NONE;
		break;
	default:
		l->esc = ESC_NONE;
		break;
	}
	return NT_KEY_NONE;
}

nt_chat_key nt_chat_line_feed(nt_chat_line *l, uint8_t b)
{
	bool after_cr = l->last_cr;
	l->last_cr = false;
	if (l->esc != ESC_NONE)
		return feed_escape(l, b);
	switch (b) {
	case ESC:
		l->esc = ESC_START;
		l->esc_len = 0;
		return NT_KEY_NONE;
	case '\r':
		l->last_cr = true;
		return NT_KEY_ENTER;
	case '\n':
		return after_cr ? NT_KEY_NONE : NT_KEY_ENTER;
	case CTRL('C'):
		return NT_KEY_QUIT;
	case CTRL('D'):
		return l->len == 0 ? NT_KEY_QUIT : NT_KEY_NONE;
	case DEL:
	case CTRL('H'):
		if (l->len == 0)
			return NT_KEY_NONE;
		drop_last_char(l);
		return NT_KEY_CHANGED;
	case CTRL('U'):
		if (l->len == 0)
			return NT_KEY_NONE;
		l->len = 0;
		l->buf[0] = '\0';
		return NT_KEY_CHANGED;
	case CTRL('W'):
		if (l->len == 0)
			return NT_KEY_NONE;
		drop_last_word(l);
		return NT_KEY_CHANGED;
	case '\t':
		b = ' '; /* a tab would move the cursor by an unknown width */
		break;
	default:
		if (b < 0x20)
			return NT_KEY_NONE;
		break;
	}
	if (l->len >= NT_CHAT_LINE_MAX)
		return NT_KEY_FULL;
	l->buf[l->len++] = (char)b;
	l->buf[l->len] = '\0';
	return NT_KEY_CHANGED;
}

size_t nt_chat_line_take(nt_chat_line *l, char *out, size_t cap)
{
	size_t n = l->len;
	if (cap > 0) {
		size_t k = n < cap - 1 ? n : cap - 1;
		memcpy(out, l->buf, k);
		out[k] = '\0';
	}
	l->len = 0;
	l->buf[0] = '\0';
	return n;
}

size_t nt_chat_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_continuation((uint8_t)s[i]))
			w++;
	return w;
}

/* The start of the tail of s[n] that is at most `cols` code points wide. */
static size_t tail_start(const char *s, size_t n, size_t cols)
{
	size_t i = n, w = 0;
	while (i > 0) {
		size_t j = i - 1;
		while (j > 0 && is_continuation((uint8_t)s[j]))
			j--;
		if (w + 1 > cols)
			break;
		w++;
		i = j;
	}
	return i;
}

static size_t append(char *out, size_t cap, size_t at, const char *s, size_t n)
{
	if (cap == 0 || at >= cap - 1)
		return at;
	size_t k = n < cap - 1 - at ? n : cap - 1 - at;
	memcpy(out + at, s, k);
	return at + k;
}

size_t nt_chat_line_render(const nt_chat_line *l, const char *prompt, unsigned cols, char *out, size_t cap)
{
	size_t pn = strlen(prompt);
	size_t start = 0;
	if (cols > 0) {
		size_t pw = nt_chat_width(prompt, pn);
		size_t avail = cols - 1 > pw ? cols - 1 - pw : 0;
		start = tail_start(l->buf, l->len, avail);
	}
	size_t at = append(out, cap, 0, NT_CHAT_ERASE, strlen(NT_CHAT_ERASE));
	at = append(out, cap, at, prompt, pn);
	at = append(out, cap, at, l->buf + start, l->len - start);
	if (cap > 0)
		out[at] = '\0';
	return at;
}

size_t nt_chat_sanitize(const uint8_t *s, size_t n, bool keep_newlines, char *out, size_t cap)
{
	size_t at = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n && at < cap - 1; i++) {
		uint8_t b = s[i];
		if (b == '\n' && keep_newlines) {
			out[at++] = '\n';
		} else if (b == '\n' || b == '\t') {
			out[at++] = ' ';
		} else if (b < 0x20 || b == DEL) {
			out[at++] = '?';
		} else if (b == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			out[at++] = '?';
			i++;
		} else {
			out[at++] = (char)b;
		}
	}
	out[at] = '\0';
	return at;
}

size_t nt_chat_progress(uint64_t done, uint64_t total, unsigned width, char *out, size_t cap)
{
	if (cap == 0)
		return 0;
	if (total == 0 || done > total)
		done = total = 1;
	if (width > 100)
		width = 100;
	unsigned filled = (unsigned)((double)done / (double)total * width);
	unsigned pct = (unsigned)((double)done / (double)total * 100);
	char bar[101];
	for (unsigned i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[width] = '\0';
	int k = snprintf(out, cap, "[%s] %3u%% %.1f/%.1f MB", bar, pct, (double)done / 1e6, (double)total / 1e6);
	if (k < 0)
		return 0;
	return (size_t)k < cap ? (size_t)k : cap - 1;
}
