// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "endpoints.h"
#include "lib/log.h"

#define ENDPOINTS_RESOLVE_NS (300 * 1000000000ULL) /* DNS answers change: look again */

struct endpoint {
	__u16 family;
	__u16 port; /* 0: any */
	__u8 addr[16];
};

struct endpoint_list {
	struct endpoint *v;
	size_t n;
};

/* The addresses of the named endpoints, shared with the resolver threads. */
struct resolved {
	pthread_mutex_t lock;
	unsigned int refs;    /* the owner and every running resolver */
	unsigned int gen;     /* bumped at every set: older answers are dropped */
	unsigned int running; /* resolvers not done yet */
	unsigned int version; /* bumped whenever list changes */
	struct endpoint_list list;
};

/* One resolver thread's work: the names of one configuration. */
struct resolve_job {
	struct resolved *res;
	unsigned int gen;
	bool any_port;
	const char *what;
	char **specs;
	size_t n;
};

struct endpoints {
	struct endpoint_list numeric; /* given as addresses */
	char **names;		      /* given as names */
	size_t nr_names;
	bool any_port;
	const char *what;
	struct resolved *res;
	uint64_t resolved_at; /* time of the latest resolver start */
	bool started;
};

/* "host:port" or "[v6]:port" (or without the port, @any_port) -> @host and @port. */
static bool split_spec(const char *spec, bool any_port, char *host, size_t hmax, const char **port)
{
	const char *end;
	size_t hlen;

	if (spec[0] == '[' && (end = strchr(spec, ']'))) {
		hlen = end - spec - 1;
		spec++;
		*port = end[1] == ':' ? end + 2 : NULL;
	} else if ((*port = strrchr(spec, ':')) && *port == strchr(spec, ':')) {
		hlen = (*port)++ - spec;
	} else {
		hlen = strlen(spec);
		*port = NULL;
	}
	if ((!*port && !any_port) || hlen >= hmax)
		return false;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	return true;
}

static int list_add(struct endpoint_list *l, const struct addrinfo *ai)
{
	struct endpoint ep = { .family = ai->ai_family };
	struct endpoint *n;

	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;

		ep.port = ntohs(sin->sin_port);
		memcpy(ep.addr, &sin->sin_addr, 4);
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;

		ep.port = ntohs(sin6->sin6_port);
		memcpy(ep.addr, &sin6->sin6_addr, 16);
	} else {
		return 0;
	}
	n = realloc(l->v, (l->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->v = n;
	l->v[l->n++] = ep;
	return 0;
}

/*
 * Every address @spec stands for, into @l.  With @numeric only numeric hosts
 * are looked at (no DNS): returns 1 for a name, to be resolved later.
 */
static int resolve_spec(struct endpoint_list *l, const char *spec, bool any_port, const char *what,
			bool numeric)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	const char *port;
	char host[256];
	int err;

	if (!split_spec(spec, any_port, host, sizeof(host), &port)) {
		if (numeric)
			log_warn("%s '%s' has no :port; ignored", what, spec);
		return 0;
	}
	if (numeric)
		hints.ai_flags |= AI_NUMERICHOST;
	err = getaddrinfo(host, port, &hints, &res);
	if (err == EAI_NONAME && numeric)
		return 1;
	if (err) {
		log_warn("%s '%s' does not resolve; it matches nothing", what, host);
		return 0;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if (list_add(l, ai))
			break;
	freeaddrinfo(res);
	return 0;
}

static void resolved_put(struct resolved *res)
{
	bool last;

	pthread_mutex_lock(&res->lock);
	last = !--res->refs;
	pthread_mutex_unlock(&res->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&res->lock);
	free(res->list.v);
	free(res);
}

static void strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void *resolver(void *arg)
{
	struct resolve_job *job = arg;
	struct resolved *res = job->res;
	struct endpoint_list l = { 0 };
	size_t i;

	for (i = 0; i < job->n; i++)
		resolve_spec(&l, job->specs[i], job->any_port, job->what, false);
	pthread_mutex_lock(&res->lock);
	if (job->gen == res->gen) {
		free(res->list.v);
		res->list = l;
		res->version++;
		l.v = NULL;
	}
	res->running--;
	pthread_mutex_unlock(&res->lock);
	free(l.v);
	resolved_put(res);
	strs_free(job->specs, job->n);
	free(job);
	return NULL;
}

/* Start a thread resolving the names of the current set. */
static void resolve_names(struct endpoints *e)
{
	struct resolve_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!job || !(job->specs = calloc(e->nr_names, sizeof(*job->specs))))
		goto fail;
	for (job->n = 0; job->n < e->nr_names; job->n++)
		if (!(job->specs[job->n] = strdup(e->names[job->n])))
			goto fail;
	job->res = e->res;
	job->any_port = e->any_port;
	job->what = e->what;
	pthread_mutex_lock(&e->res->lock);
	job->gen = e->res->gen;
	e->res->refs++;
	e->res->running++;
	pthread_mutex_unlock(&e->res->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, resolver, job);
	pthread_attr_destroy(&attr);
	if (!err)
		return;
	log_warn("%s: cannot start the resolver: %s", e->what, strerror(err));
	pthread_mutex_lock(&e->res->lock);
	e->res->running--;
	pthread_mutex_unlock(&e->res->lock);
	resolved_put(e->res);
fail:
	if (job)
		strs_free(job->specs, job->n);
	free(job);
}

struct endpoints *endpoints_new(void)
{
	struct endpoints *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->res = calloc(1, sizeof(*e->res));
	if (!e->res) {
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->res->lock, NULL);
	e->res->refs = 1;
	return e;
}

void endpoints_set(struct endpoints *e, char *const *specs, size_t n, bool any_port,
		   const char *what, bool sync)
{
	size_t i;
	char **nn;

	free(e->numeric.v);
	e->numeric = (struct endpoint_list){ 0 };
	strs_free(e->names, e->nr_names);
	e->names = NULL;
	e->nr_names = 0;
	e->any_port = any_port;
	e->what = what;
	for (i = 0; i < n; i++) {
		if (resolve_spec(&e->numeric, specs[i], any_port, what, true) != 1)
			continue;
		nn = realloc(e->names, (e->nr_names + 1) * sizeof(*nn));
		if (!nn)
			break;
		e->names = nn;
		if (!(e->names[e->nr_names] = strdup(specs[i])))
			break;
		e->nr_names++;
	}
	pthread_mutex_lock(&e->res->lock);
	e->res->gen++; /* what a resolver of the old names finds is of no use */
	e->res->version++;
	free(e->res->list.v);
	e->res->list = (struct endpoint_list){ 0 };
	pthread_mutex_unlock(&e->res->lock);
	e->started = false;
	if (!e->nr_names)
		return;
	if (sync) {
		/* no resolver runs for this set: nothing else touches the list */
		for (i = 0; i < e->nr_names; i++)
			resolve_spec(&e->res->list, e->names[i], any_port, what, false);
		strs_free(e->names, e->nr_names); /* resolved for good: nothing to redo */
		e->names = NULL;
		e->nr_names = 0;
		return;
	}
	resolve_names(e);
}

void endpoints_tick(struct endpoints *e, uint64_t now_ns)
{
	unsigned int running;

	if (!e->nr_names)
		return;
	if (!e->started) {
		e->started = true; /* the clock of the events starts with the first tick */
		e->resolved_at = now_ns;
		return;
	}
	if (now_ns < e->resolved_at + ENDPOINTS_RESOLVE_NS)
		return;
	pthread_mutex_lock(&e->res->lock);
	running = e->res->running;
	pthread_mutex_unlock(&e->res->lock);
	if (running)
		return; /* still waiting for the last answer */
	e->resolved_at = now_ns;
	resolve_names(e);
}

static bool list_match(const struct endpoint_list *l, __u16 family, const __u8 *addr, __u16 port)
{
	size_t i, alen = family == AF_INET ? 4 : 16;

	for (i = 0; i < l->n; i++)
		if (l->v[i].family == family && (!l->v[i].port || l->v[i].port == port) &&
		    !memcmp(l->v[i].addr, addr, alen))
			return true;
	return false;
}

bool endpoints_match(struct endpoints *e, __u16 family, const __u8 *addr, __u16 port)
{
	bool hit;

	if (list_match(&e->numeric, family, addr, port))
		return true;
	pthread_mutex_lock(&e->res->lock);
	hit = list_match(&e->res->list, family, addr, port);
	pthread_mutex_unlock(&e->res->lock);
	return hit;
}

static void list_copy(struct endpoint_key *out, const struct endpoint_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		out[i].family = l->v[i].family;
		out[i].port = l->v[i].port;
		memcpy(out[i].addr, l->v[i].addr, sizeof(out[i].addr));
	}
}

int endpoints_addrs(struct endpoints *e, struct endpoint_key **out)
{
	size_t n;

	pthread_mutex_lock(&e->res->lock);
	n = e->numeric.n + e->res->list.n;
	*out = calloc(n + 1, sizeof(**out));
	if (*out) {
		list_copy(*out, &e->numeric);
		list_copy(*out + e->numeric.n, &e->res->list);
	}
	pthread_mutex_unlock(&e->res->lock);
	return *out ? (int)n : -ENOMEM;
}

unsigned int endpoints_version(struct endpoints *e)
{
	unsigned int v;

	pthread_mutex_lock(&e->res->lock);
	v = e->res->version;
	pthread_mutex_unlock(&e->res->lock);
	return v;
}

void endpoints_free(struct endpoints *e)
{
	if (!e)
		return;
	free(e->numeric.v);
	strs_free(e->names, e->nr_names);
	resolved_put(e->res);
	free(e);
}
