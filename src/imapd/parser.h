/*
 * parser.h: the IMAP4 command parser (RFC 3501 §9, RFC 7888 LITERAL+).
 *
 * Incremental and without I/O (STYLE §3.5): bytes are pushed in any
 * chunking and parsed items pulled one at a time. A command is framed
 * first: its lines are collected and every literal "{N}" / "{N+}" at a line
 * end is checked against the limits *before* a byte of it is read, so an
 * over-limit literal costs neither reading nor allocating N bytes. A
 * synchronising literal within the limit yields IMAPD_P_CONTINUE (the
 * caller sends "+ ..."); one over the limit yields IMAPD_P_TOOBIG and the
 * command is dropped (the client waits for a continuation that never
 * comes, then reads the tagged reply). A non-synchronising literal over
 * the limit, or a line over line_max, is IMAPD_P_FATAL: the bytes that
 * follow cannot be framed, so the caller says BYE and closes.
 *
 * A framed command is then tokenised in one pass into tag, command name
 * and a flat token array where lists appear as LIST_START ... LIST_END.
 * Atoms that start a FETCH body section ("BODY[", "BODY.PEEK[",
 * "BINARY[" ...) run to the matching ']' including spaces and parentheses,
 * so "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>" is one atom.
 *
 * In line mode (AUTHENTICATE responses, IDLE's DONE) the next item is
 * one raw line instead of a command.
 */
#ifndef IMAPD_PARSER_H
#define IMAPD_PARSER_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 7162 §4 recommends accepting command lines of at least 8192 octets. */
#define IMAPD_LINE_MAX		65536
#define IMAPD_LITERAL_MAX	65536	/* literals outside APPEND */
#define IMAPD_CMD_MAX		(1024 * 1024)	/* a command, APPEND data aside */
#define IMAPD_DEPTH_MAX		16	/* nested parenthesised lists */
#define IMAPD_TOKENS_MAX	10000
#define IMAPD_TAG_MAX		64
#define IMAPD_INPUT_MAX		(256 * 1024)	/* pushed but not parsed */

struct imapd_parser_settings {
	size_t		line_max;	/* one line, CRLF included */
	size_t		literal_max;
	size_t		append_max;	/* literals of APPEND (message size) */
	size_t		cmd_max;
	unsigned	depth_max;
	size_t		tokens_max;
};

enum imapd_tok_type {
	IMAPD_TOK_ATOM,		/* includes NIL: compare the text */
	IMAPD_TOK_QUOTED,	/* unescaped */
	IMAPD_TOK_LITERAL,
	IMAPD_TOK_LIST_START,
	IMAPD_TOK_LIST_END,
};

/* Token text is NUL-terminated (a literal may also hold NULs: use len). */
struct imapd_tok {
	enum imapd_tok_type	 type;
	const char		*s;
	size_t			 len;
};

enum imapd_parse_result {
	IMAPD_P_MORE,		/* push more bytes */
	IMAPD_P_CMD,		/* a command */
	IMAPD_P_CONTINUE,	/* send a continuation request */
	IMAPD_P_LINE,		/* line mode: a raw line */
	IMAPD_P_BAD,		/* syntax error: tagged (or "*") BAD */
	IMAPD_P_TOOBIG,		/* synchronising literal over the limit */
	IMAPD_P_FATAL,		/* unframable input: BYE and close */
};

/* What imapd_parser_next gives. Everything stays valid until the next
 * call on the parser. */
struct imapd_parsed {
	const char		*tag;	/* NULL when none could be read */
	const char		*name;	/* command, upper case */
	const struct imapd_tok	*args;
	size_t			 nargs;
	const char		*line;	/* IMAPD_P_LINE */
	size_t			 linelen;
	const char		*errstr; /* BAD, TOOBIG, FATAL */
};

struct imapd_parser;

void imapd_parser_settings_default(struct imapd_parser_settings *s);
struct imapd_parser *imapd_parser_new(const struct imapd_parser_settings *s);
void imapd_parser_free(struct imapd_parser **pp);

/* Takes up to len bytes; returns how many (fewer when the input buffer is
 * full: pull items, then push the rest). */
size_t imapd_parser_push(struct imapd_parser *p, const void *data,
    size_t len);
enum imapd_parse_result imapd_parser_next(struct imapd_parser *p,
    struct imapd_parsed *out);

/* Changes the APPEND literal limit (the session raises it from the
 * ordinary literal limit once the client has logged in). */
void imapd_parser_set_append_max(struct imapd_parser *p, size_t max);
/* Line mode on or off (takes effect at the next item). */
void imapd_parser_line_mode(struct imapd_parser *p, bool on);
/* Forgets pushed bytes not yet parsed (STARTTLS, RFC 3501 §6.2.1). */
void imapd_parser_discard(struct imapd_parser *p);
size_t imapd_parser_pending(const struct imapd_parser *p);

/* Upper-case atom compare helper: whether tok is an atom equal to word
 * (ASCII case-insensitive). */
bool imapd_tok_is(const struct imapd_tok *tok, const char *word);
/* Whether tok is a string: atom, quoted or literal (IMAP astring). */
bool imapd_tok_is_astring(const struct imapd_tok *tok);

#endif
