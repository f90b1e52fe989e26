/*
 * tuiint.h: what the files of the terminal interface share (tui.c the
 * index and main loop, tuipager.c the pager and parts menu, tuiscreen.c
 * drawing, keys, prompts and child commands). Private to them; include
 * <curses.h> (wide-character) first.
 */
#ifndef UA_TUIINT_H
#define UA_TUIINT_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "ua/tuijob.h"
#include "ua/ua.h"

#define UA_TUI_CHECK_S	30	/* watch --interval; re-list fallback */
#define UA_TUI_ARGS_MAX	64	/* argv of a child command */
#define UA_TUI_ESC	0x1b

/* One line of `postern list` output, split at its TABs. */
struct row {
	char	*num, *flags, *date, *from, *subject, *size;
};

struct tui {
	struct ua_ctx	*c;
	char		 self[4096];	/* this program, for the children */
	char		*folder;	/* NULL: INBOX */
	char		*filter;	/* search query or NULL */
	struct row	*msgs;
	size_t		 nmsgs, cur, top;
	char		 status[512];
	time_t		 checked;
	struct ua_job	 watch;		/* `postern watch` child */
	size_t		 arrived;	/* lines it printed, not yet shown */
};

/* Draws s at (y, x) in width columns (UTF-8, wide characters, controls
 * as spaces), padding with spaces in the current attributes. */
void ua_tui_put(int y, int x, const char *s, int width);
/* The status line (last row) and a reverse-video title (first row). */
void ua_tui_status(struct tui *t);
void ua_tui_title(const char *s);

/* argv[0..*n) = this program and the options the interface got. */
void ua_tui_args(struct tui *t, char **argv, size_t *n);
/* Appends "--folder F" when not on the INBOX. */
void ua_tui_folder_arg(struct tui *t, char **argv, size_t *n);
/* (Re)starts the `postern watch` child on the current folder. */
void ua_tui_watch_start(struct tui *t);

/*
 * The next key, waiting at most ms (-1: forever) while the watch child's
 * lines are counted into t->arrived. ERR when the time ran out or mail
 * arrived.
 */
int ua_tui_key(struct tui *t, int ms);
/* A prompt on the last row, starting with initial (may be NULL); the
 * answer (caller frees), or NULL when cancelled (Esc, ^G). */
char *ua_tui_prompt(struct tui *t, const char *q, const char *initial);

/*
 * Runs a child capturing its output, the status line showing "label..."
 * and its progress; the status from before comes back after. Returns the
 * exit status; the caller reads and frees j.
 */
int ua_tui_run(struct tui *t, char **argv, size_t out_max, const char *label,
    struct ua_job *j);
/* Runs a child on the terminal (an editor may open); a key press brings
 * the screen back. Returns the exit status. */
int ua_tui_run_tty(struct tui *t, char **argv);
/* The first line of b into dst. */
void ua_tui_first_line(const struct buf *b, char *dst, size_t len);

/* Terminal setup before initscr / after keypad. */
void ua_tui_locale_init(void);
void ua_tui_keys_init(void);

/* Shows message num; returns r, g, f or d when that key asks the index
 * to act on the message, else 0. */
int ua_tui_pager(struct tui *t, const char *num);

#endif
