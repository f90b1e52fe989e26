/*
 * tui.c: `postern` with no subcommand on a terminal: a full-screen
 * interface over the INBOX. It draws with VT100/ANSI sequences on a raw
 * termios terminal and does every mail operation by running this same
 * program's scriptable subcommands (list, read, save, delete, flag, move,
 * search, reply, forward, send) and reading their stable output, so the
 * screen code holds no protocol logic. Keys follow mutt: j/k, Enter, q,
 * i, s, d, F, N, r, g (group reply), f, m, c, /, $, ?.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/ua.h"

#define CHECK_EVERY_S	30
#define ARGS_MAX	64

enum key {
	KEY_NONE = -1, KEY_UP = 1000, KEY_DOWN, KEY_PGUP, KEY_PGDN, KEY_HOME,
	KEY_END, KEY_ESC,
};

struct row {
	char	*num, *flags, *date, *from, *subject, *size;
};

struct tui {
	struct ua_ctx	*c;
	char		 self[4096];
	struct termios	 saved;
	int		 rows, cols;
	char		*folder;	/* NULL: INBOX */
	char		*filter;	/* search query or NULL */
	struct row	*msgs;
	size_t		 nmsgs, cur, top;
	char		 status[512];
	time_t		 checked;
};

static volatile sig_atomic_t resized;

static void
on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void
out(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w <= 0 && errno != EINTR)
			return;
		if (w > 0) {
			s += w;
			n -= (size_t)w;
		}
	}
}

static void
size_update(struct tui *t)
{
	struct winsize ws;

	t->rows = 24;
	t->cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
	}
}

static void
term_raw(struct tui *t)
{
	struct termios r = t->saved;

	r.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
	r.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	r.c_cc[VMIN] = 1;
	r.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &r);
}

static void
raw_on(struct tui *t)
{
	term_raw(t);
	out("\x1b[?1049h\x1b[?25l");
}

static void
raw_off(struct tui *t)
{
	out("\x1b[?25h\x1b[?1049l");
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
}

/* One more byte of an escape sequence, or -1 when none follows soon. */
static int
seq_byte(void)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	unsigned char ch;

	if (poll(&p, 1, 50) <= 0 || read(STDIN_FILENO, &ch, 1) != 1)
		return -1;
	return ch;
}

/*
 * Reads a key; waits at most ms (-1: forever). KEY_NONE on timeout.
 * Escape sequences (CSI "ESC [" and SS3 "ESC O") are read byte by byte
 * so a key typed right after one is never swallowed.
 */
static int
key(int ms)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	unsigned char b;
	int c, num = 0;

	if (poll(&p, 1, ms) <= 0)
		return KEY_NONE;
	if (read(STDIN_FILENO, &b, 1) != 1)
		return 'q';
	if (b != 0x1b)
		return b;
	if ((c = seq_byte()) != '[' && c != 'O')
		return KEY_ESC;
	while ((c = seq_byte()) >= '0' && c <= '9')
		num = num * 10 + (c - '0');
	switch (c) {
	case 'A':
		return KEY_UP;
	case 'B':
		return KEY_DOWN;
	case 'H':
		return KEY_HOME;
	case 'F':
		return KEY_END;
	case '~':
		return num == 1 || num == 7 ? KEY_HOME : num == 4 ||
		    num == 8 ? KEY_END : num == 5 ? KEY_PGUP : num == 6 ?
		    KEY_PGDN : KEY_NONE;
	}
	return KEY_NONE;
}

/* Appends s cut to width columns (UTF-8 aware), padded with spaces. */
static void
put_cols(struct buf *b, const char *s, size_t width)
{
	size_t cols = 0;

	for (; *s != '\0' && cols < width; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch & 0xc0) != 0x80)
			cols++;
		if (cols > width)
			break;
		buf_putc(b, ch < 0x20 ? ' ' : (char)ch);
	}
	/* finish a cut UTF-8 sequence */
	while (((unsigned char)*s & 0xc0) == 0x80)
		buf_putc(b, *s++);
	for (; cols < width; cols++)
		buf_putc(b, ' ');
}

/* ---- running our own subcommands ---- */

static size_t
base_args(struct tui *t, char **argv)
{
	size_t n = 0;
	int i;

	argv[n++] = t->self;
	/* the account and server options the TUI was started with */
	for (i = 1; i < t->c->argc && n < ARGS_MAX - 16; i++)
		argv[n++] = t->c->argv[i];
	return n;
}

static void
add_folder(struct tui *t, char **argv, size_t *n)
{
	if (t->folder != NULL) {
		argv[(*n)++] = "--folder";
		argv[(*n)++] = t->folder;
	}
}

/*
 * Runs `postern ARGS` with stdout (and stderr) captured into outb and
 * errb. Returns the exit status, or -1.
 */
static int
run_capture(char **argv, struct buf *outb, struct buf *errb)
{
	int po[2], pe[2], st;
	pid_t pid;
	struct pollfd p[2];

	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	p[0] = (struct pollfd){ po[0], POLLIN, 0 };
	p[1] = (struct pollfd){ pe[0], POLLIN, 0 };
	while (p[0].fd != -1 || p[1].fd != -1) {
		char chunk[65536];
		int k;

		if (poll(p, 2, -1) == -1 && errno != EINTR)
			break;
		for (k = 0; k < 2; k++) {
			ssize_t r;
			if (p[k].fd == -1 || p[k].revents == 0)
				continue;
			r = read(p[k].fd, chunk, sizeof(chunk));
			if (r <= 0) {
				close(p[k].fd);
				p[k].fd = -1;
			} else
				(void)buf_append(k == 0 ? outb : errb, chunk,
				    (size_t)r);
		}
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs `postern ARGS` on the terminal (an editor may open). */
static int
run_tty(struct tui *t, char **argv)
{
	pid_t pid;
	int st;

	raw_off(t);
	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	/* Leave the command's output readable until a key is pressed. */
	out("-- press a key --");
	term_raw(t);
	(void)key(-1);
	raw_on(t);
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
first_line(const struct buf *b, char *dst, size_t len)
{
	const char *s = buf_cstr(b);

	snprintf(dst, len, "%.*s", (int)strcspn(s, "\n"), s);
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
	char *argv[ARGS_MAX];
	size_t n = base_args(t, argv);
	struct buf o, e;
	char *line, *sv;
	int st;

	buf_init(&o, UA_MSG_MAX);
	buf_init(&e, 64 * 1024);
	argv[n++] = t->filter ? "search" : "list";
	if (t->filter)
		argv[n++] = t->filter;
	add_folder(t, argv, &n);
	argv[n] = NULL;
	st = run_capture(argv, &o, &e);
	rows_free(t);
	if (st == 0 || st == 1)
		for (line = strtok_r((char *)buf_cstr(&o), "\n", &sv);
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
		first_line(&e, t->status, sizeof(t->status));
	buf_free(&o);
	buf_free(&e);
	t->checked = time(NULL);
	if (t->cur >= t->nmsgs)
		t->cur = t->nmsgs ? t->nmsgs - 1 : 0;
	return st > 1 ? -1 : (long)t->nmsgs;
}

static void
draw_index(struct tui *t)
{
	struct buf s;
	size_t body = (size_t)t->rows - 2, i;
	char head[512];

	if (t->cur < t->top)
		t->top = t->cur;
	if (t->cur >= t->top + body)
		t->top = t->cur - body + 1;
	buf_init(&s, 1024 * 1024);
	buf_puts(&s, "\x1b[H\x1b[2J\x1b[7m");
	snprintf(head, sizeof(head), "postern: %s%s%s  [%zu]  q:quit "
	    "Enter:open d:del F:flag r:reply m:mail c:folder /:search ?:help",
	    t->folder ? t->folder : "INBOX", t->filter ? " search: " : "",
	    t->filter ? t->filter : "", t->nmsgs);
	put_cols(&s, head, (size_t)t->cols);
	buf_puts(&s, "\x1b[0m");
	for (i = 0; i < body; i++) {
		size_t k = t->top + i;
		char line[2048];
		buf_printf(&s, "\x1b[%zu;1H", i + 2);
		if (k >= t->nmsgs)
			continue;
		if (k == t->cur)
			buf_puts(&s, "\x1b[7m");
		snprintf(line, sizeof(line), "%4s %s %-16s %-20.20s %s",
		    t->msgs[k].num, t->msgs[k].flags, t->msgs[k].date,
		    t->msgs[k].from, t->msgs[k].subject);
		put_cols(&s, line, (size_t)t->cols);
		if (k == t->cur)
			buf_puts(&s, "\x1b[0m");
	}
	buf_printf(&s, "\x1b[%d;1H", t->rows);
	put_cols(&s, t->status, (size_t)t->cols - 1);
	out(buf_cstr(&s));
	buf_free(&s);
}

/* A one-line prompt on the last row; NULL when cancelled with Esc. */
static char *
prompt(struct tui *t, const char *q)
{
	struct buf in;
	int k;

	buf_init(&in, 1024);
	for (;;) {
		struct buf s;
		buf_init(&s, 4096);
		buf_printf(&s, "\x1b[%d;1H\x1b[2K%s%s\x1b[?25h", t->rows, q,
		    buf_cstr(&in));
		out(buf_cstr(&s));
		buf_free(&s);
		k = key(-1);
		if (k == '\r' || k == '\n')
			break;
		if (k == KEY_ESC || k == 7) {
			buf_free(&in);
			out("\x1b[?25l");
			return NULL;
		}
		if ((k == 127 || k == 8) && in.len > 0) {
			do
				buf_truncate(&in, in.len - 1);
			while (in.len > 0 &&
			    ((unsigned char)in.data[in.len - 1] & 0xc0) ==
			    0x80);
		} else if (k >= 0x20 && k < 0x100 && k != 127)
			buf_putc(&in, (char)k);
	}
	out("\x1b[?25l");
	{
		char *r = xstrdup(buf_cstr(&in));
		buf_free(&in);
		return r;
	}
}

/* ---- the pager ---- */

/* Shows message num; returns r, g, f or d when that key asks the index
 * to act on the message, else 0. */
static int
pager(struct tui *t, const char *num)
{
	char *argv[ARGS_MAX];
	size_t n = base_args(t, argv), nl = 0, top = 0, i;
	struct buf o, e;
	char **lines = NULL, *p, *sv;
	int k, st, action = 0;

	buf_init(&o, UA_MSG_MAX * 2);
	buf_init(&e, 64 * 1024);
	snprintf(t->status, sizeof(t->status), "loading message %s...", num);
	draw_index(t);
	argv[n++] = "read";
	argv[n++] = (char *)num;
	add_folder(t, argv, &n);
	argv[n] = NULL;
	st = run_capture(argv, &o, &e);
	if (st != 0) {
		first_line(&e, t->status, sizeof(t->status));
		goto done;
	}
	t->status[0] = '\0';
	/* split in place, keeping empty lines */
	for (p = (char *)buf_cstr(&o); p != NULL; p = sv) {
		sv = strchr(p, '\n');
		if (sv != NULL)
			*sv++ = '\0';
		if (sv == NULL && *p == '\0')
			break;
		lines = xreallocarray(lines, nl + 1, sizeof(char *));
		lines[nl++] = p;
	}
	for (;;) {
		struct buf s;
		size_t body = (size_t)t->rows - 2;

		if (resized) {
			resized = 0;
			size_update(t);
		}
		buf_init(&s, 1024 * 1024);
		buf_puts(&s, "\x1b[H\x1b[2J\x1b[7m");
		{
			char head[256];
			snprintf(head, sizeof(head), "message %s  q/i:back "
			    "j/k:line space/-:page s:save r:reply "
			    "f:forward d:delete", num);
			put_cols(&s, head, (size_t)t->cols);
		}
		buf_puts(&s, "\x1b[0m");
		for (i = 0; i < body && top + i < nl; i++) {
			buf_printf(&s, "\x1b[%zu;1H", i + 2);
			put_cols(&s, lines[top + i], (size_t)t->cols);
		}
		buf_printf(&s, "\x1b[%d;1H", t->rows);
		{
			char st2[600];
			snprintf(st2, sizeof(st2), "%s%s-- %zu%% --",
			    t->status, *t->status ? "  " : "",
			    nl ? (top + body >= nl ? 100 : (top + body) *
			    100 / nl) : 100);
			put_cols(&s, st2, (size_t)t->cols - 1);
		}
		out(buf_cstr(&s));
		buf_free(&s);
		k = key(-1);
		t->status[0] = '\0';
		if (k == 'q' || k == 'i' || k == KEY_ESC)
			break;
		if ((k == 'j' || k == KEY_DOWN || k == '\r') &&
		    top + 1 < nl)
			top++;
		else if ((k == 'k' || k == KEY_UP) && top > 0)
			top--;
		else if (k == ' ' || k == KEY_PGDN)
			top = top + body < nl ? top + body : top;
		else if (k == '-' || k == KEY_PGUP)
			top = top > body ? top - body : 0;
		else if (k == 's') {
			char *part = prompt(t, "save part: "), *file;
			if (part == NULL)
				continue;
			file = prompt(t, "to file: ");
			if (file != NULL && *file) {
				struct buf o2, e2;
				size_t m = base_args(t, argv);
				buf_init(&o2, 64 * 1024);
				buf_init(&e2, 64 * 1024);
				argv[m++] = "save";
				argv[m++] = (char *)num;
				argv[m++] = part;
				argv[m++] = file;
				add_folder(t, argv, &m);
				argv[m] = NULL;
				(void)run_capture(argv, &o2, &e2);
				first_line(e2.len ? &e2 : &o2, t->status,
				    sizeof(t->status));
				buf_free(&o2);
				buf_free(&e2);
			}
			free(part);
			free(file);
		} else if (k == 'r' || k == 'f' || k == 'd' || k == 'g') {
			action = k;	/* the index acts on this message */
			break;
		}
	}
done:
	free(lines);
	buf_free(&o);
	buf_free(&e);
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
		"  s            save a part (pager) d         delete the message",
		"  F            flag / unflag       N         mark new / read",
		"  r            reply               g         reply to all",
		"  f            forward             m         compose a new message",
		"  c            change folder       /         search (empty: all)",
		"  $            check for new mail  ?         this help",
		"",
		"  -- press a key --",
	};
	struct buf s;
	size_t i;

	buf_init(&s, 64 * 1024);
	buf_puts(&s, "\x1b[H\x1b[2J");
	for (i = 0; i < nitems(text); i++)
		buf_printf(&s, "\x1b[%zu;1H%s", i + 1, text[i]);
	out(buf_cstr(&s));
	buf_free(&s);
	(void)key(-1);
}

/* Runs an index command on the current message. */
static void
act(struct tui *t, int k)
{
	char *argv[ARGS_MAX], *a = NULL, *b = NULL;
	size_t n = base_args(t, argv);
	const char *num = t->nmsgs ? t->msgs[t->cur].num : NULL;
	struct buf o, e;
	int tty = 0, st;

	if (num == NULL && k != 'm')
		return;
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
		if ((a = prompt(t, "forward to: ")) == NULL || !*a)
			goto out;
		argv[n++] = "forward";
		argv[n++] = (char *)num;
		argv[n++] = "--to";
		argv[n++] = a;
		tty = 1;
		break;
	case 'm':
		if ((a = prompt(t, "To: ")) == NULL || !*a ||
		    (b = prompt(t, "Subject: ")) == NULL)
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
		buf_init(&o, 64 * 1024);
		buf_init(&e, 64 * 1024);
		st = run_capture(argv, &o, &e);
		if (st != 0)
			first_line(&e, t->status, sizeof(t->status));
		buf_free(&o);
		buf_free(&e);
	}
	(void)load(t);
out:
	free(a);
	free(b);
}

int
ua_tui(struct ua_ctx *c)
{
	struct tui t;
	ssize_t n;
	int k;
	size_t before;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		ua_warnx("no command given and not on a terminal; see "
		    "postern --help");
		return UA_EXIT_ERR;
	}
	memset(&t, 0, sizeof(t));
	t.c = c;
	if ((n = readlink("/proc/self/exe", t.self, sizeof(t.self) - 1)) <= 0)
		return UA_EXIT_ERR;
	t.self[n] = '\0';
	tcgetattr(STDIN_FILENO, &t.saved);
	signal(SIGWINCH, on_winch);
	size_update(&t);
	raw_on(&t);
	snprintf(t.status, sizeof(t.status), "loading...");
	draw_index(&t);
	t.status[0] = '\0';
	if (load(&t) >= 0 && t.nmsgs > 0)
		t.cur = t.nmsgs - 1;	/* newest last, cursor on it */
	for (;;) {
		if (resized) {
			resized = 0;
			size_update(&t);
		}
		draw_index(&t);
		k = key(1000);
		if (k == KEY_NONE) {
			if (time(NULL) - t.checked < CHECK_EVERY_S)
				continue;
			k = '$';
		}
		if (k != KEY_NONE && k != '$')
			t.status[0] = '\0';
		if (k == 'q')
			break;
		switch (k) {
		case 'j':
		case KEY_DOWN:
			if (t.cur + 1 < t.nmsgs)
				t.cur++;
			break;
		case 'k':
		case KEY_UP:
			if (t.cur > 0)
				t.cur--;
			break;
		case KEY_HOME:
			t.cur = 0;
			break;
		case KEY_END:
			t.cur = t.nmsgs ? t.nmsgs - 1 : 0;
			break;
		case KEY_PGDN:
			t.cur = t.cur + (size_t)t.rows < t.nmsgs ?
			    t.cur + (size_t)t.rows - 2 : (t.nmsgs ?
			    t.nmsgs - 1 : 0);
			break;
		case KEY_PGUP:
			t.cur = t.cur > (size_t)t.rows ? t.cur -
			    (size_t)t.rows + 2 : 0;
			break;
		case '\r':
		case '\n':
			if (t.nmsgs > 0) {
				int again = pager(&t, t.msgs[t.cur].num);
				if (again != 0)
					act(&t, again);
				else
					(void)load(&t);
			}
			break;
		case 'd':
		case 'F':
		case 'N':
		case 'r':
		case 'g':
		case 'f':
		case 'm':
			act(&t, k);
			break;
		case 'c': {
			char *f = prompt(&t, "folder: ");
			if (f != NULL) {
				free(t.folder);
				t.folder = *f && strcmp(f, "INBOX") ? f : NULL;
				if (t.folder == NULL)
					free(f);
				free(t.filter);
				t.filter = NULL;
				t.cur = 0;
				(void)load(&t);
				if (t.nmsgs)
					t.cur = t.nmsgs - 1;
			}
			break;
		}
		case '/': {
			char *q = prompt(&t, "search: ");
			if (q != NULL) {
				free(t.filter);
				t.filter = *q ? q : NULL;
				if (t.filter == NULL)
					free(q);
				t.cur = 0;
				(void)load(&t);
			}
			break;
		}
		case '$':
			before = t.nmsgs;
			snprintf(t.status, sizeof(t.status), "checking...");
			draw_index(&t);
			t.status[0] = '\0';
			if (load(&t) >= 0 && t.nmsgs > before) {
				snprintf(t.status, sizeof(t.status),
				    "%zu new message%s", t.nmsgs - before,
				    t.nmsgs - before == 1 ? "" : "s");
				out("\a");
			}
			break;
		case '?':
			help(&t);
			break;
		}
	}
	raw_off(&t);
	rows_free(&t);
	free(t.folder);
	free(t.filter);
	return UA_EXIT_OK;
}
