/*
 * test-downgrade.c: 8BITMIME downgrade, table-driven: input message,
 * expected output (NULL: the conversion must fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/downgrade.h"

struct row {
	const char	*in;
	const char	*out;
};

static const struct row rows[] = {
	/* 7-bit: unchanged */
	{ "Subject: a\r\n\r\nplain\r\n", "Subject: a\r\n\r\nplain\r\n" },
	/* not MIME: MIME fields added, body quoted-printable */
	{ "Subject: a\r\n\r\ncaf\xc3\xa9\r\n",
	  "Subject: a\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "caf=C3=A9\r\n" },
	/* MIME, 8bit declared and folded: the field is replaced */
	{ "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=latin1\r\n"
	  "Content-Transfer-Encoding:\r\n 8bit\r\nX: y\r\n\r\n\xe9t\xe9\r\n",
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=latin1\r\n"
	  "X: y\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "=E9t=E9\r\n" },
	/* multipart: only the 8-bit leaf changes; 8bit label on the
	 * multipart becomes 7bit; attachments go base64 */
	{ "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "--b\r\n\r\nascii\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\n\xff\r\n"
	  "--b\r\nContent-Type: application/x\r\n\r\n\x80\r\n"
	  "--b--\r\n",
	  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	  "Content-Transfer-Encoding: 7bit\r\n\r\n"
	  "--b\r\n\r\nascii\r\n"
	  "--b\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n=FF\r\n"
	  "--b\r\nContent-Type: application/x\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\ngA==\r\n\r\n"
	  "--b--\r\n" },
	/* 8-bit header: impossible */
	{ "Subject: caf\xc3\xa9\r\n\r\nx\r\n", NULL },
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf out;
		const char *err = NULL;
		int rc;

		buf_init(&out, 1 << 20);
		rc = smtpc_downgrade(rows[i].in, strlen(rows[i].in), &out, &err);
		if (rows[i].out == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(buf_cstr(&out), rows[i].out);
			assert_false(smtpc_has_8bit(out.data ? out.data : "",
			    out.len));
		}
		buf_free(&out);
	}
}

static void
test_full(void **state)
{
	struct buf out;
	const char *err;
	const char msg[] = "Subject: a\r\n\r\ncaf\xc3\xa9\r\n";

	(void)state;
	buf_init(&out, 10);
	assert_int_equal(smtpc_downgrade(msg, sizeof(msg) - 1, &out, &err), -1);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
