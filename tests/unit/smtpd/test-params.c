/*
 * test-params.c: MAIL and RCPT parameters, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "lib/util.h"
#include "smtpd/params.h"

struct mrow {
	const char	*in;
	const char	*reply;	/* NULL: accepted */
	uint64_t	 size;
	enum smtpd_body	 body;
	int		 utf8;
	enum smtpd_ret	 ret;
	const char	*envid;
	const char	*auth;
};

static const struct mrow mrows[] = {
	{ "", NULL, 0, 0, 0, 0, "", "" },
	{ " ", NULL, 0, 0, 0, 0, "", "" },
	{ " SIZE=0", NULL, 0, 0, 0, 0, "", "" },
	{ " SIZE=12345", NULL, 12345, 0, 0, 0, "", "" },
	{ " size=18446744073709551615", NULL, UINT64_MAX, 0, 0, 0, "", "" },
	{ " SIZE=18446744073709551616", "501 5.5.4 Invalid parameter value" , 0 },
	{ " SIZE=-1", "501 5.5.4 Invalid parameter value" , 0 },
	{ " SIZE", "501 5.5.4 Invalid parameter value" , 0 },
	{ " SIZE=", "501 5.5.4 Syntax error in parameters" , 0 },
	{ " SIZE=1 SIZE=1", "501 5.5.4 Duplicate parameter" , 0 },
	{ " BODY=7BIT", NULL, 0, SMTPD_BODY_7BIT, 0, 0, "", "" },
	{ " BODY=8bitmime", NULL, 0, SMTPD_BODY_8BITMIME, 0, 0, "", "" },
	{ " BODY=BINARYMIME", "555 5.5.4 Unsupported BODY type" , 0 },
	{ " BODY=7BIT BODY=7BIT", "501 5.5.4 Duplicate parameter" , 0 },
	{ " SMTPUTF8", NULL, 0, 0, 1, 0, "", "" },
	{ " SMTPUTF8=1", "501 5.5.4 Invalid parameter value" , 0 },
	{ " SMTPUTF8 SMTPUTF8", "501 5.5.4 Duplicate parameter" , 0 },
	{ " RET=FULL", NULL, 0, 0, 0, SMTPD_RET_FULL, "", "" },
	{ " ret=hdrs", NULL, 0, 0, 0, SMTPD_RET_HDRS, "", "" },
	{ " RET=NONE", "501 5.5.4 Invalid parameter value" , 0 },
	{ " RET=FULL RET=HDRS", "501 5.5.4 Duplicate parameter" , 0 },
	{ " ENVID=abc+2Bdef", NULL, 0, 0, 0, 0, "abc+2Bdef", "" },
	{ " ENVID=abc+2", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ENVID=abc+", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ENVID=a+GG", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ENVID=a=b", "501 5.5.4 Syntax error in parameters" , 0 },
	{ " ENVID=a ENVID=b", "501 5.5.4 Duplicate parameter" , 0 },
	{ " ENVID=\xc3\xa9", "501 5.5.4 Invalid parameter value" , 0 },
	{ " AUTH=<>", NULL, 0, 0, 0, 0, "", "<>" },
	{ " AUTH=alice+40example.org", NULL, 0, 0, 0, 0, "",
	  "alice+40example.org" },
	{ " FOO=bar", "555 5.5.4 Unsupported parameter" , 0 },
	{ " X-FOO", "555 5.5.4 Unsupported parameter" , 0 },
	{ " -X", "501 5.5.4 Syntax error in parameters" , 0 },
	{ " =x", "501 5.5.4 Syntax error in parameters" , 0 },
	{ "SIZE=1", "501 5.5.4 Syntax error in parameters" , 0 },
	{ " SIZE=1\tBODY=7BIT", "501 5.5.4 Syntax error in parameters" , 0 },
	{ "  SIZE=5   BODY=7BIT  SMTPUTF8 ", NULL, 5, SMTPD_BODY_7BIT, 1, 0,
	  "", "" },
};

static void
test_mail(void **state)
{
	size_t i;

	for (i = 0; i < nitems(mrows); i++) {
		const struct mrow *r = &mrows[i];
		struct smtpd_mail_params mp;
		const char *reply = NULL;
		int rc;

		rc = smtpd_mail_params_parse(r->in, strlen(r->in), &mp, &reply);
		if (r->reply != NULL) {
			if (rc != -1 || strcmp(reply, r->reply) != 0)
				fail_msg("row %zu \"%s\": rc %d reply %s", i,
				    r->in, rc, reply ? reply : "(null)");
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu \"%s\": %s", i, r->in, reply);
		assert_true(mp.size == r->size);
		assert_int_equal(mp.has_size, strstr(r->in, "SIZE") ||
		    strstr(r->in, "size"));
		assert_int_equal(mp.body, r->body);
		assert_int_equal(mp.smtputf8, r->utf8);
		assert_int_equal(mp.ret, r->ret);
		assert_string_equal(mp.envid, r->envid);
		assert_string_equal(mp.auth, r->auth);
	}
}

static void
test_envid_length(void **state)
{
	char in[SMTPD_ENVID_MAX + 16];
	struct smtpd_mail_params mp;
	const char *reply;

	strcpy(in, " ENVID=");
	memset(in + 7, 'x', SMTPD_ENVID_MAX);
	in[7 + SMTPD_ENVID_MAX] = '\0';
	assert_int_equal(smtpd_mail_params_parse(in, strlen(in), &mp, &reply),
	    0);
	strcat(in, "x");
	assert_int_equal(smtpd_mail_params_parse(in, strlen(in), &mp, &reply),
	    -1);
}

struct rrow {
	const char	*in;
	const char	*reply;
	unsigned	 notify;
	const char	*orcpt;
};

static const struct rrow rrows[] = {
	{ "", NULL, 0, "" },
	{ " NOTIFY=NEVER", NULL, SMTPD_NOTIFY_NEVER, "" },
	{ " NOTIFY=success,delay", NULL,
	  SMTPD_NOTIFY_SUCCESS | SMTPD_NOTIFY_DELAY, "" },
	{ " NOTIFY=FAILURE,SUCCESS,DELAY", NULL, SMTPD_NOTIFY_SUCCESS |
	  SMTPD_NOTIFY_FAILURE | SMTPD_NOTIFY_DELAY, "" },
	{ " NOTIFY=NEVER,DELAY", "501 5.5.4 Invalid parameter value" , 0 },
	{ " NOTIFY=DELAY,DELAY", "501 5.5.4 Invalid parameter value" , 0 },
	{ " NOTIFY=DELAY,", "501 5.5.4 Invalid parameter value" , 0 },
	{ " NOTIFY=,DELAY", "501 5.5.4 Invalid parameter value" , 0 },
	{ " NOTIFY", "501 5.5.4 Invalid parameter value" , 0 },
	{ " NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4 Duplicate parameter" , 0 },
	{ " ORCPT=rfc822;a+40b.example", NULL, 0, "rfc822;a+40b.example" },
	{ " ORCPT=utf-8;\xc3\xa9@b", NULL, 0, "utf-8;\xc3\xa9@b" },
	{ " ORCPT=rfc822;\xc3\xa9@b", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ORCPT=rfc822", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ORCPT=;a", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ORCPT=rfc822;", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ORCPT=rf c822;a", "501 5.5.4 Invalid parameter value" , 0 },
	{ " ORCPT=r;a ORCPT=r;b", "501 5.5.4 Duplicate parameter" , 0 },
	{ " SIZE=1", "555 5.5.4 Unsupported parameter" , 0 },
	{ " NOTIFY=SUCCESS ORCPT=rfc822;x", NULL, SMTPD_NOTIFY_SUCCESS,
	  "rfc822;x" },
};

static void
test_rcpt(void **state)
{
	size_t i;

	for (i = 0; i < nitems(rrows); i++) {
		const struct rrow *r = &rrows[i];
		struct smtpd_rcpt_params rp;
		const char *reply = NULL;
		int rc;

		rc = smtpd_rcpt_params_parse(r->in, strlen(r->in), &rp, &reply);
		if (r->reply != NULL) {
			if (rc != -1 || strcmp(reply, r->reply) != 0)
				fail_msg("row %zu \"%s\": rc %d reply %s", i,
				    r->in, rc, reply ? reply : "(null)");
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu \"%s\": %s", i, r->in, reply);
		assert_int_equal(rp.notify, r->notify);
		assert_string_equal(rp.orcpt, r->orcpt);
	}
}

static void
test_xtext(void **state)
{
	assert_true(smtpd_xtext_valid("", 0));
	assert_true(smtpd_xtext_valid("abc+20", 6));
	assert_false(smtpd_xtext_valid("+2", 2));
	assert_false(smtpd_xtext_valid("a b", 3));
	assert_false(smtpd_xtext_valid("a=b", 3));
	assert_false(smtpd_xtext_valid("\x7f", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_envid_length),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_xtext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
