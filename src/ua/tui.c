/*
 * tui.c: `postern` with no subcommand on a terminal: a full-screen ncurses
 * interface over the INBOX. Every mail operation runs this same program's
 * scriptable subcommands (list, read, save, delete, flag, move, search,
 * reply, forward, send, watch) as child processes (tuijob.c) and reads
 * their stable output, so the screen code holds no protocol logic. A
 * `watch` child shows new mail as it arrives (IMAP IDLE when the server
 * has it); `read` and `save` report download progress on a pipe, shown in
 * the status line. Keys follow mutt (help on `?`).
 */
#define NCURSES_WIDECHAR 1	/* get_wch, addnwstr: libncursesw */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
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
#include "ua/tuijob.h"
#include "ua/ua.h"

#define CHECK_EVERY_S	30		/* watch --interval; list fallback */
#define ARGS_MAX	64
#define PROMPT_MAX	1024
#define KEY_CTRL(c)	((c) & 0x1f)
#define KEY_ESCAPE	0x1b

struct row {
	char	*num, *flags, *date, *from, *subject, *size;
};

struct tui {
	struct ua_ctx	*c;
	char		 self[4096];
	char		*folder;	/* NULL: INBOX */
	char		*filter;	/* search query or NULL */
	struct row	*msgs;
	size_t		 nmsgs, cur, top;
	char		 status[512];
	time_t		 checked;
	struct ua_job	 watch;		/* `postern watch` child */
	size_t		 arrived;	/* lines it printed, not yet shown */
};

/* ---- drawing ---- */

/*
 * Draws s at (y, x) in width columns: UTF-8 decoded, wide characters
 * counted by wcwidth, controls and undecodable bytes shown as spaces and
 * U+FFFD; the rest of the width is filled with spaces (keeping attrs).
 */
static void
put(int y, int x, const char *s, int width)
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

static void
draw_status(struct tui *t)
{
	put(LINES - 1, 0, t->status, COLS);
}

static void
draw_title(const char *s)
{
	attron(A_REVERSE);
	put(0, 0, s, COLS);
	attroff(A_REVERSE);
}

static void
draw_index(struct tui *t)
{
	size_t body = LINES > 2 ? (size_t)LINES - 2 : 1, i;
	char head[512];

	if (t->cur < t->top)
		t->top = t->cur;
	if (t->cur >= t->top + body)
		t->top = t->cur - body + 1;
	erase();
	snprintf(head, sizeof(head), "postern: %s%s%s  [%zu]  q:quit "
	    "Enter:open d:del F:flag r:reply m:mail c:folder /:search ?:help",
	    t->folder ? t->folder : "INBOX", t->filter ? " search: " : "",
	    t->filter ? t->filter : "", t->nmsgs);
	draw_title(head);
	for (i = 0; i < body && t->top + i < t->nmsgs; i++) {
		const struct row *r = &t->msgs[t->top + i];
		int y = (int)i + 1, x;
		char lead[64];

		if (t->top + i == t->cur)
			attron(A_REVERSE);
		snprintf(lead, sizeof(lead), "%4s %s %-16s ", r->num, r->flags,
		    r->date);
		put(y, 0, lead, COLS);
		x = (int)strlen(lead);
		put(y, x, r->from, COLS - x < 20 ? COLS - x : 20);
		x += 21;
		if (COLS - x > 10) {
			put(y, x, r->subject, COLS - x - 9);
			move(y, COLS - 8);
			printw("%8.8s", r->size);
		} else if (COLS > x)
			put(y, x, r->subject, COLS - x);
		if (t->top + i == t->cur)
			attroff(A_REVERSE);
	}
	draw_status(t);
	refresh();
}

/* ---- keys and the watch child ---- */

static void
base_args(struct tui *t, char **argv, size_t *n)
{
	int i;

	*n = 0;
	argv[(*n)++] = t->self;
	/* the account and server options the TUI was started with */
	for (i = 1; i < t->c->argc && *n < ARGS_MAX - 16; i++)
		argv[(*n)++] = t->c->argv[i];
}

static void
add_folder(struct tui *t, char **argv, size_t *n)
{
	if (t->folder != NULL) {
		argv[(*n)++] = "--folder";
		argv[(*n)++] = t->folder;
	}
}

/* (Re)starts `postern watch` on the current folder. */
static void
watch_start(struct tui *t)
{
	char *argv[ARGS_MAX], iv[32];
	size_t n;

	ua_job_free(&t->watch);
	base_args(t, argv, &n);
	snprintf(iv, sizeof(iv), "%ds", CHECK_EVERY_S);
	argv[n++] = "watch";
	argv[n++] = "--interval";
	argv[n++] = iv;
	add_folder(t, argv, &n);
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
static int
next_key(struct tui *t, int ms)
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
static char *
prompt(struct tui *t, const char *q, const char *initial)
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
		put(LINES - 1, 0, buf_cstr(&line), COLS);
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
		if (r == OK && (wk == KEY_ESCAPE || wk == KEY_CTRL('g'))) {
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
static int
run_job(struct tui *t, char **argv, size_t out_max, const char *label,
    struct ua_job *j)
{
	enum ua_job_event ev;
	char saved[sizeof(t->status)];

	memcpy(saved, t->status, sizeof(saved));
	snprintf(t->status, sizeof(t->status), "%s...", label);
	draw_status(t);
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
			draw_status(t);
			refresh();
		}
	memcpy(t->status, saved, sizeof(saved));	/* what was said before */
	return j->status;
}

static void
first_line(const struct buf *b, char *dst, size_t len)
{
	const char *s = buf_cstr(b);

	snprintf(dst, len, "%.*s", (int)strcspn(s, "\n"), s);
}

/*
 * Runs a command on the terminal (an editor may open): the screen is
 * handed back with endwin and restored after a key press, so that what
 * the command printed can be read.
 */
static int
run_tty(struct tui *t, char **argv)
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

/* ---- the index ---- */

static void
rows_free(struct tui *t)
{
	size_t i;

	for (i = 0; i < t->nmsgs; i++)
		free(t->msgs[i].num);	/* one allocation per row */
	free(t->msgs);
	t->msgs = NULL;
	t->nmsgs = 0;
}

/* (Re)loads the message list; returns the number of messages or -1. */
static long
load(struct tui *t)
{
	char *argv[ARGS_MAX], *line, *sv;
	struct ua_job j;
	size_t n;
	int st;

	base_args(t, argv, &n);
	argv[n++] = t->filter ? "search" : "list";
	if (t->filter)
		argv[n++] = t->filter;
	add_folder(t, argv, &n);
	argv[n] = NULL;
	st = run_job(t, argv, UA_MSG_MAX, t->filter ? "searching" :
	    "loading", &j);
	rows_free(t);
	if (st == 0 || st == 1)
		for (line = strtok_r((char *)buf_cstr(&j.out), "\n", &sv);
		    line != NULL; line = strtok_r(NULL, "\n", &sv)) {
			char *f[6], *copy = xstrdup(line), *p = copy;
			size_t k;
			for (k = 0; k < 6; k++) {
				f[k] = p;
				p = p ? strchr(p, '\t') : NULL;
				if (p)
					*p++ = '\0';
			}
			if (f[5] == NULL) {
				free(copy);
				continue;
			}
			t->msgs = xreallocarray(t->msgs, t->nmsgs + 1,
			    sizeof(*t->msgs));
			t->msgs[t->nmsgs++] = (struct row){ f[0], f[1], f[2],
			    f[3], f[4], f[5] };
		}
	else
		first_line(&j.err, t->status, sizeof(t->status));
	ua_job_free(&j);
	t->checked = time(NULL);
	if (t->cur >= t->nmsgs)
		t->cur = t->nmsgs ? t->nmsgs - 1 : 0;
	return st > 1 || st < 0 ? -1 : (long)t->nmsgs;
}

/* ---- the pager ---- */

struct page {
	const char	*num;
	char		**lines;
	size_t		 nl, top;
	size_t		 parts;		/* index of the "Parts:" line, or nl */
};

/* Runs `save NUM PART FILE` and reports the result in the status line. */
static void
save_part(struct tui *t, const char *num, const char *part, const char *file)
{
	char *argv[ARGS_MAX], label[64], pfd[16];
	struct ua_job j;
	size_t n;
	int st;

	base_args(t, argv, &n);
	snprintf(pfd, sizeof(pfd), "%d", UA_JOB_PROGRESS_FD);
	argv[n++] = "save";
	argv[n++] = (char *)num;
	argv[n++] = (char *)part;
	argv[n++] = (char *)file;
	argv[n++] = "--progress-fd";
	argv[n++] = pfd;
	add_folder(t, argv, &n);
	argv[n] = NULL;
	snprintf(label, sizeof(label), "saving part %.16s", part);
	st = run_job(t, argv, 64 * 1024, label, &j);
	first_line(st == 0 && j.out.len ? &j.out : &j.err, t->status,
	    sizeof(t->status));
	if (st != 0 && t->status[0] == '\0')
		snprintf(t->status, sizeof(t->status), "save failed");
	ua_job_free(&j);
}

/*
 * The attachment menu (mutt's `v`): the read output's "Parts:" lines
 * ("  SECTION TYPE SIZE  NAME"); s or Enter saves the chosen one.
 */
static void
parts_menu(struct tui *t, struct page *pg)
{
	size_t first = pg->parts + 1, n = pg->nl - first, cur = 0, i;
	int k;

	if (pg->parts >= pg->nl || n == 0) {
		snprintf(t->status, sizeof(t->status), "no parts");
		return;
	}
	for (;;) {
		char head[128];

		erase();
		snprintf(head, sizeof(head), "parts of message %s  q:back "
		    "s/Enter:save j/k:move", pg->num);
		draw_title(head);
		for (i = 0; i < n && (int)i < LINES - 2; i++) {
			if (i == cur)
				attron(A_REVERSE);
			put((int)i + 1, 0, pg->lines[first + i], COLS);
			if (i == cur)
				attroff(A_REVERSE);
		}
		draw_status(t);
		refresh();
		k = next_key(t, -1);
		if (k == ERR || k == KEY_RESIZE)
			continue;
		t->status[0] = '\0';
		if (k == 'q' || k == 'i' || k == KEY_ESCAPE)
			return;
		if ((k == 'j' || k == KEY_DOWN) && cur + 1 < n)
			cur++;
		else if ((k == 'k' || k == KEY_UP) && cur > 0)
			cur--;
		else if (k == 's' || k == '\r' || k == '\n' ||
		    k == KEY_ENTER) {
			/* "  1.2 image/png 1234  name.png" */
			char sec[64] = "", type[128] = "", *name, *file;
			size_t sz = 0;
			int used = 0;

			if (sscanf(pg->lines[first + cur], " %63s %127s %zu%n",
			    sec, type, &sz, &used) < 3)
				continue;
			name = pg->lines[first + cur] + used;
			while (*name == ' ')
				name++;
			file = prompt(t, "save to file: ", *name ? name :
			    sec);
			if (file != NULL && *file)
				save_part(t, pg->num, sec, file);
			free(file);
		}
	}
}

static void
draw_pager(struct tui *t, struct page *pg)
{
	size_t body = LINES > 2 ? (size_t)LINES - 2 : 1, i;
	char head[256], st[700];

	erase();
	snprintf(head, sizeof(head), "message %s  q/i:back j/k:line "
	    "space/-:page v:parts s:save r:reply f:forward d:delete", pg->num);
	draw_title(head);
	for (i = 0; i < body && pg->top + i < pg->nl; i++)
		put((int)i + 1, 0, pg->lines[pg->top + i], COLS);
	snprintf(st, sizeof(st), "%s%s-- %zu%% --", t->status,
	    *t->status ? "  " : "", pg->nl ? (pg->top + body >= pg->nl ?
	    100 : (pg->top + body) * 100 / pg->nl) : 100);
	put(LINES - 1, 0, st, COLS);
	refresh();
}

/* Shows message num; returns r, g, f or d when that key asks the index
 * to act on the message, else 0. */
static int
pager(struct tui *t, const char *num)
{
	char *argv[ARGS_MAX], *p, *sv, label[64], pfd[16];
	struct page pg = { .num = num };
	struct ua_job j;
	size_t n, body;
	int k, action = 0;

	base_args(t, argv, &n);
	snprintf(pfd, sizeof(pfd), "%d", UA_JOB_PROGRESS_FD);
	argv[n++] = "read";
	argv[n++] = (char *)num;
	argv[n++] = "--progress-fd";
	argv[n++] = pfd;
	add_folder(t, argv, &n);
	argv[n] = NULL;
	snprintf(label, sizeof(label), "message %.16s", num);
	if (run_job(t, argv, UA_MSG_MAX * 2, label, &j) != 0) {
		first_line(&j.err, t->status, sizeof(t->status));
		ua_job_free(&j);
		return 0;
	}
	/* split in place, keeping empty lines */
	for (p = (char *)buf_cstr(&j.out); p != NULL; p = sv) {
		sv = strchr(p, '\n');
		if (sv != NULL)
			*sv++ = '\0';
		if (sv == NULL && *p == '\0')
			break;
		pg.lines = xreallocarray(pg.lines, pg.nl + 1, sizeof(char *));
		pg.lines[pg.nl++] = p;
	}
	for (pg.parts = pg.nl; pg.parts > 0; pg.parts--)
		if (!strcmp(pg.lines[pg.parts - 1], "Parts:"))
			break;
	pg.parts = pg.parts > 0 ? pg.parts - 1 : pg.nl;
	for (;;) {
		draw_pager(t, &pg);
		body = LINES > 2 ? (size_t)LINES - 2 : 1;
		k = next_key(t, -1);
		if (k == ERR || k == KEY_RESIZE)
			continue;	/* new mail waits for the index */
		t->status[0] = '\0';
		if (k == 'q' || k == 'i' || k == KEY_ESCAPE)
			break;
		if ((k == 'j' || k == KEY_DOWN || k == '\r' || k == '\n' ||
		    k == KEY_ENTER) && pg.top + 1 < pg.nl)
			pg.top++;
		else if ((k == 'k' || k == KEY_UP) && pg.top > 0)
			pg.top--;
		else if ((k == ' ' || k == KEY_NPAGE) && pg.top + body < pg.nl)
			pg.top += body;
		else if (k == '-' || k == KEY_PPAGE)
			pg.top = pg.top > body ? pg.top - body : 0;
		else if (k == KEY_HOME || k == '<')
			pg.top = 0;
		else if (k == KEY_END || k == '>')
			pg.top = pg.nl > body ? pg.nl - body : 0;
		else if (k == 'v')
			parts_menu(t, &pg);
		else if (k == 's') {
			char *part = prompt(t, "save part: ", NULL), *file;
			if (part == NULL)
				continue;
			file = prompt(t, "to file: ", NULL);
			if (file != NULL && *file)
				save_part(t, num, part, file);
			free(part);
			free(file);
		} else if (k == 'r' || k == 'f' || k == 'd' || k == 'g') {
			action = k;	/* the index acts on this message */
			break;
		}
	}
	free(pg.lines);
	ua_job_free(&j);
	return action;
}

static void
help(struct tui *t)
{
	static const char *text[] = {
		"postern keys (mutt conventions)",
		"",
		"  j, Down      next message        k, Up     previous message",
		"  Enter        open the message    q         quit (back in the pager)",
		"  i            back to the index   space, -  page down / up (pager)",
		"  v            parts (pager)       s         save a part (pager),",
		"                                             move to a folder (index)",
		"  d            delete the message  F         flag / unflag",
		"  N            mark new / read     m         compose a new message",
		"  r            reply               g         reply to all",
		"  f            forward             c         change folder",
		"  /            search (empty: all) $         check for new mail",
		"  Home, End    first / last        ?         this help",
		"",
		"  New mail appears by itself (IMAP IDLE when the server has it).",
		"",
		"  -- press a key --",
	};
	size_t i;
	int k;

	do {
		erase();
		for (i = 0; i < nitems(text) && (int)i < LINES; i++)
			put((int)i, 0, text[i], COLS);
		refresh();
		k = next_key(t, -1);
	} while (k == ERR || k == KEY_RESIZE);
}

/* Runs an index command on the current message. */
static void
act(struct tui *t, int k)
{
	char *argv[ARGS_MAX], *a = NULL, *b = NULL;
	const char *num = t->nmsgs ? t->msgs[t->cur].num : NULL;
	struct ua_job j;
	size_t n;
	int tty = 0, st;

	if (num == NULL && k != 'm')
		return;
	base_args(t, argv, &n);
	switch (k) {
	case 'd':
		argv[n++] = "delete";
		argv[n++] = (char *)num;
		break;
	case 'F':
	case 'N':
		argv[n++] = "flag";
		argv[n++] = (char *)num;
		if (k == 'F')
			argv[n++] = strchr(t->msgs[t->cur].flags, 'F') ?
			    "-Flagged" : "+Flagged";
		else
			argv[n++] = strchr(t->msgs[t->cur].flags, 'N') ?
			    "+Seen" : "-Seen";
		break;
	case 'r':
	case 'g':
		argv[n++] = "reply";
		argv[n++] = (char *)num;
		if (k == 'g')
			argv[n++] = "--all";
		tty = 1;
		break;
	case 'f':
		if ((a = prompt(t, "forward to: ", NULL)) == NULL || !*a)
			goto out;
		argv[n++] = "forward";
		argv[n++] = (char *)num;
		argv[n++] = "--to";
		argv[n++] = a;
		tty = 1;
		break;
	case 's':
		if ((a = prompt(t, "move to folder: ", NULL)) == NULL || !*a)
			goto out;
		argv[n++] = "move";
		argv[n++] = (char *)num;
		argv[n++] = a;
		break;
	case 'm':
		if ((a = prompt(t, "To: ", NULL)) == NULL || !*a ||
		    (b = prompt(t, "Subject: ", NULL)) == NULL)
			goto out;
		argv[n++] = "send";
		argv[n++] = "--to";
		argv[n++] = a;
		argv[n++] = "--subject";
		argv[n++] = b;
		tty = 1;
		break;
	default:
		return;
	}
	if (k != 'm')
		add_folder(t, argv, &n);
	argv[n] = NULL;
	if (tty) {
		st = run_tty(t, argv);
		snprintf(t->status, sizeof(t->status), "%s", st == 0 ?
		    "sent" : "not sent");
	} else {
		st = run_job(t, argv, 64 * 1024, "working", &j);
		if (st != 0)
			first_line(&j.err, t->status, sizeof(t->status));
		ua_job_free(&j);
	}
	(void)load(t);
out:
	free(a);
	free(b);
}

/* Reloads after the watch child reported mail; says how much is new. */
static void
arrived(struct tui *t)
{
	size_t before = t->nmsgs;

	t->arrived = 0;
	if (load(t) >= 0 && t->nmsgs > before) {
		snprintf(t->status, sizeof(t->status), "%zu new message%s",
		    t->nmsgs - before, t->nmsgs - before == 1 ? "" : "s");
		if (t->cur + 1 == before)
			t->cur = t->nmsgs - 1;	/* follow the newest */
		beep();
	}
}

/*
 * Home and End differ between terminals (xterm's SS3 forms, the VT220
 * forms of screen and tmux); accept them all whatever $TERM says.
 */
static void
keys_init(void)
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
static void
locale_init(void)
{
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 &&
	    setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");
}

static void
index_loop(struct tui *t)
{
	int k;

	for (;;) {
		draw_index(t);
		k = next_key(t, 1000);
		if (k == ERR) {
			if (t->arrived > 0)
				arrived(t);
			else if (t->watch.pid == -1 &&
			    time(NULL) - t->checked >= CHECK_EVERY_S)
				arrived(t);	/* no watch child: poll */
			continue;
		}
		if (k != '$' && k != KEY_RESIZE)
			t->status[0] = '\0';
		switch (k) {
		case 'q':
			return;
		case 'j':
		case KEY_DOWN:
			if (t->cur + 1 < t->nmsgs)
				t->cur++;
			break;
		case 'k':
		case KEY_UP:
			if (t->cur > 0)
				t->cur--;
			break;
		case KEY_HOME:
			t->cur = 0;
			break;
		case KEY_END:
			t->cur = t->nmsgs ? t->nmsgs - 1 : 0;
			break;
		case KEY_NPAGE:
			t->cur += (size_t)(LINES > 3 ? LINES - 2 : 1);
			if (t->cur >= t->nmsgs)
				t->cur = t->nmsgs ? t->nmsgs - 1 : 0;
			break;
		case KEY_PPAGE:
			t->cur = t->cur > (size_t)LINES ? t->cur -
			    (size_t)LINES + 2 : 0;
			break;
		case '\r':
		case '\n':
		case KEY_ENTER:
			if (t->nmsgs > 0) {
				int again = pager(t, t->msgs[t->cur].num);
				if (again != 0)
					act(t, again);
				else
					(void)load(t);
			}
			break;
		case 'd':
		case 'F':
		case 'N':
		case 'r':
		case 'g':
		case 'f':
		case 'm':
		case 's':
			act(t, k);
			break;
		case 'c': {
			char *f = prompt(t, "folder: ", NULL);
			if (f != NULL) {
				free(t->folder);
				t->folder = *f && strcmp(f, "INBOX") ? f : NULL;
				if (t->folder == NULL)
					free(f);
				free(t->filter);
				t->filter = NULL;
				t->cur = 0;
				(void)load(t);
				if (t->nmsgs)
					t->cur = t->nmsgs - 1;
				watch_start(t);
			}
			break;
		}
		case '/': {
			char *q = prompt(t, "search: ", NULL);
			if (q != NULL) {
				free(t->filter);
				t->filter = *q ? q : NULL;
				if (t->filter == NULL)
					free(q);
				t->cur = 0;
				(void)load(t);
			}
			break;
		}
		case '$':
			arrived(t);
			break;
		case '?':
			help(t);
			break;
		}
	}
}

int
ua_tui(struct ua_ctx *c)
{
	struct tui t;
	ssize_t n;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		ua_warnx("no command given and not on a terminal; see "
		    "postern --help");
		return UA_EXIT_ERR;
	}
	memset(&t, 0, sizeof(t));
	t.c = c;
	t.watch.pid = -1;
	t.watch.fd[0] = t.watch.fd[1] = t.watch.fd[2] = -1;
	if ((n = readlink("/proc/self/exe", t.self, sizeof(t.self) - 1)) <= 0)
		return UA_EXIT_ERR;
	t.self[n] = '\0';
	locale_init();
	if (initscr() == NULL) {
		ua_warnx("cannot start the terminal interface");
		return UA_EXIT_ERR;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	keys_init();
	set_escdelay(50);
	curs_set(0);
	draw_index(&t);
	if (load(&t) >= 0 && t.nmsgs > 0)
		t.cur = t.nmsgs - 1;	/* newest last, cursor on it */
	watch_start(&t);
	index_loop(&t);
	endwin();
	ua_job_free(&t.watch);
	rows_free(&t);
	free(t.folder);
	free(t.filter);
	return UA_EXIT_OK;
}
