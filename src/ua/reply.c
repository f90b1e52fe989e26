/*
 * reply.c: the status-line parser of the user agent's POP3 client
 * (RFC 1939 §3). A pure function, kept apart from the session so unit
 * tests and fuzz/ua_pop3reply.c can use it alone. (SMTP replies are read
 * by the shared client engine, src/smtpc/reply.c.)
 */
#include <string.h>

#include "ua/pop3.h"

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
