/*
 * downgrade.h: 8-bit to 7-bit conversion of a message for a next hop
 * without 8BITMIME (RFC 6152 §3, RFC 1652 §6: a relay either converts or
 * returns the message).
 *
 * Every leaf part whose body holds 8-bit bytes is re-encoded, text as
 * quoted-printable and anything else as base64, and its
 * Content-Transfer-Encoding field is replaced; multipart and message
 * parts that claim 8bit or binary are relabelled 7bit. A message that
 * is not MIME gets MIME-Version and, without a Content-Type, a UTF-8
 * text/plain one. 8-bit bytes in a header cannot be converted (that is
 * SMTPUTF8's business): the call fails.
 */
#ifndef SMTPC_DOWNGRADE_H
#define SMTPC_DOWNGRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Whether msg holds a byte >= 0x80. */
bool smtpc_has_8bit(const char *msg, size_t len);

/* Appends the 7-bit form of msg to out. 0, or -1 with *errstr_out (an
 * 8-bit header, or out full). */
int smtpc_downgrade(const char *msg, size_t len, struct buf *out,
    const char **errstr_out);

#endif
