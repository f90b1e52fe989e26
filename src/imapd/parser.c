/*
 * parser.c: IMAP4 command framing and tokenising (RFC 3501 §9, RFC 7888).
 * Run by the imap role process; pure, no I/O (see parser.h).
 *
 * Framing works on lines: bytes up to LF are appended to the command
 * buffer; a line ending in "{N}" or "{N+}" is followed by N raw bytes and
 * another line. The literal's size is checked against the limits the
 * moment its line ends. Once a line without a literal ends, the whole
 * command (wire bytes, literals inline) is tokenised in one pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/parser.h"
#include "lib/buf.h"
#include "lib/util.h"

#define BIG_LITERAL	4096	/* larger literals are not copied */

enum frame_state {
	FRAME_LINE,
	FRAME_LITERAL,
};

/* A token while tokenising: text is at off in strs, or in cmd. */
struct ptok {
	enum imapd_tok_type	type;
	size_t			off, len;
	bool			in_cmd;
};

struct imapd_parser {
	struct imapd_parser_settings set;
	size_t		 append_cap;	/* set.append_max at creation */
	struct buf	 in;		/* pushed, not yet framed */
	size_t		 in_off;
	struct buf	 cmd;		/* the command being framed */
	size_t		 frag_start;	/* start of the current line in cmd */
	enum frame_state state;
	size_t		 lit_remain;
	bool		 line_mode;
	bool		 done;		/* the last item ended the command */
	bool		 is_append;
	char		 tag[IMAPD_TAG_MAX + 1];
	bool		 have_tag;
	char		 name[32];
	struct ptok	*ptoks;
	struct imapd_tok *toks;
	size_t		 ntoks, tokcap;
	struct buf	 strs;
	const char	*err;
};

/* RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials. */
static bool
is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", c) == NULL;
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool
is_tag_char(unsigned char c)
{
	return c == ']' || (is_atom_char(c) && c != '+');
}

/* Our lenient argument atoms: anything up to SP, CTL, paren or quote. */
static bool
is_arg_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '(' && c != ')' && c != '"';
}

void
imapd_parser_settings_default(struct imapd_parser_settings *s)
{
	s->line_max = IMAPD_LINE_MAX;
	s->literal_max = IMAPD_LITERAL_MAX;
	s->append_max = 25 * 1024 * 1024;
	s->cmd_max = IMAPD_CMD_MAX;
	s->depth_max = IMAPD_DEPTH_MAX;
	s->tokens_max = IMAPD_TOKENS_MAX;
}

struct imapd_parser *
imapd_parser_new(const struct imapd_parser_settings *s)
{
	struct imapd_parser *p = xcalloc(1, sizeof(*p));

	if (s != NULL)
		p->set = *s;
	else
		imapd_parser_settings_default(&p->set);
	buf_init(&p->in, IMAPD_INPUT_MAX);
	p->append_cap = p->set.append_max;
	buf_init(&p->cmd, p->set.cmd_max + p->append_cap + p->set.line_max);
	buf_init(&p->strs, SIZE_MAX / 2);
	return p;
}

void
imapd_parser_free(struct imapd_parser **pp)
{
	struct imapd_parser *p = *pp;

	if (p == NULL)
		return;
	buf_free(&p->in);
	buf_free(&p->cmd);
	buf_free(&p->strs);
	free(p->ptoks);
	free(p->toks);
	free(p);
	*pp = NULL;
}

size_t
imapd_parser_push(struct imapd_parser *p, const void *data, size_t len)
{
	size_t room;

	if (p->in_off > 0) {
		buf_consume(&p->in, p->in_off);
		p->in_off = 0;
	}
	/* Nothing pending: drop a big input buffer (idle sessions). */
	if (p->in.len == 0 && p->in.cap > BIG_LITERAL * 4)
		buf_free(&p->in);
	room = IMAPD_INPUT_MAX - p->in.len;
	if (len > room)
		len = room;
	if (len > 0 && buf_append(&p->in, data, len) == -1)
		return 0;
	return len;
}

void
imapd_parser_set_append_max(struct imapd_parser *p, size_t max)
{
	/* The command buffer's max was sized for the settings' limit. */
	p->set.append_max = max < p->append_cap ? max : p->append_cap;
}

void
imapd_parser_line_mode(struct imapd_parser *p, bool on)
{
	p->line_mode = on;
}

void
imapd_parser_discard(struct imapd_parser *p)
{
	buf_reset(&p->in);
	p->in_off = 0;
}

size_t
imapd_parser_pending(const struct imapd_parser *p)
{
	return p->in.len - p->in_off;
}

static void
reset_cmd(struct imapd_parser *p)
{
	buf_reset(&p->cmd);
	if (p->cmd.cap > BIG_LITERAL * 4) {
		/* Do not keep an APPEND's megabytes for an idle session. */
		buf_free(&p->cmd);
		buf_init(&p->cmd, p->set.cmd_max + p->append_cap +
		    p->set.line_max);
	}
	p->frag_start = 0;
	p->state = FRAME_LINE;
	p->lit_remain = 0;
	p->is_append = false;
	p->have_tag = false;
	p->tag[0] = '\0';
	p->name[0] = '\0';
	p->ntoks = 0;
	if (p->strs.cap > BIG_LITERAL * 4)
		buf_free(&p->strs);
	else
		buf_reset(&p->strs);
	p->done = false;
}

/* Reads tag and command name of the first line, for limits and replies. */
static void
peek_tag_name(struct imapd_parser *p, const char *s, size_t len)
{
	size_t i = 0, j;

	while (i < len && i < IMAPD_TAG_MAX && is_tag_char(s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return;
	memcpy(p->tag, s, i);
	p->tag[i] = '\0';
	p->have_tag = true;
	i++;
	for (j = 0; i < len && j + 1 < sizeof(p->name) &&
	    ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
	    (s[i] >= '0' && s[i] <= '9')); i++, j++)
		p->name[j] = (char)(s[i] >= 'a' && s[i] <= 'z' ?
		    s[i] - 'a' + 'A' : s[i]);
	p->name[j] = '\0';
	p->is_append = strcmp(p->name, "APPEND") == 0;
}

/*
 * Whether the line s[0..len) (no line end) ends with a literal header:
 * "{N}" or "{N+}" (RFC 7888), or "~{N}" (RFC 3516 literal8). Returns 1
 * and *n_out, *sync_out; 0 when not; -1 when the number overflows.
 */
static int
literal_header(const char *s, size_t len, uint64_t *n_out, bool *sync_out)
{
	size_t i, end;
	uint64_t n = 0;

	if (len < 3 || s[len - 1] != '}')
		return 0;
	end = len - 1;
	*sync_out = true;
	if (s[end - 1] == '+') {
		*sync_out = false;
		end--;
	}
	i = end;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || s[i - 1] != '{')
		return 0;
	if (end - i > 19)
		return -1;
	for (; i < end; i++)
		n = n * 10 + (uint64_t)(s[i] - '0');
	*n_out = n;
	return 1;
}

static int tokenize(struct imapd_parser *p, const char *s, size_t len);

static enum imapd_parse_result
fill_out(struct imapd_parser *p, struct imapd_parsed *out,
    enum imapd_parse_result r)
{
	out->tag = p->have_tag ? p->tag : NULL;
	out->name = p->name;
	out->args = p->toks;
	out->nargs = r == IMAPD_P_CMD ? p->ntoks : 0;
	out->errstr = p->err;
	return r;
}

/* A complete line ended at cmd.len (LF included). */
static enum imapd_parse_result
line_done(struct imapd_parser *p, struct imapd_parsed *out)
{
	char *frag = p->cmd.data + p->frag_start;
	size_t flen = p->cmd.len - p->frag_start, textlen;
	uint64_t n;
	bool sync;
	int r;

	textlen = flen - 1;
	if (textlen > 0 && frag[textlen - 1] == '\r')
		textlen--;
	if (p->line_mode && p->frag_start == 0) {
		frag[textlen] = '\0';
		out->line = frag;
		out->linelen = textlen;
		p->done = true;
		return IMAPD_P_LINE;
	}
	if (p->frag_start == 0) {
		if (textlen == 0) {	/* empty line: ignore it */
			buf_reset(&p->cmd);
			return IMAPD_P_MORE;
		}
		peek_tag_name(p, frag, textlen);
	}
	r = literal_header(frag, textlen, &n, &sync);
	if (r == 1) {
		size_t limit = p->is_append ? p->set.append_max :
		    p->set.literal_max;
		size_t total = p->set.cmd_max +
		    (p->is_append ? p->set.append_max : 0);

		if (n > limit || p->cmd.len + n > total) {
			p->err = "Literal too big";
			p->done = true;
			return fill_out(p, out, sync ? IMAPD_P_TOOBIG :
			    IMAPD_P_FATAL);
		}
		p->state = FRAME_LITERAL;
		p->lit_remain = (size_t)n;
		p->frag_start = p->cmd.len + (size_t)n;
		if (sync)
			return fill_out(p, out, IMAPD_P_CONTINUE);
		return IMAPD_P_MORE;
	}
	if (r == -1) {
		p->err = "Literal too big";
		p->done = true;
		return fill_out(p, out, IMAPD_P_TOOBIG);
	}
	/* The command is complete. */
	buf_truncate(&p->cmd, p->frag_start + textlen);
	p->done = true;
	if (tokenize(p, p->cmd.data, p->cmd.len) == -1)
		return fill_out(p, out, IMAPD_P_BAD);
	return fill_out(p, out, IMAPD_P_CMD);
}

enum imapd_parse_result
imapd_parser_next(struct imapd_parser *p, struct imapd_parsed *out)
{
	enum imapd_parse_result r;

	memset(out, 0, sizeof(*out));
	if (p->done)
		reset_cmd(p);
	p->err = NULL;
	for (;;) {
		size_t n = p->in.len - p->in_off;
		const char *avail, *lf;

		if (n == 0)
			return IMAPD_P_MORE;
		avail = p->in.data + p->in_off;
		if (p->state == FRAME_LITERAL) {
			if (n > p->lit_remain)
				n = p->lit_remain;
			if (buf_append(&p->cmd, avail, n) == -1)
				goto fatal;	/* cannot happen: checked */
			p->in_off += n;
			p->lit_remain -= n;
			if (p->lit_remain == 0)
				p->state = FRAME_LINE;
			continue;
		}
		lf = memchr(avail, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - avail) + 1;
		if (p->cmd.len - p->frag_start + n > p->set.line_max) {
			p->err = "Line too long";
			goto fatal;
		}
		if (buf_append(&p->cmd, avail, n) == -1) {
			p->err = "Command too long";
			goto fatal;
		}
		p->in_off += n;
		if (lf == NULL)
			return IMAPD_P_MORE;
		r = line_done(p, out);
		if (r != IMAPD_P_MORE)
			return r;
	}
fatal:
	if (p->err == NULL)
		p->err = "Command too long";
	p->done = true;
	imapd_parser_discard(p);
	return fill_out(p, out, IMAPD_P_FATAL);
}

/* --- tokenising a framed command ------------------------------------- */

static int
add_tok(struct imapd_parser *p, enum imapd_tok_type type, size_t off,
    size_t len, bool in_cmd)
{
	if (p->ntoks >= p->set.tokens_max) {
		p->err = "Too many arguments";
		return -1;
	}
	if (p->ntoks == p->tokcap) {
		p->tokcap = p->tokcap ? p->tokcap * 2 : 16;
		p->ptoks = xreallocarray(p->ptoks, p->tokcap,
		    sizeof(*p->ptoks));
		p->toks = xreallocarray(p->toks, p->tokcap, sizeof(*p->toks));
	}
	p->ptoks[p->ntoks].type = type;
	p->ptoks[p->ntoks].off = off;
	p->ptoks[p->ntoks].len = len;
	p->ptoks[p->ntoks].in_cmd = in_cmd;
	p->ntoks++;
	return 0;
}

static int
add_text(struct imapd_parser *p, enum imapd_tok_type type, const char *s,
    size_t len)
{
	size_t off = p->strs.len;

	if (buf_append(&p->strs, s, len) == -1 || buf_putc(&p->strs, 0) == -1)
		return -1;
	return add_tok(p, type, off, len, false);
}

/* Section-taking FETCH attributes whose atom runs to the ']'. */
static bool
section_prefix(const char *s, size_t len)
{
	static const char *const names[] = { "BODY", "BODY.PEEK", "BINARY",
	    "BINARY.PEEK", "BINARY.SIZE", "RFC822" };
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], s,
		    len) == 0)
			return true;
	return false;
}

static int
tok_quoted(struct imapd_parser *p, const char *s, size_t len, size_t *pos)
{
	size_t i = *pos + 1, off = p->strs.len;

	for (; i < len; i++) {
		char c = s[i];

		if (c == '"')
			break;
		if (c == '\r' || c == '\n' || c == '\0') {
			p->err = "Invalid character in quoted string";
			return -1;
		}
		if (c == '\\') {
			if (i + 1 >= len || (s[i + 1] != '"' &&
			    s[i + 1] != '\\')) {
				p->err = "Invalid escape in quoted string";
				return -1;
			}
			c = s[++i];
		}
		if (buf_putc(&p->strs, c) == -1)
			return -1;
	}
	if (i >= len) {
		p->err = "Unterminated quoted string";
		return -1;
	}
	if (buf_putc(&p->strs, 0) == -1)
		return -1;
	*pos = i + 1;
	return add_tok(p, IMAPD_TOK_QUOTED, off, p->strs.len - off - 1,
	    false);
}

static int
tok_literal(struct imapd_parser *p, const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	uint64_t n = 0;

	if (s[i] == '~')
		i++;
	i++;	/* '{' */
	if (i >= len || s[i] < '0' || s[i] > '9')
		goto bad;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > (UINT64_MAX - 9) / 10)
			goto bad;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < len && s[i] == '+')
		i++;
	if (i >= len || s[i] != '}')
		goto bad;
	i++;
	if (i < len && s[i] == '\r')
		i++;
	if (i >= len || s[i] != '\n' || n > len - i - 1)
		goto bad;
	i++;
	*pos = i + (size_t)n;
	if (n >= BIG_LITERAL)
		return add_tok(p, IMAPD_TOK_LITERAL, i, (size_t)n, true);
	return add_text(p, IMAPD_TOK_LITERAL, s + i, (size_t)n);
bad:
	p->err = "Invalid literal";
	return -1;
}

static int
tok_atom(struct imapd_parser *p, const char *s, size_t len, size_t *pos)
{
	size_t i = *pos, depth;

	while (i < len && is_arg_char((unsigned char)s[i])) {
		if (s[i] == '[' && section_prefix(s + *pos, i - *pos)) {
			/* "BODY[HEADER.FIELDS (A B)]": to the matching ']'. */
			for (depth = 0; i < len; i++) {
				if (s[i] == '\r' || s[i] == '\n')
					break;
				if (s[i] == '[')
					depth++;
				else if (s[i] == ']' && --depth == 0)
					break;
			}
			if (i >= len || s[i] != ']') {
				p->err = "Unterminated section";
				return -1;
			}
		}
		i++;
	}
	if (i == *pos) {
		p->err = "Invalid character";
		return -1;
	}
	if (add_text(p, IMAPD_TOK_ATOM, s + *pos, i - *pos) == -1)
		return -1;
	*pos = i;
	return 0;
}

static int
tokenize(struct imapd_parser *p, const char *s, size_t len)
{
	size_t pos = 0, i;
	unsigned depth = 0;
	bool need_sp;

	p->ntoks = 0;
	buf_reset(&p->strs);
	/* tag SP command (RFC 3501 §9 "command"). */
	if (!p->have_tag) {
		p->err = "Invalid tag";
		return -1;
	}
	pos = strlen(p->tag) + 1;
	for (i = pos; i < len && s[i] != ' '; i++)
		;
	if (i == pos || i - pos >= sizeof(p->name) ||
	    strlen(p->name) != i - pos) {
		p->err = "Invalid command";
		p->name[0] = '\0';
		return -1;
	}
	pos = i;
	need_sp = true;
	while (pos < len) {
		char c = s[pos];
		int r;

		if (c == ' ') {
			pos++;
			need_sp = false;
			continue;
		}
		if (c == ')') {
			if (depth == 0) {
				p->err = "Unbalanced parenthesis";
				return -1;
			}
			depth--;
			if (add_tok(p, IMAPD_TOK_LIST_END, 0, 0, false) == -1)
				return -1;
			pos++;
			need_sp = true;
			continue;
		}
		if (need_sp) {
			p->err = "Missing space";
			return -1;
		}
		if (c == '(') {
			if (++depth > p->set.depth_max) {
				p->err = "Too deeply nested";
				return -1;
			}
			if (add_tok(p, IMAPD_TOK_LIST_START, 0, 0, false) == -1)
				return -1;
			pos++;
			need_sp = false;
			continue;
		}
		if (c == '"')
			r = tok_quoted(p, s, len, &pos);
		else if (c == '{' || (c == '~' && pos + 1 < len &&
		    s[pos + 1] == '{'))
			r = tok_literal(p, s, len, &pos);
		else
			r = tok_atom(p, s, len, &pos);
		if (r == -1) {
			if (p->err == NULL)
				p->err = "Command too long";
			return -1;
		}
		need_sp = true;
	}
	if (depth != 0) {
		p->err = "Unbalanced parenthesis";
		return -1;
	}
	for (i = 0; i < p->ntoks; i++) {
		struct ptok *pt = &p->ptoks[i];
		struct imapd_tok *t = &p->toks[i];

		t->type = pt->type;
		t->len = pt->len;
		if (pt->type == IMAPD_TOK_LIST_START)
			t->s = "(";
		else if (pt->type == IMAPD_TOK_LIST_END)
			t->s = ")";
		else if (pt->in_cmd)
			t->s = p->cmd.data + pt->off;
		else
			t->s = p->strs.data + pt->off;
	}
	/* Big literals are NUL-terminated in place now that the wire bytes
	 * after them are no longer needed. */
	for (i = 0; i < p->ntoks; i++)
		if (p->ptoks[i].in_cmd)
			p->cmd.data[p->ptoks[i].off + p->ptoks[i].len] = '\0';
	return 0;
}

bool
imapd_tok_is(const struct imapd_tok *tok, const char *word)
{
	return tok->type == IMAPD_TOK_ATOM && strcasecmp(tok->s, word) == 0;
}

bool
imapd_tok_is_astring(const struct imapd_tok *tok)
{
	return tok->type == IMAPD_TOK_ATOM || tok->type == IMAPD_TOK_QUOTED ||
	    tok->type == IMAPD_TOK_LITERAL;
}
