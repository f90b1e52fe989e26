/*
 * queue.h: the queue role process — picks up committed messages at once,
 * routes each recipient (local or remote), delivers local ones, records
 * per-recipient results durably, retries deferred ones, and removes a
 * message when every recipient is done.
 */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H

#include "lib/role.h"

int queue_role_main(const struct role_env *env);

#endif
