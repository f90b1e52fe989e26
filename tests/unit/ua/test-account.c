/*
 * test-account.c: the user agent's account config file (sections,
 * default_account, errors with FILE:LINE) and the HOST:PORT + TLS mode
 * decision (implicit TLS on 465/993/995, STARTTLS off loopback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* The UA is not in libpostern.a: the reader is compiled in here. */
#include "ua/account.c"

static char *
write_tmp(const char *text)
{
	char *path = strdup("/tmp/postern-test-acct-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char *conf =
    "# top level: defaults for every account\n"
    "user = top@example.org\n"
    "tls = starttls\n"
    "default_account = work\n"
    "\n"
    "[account home]\n"
    "imap = imap.home.test:993\n"
    "user = me@home.test\n"
    "\n"
    "[account work]\n"
    "imap = imap.work.test\n"
    "smtp = [2001:db8::1]:587\n"
    "insecure = yes\n"
    "password_command = echo secret\n"
    "maildir = ~/Mail\n"
    "ca_file = certs/ca.pem\n"
    "outbox = /var/tmp/out\n";

static void
test_sections(void **state)
{
	struct ua_account a;
	char err[256], *path = write_tmp(conf);

	(void)state;
	setenv("HOME", "/home/tester", 1);
	memset(&a, 0, sizeof(a));
	assert_int_equal(ua_account_load(path, NULL, 1, &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.name, "work");
	assert_string_equal(a.imap, "imap.work.test");
	assert_string_equal(a.user, "top@example.org");
	assert_int_equal(a.insecure, 1);
	assert_int_equal(a.tls, UA_TLS_STARTTLS);
	assert_string_equal(ua_account_password(&a, err, sizeof(err)),
	    "secret");
	assert_string_equal(a.maildir, "/home/tester/Mail");
	/* relative: from the config file's folder (/tmp) */
	assert_string_equal(a.ca_file, "/tmp/certs/ca.pem");
	assert_string_equal(a.outbox, "/var/tmp/out");
	ua_account_free(&a);

	assert_int_equal(ua_account_load(path, "home", 1, &a, err,
	    sizeof(err)), 0);
	assert_string_equal(a.user, "me@home.test");
	assert_null(a.smtp);
	assert_int_equal(a.insecure, 0);
	ua_account_free(&a);

	assert_int_equal(ua_account_load(path, "nope", 1, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no account nope"));
	ua_account_free(&a);
	unlink(path);
	free(path);
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ "imap = x\nbogus = 1\n", ":2: bogus: unknown key" },
	{ "tls = maybe\n", ":1: tls: tls: expected" },
	{ "insecure = perhaps\n", ":1: insecure: expected yes or no" },
	{ "[account]\n", ":1: expected [account NAME]" },
	{ "[acc x]\n", ":1: expected [account NAME]" },
	{ "just words\n", ":1: expected key = value" },
	{ "[account a]\ndefault_account = a\n", ":2: default_account inside" },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ua_account a;
		char err[256], *path = write_tmp(bad[i].text);

		memset(&a, 0, sizeof(a));
		err[0] = '\0';
		if (ua_account_load(path, NULL, 1, &a, err, sizeof(err)) != -1)
			fail_msg("row %zu accepted", i);
		if (strstr(err, bad[i].err) == NULL ||
		    strncmp(err, path, strlen(path)) != 0)
			fail_msg("row %zu: %s", i, err);
		ua_account_free(&a);
		unlink(path);
		free(path);
	}
}

static void
test_missing_file(void **state)
{
	struct ua_account a;
	char err[256];

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(ua_account_load("/nonexistent/x", NULL, 0, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(ua_account_load("/nonexistent/x", NULL, 1, &a, err,
	    sizeof(err)), -1);
	ua_account_free(&a);
}

static const struct {
	const char *hp;
	enum ua_tls set;
	enum ua_service svc;
	const char *host, *port;
	enum ua_tls want;
} eps[] = {
	{ "127.0.0.1:2143", UA_TLS_AUTO, UA_SVC_IMAP, "127.0.0.1", "2143",
	    UA_TLS_NONE },
	{ "mail.test:993", UA_TLS_AUTO, UA_SVC_IMAP, "mail.test", "993",
	    UA_TLS_IMPLICIT },
	{ "mail.test", UA_TLS_AUTO, UA_SVC_IMAP, "mail.test", "143",
	    UA_TLS_STARTTLS },
	{ "mail.test", UA_TLS_IMPLICIT, UA_SVC_SMTP, "mail.test", "465",
	    UA_TLS_IMPLICIT },
	{ "mail.test", UA_TLS_AUTO, UA_SVC_SMTP, "mail.test", "587",
	    UA_TLS_STARTTLS },
	{ "localhost:110", UA_TLS_AUTO, UA_SVC_POP3, "localhost", "110",
	    UA_TLS_NONE },
	{ "localhost:110", UA_TLS_STARTTLS, UA_SVC_POP3, "localhost", "110",
	    UA_TLS_STARTTLS },
	{ "[::1]:995", UA_TLS_AUTO, UA_SVC_POP3, "::1", "995",
	    UA_TLS_IMPLICIT },
	{ "[::1]", UA_TLS_AUTO, UA_SVC_POP3, "::1", "110", UA_TLS_NONE },
	/* several colons and no brackets: a bare IPv6 address */
	{ "::1:25", UA_TLS_AUTO, UA_SVC_SMTP, "::1:25", "587",
	    UA_TLS_STARTTLS },
	{ "host:", UA_TLS_AUTO, UA_SVC_SMTP, NULL, NULL, 0 },
	{ "host:2x", UA_TLS_AUTO, UA_SVC_SMTP, NULL, NULL, 0 },
	{ ":25", UA_TLS_AUTO, UA_SVC_SMTP, NULL, NULL, 0 },
	{ "[::1", UA_TLS_AUTO, UA_SVC_SMTP, NULL, NULL, 0 },
};

static void
test_endpoints(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		struct ua_account a;
		char host[64], port[16], err[256];
		enum ua_tls t;
		int rc;

		memset(&a, 0, sizeof(a));
		a.tls = eps[i].set;
		a.imap = a.pop3 = a.smtp = (char *)eps[i].hp;
		rc = ua_account_endpoint(&a, eps[i].svc, host, sizeof(host),
		    port, sizeof(port), &t, err, sizeof(err));
		if (eps[i].host == NULL) {
			if (rc != -1)
				fail_msg("row %zu accepted", i);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: %s", i, err);
		assert_string_equal(host, eps[i].host);
		assert_string_equal(port, eps[i].port);
		if (t != eps[i].want)
			fail_msg("row %zu: tls %d", i, t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
