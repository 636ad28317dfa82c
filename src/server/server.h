/*
 * server.h - wicketd's process-wide state, shared by every part of the
 * server. One event loop thread runs everything: no locks.
 */
#ifndef WK_SERVER_SERVER_H
#define WK_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/signkey.h"
#include "server/net/agent_addr.h"
#include "store/store.h"

struct wk_agent_hub;	/* agent_hub.h: connected agents, pending records */
struct wk_authz_cache;	/* authz.h: parsed policies per user */
struct wk_loop;		/* http.h: the event loop and its timers */
struct wk_signing_watch;	/* signing_keys.c: reloads the key files */
struct wk_tls;		/* http.h: the listener's certificate; NULL = HTTP */

struct wk_server_config {
	char data_dir[1024];
	char listen[256];		/* "127.0.0.1:8080" */
	char public_url[512];		/* how agents/clients reach us ("" = derived) */
	unsigned key_ttl_seconds;	/* 60 */
	unsigned agent_poll_seconds;	/* long-poll hold time, 25 */
	unsigned agent_offline_seconds;	/* unseen this long = offline, 70 */
	unsigned agent_admit_rate;	/* new long-polls a second; 0 = all */
	size_t max_connections;		/* 60000 */
	/* slow and hostile clients (http.c); 0 = the WK_HTTP_* default */
	uint64_t header_timeout_ms;	/* accept -> headers in */
	uint64_t body_timeout_ms;	/* headers in -> body in */
	unsigned max_connections_per_ip;	/* per IPv4 address / IPv6 /64 */
	bool single_use;		/* every key record single-use (#Once=1) */
	/* --record-sessions: every browser terminal recorded (asciicast v2
	 * under DATA/recordings, console/console_record.c) */
	bool record_sessions;
	uint64_t recording_max_bytes;	/* per recording; 0 = the default */
	unsigned recording_retention_days;	/* 0 = kept forever */
	/* --agent-address-allow: addresses any host may register */
	struct wk_addr_allow agent_address_allow;
	/* --trusted-proxy: reverse proxies whose X-Forwarded-For/-Proto
	 * wicketd believes (http/forwarded.c); empty = none */
	struct wk_addr_allow trusted_proxies;
};

struct wk_server {
	struct wk_server_config cfg;
	struct wk_store *store;
	struct wk_signkey *signkey;	/* current signing key */
	struct wk_signkey *next_signkey;	/* announced, not yet used; may be NULL */
	/* replaced by the last promotion, still announced; may be NULL */
	struct wk_signkey *prev_signkey;
	char *rotation;		/* signing.statements, announced; may be NULL */
	struct wk_signing_watch *signwatch;	/* key reloads; may be NULL */
	/* signing keys synced with the store (PostgreSQL, signing_sync.c) */
	bool signing_shared;
	char account_id[13];
	char region[32];
	struct wk_loop *loop;
	struct wk_agent_hub *hub;
	struct wk_authz_cache *authz;
	struct wk_tls *tls;	/* TLS on the listener; NULL: plain HTTP */
	volatile int stopping;
};

#endif
