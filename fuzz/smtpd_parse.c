/*
 * smtpd_parse.c: libFuzzer target for the SMTP command and parameter
 * parsers: paths, MAIL/RCPT parameters, base64 and SASL PLAIN, and the
 * DATA/BDAT content scanner (which must give the same result whether the
 * input comes whole or split at any point).
 * Byte 0 picks the parser and flags; the rest is the input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "smtpd/data.h"
#include "smtpd/params.h"
#include "smtpd/path.h"
#include "lib/sasl.h"

static void
scan_data(const char *in, size_t len, int dot, size_t split)
{
	struct smtpd_data a, b;
	struct buf oa, ob;
	size_t ua, ub;

	buf_init(&oa, len + 16);
	buf_init(&ob, len + 16);
	smtpd_data_init(&a, dot);
	ua = smtpd_data_scan(&a, in, len, &oa);
	smtpd_data_init(&b, dot);
	if (split > len)
		split = len;
	ub = smtpd_data_scan(&b, in, split, &ob);
	if (!b.done)
		ub += smtpd_data_scan(&b, in + split, len - split, &ob);
	assert(ua == ub && a.done == b.done && a.problems == b.problems &&
	    a.hops == b.hops && oa.len == ob.len &&
	    memcmp(oa.data, ob.data, oa.len) == 0);
	assert(oa.len <= len);
	buf_free(&oa);
	buf_free(&ob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	len = size - 1;
	switch (mode & 7) {
	case 0: {
		struct smtpd_path p;
		size_t used = 0;

		if (smtpd_path_parse(in, len, (mode >> 3) & 7, &p, &used) ==
		    SMTPD_PATH_OK) {
			assert(used <= len && used <= SMTPD_PATH_MAX);
			assert(strlen(p.mailbox) < sizeof(p.mailbox));
			assert(p.domain_off <= strlen(p.mailbox));
		}
		break;
	}
	case 1: {
		struct smtpd_mail_params mp;
		const char *r = NULL;

		if (smtpd_mail_params_parse(in, len, &mp, &r) == -1)
			assert(r != NULL && (r[0] == '5'));
		break;
	}
	case 2: {
		struct smtpd_rcpt_params rp;
		const char *r = NULL;

		if (smtpd_rcpt_params_parse(in, len, &rp, &r) == -1)
			assert(r != NULL && (r[0] == '5'));
		break;
	}
	case 3: {
		char out[512], user[SASL_FIELD_MAX + 1],
		    pass[SASL_FIELD_MAX + 1];
		long n = sasl_base64_decode(in, len, out, sizeof(out));

		if (n >= 0) {
			assert((size_t)n < sizeof(out) && (size_t)n <= len);
			sasl_plain_split(out, (size_t)n, user, sizeof(user), pass,
			    sizeof(pass));
		}
		break;
	}
	default:
		scan_data(in, len, mode & 1, mode >> 3);
		break;
	}
	return 0;
}
