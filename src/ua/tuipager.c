/*
 * tuipager.c: the terminal interface's pager (a message as `postern read`
 * prints it, scrolled) and its parts menu (mutt's `v`), from which a part
 * is saved with `postern save`, its download progress in the status line.
 */
#define NCURSES_WIDECHAR 1	/* get_wch, addnwstr: libncursesw */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/tuiint.h"

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
	char *argv[UA_TUI_ARGS_MAX], label[64], pfd[16];
	struct ua_job j;
	size_t n;
	int st;

	ua_tui_args(t, argv, &n);
	snprintf(pfd, sizeof(pfd), "%d", UA_JOB_PROGRESS_FD);
	argv[n++] = "save";
	argv[n++] = (char *)num;
	argv[n++] = (char *)part;
	argv[n++] = (char *)file;
	argv[n++] = "--progress-fd";
	argv[n++] = pfd;
	ua_tui_folder_arg(t, argv, &n);
	argv[n] = NULL;
	snprintf(label, sizeof(label), "saving part %.16s", part);
	st = ua_tui_run(t, argv, 64 * 1024, label, &j);
	ua_tui_first_line(st == 0 && j.out.len ? &j.out : &j.err, t->status,
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
		ua_tui_title(head);
		for (i = 0; i < n && (int)i < LINES - 2; i++) {
			if (i == cur)
				attron(A_REVERSE);
			ua_tui_put((int)i + 1, 0, pg->lines[first + i], COLS);
			if (i == cur)
				attroff(A_REVERSE);
		}
		ua_tui_status(t);
		refresh();
		k = ua_tui_key(t, -1);
		if (k == ERR || k == KEY_RESIZE)
			continue;
		t->status[0] = '\0';
		if (k == 'q' || k == 'i' || k == UA_TUI_ESC)
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
			file = ua_tui_prompt(t, "save to file: ", *name ? name :
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
	ua_tui_title(head);
	for (i = 0; i < body && pg->top + i < pg->nl; i++)
		ua_tui_put((int)i + 1, 0, pg->lines[pg->top + i], COLS);
	snprintf(st, sizeof(st), "%s%s-- %zu%% --", t->status,
	    *t->status ? "  " : "", pg->nl ? (pg->top + body >= pg->nl ?
	    100 : (pg->top + body) * 100 / pg->nl) : 100);
	ua_tui_put(LINES - 1, 0, st, COLS);
	refresh();
}

/* Shows message num; returns r, g, f or d when that key asks the index
 * to act on the message, else 0. */
int
ua_tui_pager(struct tui *t, const char *num)
{
	char *argv[UA_TUI_ARGS_MAX], *p, *sv, label[64], pfd[16];
	struct page pg = { .num = num };
	struct ua_job j;
	size_t n, body, cap = 0;
	int k, action = 0;

	ua_tui_args(t, argv, &n);
	snprintf(pfd, sizeof(pfd), "%d", UA_JOB_PROGRESS_FD);
	argv[n++] = "read";
	argv[n++] = (char *)num;
	argv[n++] = "--progress-fd";
	argv[n++] = pfd;
	ua_tui_folder_arg(t, argv, &n);
	argv[n] = NULL;
	snprintf(label, sizeof(label), "message %.16s", num);
	if (ua_tui_run(t, argv, UA_MSG_MAX * 2, label, &j) != 0) {
		ua_tui_first_line(&j.err, t->status, sizeof(t->status));
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
		if (pg.nl == cap) {	/* doubling: a message has many lines */
			cap = cap ? cap * 2 : 256;
			pg.lines = xreallocarray(pg.lines, cap, sizeof(char *));
		}
		pg.lines[pg.nl++] = p;
	}
	for (pg.parts = pg.nl; pg.parts > 0; pg.parts--)
		if (!strcmp(pg.lines[pg.parts - 1], "Parts:"))
			break;
	pg.parts = pg.parts > 0 ? pg.parts - 1 : pg.nl;
	for (;;) {
		draw_pager(t, &pg);
		body = LINES > 2 ? (size_t)LINES - 2 : 1;
		k = ua_tui_key(t, -1);
		if (k == ERR || k == KEY_RESIZE)
			continue;	/* new mail waits for the index */
		t->status[0] = '\0';
		if (k == 'q' || k == 'i' || k == UA_TUI_ESC)
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
			char *file, *part = ua_tui_prompt(t, "save part: ",
			    NULL);
			if (part == NULL)
				continue;
			file = ua_tui_prompt(t, "to file: ", NULL);
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
