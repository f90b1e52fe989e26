/*
 * test-units.c: durations, sizes, ports; and CIDR matching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cidr.h"
#include "lib/units.h"

static void
test_durations(void **state)
{
	static const struct { const char *s; int64_t v; } ok[] = {
		{ "0", 0 }, { "90", 90 }, { "30s", 30 }, { "15m", 900 },
		{ "4h", 14400 }, { "5d", 432000 }, { "3650d", 3650 * 86400LL },
	};
	static const char *bad[] = {
		"", "s", "15x", "1.5h", "-1", " 1", "1 ", "1mm", "99999d",
		"18446744073709551616",
	};
	const char *errstr;
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_duration_parse(ok[i].s, &v, &errstr), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (units_duration_parse(bad[i], &v, &errstr) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

static void
test_sizes(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "1K", 1024 },
		{ "25M", 25ULL << 20 }, { "2G", 2ULL << 30 },
	};
	static const char *bad[] = { "", "K", "1k", "25MB", "1.5M", "-1",
	    "9999999999G" };
	const char *errstr;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(units_size_parse(ok[i].s, &v, &errstr), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (units_size_parse(bad[i], &v, &errstr) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

static void
test_ports(void **state)
{
	const char *errstr;
	uint16_t p;

	(void)state;
	assert_int_equal(units_port_parse("25", &p, &errstr), 0);
	assert_int_equal(p, 25);
	assert_int_equal(units_port_parse("65535", &p, &errstr), 0);
	assert_int_equal(units_port_parse("0", &p, &errstr), -1);
	assert_int_equal(units_port_parse("65536", &p, &errstr), -1);
	assert_int_equal(units_port_parse("25a", &p, &errstr), -1);
	assert_int_equal(units_port_parse("", &p, &errstr), -1);
}

static void
test_cidr(void **state)
{
	static const struct {
		const char *net, *addr;
		int match;
	} rows[] = {
		{ "192.0.2.0/24", "192.0.2.1", 1 },
		{ "192.0.2.0/24", "192.0.3.1", 0 },
		{ "10.1.2.3/8", "10.255.0.1", 1 },	/* host bits ignored */
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "192.0.2.7", "192.0.2.7", 1 },
		{ "192.0.2.7", "192.0.2.8", 0 },
		{ "192.0.2.0/25", "192.0.2.127", 1 },
		{ "192.0.2.0/25", "192.0.2.128", 0 },
		{ "127.0.0.0/8", "::ffff:127.0.0.1", 1 },	/* mapped */
		{ "127.0.0.0/8", "::1", 0 },
		{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
		{ "2001:db8::/32", "2001:db9::1", 0 },
		{ "::1", "::1", 1 },
		{ "::/0", "192.0.2.1", 0 },	/* families differ */
		{ "2001:db8::/33", "2001:db8:8000::", 0 },
		{ "2001:db8::/33", "2001:db8:7fff::", 1 },
	};
	static const char *bad[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33",
	    "::/129", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0/ 8", "x::/8",
	    "10.0.0.0/0008" };
	struct cidr c;
	const char *errstr;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(cidr_parse(rows[i].net, &c, &errstr), 0);
		if (cidr_match_str(&c, rows[i].addr) != rows[i].match)
			fail_msg("row %zu: %s vs %s", i, rows[i].net,
			    rows[i].addr);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &c, &errstr) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
