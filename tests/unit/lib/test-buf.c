/*
 * test-buf.c: the bounded buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

static void
test_append_and_cstr(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_int_equal(buf_putc(&b, ' '), 0);
	assert_int_equal(buf_printf(&b, "%d", 42), 0);
	assert_string_equal(buf_cstr(&b), "hello 42");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void
test_max_is_enforced_without_partial_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_puts(&b, "6789"), -1);	/* would be 9 */
	assert_string_equal(buf_cstr(&b), "12345");
	assert_int_equal(buf_puts(&b, "678"), 0);	/* exactly 8 */
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(buf_printf(&b, "%s", "y"), -1);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);	/* overflow */
	assert_true(b.cap <= 9);
	buf_free(&b);
}

static void
test_binary_and_consume(void **state)
{
	struct buf b;
	const char bin[] = { 'a', '\0', 'b', '\0', 'c' };

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, bin, sizeof(bin)), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, bin, 5);
	assert_int_equal(b.data[5], '\0');
	buf_consume(&b, 2);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "b\0c", 3);
	buf_truncate(&b, 1);
	assert_string_equal(buf_cstr(&b), "b");
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_growth_and_steal(void **state)
{
	struct buf b;
	char *p;
	size_t len;

	(void)state;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_printf(&b, "%04d", i % 10000), 0);
	assert_int_equal(b.len, 40000);
	assert_memory_equal(b.data + 39996, "9999", 4);
	p = buf_steal(&b, &len);
	assert_int_equal(len, 40000);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(p[40000], '\0');
	free(p);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_cstr),
		cmocka_unit_test(test_max_is_enforced_without_partial_append),
		cmocka_unit_test(test_binary_and_consume),
		cmocka_unit_test(test_growth_and_steal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
