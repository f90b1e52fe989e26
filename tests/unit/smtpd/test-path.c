/*
 * test-path.c: RFC 5321 path parser, table-driven, whole and byte-limited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util.h"
#include "smtpd/path.h"

struct row {
	const char	*in;
	unsigned	 flags;
	enum smtpd_path_err err;
	const char	*mailbox;	/* expected on OK */
	size_t		 consumed;	/* 0: strlen(in) */
	const char	*domain;	/* expected domain, NULL: none */
};

#define N SMTPD_PATH_NULL_OK
#define U SMTPD_PATH_UTF8
#define P SMTPD_PATH_POSTMASTER

static const struct row rows[] = {
	{ "<a@b.example>", 0, SMTPD_PATH_OK, "a@b.example", 0, "b.example" },
	{ "<a@b.example> SIZE=1", 0, SMTPD_PATH_OK, "a@b.example", 13, "b.example" },
	{ "<>", N, SMTPD_PATH_OK, "", 0, NULL },
	{ "<>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<Postmaster>", P, SMTPD_PATH_OK, "Postmaster", 0, NULL },
	{ "<POSTMASTER>", P, SMTPD_PATH_OK, "POSTMASTER", 0, NULL },
	{ "<Postmaster>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<first.last+tag@x.example>", 0, SMTPD_PATH_OK,
	  "first.last+tag@x.example", 0, "x.example" },
	{ "<!#$%&'*+-/=?^_`{|}~@x>", 0, SMTPD_PATH_OK,
	  "!#$%&'*+-/=?^_`{|}~@x", 0, "x" },
	{ "<\"a b\"@x>", 0, SMTPD_PATH_OK, "\"a b\"@x", 0, "x" },
	{ "<\"a\\\"b\"@x>", 0, SMTPD_PATH_OK, "\"a\\\"b\"@x", 0, "x" },
	{ "<\"\"@x>", 0, SMTPD_PATH_OK, "\"\"@x", 0, "x" },
	{ "<\"a\x01\"@x>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<\"abc@x>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<@r1.example,@r2.example:u@d.example>", 0, SMTPD_PATH_OK,
	  "u@d.example", 0, "d.example" },
	{ "<@r1.example:u@d>", 0, SMTPD_PATH_OK, "u@d", 0, "d" },
	{ "<@r1.example,u@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<@:u@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@[192.0.2.1]>", 0, SMTPD_PATH_OK, "u@[192.0.2.1]", 0, "[192.0.2.1]" },
	{ "<u@[192.0.2.256]>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@[IPv6:2001:db8::1]>", 0, SMTPD_PATH_OK, "u@[IPv6:2001:db8::1]", 0,
	  "[IPv6:2001:db8::1]" },
	{ "<u@[ipv6:::1]>", 0, SMTPD_PATH_OK, "u@[ipv6:::1]", 0, "[ipv6:::1]" },
	{ "<u@[IPv6:1.2.3.4]>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@[x-tag:stuff]>", 0, SMTPD_PATH_OK, "u@[x-tag:stuff]", 0,
	  "[x-tag:stuff]" },
	{ "<u@[x-tag:]>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@[]>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@[1.2.3.4>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d-1.e2>", 0, SMTPD_PATH_OK, "u@d-1.e2", 0, "d-1.e2" },
	{ "<u@-d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d->", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d.>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@.d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d_x>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<.u@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u.@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u..v@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "u@d", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@d >", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u@@d>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<", N, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	/* RFC 6531: UTF-8 only with SMTPUTF8, and only well-formed. */
	{ "<j\xc3\xb6rg@x>", 0, SMTPD_PATH_8BIT, NULL, 0, NULL },
	{ "<j\xc3\xb6rg@x>", U, SMTPD_PATH_OK, "j\xc3\xb6rg@x", 0, "x" },
	{ "<u@\xc3\xa9x.example>", U, SMTPD_PATH_OK, "u@\xc3\xa9x.example", 0,
	  "\xc3\xa9x.example" },
	{ "<u@\xc3\xa9x.example>", 0, SMTPD_PATH_8BIT, NULL, 0, NULL },
	{ "<\"\xe2\x82\xac\"@x>", U, SMTPD_PATH_OK, "\"\xe2\x82\xac\"@x", 0, "x" },
	{ "<\xc0\xaf@x>", U, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<\xed\xa0\x80@x>", U, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<\xf4\x90\x80\x80@x>", U, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<\xe2\x82@x>", U, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<\xff@x>", U, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
	{ "<u\0v@x>", 0, SMTPD_PATH_SYNTAX, NULL, 0, NULL },
};

static void
test_table(void **state)
{
	size_t i;

	for (i = 0; i < nitems(rows); i++) {
		const struct row *r = &rows[i];
		struct smtpd_path p;
		size_t used = 0, len = strlen(r->in);
		enum smtpd_path_err e;

		e = smtpd_path_parse(r->in, len, r->flags, &p, &used);
		if (e != r->err)
			fail_msg("row %zu %s: err %d, want %d", i, r->in, e,
			    r->err);
		if (e != SMTPD_PATH_OK)
			continue;
		assert_string_equal(p.mailbox, r->mailbox);
		assert_int_equal(used, r->consumed ? r->consumed : len);
		if (r->domain == NULL)
			assert_int_equal(p.domain_off, 0);
		else
			assert_string_equal(p.mailbox + p.domain_off, r->domain);
	}
}

/* Every prefix of a good path is incomplete: never OK, never a read past
 * the end (ASan checks the latter, as the copy is exactly len bytes). */
static void
test_prefixes(void **state)
{
	size_t i, k;

	for (i = 0; i < nitems(rows); i++) {
		size_t len = strlen(rows[i].in);

		if (rows[i].err != SMTPD_PATH_OK || rows[i].consumed)
			continue;
		for (k = 0; k < len; k++) {
			char *copy = xmalloc(k ? k : 1);
			struct smtpd_path p;
			size_t used;

			memcpy(copy, rows[i].in, k);
			assert_int_not_equal(smtpd_path_parse(copy, k,
			    rows[i].flags, &p, &used), SMTPD_PATH_OK);
			free(copy);
		}
	}
}

static void
test_limits(void **state)
{
	char buf[600], label[64];
	struct smtpd_path p;
	size_t used;

	/* local part: 64 ok, 65 too long (§4.5.3.1.1) */
	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	memset(buf + 1, 'a', 64);
	strcpy(buf + 65, "@x>");
	assert_int_equal(smtpd_path_parse(buf, strlen(buf), 0, &p, &used),
	    SMTPD_PATH_OK);
	buf[0] = '<';
	memset(buf + 1, 'a', 65);
	strcpy(buf + 66, "@x>");
	assert_int_equal(smtpd_path_parse(buf, strlen(buf), 0, &p, &used),
	    SMTPD_PATH_TOOLONG);
	/* path: 256 octets with brackets ok, 257 too long (§4.5.3.1.3):
	 * "<" + 15 + "@" + 3 * (63 + ".") + last + ">" */
	memset(label, 'd', 63);
	label[63] = '\0';
	snprintf(buf, sizeof(buf), "<aaaaaaaaaaaaaaa@%s.%s.%s.%.*s>", label,
	    label, label, 46, label);
	assert_int_equal(strlen(buf), 256);
	assert_int_equal(smtpd_path_parse(buf, strlen(buf), 0, &p, &used),
	    SMTPD_PATH_OK);
	snprintf(buf, sizeof(buf), "<aaaaaaaaaaaaaaa@%s.%s.%s.%.*s>", label,
	    label, label, 47, label);
	assert_int_equal(strlen(buf), 257);
	assert_int_equal(smtpd_path_parse(buf, strlen(buf), 0, &p, &used),
	    SMTPD_PATH_TOOLONG);
	/* a label of 64 is not checked (only the §4.5.3.1 totals are) */
	assert_string_equal(smtpd_path_strerror(SMTPD_PATH_TOOLONG),
	    "address too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
