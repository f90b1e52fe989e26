/*
 * stub.c: stand-in role processes. Each one is a real role — its own event
 * loop, its listeners, TLS on the implicit-TLS ports, graceful SIGTERM —
 * that answers every connection with the protocol's polite "not yet
 * implemented" and closes. The SMTP, POP3 and IMAP issues replace them.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "lib/util.h"

#define STUB_TIMEOUT_S 30

struct stub {
	const struct role_env	*env;
	struct event_base	*base;
	struct server		*srv;
	char			 greeting[512];
};

static void
on_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct stub *st = arg;

	if (what & BEV_EVENT_CONNECTED) {	/* TLS handshake done */
		bufferevent_write(bev, st->greeting, strlen(st->greeting));
		return;
	}
	bufferevent_free(bev);
}

static void
on_conn(struct server_conn *conn, void *arg)
{
	struct stub *st = arg;
	struct timeval tv = { STUB_TIMEOUT_S, 0 };

	log_info("%s: connection from %s", conn->service, conn->peer_addr);
	bufferevent_setcb(conn->bev, NULL, on_written, on_event, st);
	bufferevent_set_timeouts(conn->bev, &tv, &tv);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	if (!conn->tls)
		bufferevent_write(conn->bev, st->greeting,
		    strlen(st->greeting));
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct stub *st = arg;

	(void)what;
	if (sig == SIGHUP)
		return;	/* the master restarts roles on reload */
	log_info("stopping");
	server_stop_listening(st->srv);
	event_base_loopexit(st->base, NULL);
}

static int
stub_run(const struct role_env *env, const char *greeting)
{
	struct event *sigterm, *sigint, *sighup;
	struct stub st;

	memset(&st, 0, sizeof(st));
	st.env = env;
	snprintf(st.greeting, sizeof(st.greeting), greeting,
	    env->cfg->hostname);
	if ((st.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	sigterm = evsignal_new(st.base, SIGTERM, on_signal, &st);
	sigint = evsignal_new(st.base, SIGINT, on_signal, &st);
	sighup = evsignal_new(st.base, SIGHUP, on_signal, &st);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	evsignal_add(sighup, NULL);
	st.srv = server_new(st.base, env->tls, env->listeners,
	    env->nlisteners, on_conn, &st);
	event_base_dispatch(st.base);
	server_free(&st.srv);
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	event_base_free(st.base);
	return 0;
}

int
stub_smtp_main(const struct role_env *env)
{
	return stub_run(env, "421 4.3.2 %s SMTP service not yet implemented\r\n");
}

int
stub_pop3_main(const struct role_env *env)
{
	return stub_run(env, "-ERR [SYS/TEMP] %s POP3 service not yet "
	    "implemented\r\n");
}

int
stub_imap_main(const struct role_env *env)
{
	return stub_run(env, "* BYE [UNAVAILABLE] %s IMAP service not yet "
	    "implemented\r\n");
}
