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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/tuiint.h"

/* ---- the index ---- */

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
	ua_tui_title(head);
	for (i = 0; i < body && t->top + i < t->nmsgs; i++) {
		const struct row *r = &t->msgs[t->top + i];
		int y = (int)i + 1, x;
		char lead[64];

		if (t->top + i == t->cur)
			attron(A_REVERSE);
		snprintf(lead, sizeof(lead), "%4s %s %-16s ", r->num, r->flags,
		    r->date);
		ua_tui_put(y, 0, lead, COLS);
		x = (int)strlen(lead);
		ua_tui_put(y, x, r->from, COLS - x < 20 ? COLS - x : 20);
		x += 21;
		if (COLS - x > 10) {
			ua_tui_put(y, x, r->subject, COLS - x - 9);
			move(y, COLS - 8);
			printw("%8.8s", r->size);
		} else if (COLS > x)
			ua_tui_put(y, x, r->subject, COLS - x);
		if (t->top + i == t->cur)
			attroff(A_REVERSE);
	}
	ua_tui_status(t);
	refresh();
}

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

/*
 * (Re)loads the message list; returns the number of messages or -1. With
 * announce (same folder and search as before), more messages than before
 * are reported as new mail in the status line, the cursor following the
 * newest when it was on the last one.
 */
static long
load(struct tui *t, int announce)
{
	char *argv[UA_TUI_ARGS_MAX], *line, *sv;
	struct ua_job j;
	size_t n, cap = 0, before = t->nmsgs;
	size_t was_last = t->cur + 1 == t->nmsgs;
	int st;

	ua_tui_args(t, argv, &n);
	argv[n++] = t->filter ? "search" : "list";
	if (t->filter)
		argv[n++] = t->filter;
	ua_tui_folder_arg(t, argv, &n);
	argv[n] = NULL;
	st = ua_tui_run(t, argv, UA_MSG_MAX, t->filter ? "searching" :
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
			if (t->nmsgs == cap) {	/* doubling */
				cap = cap ? cap * 2 : 256;
				t->msgs = xreallocarray(t->msgs, cap,
				    sizeof(*t->msgs));
			}
			t->msgs[t->nmsgs++] = (struct row){ f[0], f[1], f[2],
			    f[3], f[4], f[5] };
		}
	else
		ua_tui_first_line(&j.err, t->status, sizeof(t->status));
	ua_job_free(&j);
	t->checked = time(NULL);
	if (announce && (st == 0 || st == 1) && t->nmsgs > before) {
		snprintf(t->status, sizeof(t->status), "%zu new message%s",
		    t->nmsgs - before, t->nmsgs - before == 1 ? "" : "s");
		if (was_last)
			t->cur = t->nmsgs - 1;	/* follow the newest */
		beep();
	}
	if (t->cur >= t->nmsgs)
		t->cur = t->nmsgs ? t->nmsgs - 1 : 0;
	return st > 1 || st < 0 ? -1 : (long)t->nmsgs;
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
			ua_tui_put((int)i, 0, text[i], COLS);
		refresh();
		k = ua_tui_key(t, -1);
	} while (k == ERR || k == KEY_RESIZE);
}

/* Runs an index command on the current message. */
static void
act(struct tui *t, int k)
{
	char *argv[UA_TUI_ARGS_MAX], *a = NULL, *b = NULL;
	const char *num = t->nmsgs ? t->msgs[t->cur].num : NULL;
	struct ua_job j;
	size_t n;
	int tty = 0, st;

	if (num == NULL && k != 'm')
		return;
	ua_tui_args(t, argv, &n);
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
		if ((a = ua_tui_prompt(t, "forward to: ", NULL)) == NULL || !*a)
			goto out;
		argv[n++] = "forward";
		argv[n++] = (char *)num;
		argv[n++] = "--to";
		argv[n++] = a;
		tty = 1;
		break;
	case 's':
		if ((a = ua_tui_prompt(t, "move to folder: ", NULL)) ==
		    NULL || !*a)
			goto out;
		argv[n++] = "move";
		argv[n++] = (char *)num;
		argv[n++] = a;
		break;
	case 'm':
		if ((a = ua_tui_prompt(t, "To: ", NULL)) == NULL || !*a ||
		    (b = ua_tui_prompt(t, "Subject: ", NULL)) == NULL)
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
		ua_tui_folder_arg(t, argv, &n);
	argv[n] = NULL;
	if (tty) {
		st = ua_tui_run_tty(t, argv);
		snprintf(t->status, sizeof(t->status), "%s", st == 0 ?
		    "sent" : "not sent");
	} else {
		st = ua_tui_run(t, argv, 64 * 1024, "working", &j);
		if (st != 0)
			ua_tui_first_line(&j.err, t->status, sizeof(t->status));
		ua_job_free(&j);
	}
	(void)load(t, 1);
out:
	free(a);
	free(b);
}

static void
index_loop(struct tui *t)
{
	int k;

	for (;;) {
		draw_index(t);
		k = ua_tui_key(t, 1000);
		if (k == ERR) {
			/* mail from the watch child, or (without one) the
			 * time for a plain re-list */
			if (t->arrived > 0 || (t->watch.pid == -1 &&
			    time(NULL) - t->checked >= UA_TUI_CHECK_S)) {
				t->arrived = 0;
				(void)load(t, 1);
			}
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
				int again = ua_tui_pager(t,
				    t->msgs[t->cur].num);
				if (again != 0)
					act(t, again);
				else
					(void)load(t, 1);
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
			char *f = ua_tui_prompt(t, "folder: ", NULL);
			if (f != NULL) {
				free(t->folder);
				t->folder = *f && strcmp(f, "INBOX") ? f : NULL;
				if (t->folder == NULL)
					free(f);
				free(t->filter);
				t->filter = NULL;
				t->cur = 0;
				(void)load(t, 0);
				if (t->nmsgs)
					t->cur = t->nmsgs - 1;
				ua_tui_watch_start(t);
			}
			break;
		}
		case '/': {
			char *q = ua_tui_prompt(t, "search: ", NULL);
			if (q != NULL) {
				free(t->filter);
				t->filter = *q ? q : NULL;
				if (t->filter == NULL)
					free(q);
				t->cur = 0;
				(void)load(t, 0);
			}
			break;
		}
		case '$':
			t->arrived = 0;
			(void)load(t, 1);
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
	ua_tui_locale_init();
	if (initscr() == NULL) {
		ua_warnx("cannot start the terminal interface");
		return UA_EXIT_ERR;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	ua_tui_keys_init();
	set_escdelay(50);
	curs_set(0);
	draw_index(&t);
	if (load(&t, 0) >= 0 && t.nmsgs > 0)
		t.cur = t.nmsgs - 1;	/* newest last, cursor on it */
	ua_tui_watch_start(&t);
	index_loop(&t);
	endwin();
	ua_job_free(&t.watch);
	rows_free(&t);
	free(t.folder);
	free(t.filter);
	return UA_EXIT_OK;
}
