/*
 * dns.c: MX and address resolution with c-ares (see dns.h). RFC 5321
 * §5.1, RFC 7505. c-ares tells us which sockets it wants watched
 * (sock_state_cb); each gets a libevent event, and one timer follows
 * ares_timeout().
 */
#include "smtpc/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <event2/event.h>

#include "lib/config.h"
#include "lib/util.h"

#define DNS_SOCKS_MAX	16
#define DNS_TIMEOUT_MS	3000
#define DNS_TRIES	2

struct dns_sock {
	ares_socket_t	 fd;
	struct event	*ev;
};

struct smtpc_dns {
	struct event_base	*base;
	ares_channel		 ch;
	struct event		*timer;
	struct dns_sock		 socks[DNS_SOCKS_MAX];
	size_t			 nsocks;
};

struct lookup;

struct host {
	struct lookup		*owner;
	char			 name[SMTPC_DNS_HOST_MAX];
	unsigned		 pref;
	int			 status;	/* ares status of its lookup */
	struct smtpc_dns_addr	 addrs[SMTPC_DNS_ADDR_MAX];
	size_t			 naddrs;
};

struct lookup {
	struct smtpc_dns	*d;
	smtpc_dns_fn		 fn;
	void			*arg;
	uint16_t		 port;
	bool			 implicit;	/* no MX: the domain itself */
	char			 domain[SMTPC_DNS_HOST_MAX];
	struct host		 hosts[SMTPC_DNS_MX_MAX];
	size_t			 nhosts;
	size_t			 pending;
};

static void rearm(struct smtpc_dns *d);

/* ---- c-ares in the event loop ----------------------------------------- */

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_dns *d = arg;

	ares_process_fd(d->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm(d);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_dns *d = arg;

	(void)fd;
	(void)what;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(d);
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct smtpc_dns *d = data;
	size_t i;

	for (i = 0; i < d->nsocks && d->socks[i].fd != fd; i++)
		;
	if (i < d->nsocks) {
		event_free(d->socks[i].ev);
		d->socks[i] = d->socks[--d->nsocks];
	}
	if (!readable && !writable)
		return;
	if (d->nsocks == DNS_SOCKS_MAX)
		return;	/* c-ares times the query out */
	d->socks[d->nsocks].fd = fd;
	d->socks[d->nsocks].ev = event_new(d->base, fd, EV_PERSIST |
	    (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), on_sock, d);
	event_add(d->socks[d->nsocks].ev, NULL);
	d->nsocks++;
}

static void
rearm(struct smtpc_dns *d)
{
	struct timeval max = { 1, 0 }, tv, *t;

	if (d->timer == NULL)
		return;
	t = ares_timeout(d->ch, &max, &tv);
	evtimer_add(d->timer, t);
}

struct smtpc_dns *
smtpc_dns_new(struct event_base *base, const char *server, char *err,
    size_t errlen)
{
	struct smtpc_dns *d = xcalloc(1, sizeof(*d));
	struct ares_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	o.timeout = DNS_TIMEOUT_MS;
	o.tries = DNS_TRIES;
	o.ndots = 1;
	o.ndomains = 0;		/* no search list: mail domains are FQDNs */
	o.domains = NULL;
	d->base = base;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS ||
	    (rc = ares_init_options(&d->ch, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
	    ARES_OPT_DOMAINS)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(d);
		return NULL;
	}
	if (server != NULL && *server != '\0' &&
	    (rc = ares_set_servers_ports_csv(d->ch, server)) != ARES_SUCCESS) {
		snprintf(err, errlen, "dns_server %s: %s", server,
		    ares_strerror(rc));
		ares_destroy(d->ch);
		free(d);
		return NULL;
	}
	d->timer = evtimer_new(base, on_timer, d);
	return d;
}

void
smtpc_dns_free(struct smtpc_dns **dp)
{
	struct smtpc_dns *d = *dp;

	if (d == NULL)
		return;
	event_free(d->timer);
	d->timer = NULL;
	ares_destroy(d->ch);	/* callbacks run with ARES_EDESTRUCTION */
	for (size_t i = 0; i < d->nsocks; i++)
		event_free(d->socks[i].ev);
	free(d);
	ares_library_cleanup();
	*dp = NULL;
}

/* ---- lookups ---------------------------------------------------------- */

static bool
is_temp(int status)
{
	return status != ARES_ENOTFOUND && status != ARES_ENODATA &&
	    status != ARES_ENONAME;
}

static void
finish(struct lookup *l)
{
	struct smtpc_dns_addr *all;
	size_t n = 0, temp = 0;
	char err[512];

	all = xcalloc(SMTPC_DNS_MX_MAX * SMTPC_DNS_ADDR_MAX, sizeof(*all));
	for (size_t i = 0; i < l->nhosts; i++) {
		for (size_t j = 0; j < l->hosts[i].naddrs; j++)
			all[n++] = l->hosts[i].addrs[j];
		if (l->hosts[i].naddrs == 0 && is_temp(l->hosts[i].status))
			temp++;
	}
	if (n > 0)
		l->fn(l->arg, SMTPC_DNS_OK, all, n, NULL);
	else {
		snprintf(err, sizeof(err), "%s: %s", l->hosts[0].name,
		    ares_strerror(l->hosts[0].status));
		/* A name that does not exist is final only when it is the
		 * domain itself; a missing MX host may be a passing error. */
		l->fn(l->arg, temp > 0 || !l->implicit ? SMTPC_DNS_TEMPFAIL :
		    SMTPC_DNS_PERMFAIL, NULL, 0, err);
	}
	free(all);
	free(l);
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct host *h = arg;
	struct lookup *l = h->owner;

	(void)timeouts;
	h->status = status;
	if (status == ARES_SUCCESS && res != NULL) {
		for (struct ares_addrinfo_node *ai = res->nodes; ai != NULL &&
		    h->naddrs < SMTPC_DNS_ADDR_MAX; ai = ai->ai_next) {
			struct smtpc_dns_addr *a = &h->addrs[h->naddrs];
			if (ai->ai_family == AF_INET &&
			    ai->ai_addrlen <= sizeof(a->sa)) {
				memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
				((struct sockaddr_in *)&a->sa)->sin_port =
				    htons(l->port);
			} else if (ai->ai_family == AF_INET6 &&
			    ai->ai_addrlen <= sizeof(a->sa)) {
				memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
				((struct sockaddr_in6 *)&a->sa)->sin6_port =
				    htons(l->port);
			} else
				continue;
			a->salen = ai->ai_addrlen;
			strlcpy_(a->host, h->name, sizeof(a->host));
			h->naddrs++;
		}
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (--l->pending == 0)
		finish(l);
}

/* Looks up every host's addresses at once. A callback may run before
 * ares_getaddrinfo returns (IP literals, /etc/hosts), so the loop holds
 * one extra count of its own until it is done with l. */
static void
lookup_hosts(struct lookup *l)
{
	struct ares_addrinfo_hints hints;
	struct smtpc_dns *d = l->d;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	l->pending = l->nhosts + 1;
	for (size_t i = 0; i < l->nhosts; i++) {
		l->hosts[i].owner = l;
		ares_getaddrinfo(d->ch, l->hosts[i].name, NULL, &hints,
		    on_addrinfo, &l->hosts[i]);
	}
	if (--l->pending == 0)
		finish(l);
	rearm(d);
}

static int
cmp_pref(const void *a, const void *b)
{
	const struct host *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

static void
on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup *l = arg;
	struct ares_mx_reply *mx = NULL;
	bool null_mx = false;
	char err[512];

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = ares_parse_mx_reply(abuf, alen, &mx);
	if (status == ARES_ENODATA) {
		/* RFC 5321 §5.1: no MX, the domain is its own mail host. */
		l->implicit = true;
		strlcpy_(l->hosts[0].name, l->domain, sizeof(l->hosts[0].name));
		l->nhosts = 1;
		lookup_hosts(l);
		return;
	}
	if (status != ARES_SUCCESS) {
		snprintf(err, sizeof(err), "MX lookup for %s: %s", l->domain,
		    ares_strerror(status));
		l->fn(l->arg, status == ARES_ENOTFOUND ? SMTPC_DNS_PERMFAIL :
		    SMTPC_DNS_TEMPFAIL, NULL, 0, err);
		free(l);
		return;
	}
	for (struct ares_mx_reply *m = mx; m != NULL; m = m->next) {
		/* RFC 7505 §3: "0 ." means the domain takes no mail. */
		if (m->host == NULL || m->host[0] == '\0' ||
		    strcmp(m->host, ".") == 0) {
			null_mx = true;
			continue;
		}
		if (l->nhosts < SMTPC_DNS_MX_MAX &&
		    strlen(m->host) < SMTPC_DNS_HOST_MAX) {
			strlcpy_(l->hosts[l->nhosts].name, m->host,
			    SMTPC_DNS_HOST_MAX);
			l->hosts[l->nhosts].pref = m->priority;
			l->nhosts++;
		}
	}
	ares_free_data(mx);
	if (l->nhosts == 0) {
		snprintf(err, sizeof(err), null_mx ? "%s does not accept mail "
		    "(null MX)" : "%s: no usable MX host", l->domain);
		l->fn(l->arg, null_mx ? SMTPC_DNS_PERMFAIL : SMTPC_DNS_TEMPFAIL,
		    NULL, 0, err);
		free(l);
		return;
	}
	qsort(l->hosts, l->nhosts, sizeof(l->hosts[0]), cmp_pref);
	/* RFC 5321 §5.1: hosts of equal preference in a random order. */
	for (size_t i = 0; i < l->nhosts;) {
		size_t j = i;
		while (j < l->nhosts && l->hosts[j].pref == l->hosts[i].pref)
			j++;
		for (size_t k = j - 1; k > i; k--) {
			size_t r = i + arc4random_uniform((uint32_t)(k - i + 1));
			struct host t = l->hosts[k];
			l->hosts[k] = l->hosts[r];
			l->hosts[r] = t;
		}
		i = j;
	}
	lookup_hosts(l);
}

/* A next hop written as an address needs no lookup. c-ares 1.18 asks
 * the DNS about "127.0.0.1" before it takes it as an address: a round
 * trip to the system resolver for every connection, and a whole query
 * timeout whenever that resolver is slow. */
static bool
literal(const char *name, uint16_t port, smtpc_dns_fn fn, void *arg)
{
	struct smtpc_dns_addr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.sa;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, name, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a.salen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, name, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a.salen = sizeof(*sin6);
	} else
		return false;
	strlcpy_(a.host, name, sizeof(a.host));
	fn(arg, SMTPC_DNS_OK, &a, 1, NULL);
	return true;
}

void
smtpc_dns_resolve(struct smtpc_dns *d, const char *name, uint16_t port,
    bool mx, smtpc_dns_fn fn, void *arg)
{
	struct lookup *l;

	if (strlen(name) >= SMTPC_DNS_HOST_MAX || *name == '\0') {
		fn(arg, SMTPC_DNS_PERMFAIL, NULL, 0, "bad domain name");
		return;
	}
	if (!mx && literal(name, port, fn, arg))
		return;
	l = xcalloc(1, sizeof(*l));
	l->d = d;
	l->fn = fn;
	l->arg = arg;
	l->port = port;
	strlcpy_(l->domain, name, sizeof(l->domain));
	if (!mx) {
		l->implicit = true;
		strlcpy_(l->hosts[0].name, name, sizeof(l->hosts[0].name));
		l->nhosts = 1;
		lookup_hosts(l);
		return;
	}
	ares_query(d->ch, name, ns_c_in, ns_t_mx, on_mx, l);
	rearm(d);
}
