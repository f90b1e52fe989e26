/*
 * cmd-mail.c: POP3 commands of the TRANSACTION state: STAT, LIST, UIDL,
 * RETR, TOP, DELE, NOOP, RSET (RFC 1939 §5, §7). Message numbers refer to
 * the maildrop as listed at login and never shift during the session:
 * mail delivered meanwhile waits for the next one. Part of the session
 * engine run by the pop3 role.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "pop3d/session-private.h"

/* Decimal digits only: no sign, no space, no overflow. -1 when not. */
static long
number(const char *arg, long max)
{
	long v = 0;

	if (*arg == '\0')
		return -1;
	for (; *arg != '\0'; arg++) {
		if (*arg < '0' || *arg > '9')
			return -1;
		if (v > (max - (*arg - '0')) / 10)
			return max + 1;	/* too big, caught before overflow */
		v = v * 10 + (*arg - '0');
	}
	return v;
}

long
pop3d_msgno(struct pop3d_session *s, const char *arg, bool deleted_ok)
{
	long n = number(arg, (long)s->nmsgs + 1);

	if (n < 0) {
		pop3d_bad(s, "Invalid message number");
		return -1;
	}
	if (n < 1 || (size_t)n > s->nmsgs) {
		pop3d_reply(s, "-ERR No such message");
		return -1;
	}
	if (!deleted_ok && s->msgs[n - 1].deleted) {
		pop3d_reply(s, "-ERR Message %ld is deleted", n);
		return -1;
	}
	return n - 1;
}

/* Messages and octets not marked deleted. */
static void
totals(const struct pop3d_session *s, size_t *n_out, uint64_t *octets_out)
{
	*n_out = 0;
	*octets_out = 0;
	for (size_t i = 0; i < s->nmsgs; i++) {
		if (s->msgs[i].deleted)
			continue;
		(*n_out)++;
		*octets_out += s->msgs[i].size;
	}
}

void
pop3d_cmd_stat(struct pop3d_session *s, int argc, char **argv)
{
	uint64_t octets;
	size_t n;

	/* RFC 1939 §5: exactly "+OK nn mm", deleted messages not counted. */
	totals(s, &n, &octets);
	pop3d_reply(s, "+OK %zu %llu", n, (unsigned long long)octets);
}

/* LIST and UIDL share their shape: one message, or all not deleted. */
static void
listing(struct pop3d_session *s, int argc, char **argv, bool uidl)
{
	long i;

	if (argc == 2) {
		if ((i = pop3d_msgno(s, argv[1], false)) < 0)
			return;
		if (uidl)
			pop3d_reply(s, "+OK %ld %08x%08x", i + 1,
			    s->uidvalidity, s->msgs[i].uid);
		else
			pop3d_reply(s, "+OK %ld %llu", i + 1,
			    (unsigned long long)s->msgs[i].size);
		return;
	}
	pop3d_reply(s, "+OK %s follows", uidl ? "Unique-ID list" :
	    "Scan list");
	for (size_t k = 0; k < s->nmsgs; k++) {
		if (s->msgs[k].deleted)
			continue;
		/* RFC 1939 §7 UIDL: 1-70 characters 0x21-0x7E; ours is
		 * UIDVALIDITY and UID, as IMAP sees the message. */
		if (uidl)
			pop3d_reply(s, "%zu %08x%08x", k + 1, s->uidvalidity,
			    s->msgs[k].uid);
		else
			pop3d_reply(s, "%zu %llu", k + 1,
			    (unsigned long long)s->msgs[k].size);
	}
	pop3d_reply(s, ".");
}

void
pop3d_cmd_list(struct pop3d_session *s, int argc, char **argv)
{
	listing(s, argc, argv, false);
}

void
pop3d_cmd_uidl(struct pop3d_session *s, int argc, char **argv)
{
	listing(s, argc, argv, true);
}

/* RETR and TOP: hand the message to the glue, which streams it. */
static void
send_msg(struct pop3d_session *s, long i, long lines)
{
	s->cur = (uint32_t)i;
	s->top_lines = lines;
	pop3d_act(s, POP3D_ACT_RETR);
	s->act.uid = s->msgs[i].uid;
	s->act.size = s->msgs[i].size;
}

void
pop3d_cmd_retr(struct pop3d_session *s, int argc, char **argv)
{
	long i;

	if ((i = pop3d_msgno(s, argv[1], false)) >= 0)
		send_msg(s, i, -1);
}

void
pop3d_cmd_top(struct pop3d_session *s, int argc, char **argv)
{
	long i, lines;

	/* RFC 1939 §7: a non-negative number of body lines. */
	if ((lines = number(argv[2], LONG_MAX / 2)) < 0) {
		pop3d_bad(s, "Invalid number of lines");
		return;
	}
	if ((i = pop3d_msgno(s, argv[1], false)) >= 0)
		send_msg(s, i, lines);
}

void
pop3d_cmd_dele(struct pop3d_session *s, int argc, char **argv)
{
	long i;

	if ((i = pop3d_msgno(s, argv[1], false)) < 0)
		return;
	s->msgs[i].deleted = true;
	pop3d_reply(s, "+OK Message %ld deleted", i + 1);
}

void
pop3d_cmd_noop(struct pop3d_session *s, int argc, char **argv)
{
	pop3d_reply(s, "+OK");
}

void
pop3d_cmd_rset(struct pop3d_session *s, int argc, char **argv)
{
	uint64_t octets;
	size_t n;

	/* RFC 1939 §7: unmark every deleted message. */
	for (size_t i = 0; i < s->nmsgs; i++)
		s->msgs[i].deleted = false;
	totals(s, &n, &octets);
	pop3d_reply(s, "+OK Maildrop has %zu messages (%llu octets)", n,
	    (unsigned long long)octets);
}
