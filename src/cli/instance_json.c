/*
 * instance_json.c - where `wicket ssh` connects and which host keys it
 * trusts, read from wicketd's JSON: an item of
 * WicketService.DescribeInstances' Instances, or the "WicketInstance"
 * member of a SendSSHPublicKey reply (wicket's extension; see cli.h).
 * Everything is validated before it reaches ssh's argv or known_hosts.
 */
#include "cli/cli.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

#define MAX_HOST_KEYS 32
#define MAX_ADDR 253
#define MAX_HOST_KEY_LINE 16384

static bool
valid_addr(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '-' || strlen(s) > MAX_ADDR)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == ':' || c == '_' || c == '%'))
			return false;
	}
	return true;
}

/* "type base64 [comment]" -> "type base64", or NULL (malformed). */
static char *
normalize_host_key(const char *line)
{
	size_t tlen, blen, i;
	const char *b;

	if (strlen(line) > MAX_HOST_KEY_LINE)
		return NULL;
	for (i = 0; line[i] != '\0'; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return NULL;
	}
	tlen = strspn(line, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.-");
	if (tlen == 0 || tlen > 64 || line[tlen] != ' ')
		return NULL;
	b = line + tlen + 1;
	blen = strspn(b, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=");
	if (blen < 16 || (b[blen] != '\0' && b[blen] != ' '))
		return NULL;
	return wk_strndup(line, tlen + 1 + blen);
}

void
wk_cli_instance_cleanup(struct wk_cli_instance *in)
{
	size_t i;

	if (in == NULL)
		return;
	wk_free(in->instance_id);
	wk_free(in->hostname);
	wk_free(in->address);
	for (i = 0; i < in->nhost_keys; i++)
		wk_free(in->host_keys[i]);
	wk_free(in->host_keys);
	memset(in, 0, sizeof(*in));
}

static const char *
json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * One instance object (an item of DescribeInstances' Instances, or the
 * push reply's WicketInstance) validated into *out.
 */
static int
instance_from_item(json_t *item, const char *instance_id,
    struct wk_cli_instance *out, struct wk_buf *errmsg)
{
	struct wk_cli_instance in;
	json_t *v, *keys;
	const char *addr, *host;
	size_t i;
	int r;

	memset(&in, 0, sizeof(in));
	host = json_str(item, "Hostname");
	addr = json_str(item, "Address");
	if (addr == NULL || *addr == '\0')
		addr = host;
	if (addr == NULL || !valid_addr(addr)) {
		(void)wk_buf_appendf(errmsg, "instance %s has no usable "
		    "address", instance_id);
		r = WK_ERR_INVAL;
		goto out;
	}
	in.port = 22;
	v = json_object_get(item, "SshPort");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535) {
			(void)wk_buf_appendf(errmsg, "instance %s has a bad "
			    "SshPort", instance_id);
			r = WK_ERR_INVAL;
			goto out;
		}
		in.port = (unsigned)json_integer_value(v);
	}
	in.online = json_is_true(json_object_get(item, "Online"));
	if ((in.instance_id = wk_strdup(instance_id)) == NULL ||
	    (in.address = wk_strdup(addr)) == NULL ||
	    (in.hostname = wk_strdup(host != NULL ? host : "")) == NULL) {
		r = WK_ERR_NOMEM;
		goto out;
	}
	keys = json_object_get(item, "HostKeys");
	if (json_is_array(keys) && json_array_size(keys) > 0) {
		size_t n = json_array_size(keys);

		if (n > MAX_HOST_KEYS)
			n = MAX_HOST_KEYS;
		if ((in.host_keys = wk_calloc(n, sizeof(char *))) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			const char *k = json_string_value(json_array_get(keys,
			    i));
			char *norm;

			if (k == NULL || (norm = normalize_host_key(k)) == NULL)
				continue;
			in.host_keys[in.nhost_keys++] = norm;
		}
	}
	if (in.nhost_keys == 0) {
		(void)wk_buf_appendf(errmsg, "instance %s has no registered "
		    "host keys; refusing to connect without host "
		    "verification", instance_id);
		r = WK_ERR_INVAL;
		goto out;
	}
	*out = in;
	memset(&in, 0, sizeof(in));
	r = 0;
 out:
	wk_cli_instance_cleanup(&in);
	return r;
}


int
wk_cli_instance_from_json(json_t *reply, const char *instance_id,
    struct wk_cli_instance *out, struct wk_buf *errmsg)
{
	json_t *list, *item = NULL, *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	wk_buf_reset(errmsg);
	list = json_object_get(reply, "Instances");
	if (!json_is_array(list)) {
		(void)wk_buf_appendf(errmsg, "malformed DescribeInstances "
		    "reply (no Instances list)");
		return WK_ERR_INVAL;
	}
	json_array_foreach(list, i, v) {
		const char *id = json_str(v, "InstanceId");

		if (id != NULL && strcmp(id, instance_id) == 0) {
			item = v;
			break;
		}
	}
	if (item == NULL) {
		(void)wk_buf_appendf(errmsg, "instance %s not found",
		    instance_id);
		return WK_ERR_NOTFOUND;
	}
	return instance_from_item(item, instance_id, out, errmsg);
}

int
wk_cli_instance_from_push(json_t *reply, const char *instance_id,
    struct wk_cli_instance *out, struct wk_buf *errmsg)
{
	json_t *wi;
	const char *id;

	memset(out, 0, sizeof(*out));
	wk_buf_reset(errmsg);
	wi = json_object_get(reply, "WicketInstance");
	if (wi == NULL || json_is_null(wi))
		return WK_ERR_NOTFOUND;	/* an older wicketd, or AWS */
	if (!json_is_object(wi)) {
		(void)wk_buf_appendf(errmsg, "malformed SendSSHPublicKey "
		    "reply (WicketInstance is not an object)");
		return WK_ERR_INVAL;
	}
	/* it must describe the instance pushed to, never another one */
	id = json_str(wi, "InstanceId");
	if (id == NULL || strcmp(id, instance_id) != 0) {
		(void)wk_buf_appendf(errmsg, "SendSSHPublicKey reply "
		    "describes another instance than %s; refusing it",
		    instance_id);
		return WK_ERR_INVAL;
	}
	return instance_from_item(wi, instance_id, out, errmsg);
}
