/*
 * queue_envelope.c: fuzz the queue-file reader. A corrupt queue file must
 * be refused cleanly (the queue role moves it aside), and whatever parses
 * must format and parse again to the same recipients.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "queue/envelope.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_envelope env, again;
	const char *errstr;
	struct buf b;
	size_t used, used2;

	if (queue_env_parse((const char *)data, size, &env, &used, &errstr)
	    == -1)
		return 0;
	assert(used <= size);
	buf_init(&b, 1 << 22);
	assert(queue_env_format(&env, &b) == 0);
	assert(queue_env_parse(b.data, b.len, &again, &used2, &errstr) == 0);
	assert(used2 == b.len);
	assert(again.nrcpts == env.nrcpts);
	for (size_t i = 0; i < env.nrcpts; i++)
		assert(strcmp(again.rcpts[i].addr, env.rcpts[i].addr) == 0);
	assert(strcmp(again.sender, env.sender) == 0);
	queue_env_free(&again);
	queue_env_free(&env);
	buf_free(&b);
	return 0;
}
