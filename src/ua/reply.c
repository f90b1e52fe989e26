/*
 * reply.c: the one-line reply parsers of the user agent's SMTP and POP3
 * clients (RFC 5321 §4.2, RFC 1939 §3). Pure functions, kept apart from
 * the sessions so unit tests and fuzz/ua_pop3reply.c can use them alone.
 */
#include <ctype.h>
#include <string.h>

#include "ua/pop3.h"
#include "ua/smtp.h"

int
ua_smtp_reply_line(const char *line, size_t len, int *code_out,
    int *last_out)
{
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[0] < '2' ||
	    line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*code_out = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
	    (line[2] - '0');
	*last_out = len == 3 || line[3] == ' ';
	return 0;
}

int
ua_pop3_status(const char *line, size_t len, const char **text_out)
{
	if (len >= 3 && strncmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ')) {
		*text_out = line + (len > 3 ? 4 : 3);
		return 1;
	}
	if (len >= 4 && strncmp(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' ')) {
		*text_out = line + (len > 4 ? 5 : 4);
		return 0;
	}
	*text_out = line;
	return -1;
}
