/*
 * test-codec.c: base64 and quoted-printable (RFC 2045 §6.7, §6.8; the
 * RFC 4648 §10 vectors). Decoders are fed whole and one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/codec.h"

struct b64_row {
	const char	*in;
	const char	*out;	/* NULL: an error is expected */
	size_t		 out_len;
	int		 flags;
};

#define OK(i, o, f)	{ i, o, sizeof(o) - 1, f }
#define ERR(i, f)	{ i, NULL, 0, f }

static const struct b64_row b64_rows[] = {
	/* RFC 4648 §10 */
	OK("", "", MIME_B64_STRICT),
	OK("Zg==", "f", MIME_B64_STRICT),
	OK("Zm8=", "fo", MIME_B64_STRICT),
	OK("Zm9v", "foo", MIME_B64_STRICT),
	OK("Zm9vYg==", "foob", MIME_B64_STRICT),
	OK("Zm9vYmE=", "fooba", MIME_B64_STRICT),
	OK("Zm9vYmFy", "foobar", MIME_B64_STRICT),
	/* Line breaks are not data (RFC 2045 §6.8). */
	OK("Zm9v\r\nYmFy\r\n", "foobar", MIME_B64_STRICT),
	OK("Zm9v\nYm\nFy", "foobar", MIME_B64_STRICT),
	OK("AAEC/w==", "\x00\x01\x02\xff", MIME_B64_STRICT),
	/* Junk: strict refuses, lenient skips. */
	ERR("Zm9v!YmFy", MIME_B64_STRICT),
	OK("Zm9v!YmFy", "foobar", MIME_B64_LENIENT),
	ERR("Zm9vY", MIME_B64_STRICT),
	OK("Zm9vY", "foo", MIME_B64_LENIENT),
	OK("Zm9vYg", "foob", MIME_B64_LENIENT),
	OK("Zm9vYmE", "fooba", MIME_B64_LENIENT),
	ERR("Zm9vYg=", MIME_B64_STRICT),
	ERR("Zg==Zg==", MIME_B64_STRICT),
	OK("Zg==Zg==", "f", MIME_B64_LENIENT),
	ERR("=Zg==", MIME_B64_STRICT),
	OK("=Zg==", "f", MIME_B64_LENIENT),
	ERR("Zg===", MIME_B64_STRICT),
	OK("Zg= =\r\n", "f", MIME_B64_STRICT),
	/* RFC 2045 §6.8 example alphabet use */
	OK("SGVsbG8sIFdvcmxkIQ==", "Hello, World!", MIME_B64_STRICT),
};

static void
test_b64_decode(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++) {
		const struct b64_row *r = &b64_rows[i];
		struct mime_b64_dec d;
		struct buf whole, bytes;
		const char *err = NULL;
		int rw, rb = 0;

		buf_init(&whole, 1024);
		buf_init(&bytes, 1024);
		rw = mime_b64_decode(r->in, strlen(r->in), r->flags, &whole,
		    &err);
		mime_b64_dec_init(&d, r->flags);
		for (k = 0; k < strlen(r->in) && rb == 0; k++)
			rb = mime_b64_dec_push(&d, r->in + k, 1, &bytes, &err);
		if (rb == 0)
			rb = mime_b64_dec_finish(&d, &bytes, &err);
		if (r->out == NULL) {
			assert_int_equal(rw, -1);
			assert_int_equal(rb, -1);
			assert_non_null(err);
		} else {
			assert_int_equal(rw, 0);
			assert_int_equal(rb, 0);
			assert_int_equal(whole.len, r->out_len);
			assert_memory_equal(buf_cstr(&whole), r->out, r->out_len);
			assert_int_equal(bytes.len, r->out_len);
			assert_memory_equal(buf_cstr(&bytes), r->out, r->out_len);
		}
		buf_free(&whole);
		buf_free(&bytes);
	}
}

static void
test_b64_roundtrip(void **state)
{
	unsigned char data[1000];
	struct buf enc, dec;
	size_t n, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n < sizeof(data); n += 37) {
		const char *p, *nl;

		buf_init(&enc, 1 << 20);
		buf_init(&dec, 1 << 20);
		assert_int_equal(mime_b64_encode(data, n, 76, &enc), 0);
		/* Every line is at most 76 characters and ends in CRLF. */
		for (p = buf_cstr(&enc); *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			assert_non_null(nl);
			assert_true(nl - p - 1 <= 76);
			assert_int_equal(nl[-1], '\r');
		}
		assert_int_equal(mime_b64_decode(buf_cstr(&enc), enc.len,
		    MIME_B64_STRICT, &dec, NULL), 0);
		assert_int_equal(dec.len, n);
		assert_memory_equal(buf_cstr(&dec), data, n);
		buf_free(&enc);
		buf_free(&dec);
	}
	/* The streaming encoder matches, whatever the chunking. */
	for (n = 0; n < 300; n += 29) {
		size_t chunk, k;

		for (chunk = 1; chunk < 8; chunk += 3) {
			struct mime_b64_enc e;
			struct buf one;

			buf_init(&enc, 1 << 20);
			buf_init(&one, 1 << 20);
			mime_b64_enc_init(&e, 76);
			for (k = 0; k < n; k += chunk)
				assert_int_equal(mime_b64_enc_push(&e, data + k,
				    n - k < chunk ? n - k : chunk, &enc), 0);
			assert_int_equal(mime_b64_enc_finish(&e, &enc), 0);
			assert_int_equal(mime_b64_encode(data, n, 76, &one), 0);
			assert_string_equal(buf_cstr(&enc), buf_cstr(&one));
			buf_free(&enc);
			buf_free(&one);
		}
	}
	buf_init(&enc, 100);
	assert_int_equal(mime_b64_encode("foobar", 6, 0, &enc), 0);
	assert_string_equal(buf_cstr(&enc), "Zm9vYmFy");
	buf_free(&enc);
	/* A full buffer fails cleanly. */
	buf_init(&enc, 4);
	assert_int_equal(mime_b64_encode("foobar", 6, 0, &enc), -1);
	assert_int_equal(enc.len, 0);
	buf_free(&enc);
}

struct qp_row {
	const char	*in;
	const char	*out;
	int		 header;
};

static const struct qp_row qp_rows[] = {
	{ "a=3Db", "a=b", 0 },
	{ "caf=C3=A9", "caf\xc3\xa9", 0 },
	{ "caf=c3=a9", "caf\xc3\xa9", 0 },
	/* RFC 2045 §6.7 (5) soft line breaks */
	{ "soft=\r\nbreak", "softbreak", 0 },
	{ "soft=\nbreak", "softbreak", 0 },
	{ "soft=  \r\nbreak", "softbreak", 0 },
	/* §6.7 (3) trailing white space is removed */
	{ "trailing   \r\nx", "trailing\r\nx", 0 },
	{ "tab\t\nx", "tab\nx", 0 },
	{ "keep=20\r\n", "keep \r\n", 0 },
	/* note 1: leave malformed sequences alone */
	{ "bad=ZZ", "bad=ZZ", 0 },
	{ "bad=4", "bad=4", 0 },
	{ "end=", "end", 0 },
	{ "two\r\nlines\r\n", "two\r\nlines\r\n", 0 },
	{ "split =\r\n=4\r\n=41 = \t\r\nend =  ", "split =4\r\nA end ", 0 },
	{ "==", "=", 0 },
	{ "a==41=", "a=A", 0 },
	/* RFC 2047 §4.2 Q */
	{ "a_b=20c", "a b c", 1 },
	{ "Andr=E9", "Andr\xe9", 1 },
	{ "Keith_Moore", "Keith Moore", 1 },
};

static void
test_qp_decode(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(qp_rows) / sizeof(qp_rows[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		assert_int_equal(mime_qp_decode(qp_rows[i].in,
		    strlen(qp_rows[i].in), qp_rows[i].header, &b, NULL), 0);
		assert_string_equal(buf_cstr(&b), qp_rows[i].out);
		buf_free(&b);
		if (qp_rows[i].header)
			continue;
		/* The streaming decoder, one byte and three bytes at a time. */
		{
			size_t chunk, k, n = strlen(qp_rows[i].in);

			for (chunk = 1; chunk <= 3; chunk += 2) {
				struct mime_qp_dec d;

				buf_init(&b, 1024);
				mime_qp_dec_init(&d);
				for (k = 0; k < n; k += chunk)
					assert_int_equal(mime_qp_dec_push(&d,
					    qp_rows[i].in + k, n - k < chunk ?
					    n - k : chunk, &b, NULL), 0);
				assert_int_equal(mime_qp_dec_finish(&d, &b,
				    NULL), 0);
				assert_string_equal(buf_cstr(&b),
				    qp_rows[i].out);
				buf_free(&b);
			}
		}
	}
}

static void
check_qp_lines(const char *s)
{
	const char *p = s, *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		assert_true(nl - p <= 77);	/* 76 + CR */
		if (nl > p && *nl == '\n') {
			assert_int_equal(nl[-1], '\r');
			/* No literal white space at a line end. */
			assert_true(nl - p < 2 || (nl[-2] != ' ' &&
			    nl[-2] != '\t'));
		}
		if (*nl == '\0')
			break;
	}
}

static void
test_qp_encode(void **state)
{
	unsigned char bin[600];
	const char *text = "A line with trailing space \nFrom the start\n.\n"
	    "Long: Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
	    "sed do eiusmod tempor incididunt ut labore et dolore magna "
	    "aliqua. caf\xc3\xa9 = equals\n";
	struct buf enc, dec;
	size_t i;

	buf_init(&enc, 1 << 16);
	buf_init(&dec, 1 << 16);
	assert_int_equal(mime_qp_encode(text, strlen(text), MIME_QP_TEXT,
	    &enc), 0);
	check_qp_lines(buf_cstr(&enc));
	assert_non_null(strstr(buf_cstr(&enc), "space=20\r\n"));
	assert_non_null(strstr(buf_cstr(&enc), "=46rom"));
	assert_non_null(strstr(buf_cstr(&enc), "\r\n=2E\r\n"));
	assert_int_equal(mime_qp_decode(buf_cstr(&enc), enc.len, 0, &dec,
	    NULL), 0);
	/* Text mode gives CRLF line ends back. */
	{
		struct buf want;
		const char *p;

		buf_init(&want, 1 << 16);
		for (p = text; *p != '\0'; p++) {
			if (*p == '\n')
				buf_putc(&want, '\r');
			buf_putc(&want, *p);
		}
		assert_string_equal(buf_cstr(&dec), buf_cstr(&want));
		buf_free(&want);
	}
	buf_reset(&enc);
	buf_reset(&dec);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 13);
	assert_int_equal(mime_qp_encode(bin, sizeof(bin), MIME_QP_BINARY,
	    &enc), 0);
	check_qp_lines(buf_cstr(&enc));
	assert_int_equal(mime_qp_decode(buf_cstr(&enc), enc.len, 0, &dec,
	    NULL), 0);
	assert_int_equal(dec.len, sizeof(bin));
	assert_memory_equal(buf_cstr(&dec), bin, sizeof(bin));
	buf_free(&enc);
	buf_free(&dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_decode),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_qp_decode),
		cmocka_unit_test(test_qp_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
