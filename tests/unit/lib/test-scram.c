/*
 * test-scram.c: SCRAM-SHA-256 both ends against the RFC 7677 §3 example,
 * against each other, and the server's parser against malformed and
 * refused client messages (table-driven).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sasl.h"
#include "lib/scram.h"
#include "lib/util.h"

/* RFC 7677 §3. */
#define V_CFIRST	"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE	"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SFIRST	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
			"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_CFINAL	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj" \
			")hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void
vector_creds(struct scram_creds *cr)
{
	char salt[32];
	long n = sasl_base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt,
	    sizeof(salt));
	const char *err;

	assert_int_equal(n, 16);
	assert_int_equal(scram_creds_make("pencil", (unsigned char *)salt,
	    (size_t)n, 4096, cr, &err), 0);
}

static void
test_server_vector(void **state)
{
	struct scram_server *s = scram_server_new();
	struct scram_creds cr;
	char out[SCRAM_MSG_MAX + 1];
	const char *user, *err;

	(void)state;
	vector_creds(&cr);
	assert_int_equal(scram_server_client_first(s, V_CFIRST,
	    strlen(V_CFIRST), &user, &err), 0);
	assert_string_equal(user, "user");
	assert_int_equal(scram_server_first(s, &cr, V_SNONCE, out,
	    sizeof(out), &err), (long)strlen(V_SFIRST));
	assert_string_equal(out, V_SFIRST);
	assert_int_equal(scram_server_client_final(s, V_CFINAL,
	    strlen(V_CFINAL), out, sizeof(out), &err), 1);
	assert_string_equal(out, V_SFINAL);
	scram_server_free(&s);
	assert_null(s);
}

static void
test_client_vector(void **state)
{
	struct scram_client *c;
	char out[SCRAM_MSG_MAX + 1];
	const char *err;

	(void)state;
	c = scram_client_new("user", "pencil", "rOprNGfwEbeRWgbNEkqO", &err);
	assert_non_null(c);
	assert_int_equal(scram_client_first(c, out, sizeof(out)),
	    (long)strlen(V_CFIRST));
	assert_string_equal(out, V_CFIRST);
	assert_int_equal(scram_client_final(c, V_SFIRST, strlen(V_SFIRST),
	    out, sizeof(out), &err), (long)strlen(V_CFINAL));
	assert_string_equal(out, V_CFINAL);
	assert_int_equal(scram_client_verify(c, V_SFINAL, strlen(V_SFINAL),
	    &err), 0);
	scram_client_free(&c);

	/* A wrong server signature is a failure. */
	c = scram_client_new("user", "pencil", "rOprNGfwEbeRWgbNEkqO", &err);
	assert_true(scram_client_first(c, out, sizeof(out)) > 0);
	assert_true(scram_client_final(c, V_SFIRST, strlen(V_SFIRST), out,
	    sizeof(out), &err) > 0);
	assert_int_equal(scram_client_verify(c, "v=7rriTRBi23WpRR/wtup+mMhUZU"
	    "n/dB5nLTJRsjl95G4=", 46, &err), -1);
	scram_client_free(&c);

	/* A server nonce that does not extend ours; too few iterations. */
	c = scram_client_new("user", "pencil", "abc", &err);
	assert_true(scram_client_first(c, out, sizeof(out)) > 0);
	assert_int_equal(scram_client_final(c, V_SFIRST, strlen(V_SFIRST),
	    out, sizeof(out), &err), -1);
	scram_client_free(&c);
	c = scram_client_new("user", "pencil", "abc", &err);
	assert_true(scram_client_first(c, out, sizeof(out)) > 0);
	assert_int_equal(scram_client_final(c, "r=abcdef,s=QUJD,i=4095", 22,
	    out, sizeof(out), &err), -1);
	scram_client_free(&c);

	/* Our SASLprep: printable ASCII only. */
	assert_null(scram_client_new("us\xc3\xa9r", "pencil", NULL, &err));
	assert_null(scram_client_new("user", "pen\tcil", NULL, &err));
}

/* Client and server with random nonces and salt, names needing escapes. */
static void
test_roundtrip(void **state)
{
	static const char *const users[] = { "a,b=c@example.org", "user",
	    "x=2C" };
	static const struct {
		const char	*pw;
		int		 want;
		bool		 fake;
	} rows[] = {
		{ "right pass", 1, false },
		{ "wrong pass", 0, false },
		{ "right pass", 0, true },
	};

	(void)state;
	for (size_t u = 0; u < nitems(users); u++)
	for (size_t i = 0; i < nitems(rows); i++) {
		struct scram_server *s = scram_server_new();
		struct scram_client *c;
		struct scram_creds cr;
		char m[SCRAM_MSG_MAX + 1], r[SCRAM_MSG_MAX + 1];
		const char *user, *err;
		long n;

		assert_int_equal(scram_creds_make("right pass", NULL, 0,
		    SCRAM_ITERATIONS, &cr, &err), 0);
		assert_int_equal(cr.salt_len, SCRAM_SALT_LEN);
		c = scram_client_new(users[u], rows[i].pw, NULL, &err);
		assert_non_null(c);
		n = scram_client_first(c, m, sizeof(m));
		assert_true(n > 0);
		assert_int_equal(scram_server_client_first(s, m, (size_t)n,
		    &user, &err), 0);
		assert_string_equal(user, users[u]);
		if (rows[i].fake)
			scram_server_set_fake(s);
		n = scram_server_first(s, &cr, NULL, r, sizeof(r), &err);
		assert_true(n > 0);
		n = scram_client_final(c, r, (size_t)n, m, sizeof(m), &err);
		assert_true(n > 0);
		assert_int_equal(scram_server_client_final(s, m, (size_t)n, r,
		    sizeof(r), &err), rows[i].want);
		if (rows[i].want == 1)
			assert_int_equal(scram_client_verify(c, r, strlen(r),
			    &err), 0);
		scram_client_free(&c);
		scram_server_free(&s);
	}
}

static const struct {
	const char	*in;
	int		 want;	/* 0 taken, -1 refused */
	const char	*user;
} firsts[] = {
	{ "n,,n=user,r=abc", 0, "user" },
	{ "y,,n=user,r=abc", 0, "user" },	/* §6: we offer no -PLUS */
	{ "n,a=user,n=user,r=abc", 0, "user" },
	{ "n,,n=user,r=abc,x=ext", 0, "user" },	/* unknown extension */
	{ "n,,n=a=2Cb=3D,r=abc", 0, "a,b=" },
	{ "n,a=bob,n=user,r=abc", -1, NULL },	/* proxy login */
	{ "p=tls-unique,,n=user,r=abc", -1, NULL },
	{ "x,,n=user,r=abc", -1, NULL },
	{ "n,n=user,r=abc", -1, NULL },
	{ "n,,m=ext,n=user,r=abc", -1, NULL },
	{ "n,,r=abc,n=user", -1, NULL },
	{ "n,,n=user", -1, NULL },
	{ "n,,n=,r=abc", -1, NULL },
	{ "n,,n=user,r=", -1, NULL },
	{ "n,,n=user,r=a,c", -1, NULL },
	{ "n,,n=us=2Der,r=abc", -1, NULL },	/* only =2C and =3D */
	{ "n,,n=user=,r=abc", -1, NULL },
	{ "n,,n=us\x01r,r=abc", -1, NULL },
	{ "n,,n=us\xc3\xa9r,r=abc", -1, NULL },	/* not ASCII: refused */
	{ "n,,n=user,r=ab\x7f", -1, NULL },
	{ "n,,n=user,r=abc,", -1, NULL },
	{ "n,,n=user,,r=abc", -1, NULL },
	{ "n,,", -1, NULL },
	{ "", -1, NULL },
	{ "n,,n=user,r=abc,1=x", -1, NULL },
};

static void
test_client_first_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(firsts); i++) {
		struct scram_server *s = scram_server_new();
		const char *user = NULL, *err = NULL;
		int r = scram_server_client_first(s, firsts[i].in,
		    strlen(firsts[i].in), &user, &err);

		if (r != firsts[i].want)
			fail_msg("row %zu %s: %d (%s)", i, firsts[i].in, r,
			    err ? err : "");
		if (r == 0)
			assert_string_equal(user, firsts[i].user);
		else
			assert_non_null(err);
		scram_server_free(&s);
	}
}

static const struct {
	const char	*in;
	int		 want;
} finals[] = {
	{ V_CFINAL, 1 },
	/* tampered proof */
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", 0 },
	/* channel binding of "y,," or "p=" */
	{ "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", -1 },
	/* nonce not ours */
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", -1 },
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", -1 },
	/* proof not last, short, missing, not base64 */
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=y", -1 },
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzb", -1 },
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", -1 },
	{ "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ", -1 },
	{ "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,c=biws,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", -1 },
	{ "", -1 },
};

static void
test_client_final_table(void **state)
{
	struct scram_creds cr;

	(void)state;
	vector_creds(&cr);
	for (size_t i = 0; i < nitems(finals); i++) {
		struct scram_server *s = scram_server_new();
		char out[SCRAM_MSG_MAX + 1];
		const char *user, *err = NULL;
		int r;

		assert_int_equal(scram_server_client_first(s, V_CFIRST,
		    strlen(V_CFIRST), &user, &err), 0);
		assert_true(scram_server_first(s, &cr, V_SNONCE, out,
		    sizeof(out), &err) > 0);
		r = scram_server_client_final(s, finals[i].in,
		    strlen(finals[i].in), out, sizeof(out), &err);
		if (r != finals[i].want)
			fail_msg("row %zu: %d (%s)", i, r, err ? err : "");
		/* One try only: the state machine is over either way. */
		assert_int_equal(scram_server_client_final(s, V_CFINAL,
		    strlen(V_CFINAL), out, sizeof(out), &err), -1);
		scram_server_free(&s);
	}
}

static void
test_limits(void **state)
{
	char big[SCRAM_MSG_MAX + 64];
	struct scram_server *s;
	const char *user, *err;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "n,,n=", 5);
	s = scram_server_new();
	assert_int_equal(scram_server_client_first(s, big, sizeof(big), &user,
	    &err), -1);
	scram_server_free(&s);
	/* A 256-byte user name is one too long. */
	memcpy(big, "n,,n=", 5);
	memcpy(big + 5 + 256, ",r=abc", 6);
	s = scram_server_new();
	assert_int_equal(scram_server_client_first(s, big, 5 + 256 + 6,
	    &user, &err), -1);
	scram_server_free(&s);
	memcpy(big + 5 + 255, ",r=abc", 6);
	s = scram_server_new();
	assert_int_equal(scram_server_client_first(s, big, 5 + 255 + 6,
	    &user, &err), 0);
	scram_server_free(&s);
	/* An embedded NUL. */
	s = scram_server_new();
	assert_int_equal(scram_server_client_first(s, "n,,n=u\0x,r=abc", 14,
	    &user, &err), -1);
	scram_server_free(&s);
}

static void
test_base64_encode(void **state)
{
	char out[16], back[16];

	(void)state;
	assert_int_equal(sasl_base64_encode("", 0, out, sizeof(out)), 0);
	assert_int_equal(sasl_base64_encode("a", 1, out, sizeof(out)), 4);
	assert_string_equal(out, "YQ==");
	assert_int_equal(sasl_base64_encode("ab", 2, out, sizeof(out)), 4);
	assert_string_equal(out, "YWI=");
	assert_int_equal(sasl_base64_encode("n,,", 3, out, sizeof(out)), 4);
	assert_string_equal(out, "biws");
	assert_int_equal(sasl_base64_encode("\xff\xef\xfe", 3, out,
	    sizeof(out)), 4);
	assert_string_equal(out, "/+/+");
	assert_int_equal(sasl_base64_encode("abcd", 4, out, 8), -1);
	assert_int_equal(sasl_base64_encode("abcd", 4, out, 9), 8);
	assert_int_equal(sasl_base64_decode(out, 8, back, sizeof(back)), 4);
	assert_string_equal(back, "abcd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_vector),
		cmocka_unit_test(test_client_vector),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_client_first_table),
		cmocka_unit_test(test_client_final_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_base64_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
