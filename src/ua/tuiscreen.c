/*
 * tuiscreen.c: the terminal interface's shared pieces (tui.c, tuipager.c):
 * drawing UTF-8 text into columns, the status and title lines, keys (with
 * the watch child's new-mail lines collected while waiting), the prompt,
 * and running child commands with progress in the status line or on the
 * terminal itself (endwin before, a redraw after).
 */
#define NCURSES_WIDECHAR 1	/* get_wch, addnwstr: libncursesw */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/tuiint.h"

#define PROMPT_MAX	1024
#define KEY_CTRL(c)	((c) & 0x1f)

/* ---- drawing ---- */

/*
 * Draws s at (y, x) in width columns: UTF-8 decoded, wide characters
 * counted by wcwidth, controls and undecodable bytes shown as spaces and
 * U+FFFD; the rest of the width is filled with spaces (keeping attrs).
 */
void
ua_tui_put(int y, int x, const char *s, int width)
{
	mbstate_t st;
	size_t len = strlen(s), r;
	int cols = 0, w;
	wchar_t wc;

	if (width <= 0)
		return;
	memset(&st, 0, sizeof(st));
	move(y, x);
	while (len > 0 && cols < width) {
		r = mbrtowc(&wc, s, len, &st);
		if (r == 0)
			break;
		if (r == (size_t)-1 || r == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			wc = 0xfffd;
			r = 1;
		}
		if ((w = wcwidth(wc)) < 0) {
			wc = L' ';
			w = 1;
		}
		if (cols + w > width)
			break;
		addnwstr(&wc, 1);
		cols += w;
		s += r;
		len -= r;
	}
	for (; cols < width; cols++)
		addch(' ');
}

/* Prints "N B", "N.N KB", "N.N MB" into dst. */
static void
human(size_t n, char *dst, size_t len)
{
	if (n < 1024)
		snprintf(dst, len, "%zu B", n);
	else if (n < 1024 * 1024)
		snprintf(dst, len, "%.1f KB", (double)n / 1024);
	else
		snprintf(dst, len, "%.1f MB", (double)n / (1024 * 1024));
}

void
ua_tui_status(struct tui *t)
{
	ua_tui_put(LINES - 1, 0, t->status, COLS);
}

void
ua_tui_title(const char *s)
{
	attron(A_REVERSE);
	ua_tui_put(0, 0, s, COLS);
	attroff(A_REVERSE);
}

/* ---- keys and the watch child ---- */

void
ua_tui_args(struct tui *t, char **argv, size_t *n)
{
	int i;

	*n = 0;
	argv[(*n)++] = t->self;
	/* the account and server options the TUI was started with */
	for (i = 1; i < t->c->argc && *n < UA_TUI_ARGS_MAX - 16; i++)
		argv[(*n)++] = t->c->argv[i];
}

void
ua_tui_folder_arg(struct tui *t, char **argv, size_t *n)
{
	if (t->folder != NULL) {
		argv[(*n)++] = "--folder";
		argv[(*n)++] = t->folder;
	}
}

/* (Re)starts `postern watch` on the current folder. */
void
ua_tui_watch_start(struct tui *t)
{
	char *argv[UA_TUI_ARGS_MAX], iv[32];
	size_t n;

	ua_job_free(&t->watch);
	ua_tui_args(t, argv, &n);
	snprintf(iv, sizeof(iv), "%ds", UA_TUI_CHECK_S);
	argv[n++] = "watch";
	argv[n++] = "--interval";
	argv[n++] = iv;
	ua_tui_folder_arg(t, argv, &n);
	argv[n] = NULL;
	(void)ua_job_start(&t->watch, argv, 1024 * 1024);
}

/* Counts the complete summary lines the watch child printed. */
static void
watch_lines(struct tui *t)
{
	char *nl;

	while (t->watch.out.len > 0 && (nl = memchr(t->watch.out.data,
	    '\n', t->watch.out.len)) != NULL) {
		size_t len = (size_t)(nl - t->watch.out.data) + 1;
		if (strncmp(t->watch.out.data, "watching ", 9) != 0)
			t->arrived++;
		buf_consume(&t->watch.out, len);
	}
	if (t->watch.out.len == t->watch.out.max)
		buf_reset(&t->watch.out);	/* a silly long line */
}

/*
 * The next key, waiting at most ms (-1: forever) while the watch child's
 * output is collected. ERR when the time ran out or new mail arrived.
 */
int
ua_tui_key(struct tui *t, int ms)
{
	struct timespec start, now;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = ms;

		timeout(0);
		if ((k = getch()) != ERR)
			return k;
		if (ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return ERR;
		}
		switch (ua_job_wait(&t->watch, (int)left, STDIN_FILENO)) {
		case UA_JOB_OUTPUT:
			watch_lines(t);
			if (t->arrived > 0)
				return ERR;
			break;
		case UA_JOB_RUNNING:
			/* timeout, or a signal such as SIGWINCH: let getch
			 * report KEY_RESIZE */
			if (ms >= 0) {
				timeout(0);
				if ((k = getch()) != ERR)
					return k;
			}
			break;
		default:
			break;
		}
	}
}

/*
 * A one-line prompt on the last row, starting with initial (may be NULL);
 * Backspace, ^U clears. NULL when cancelled (Esc, ^G).
 */
char *
ua_tui_prompt(struct tui *t, const char *q, const char *initial)
{
	struct buf in;
	wint_t wk;
	int r;

	buf_init(&in, PROMPT_MAX);
	if (initial != NULL)
		(void)buf_puts(&in, initial);
	curs_set(1);
	for (;;) {
		struct buf line;

		buf_init(&line, PROMPT_MAX + 256);
		(void)buf_printf(&line, "%s%s", q, buf_cstr(&in));
		ua_tui_put(LINES - 1, 0, buf_cstr(&line), COLS);
		move(LINES - 1, (int)(strlen(q) + in.len) < COLS ?
		    (int)(strlen(q) + in.len) : COLS - 1);
		buf_free(&line);
		refresh();
		timeout(-1);
		r = get_wch(&wk);
		if (r == ERR)
			continue;
		if (r == KEY_CODE_YES && wk == KEY_RESIZE)
			continue;
		if ((r == OK && (wk == L'\r' || wk == L'\n')) ||
		    (r == KEY_CODE_YES && wk == KEY_ENTER))
			break;
		if (r == OK && (wk == UA_TUI_ESC || wk == KEY_CTRL('g'))) {
			buf_free(&in);
			curs_set(0);
			return NULL;
		}
		if (r == OK && wk == KEY_CTRL('u')) {
			buf_reset(&in);		/* kill the line */
			continue;
		}
		if ((r == KEY_CODE_YES && wk == KEY_BACKSPACE) ||
		    (r == OK && (wk == 127 || wk == 8))) {
			/* drop one UTF-8 sequence */
			while (in.len > 0 && ((unsigned char)
			    in.data[in.len - 1] & 0xc0) == 0x80)
				buf_truncate(&in, in.len - 1);
			if (in.len > 0)
				buf_truncate(&in, in.len - 1);
		} else if (r == OK && iswprint((wint_t)wk)) {
			char mb[MB_LEN_MAX];
			mbstate_t st;
			size_t n;

			memset(&st, 0, sizeof(st));
			if ((n = wcrtomb(mb, (wchar_t)wk, &st)) !=
			    (size_t)-1)
				(void)buf_append(&in, mb, n);
		}
	}
	curs_set(0);
	{
		char *s = xstrdup(buf_cstr(&in));
		buf_free(&in);
		return s;
	}
}

/* ---- running our own subcommands ---- */

/*
 * Runs a capturing child and keeps the status line current: "label: 42%
 * 1.1 of 2.6 MB" while it reports progress; the status from before comes
 * back when it ends. Returns its exit status; the caller reads j's output
 * and frees j.
 */
int
ua_tui_run(struct tui *t, char **argv, size_t out_max, const char *label,
    struct ua_job *j)
{
	enum ua_job_event ev;
	char saved[sizeof(t->status)];

	memcpy(saved, t->status, sizeof(saved));
	snprintf(t->status, sizeof(t->status), "%s...", label);
	ua_tui_status(t);
	refresh();
	if (ua_job_start(j, argv, out_max) == -1) {
		snprintf(t->status, sizeof(t->status), "cannot run %s: %s",
		    argv[0], strerror(errno));
		return -1;
	}
	while ((ev = ua_job_wait(j, -1, -1)) != UA_JOB_DONE)
		if (ev == UA_JOB_PROGRESS && j->total > 0) {
			char a[32], b[32];
			human(j->done, a, sizeof(a));
			human(j->total, b, sizeof(b));
			snprintf(t->status, sizeof(t->status),
			    "%s: %3zu%%  %s of %s", label, (size_t)
			    ((double)j->done * 100 / (double)j->total), a, b);
			ua_tui_status(t);
			refresh();
		}
	memcpy(t->status, saved, sizeof(saved));	/* as it was */
	return j->status;
}

void
ua_tui_first_line(const struct buf *b, char *dst, size_t len)
{
	const char *s = buf_cstr(b);

	snprintf(dst, len, "%.*s", (int)strcspn(s, "\n"), s);
}

/*
 * Runs a command on the terminal (an editor may open): the screen is
 * handed back with endwin and restored after a key press, so that what
 * the command printed can be read.
 */
int
ua_tui_run_tty(struct tui *t, char **argv)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	unsigned char ch;
	pid_t pid;
	int st = 0;

	def_prog_mode();
	endwin();
	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	fputs("-- press a key --", stdout);
	fflush(stdout);
	reset_prog_mode();
	while (poll(&p, 1, -1) == -1 && errno == EINTR)
		;
	(void)read(STDIN_FILENO, &ch, 1);
	flushinp();
	clearok(curscr, TRUE);
	refresh();
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Home and End differ between terminals (xterm's SS3 forms, the VT220
 * forms of screen and tmux); accept them all whatever $TERM says.
 */
void
ua_tui_keys_init(void)
{
	static const struct {
		const char	*seq;
		int		 key;
	} extra[] = {
		{ "\033[1~", KEY_HOME }, { "\033[7~", KEY_HOME },
		{ "\033[H", KEY_HOME }, { "\033OH", KEY_HOME },
		{ "\033[4~", KEY_END }, { "\033[8~", KEY_END },
		{ "\033[F", KEY_END }, { "\033OF", KEY_END },
		{ "\033[5~", KEY_PPAGE }, { "\033[6~", KEY_NPAGE },
	};
	size_t i;

	for (i = 0; i < nitems(extra); i++)
		if (key_defined(extra[i].seq) == 0)
			(void)define_key(extra[i].seq, extra[i].key);
}

/* Picks a UTF-8 character type when the environment names none. */
void
ua_tui_locale_init(void)
{
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 &&
	    setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");
}
