/*
 * state.c - the agent's state directory: state.json (0600: server URL,
 * instance id, agent secret, address, port, host key paths) and trust
 * (0644: the pinned signing keys, read by wicket-authorized-keys). Both are
 * replaced atomically: temp file, fsync, rename, fsync of the directory.
 */
#include "agent/agent.h"
#include "agent/failover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "crypto/rotation.h"
#include "crypto/spki.h"

void
wk_agent_state_cleanup(struct wk_agent_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	wk_free(st->server);
	wk_agent_servers_free(st->servers, st->nservers);
	wk_free(st->instance_id);
	if (st->agent_secret != NULL)
		wk_freezero(st->agent_secret, strlen(st->agent_secret));
	wk_free(st->address);
	wk_free(st->hostname);
	wk_free(st->account_id);
	wk_free(st->region);
	for (i = 0; i < st->nhost_keys; i++)
		wk_free(st->host_keys[i]);
	wk_free(st->host_keys);
	wk_agent_tls_cleanup(&st->tls);
	memset(st, 0, sizeof(*st));
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t put;

	while (len > 0) {
		put = write(fd, p, len);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return WK_ERR_IO;
		}
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

int
wk_agent_write_atomic(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode)
{
	char tmp[4096], dst[4096], rnd[9];
	uint8_t rb[4];
	int fd = -1, dfd = -1, r;

	if ((r = wk_random_bytes(rb, sizeof(rb))) != 0)
		return r;
	snprintf(rnd, sizeof(rnd), "%02x%02x%02x%02x", rb[0], rb[1], rb[2],
	    rb[3]);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%s.tmp", dir, name,
	    rnd) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >=
	    sizeof(dst))
		return WK_ERR_TOOBIG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return WK_ERR_IO;
	/* open() honours the umask; set the mode we mean. */
	if (fchmod(fd, mode) != 0 || (r = write_all(fd, data, len)) != 0 ||
	    fsync(fd) != 0) {
		r = WK_ERR_IO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = WK_ERR_IO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		r = WK_ERR_IO;
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
 out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

static int
get_str(const json_t *obj, const char *key, bool required, char **out)
{
	const json_t *v = json_object_get(obj, key);
	const char *str = "";

	*out = NULL;
	if (v != NULL) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return WK_ERR_INVAL;
		str = json_string_value(v);
	} else if (required) {
		return WK_ERR_INVAL;
	}
	if ((*out = wk_strdup(str)) == NULL)
		return WK_ERR_NOMEM;
	return 0;
}

/*
 * The TLS trust (all optional; absent in states written before it: the
 * system store for https): "tls_pin" 64 hex, "tls_ca_pem" a PEM bundle,
 * "insecure_http" true.
 */
static int
load_tls(const json_t *root, struct wk_agent_tls *t)
{
	const json_t *v;

	if ((v = json_object_get(root, "tls_pin")) != NULL &&
	    !(json_is_string(v) && json_string_length(v) == 0)) {
		if (!json_is_string(v) ||
		    json_string_length(v) != WK_SPKI_PIN_HEX_LEN ||
		    wk_spki_pin_parse(json_string_value(v), t->pin) != 0)
			return WK_ERR_INVAL;
		t->has_pin = true;
	}
	if ((v = json_object_get(root, "tls_ca_pem")) != NULL &&
	    !(json_is_string(v) && json_string_length(v) == 0)) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    json_string_length(v) > WK_AGENT_MAX_CA_PEM)
			return WK_ERR_INVAL;
		if ((t->ca_pem = wk_strdup(json_string_value(v))) == NULL)
			return WK_ERR_NOMEM;
	}
	if ((v = json_object_get(root, "insecure_http")) != NULL) {
		if (!json_is_boolean(v))
			return WK_ERR_INVAL;
		t->insecure_http = json_is_true(v);
	}
	return 0;
}

/*
 * "servers": every server in the order tried, the first being "server".
 * Absent (states written before it): "server" alone. When "server" was
 * edited by hand and is no longer the first, it goes first and the
 * others follow in their order: "server" is what older agents and older
 * instructions use, so it wins.
 */
static int
load_servers(const json_t *root, struct wk_agent_state *st)
{
	const json_t *arr = json_object_get(root, "servers"), *v;
	size_t i, n = arr == NULL ? 0 : json_array_size(arr);
	char *u;

	if (arr != NULL && (!json_is_array(arr) || n == 0 ||
	    n > WK_FAILOVER_MAX_SERVERS))
		return WK_ERR_INVAL;
	if ((st->servers = wk_calloc(n + 1, sizeof(char *))) == NULL ||
	    wk_agent_check_server_url(st->server, &st->servers[0]) != 0)
		return WK_ERR_INVAL;
	st->nservers = 1;
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    wk_agent_check_server_url(json_string_value(v), &u) != 0)
			return WK_ERR_INVAL;
		if (strcmp(u, st->servers[0]) == 0) {
			wk_free(u);
			continue;
		}
		if (st->nservers == WK_FAILOVER_MAX_SERVERS) {
			wk_free(u);
			return WK_ERR_INVAL;
		}
		st->servers[st->nservers++] = u;
	}
	return 0;
}

int
wk_agent_state_load(const char *dir, struct wk_agent_state *st)
{
	char path[4096];
	json_t *root = NULL, *keys, *v;
	json_error_t jerr;
	struct stat sb;
	size_t i;
	int r, fd = -1;

	memset(st, 0, sizeof(*st));
	if ((size_t)snprintf(path, sizeof(path), "%s/state.json", dir) >=
	    sizeof(path))
		return WK_ERR_TOOBIG;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? WK_ERR_NOTFOUND : WK_ERR_IO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > WK_AGENT_MAX_STATE_LEN) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(root)) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((r = get_str(root, "server", true, &st->server)) != 0 ||
	    (r = get_str(root, "instance_id", true, &st->instance_id)) != 0 ||
	    (r = get_str(root, "agent_secret", true, &st->agent_secret)) != 0 ||
	    (r = get_str(root, "address", false, &st->address)) != 0 ||
	    (r = get_str(root, "hostname", false, &st->hostname)) != 0 ||
	    (r = get_str(root, "account_id", false, &st->account_id)) != 0 ||
	    (r = get_str(root, "region", false, &st->region)) != 0)
		goto out;
	v = json_object_get(root, "ssh_port");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 65535) {
		r = WK_ERR_INVAL;
		goto out;
	}
	st->ssh_port = (unsigned)json_integer_value(v);
	/* absent in states written before rotation statements: 0 */
	if ((v = json_object_get(root, "rotation_seq")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > WK_ROTATION_MAX_SEQ) {
			r = WK_ERR_INVAL;
			goto out;
		}
		st->rotation_seq = (uint64_t)json_integer_value(v);
	}
	keys = json_object_get(root, "host_keys");
	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > WK_AGENT_MAX_HOST_KEYS) {
		r = WK_ERR_INVAL;
		goto out;
	}
	if ((st->host_keys = wk_calloc(json_array_size(keys),
	    sizeof(char *))) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(keys, i, v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/') {
			r = WK_ERR_INVAL;
			goto out;
		}
		if ((st->host_keys[i] = wk_strdup(json_string_value(v))) ==
		    NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		st->nhost_keys = i + 1;
	}
	if ((r = load_tls(root, &st->tls)) != 0 ||
	    (r = load_servers(root, st)) != 0)
		goto out;
	if (st->server[0] == '\0' || st->instance_id[0] == '\0' ||
	    st->agent_secret[0] == '\0') {
		r = WK_ERR_INVAL;
		goto out;
	}
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	json_decref(root);
	if (r != 0)
		wk_agent_state_cleanup(st);
	return r;
}

int
wk_agent_state_save(const char *dir, const struct wk_agent_state *st)
{
	json_t *root = NULL, *keys = NULL, *servers = NULL;
	char *text = NULL, pin[WK_SPKI_PIN_HEX_LEN + 1] = "";
	size_t i;
	int r;

	if ((keys = json_array()) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < st->nhost_keys; i++) {
		if (json_array_append_new(keys,
		    json_string(st->host_keys[i])) != 0) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	}
	if ((servers = json_array()) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < st->nservers; i++) {
		if (json_array_append_new(servers,
		    json_string(st->servers[i])) != 0) {
			r = WK_ERR_NOMEM;
			goto out;
		}
	}
	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:O, s:I}",
	    "server", st->server, "instance_id", st->instance_id,
	    "agent_secret", st->agent_secret,
	    "address", st->address != NULL ? st->address : "",
	    "hostname", st->hostname != NULL ? st->hostname : "",
	    "ssh_port", (int)st->ssh_port,
	    "account_id", st->account_id != NULL ? st->account_id : "",
	    "region", st->region != NULL ? st->region : "",
	    "host_keys", keys, "rotation_seq", (json_int_t)st->rotation_seq);
	if (root == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if (st->tls.has_pin)
		wk_spki_pin_hex(st->tls.pin, pin);
	if (json_object_set_new(root, "tls_pin", json_string(pin)) != 0 ||
	    json_object_set_new(root, "tls_ca_pem", json_string(
	    st->tls.ca_pem != NULL ? st->tls.ca_pem : "")) != 0 ||
	    json_object_set_new(root, "insecure_http",
	    json_boolean(st->tls.insecure_http)) != 0 ||
	    (st->nservers > 0 && json_object_set(root, "servers",
	    servers) != 0)) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	r = wk_agent_write_atomic(dir, "state.json", text, strlen(text),
	    0600);
 out:
	if (text != NULL) {
		wk_explicit_bzero(text, strlen(text));
		free(text);	/* jansson's allocator */
	}
	json_decref(root);
	json_decref(keys);
	json_decref(servers);
	return r;
}

int
wk_agent_trust_format(struct wk_buf *out, const char *instance_id,
    const struct wk_pubkey *keys, size_t n)
{
	struct wk_buf b64;
	size_t i;
	int r;

	if (n == 0)
		return WK_ERR_INVAL;
	wk_buf_init(&b64, 128);
	if ((r = wk_buf_appendf(out, "wicket-trust 1\ninstance %s\n",
	    instance_id)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		wk_buf_reset(&b64);
		if ((r = wk_pubkey_to_base64(&keys[i], &b64)) != 0 ||
		    (r = wk_buf_appendf(out, "key %s %s\n", keys[i].id,
		    wk_buf_cstr(&b64))) != 0)
			goto out;
	}
 out:
	wk_buf_cleanup(&b64);
	return r;
}

int
wk_agent_trust_write(const char *dir, const char *instance_id,
    const struct wk_pubkey *keys, size_t n)
{
	struct wk_buf text;
	int r;

	wk_buf_init(&text, 4096);
	if ((r = wk_agent_trust_format(&text, instance_id, keys, n)) == 0)
		r = wk_agent_write_atomic(dir, "trust", text.p, text.len,
		    0644);
	wk_buf_cleanup(&text);
	return r;
}
