/*
 * servers.c - the list of wicketd servers an agent talks to (`--server
 * URL` repeated at enroll or run; docs/agent.md, "Several servers"). The
 * list is the operator's: it comes from the command line or state.json
 * (root's, 0600), never from a server. Every server is verified with the
 * one trust the agent was enrolled with (state.json's pin / CA / system
 * store), so adding one never widens what the agent accepts.
 */
#include "agent/agent.h"
#include "agent/failover.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

void
wk_agent_servers_free(char **servers, size_t n)
{
	size_t i;

	if (servers == NULL)
		return;
	for (i = 0; i < n; i++)
		wk_free(servers[i]);
	wk_free(servers);
}

static bool
same_scheme(const char *a, const char *b)
{
	return (strncmp(a, "https://", 8) == 0) ==
	    (strncmp(b, "https://", 8) == 0);
}

int
wk_agent_servers_set(struct wk_agent_state *st, char *const *urls, size_t n,
    char *why, size_t whysz)
{
	char **list = NULL, *first = NULL, msg[384];
	size_t i, j;
	int r = WK_ERR_INVAL;

	why[0] = '\0';
	if (n == 0 || n > WK_FAILOVER_MAX_SERVERS) {
		snprintf(why, whysz, "1 to %d servers", WK_FAILOVER_MAX_SERVERS);
		return WK_ERR_INVAL;
	}
	if ((list = wk_calloc(n, sizeof(char *))) == NULL)
		return WK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if ((r = wk_agent_check_server_url(urls[i], &list[i])) != 0) {
			if (r == WK_ERR_INVAL)
				snprintf(why, whysz, "%s: not an http:// or "
				    "https:// URL", urls[i]);
			goto out;
		}
		r = WK_ERR_INVAL;
		if (!same_scheme(list[0], list[i])) {
			snprintf(why, whysz, "%s: every server must use the "
			    "scheme of %s (one trust for the service)",
			    list[i], list[0]);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(list[j], list[i]) == 0) {
				snprintf(why, whysz, "%s given twice", list[i]);
				goto out;
			}
		}
		if (wk_agent_tls_url_ok(list[i], &st->tls, msg,
		    sizeof(msg)) != 0) {
			snprintf(why, whysz, "%s: %s", list[i], msg);
			goto out;
		}
	}
	if ((first = wk_strdup(list[0])) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	wk_free(st->server);
	wk_agent_servers_free(st->servers, st->nservers);
	st->server = first;
	st->servers = list;
	st->nservers = n;
	return 0;
 out:
	wk_agent_servers_free(list, n);
	return r;
}
