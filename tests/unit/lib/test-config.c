/*
 * test-config.c: the config parser — defaults, every key, every error.
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

#include "lib/config.h"

static int
parse(const char *text, struct config *cfg, char *err)
{
	return config_parse(text, strlen(text), "test.conf", "/etc/postern",
	    cfg, err, CONFIG_ERR_MAX);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX], host[256];

	(void)state;
	assert_int_equal(parse("", &cfg, err), 0);
	assert_string_equal(cfg.user, "");
	gethostname(host, sizeof(host));
	assert_string_equal(cfg.hostname, host);
	assert_int_equal(cfg.domains.n, 1);
	assert_string_equal(cfg.domains.items[0], "localhost");
	assert_string_equal(cfg.data_dir, "/etc/postern/var");
	assert_string_equal(cfg.smtp_listen.items[0], "127.0.0.1:2525");
	assert_string_equal(cfg.submission_listen.items[0], "127.0.0.1:2587");
	assert_string_equal(cfg.submissions_listen.items[0], "127.0.0.1:2465");
	assert_string_equal(cfg.pop3_listen.items[0], "127.0.0.1:2110");
	assert_string_equal(cfg.pop3s_listen.items[0], "127.0.0.1:2995");
	assert_string_equal(cfg.imap_listen.items[0], "127.0.0.1:2143");
	assert_string_equal(cfg.imaps_listen.items[0], "127.0.0.1:2993");
	assert_string_equal(cfg.tls_cert, "");
	assert_string_equal(cfg.tls_key, "");
	assert_int_equal(cfg.nrelay_networks, 0);
	assert_int_equal(cfg.max_message_size, 25 * 1024 * 1024);
	assert_int_equal(cfg.queue_interval, 15 * 60);
	assert_int_equal(cfg.queue_lifetime, 5 * 86400);
	assert_int_equal(cfg.delay_warning, 4 * 3600);
	assert_int_equal(cfg.nroutes, 0);
	assert_string_equal(cfg.dns_server, "");
	assert_int_equal(cfg.remote_smtp_port, 25);
	assert_int_equal(cfg.plaintext_auth, CONFIG_PLAINTEXT_LOOPBACK);
	assert_string_equal(cfg.recipient_delimiter, "+");
	assert_int_equal(cfg.pop3_expire, -1);
	assert_int_equal(cfg.pop3_login_delay, 0);
	config_free(&cfg);
}

static void
test_every_key(void **state)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];
	const char *text =
	    "# a comment\n"
	    "\n"
	    "user = postern\n"
	    "hostname = mx.example.org\n"
	    "domains = example.org  example.net\n"
	    "data_dir = /srv/mail\n"
	    "smtp_listen = 0.0.0.0:25 [::]:25\n"
	    "submission_listen =\n"
	    "submissions_listen = *:465\n"
	    "pop3_listen = localhost:110\n"
	    "pop3s_listen = 127.0.0.1:995\n"
	    "imap_listen = [::1]:143\n"
	    "imaps_listen = 127.0.0.1:993\n"
	    "   tls_cert   =   certs/c.pem   \n"
	    "tls_key = /k.pem\n"
	    "relay_networks = 192.0.2.0/24 2001:db8::/32\n"
	    "max_message_size = 10M\n"
	    "queue_interval = 30s\n"
	    "queue_lifetime = 3d\n"
	    "delay_warning = 0\n"
	    "route.example.com = 192.0.2.1:2525\n"
	    "route.* = [2001:db8::1]:587\n"
	    "dns_server = 127.0.0.1:5353\n"
	    "remote_smtp_port = 2526\n"
	    "plaintext_auth = never\r\n"
	    "recipient_delimiter = -\n"
	    "pop3_expire = 30\n"
	    "pop3_login_delay = 15m\n";

	(void)state;
	assert_int_equal(parse(text, &cfg, err), 0);
	assert_string_equal(cfg.user, "postern");
	assert_string_equal(cfg.hostname, "mx.example.org");
	assert_int_equal(cfg.domains.n, 2);
	assert_string_equal(cfg.domains.items[1], "example.net");
	assert_string_equal(cfg.data_dir, "/srv/mail");
	assert_int_equal(cfg.smtp_listen.n, 2);
	assert_string_equal(cfg.smtp_listen.items[1], "[::]:25");
	assert_int_equal(cfg.submission_listen.n, 0);
	assert_string_equal(cfg.submissions_listen.items[0], "*:465");
	assert_string_equal(cfg.pop3_listen.items[0], "localhost:110");
	assert_string_equal(cfg.imap_listen.items[0], "[::1]:143");
	assert_string_equal(cfg.tls_cert, "/etc/postern/certs/c.pem");
	assert_string_equal(cfg.tls_key, "/k.pem");
	assert_int_equal(cfg.nrelay_networks, 2);
	assert_true(cidr_match_str(&cfg.relay_networks[0], "192.0.2.77"));
	assert_true(cidr_match_str(&cfg.relay_networks[1], "2001:db8::5"));
	assert_int_equal(cfg.max_message_size, 10 * 1024 * 1024);
	assert_int_equal(cfg.queue_interval, 30);
	assert_int_equal(cfg.queue_lifetime, 3 * 86400);
	assert_int_equal(cfg.delay_warning, 0);
	assert_int_equal(cfg.nroutes, 2);
	assert_string_equal(config_route_lookup(&cfg, "EXAMPLE.com"),
	    "192.0.2.1:2525");
	assert_string_equal(config_route_lookup(&cfg, "other.org"),
	    "[2001:db8::1]:587");
	assert_string_equal(cfg.dns_server, "127.0.0.1:5353");
	assert_int_equal(cfg.remote_smtp_port, 2526);
	assert_int_equal(cfg.plaintext_auth, CONFIG_PLAINTEXT_NEVER);
	assert_string_equal(cfg.recipient_delimiter, "-");
	assert_int_equal(cfg.pop3_expire, 30);
	assert_int_equal(cfg.pop3_login_delay, 15 * 60);
	config_free(&cfg);

	assert_int_equal(parse("plaintext_auth = always\n", &cfg, err), 0);
	assert_int_equal(cfg.plaintext_auth, CONFIG_PLAINTEXT_ALWAYS);
	assert_null(config_route_lookup(&cfg, "example.com"));
	config_free(&cfg);
}

static const struct bad {
	const char *text;
	const char *err;
} bad[] = {
	{ "frobnicate = 1\n", "test.conf:1: unknown key 'frobnicate'" },
	{ "\n\nno equals sign\n", "test.conf:3: expected 'key = value'" },
	{ " = 5\n", "test.conf:1: missing key before '='" },
	{ "queue_interval = 15x\n", "test.conf:1: queue_interval: bad duration '15x'" },
	{ "queue_interval = m\n", "test.conf:1: queue_interval: bad duration 'm'" },
	{ "queue_lifetime = -1d\n", "test.conf:1: queue_lifetime: bad duration" },
	{ "delay_warning = 99999999999999999999\n", "test.conf:1: delay_warning: bad duration" },
	{ "max_message_size = 25MB\n", "test.conf:1: max_message_size: bad size '25MB'" },
	{ "max_message_size = 2000000G\n", "test.conf:1: max_message_size: bad size" },
	{ "smtp_listen = 127.0.0.1\n", "test.conf:1: smtp_listen: 127.0.0.1: expected HOST:PORT" },
	{ "imap_listen = 127.0.0.1:0\n", "test.conf:1: imap_listen: 127.0.0.1:0: port out of range" },
	{ "imap_listen = 127.0.0.1:65536\n", "test.conf:1: imap_listen: 127.0.0.1:65536: port out of range" },
	{ "pop3_listen = ::1:110\n", "test.conf:1: pop3_listen: ::1:110: IPv6 addresses go in brackets" },
	{ "pop3_listen = [::1]110\n", "test.conf:1: pop3_listen: [::1]110: expected [IPV6]:PORT" },
	{ "relay_networks = 10.0.0.0/33\n", "test.conf:1: relay_networks: '10.0.0.0/33': bad prefix length" },
	{ "relay_networks = banana\n", "test.conf:1: relay_networks: 'banana': bad network address" },
	{ "remote_smtp_port = http\n", "test.conf:1: remote_smtp_port: 'http': bad port" },
	{ "plaintext_auth = sometimes\n", "test.conf:1: plaintext_auth: 'sometimes': expected never" },
	{ "route.example.com = nohost\n", "test.conf:1: route: nohost: expected HOST:PORT" },
	{ "route.bad/domain = a:25\n", "test.conf:1: route.bad/domain: bad domain" },
	{ "dns_server = 1.2.3.4\n", "test.conf:1: dns_server: 1.2.3.4: expected HOST:PORT" },
	{ "user = a\nuser = b\n", "test.conf:2: user: set twice" },
	{ "hostname =\n", "test.conf: hostname must not be empty" },
	{ "tls_cert = a.pem\n", "test.conf: tls_cert and tls_key go together" },
	{ "recipient_delimiter = +-\n", "test.conf:1: recipient_delimiter: '+-': expected one character" },
	{ "pop3_expire = 30d\n", "test.conf:1: pop3_expire: '30d': expected a number of days or never" },
	{ "pop3_expire = soon\n", "test.conf:1: pop3_expire: 'soon': expected a number of days or never" },
	{ "pop3_login_delay = soon\n", "test.conf:1: pop3_login_delay: bad duration 'soon'" },
	{ "pop3_login_delay = -5s\n", "test.conf:1: pop3_login_delay: bad duration '-5s'" },
	{ "pop3_login_delay = 2d\n", "test.conf:1: pop3_login_delay: '2d': at most 86400s" },
	{ "recipient_delimiter = @\n", "test.conf:1: recipient_delimiter: '@': expected one character" },
};

static void
test_errors(void **state)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i].text, &cfg, err) != -1)
			fail_msg("row %zu parsed: %s", i, bad[i].text);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("row %zu: got '%s' want '%s...'", i, err,
			    bad[i].err);
		assert_null(strchr(err, '\n'));
	}
}

static void
test_long_line_and_nul(void **state)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX], text[6000];

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "user = ", 7);
	text[sizeof(text) - 1] = '\n';
	assert_int_equal(config_parse(text, sizeof(text), "t", ".", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t:1: line too long");
	assert_int_equal(config_parse("user = a\0b\n", 11, "t", ".", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t:1: NUL byte in line");
}

static void
test_load_file(void **state)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX], dir[] = "/tmp/postern-cfg-XXXXXX", path[64];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	f = fopen(path, "w");
	fputs("data_dir = spool\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_true(strcmp(cfg.data_dir, dir) > 0);
	assert_non_null(strstr(cfg.data_dir, "/spool"));
	assert_string_equal(cfg.path, path);
	config_free(&cfg);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line_and_nul),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
