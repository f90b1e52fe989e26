/*
 * outbox.h: the sender-side spool of `postern`: messages that could not be
 * submitted wait here until `postern flush` (or `watch`) sends them.
 *
 * One file per message, written durably (temp, fsync, rename): the lines
 * "from ADDR" and "rcpt ADDR"..., an empty line, then the message.
 */
#ifndef UA_OUTBOX_H
#define UA_OUTBOX_H

#include <stddef.h>

#include "ua/account.h"

/* Stores a message; *name_out (allocated) is its file name. 0 or -1. */
int ua_outbox_put(const char *dir, const char *from, char *const *rcpts,
    size_t nrcpt, const char *msg, size_t len, char **name_out);

/*
 * Tries to send every queued message, oldest first. Prints one line per
 * message ("sent NAME", "kept NAME: why", "failed NAME: why").
 * *sent_out and *left_out count them. Returns 0, or -1 when the folder
 * cannot be read.
 */
int ua_outbox_flush(struct ua_account *a, size_t *sent_out,
    size_t *left_out, int quiet);

/*
 * Prints one line per queued message, oldest first:
 * NAME <TAB> FROM <TAB> RCPT,RCPT... <TAB> SIZE. Returns the count, or -1.
 */
int ua_outbox_list(const char *dir);

/* Number of queued messages (0 when there is no folder), -1 on error. */
long ua_outbox_count(const char *dir);

#endif
