/*
 * imapd_parser.c: fuzz the IMAP command parser (framing, literals,
 * tokenising). The first byte picks line mode; the rest is pushed in
 * chunks whose sizes come from the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "imapd/parser.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imapd_parser_settings set;
	struct imapd_parser *p;
	struct imapd_parsed it;
	size_t off = 1, chunk;

	if (size < 1)
		return 0;
	imapd_parser_settings_default(&set);
	set.append_max = 4096;
	set.literal_max = 256;
	set.line_max = 1024;
	p = imapd_parser_new(&set);
	imapd_parser_line_mode(p, data[0] & 1);
	chunk = (data[0] >> 1) + 1;
	for (;;) {
		enum imapd_parse_result r = imapd_parser_next(p, &it);

		if (r == IMAPD_P_FATAL)
			break;
		if (r != IMAPD_P_MORE)
			continue;
		if (off >= size)
			break;
		size_t n = size - off < chunk ? size - off : chunk;
		off += imapd_parser_push(p, data + off, n);
	}
	imapd_parser_free(&p);
	return 0;
}
