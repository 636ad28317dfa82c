/*
 * known_hosts.c - the temporary known_hosts file `wicket ssh` writes so
 * that OpenSSH verifies the host against the keys registered at enrollment
 * (no trust on first use). ssh runs with HostKeyAlias=<instance id>, so the
 * lines under the instance id are the ones it checks; the lines under the
 * address keep the file meaningful for a plain ssh or a jump host.
 */
#include "cli/cli.h"

#include <string.h>

#include "common/err.h"

int
wk_known_hosts_host(const char *addr, unsigned port, struct wk_buf *out)
{
	if (port == 0 || port == 22)
		return wk_buf_append_str(out, addr);
	return wk_buf_appendf(out, "[%s]:%u", addr, port);
}

int
wk_known_hosts_format(const struct wk_cli_instance *in, unsigned port,
    struct wk_buf *out)
{
	size_t i;
	int r;

	if (in->nhost_keys == 0)
		return WK_ERR_INVAL;
	for (i = 0; i < in->nhost_keys; i++) {
		if ((r = wk_buf_appendf(out, "%s %s\n", in->instance_id,
		    in->host_keys[i])) != 0)
			return r;
	}
	for (i = 0; i < in->nhost_keys; i++) {
		if ((r = wk_known_hosts_host(in->address, port, out)) != 0 ||
		    (r = wk_buf_appendf(out, " %s\n", in->host_keys[i])) != 0)
			return r;
	}
	return 0;
}
