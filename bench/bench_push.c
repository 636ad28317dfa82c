/*
 * bench_push - push -> visible latency: the time from sending
 * SendSSHPublicKey (SigV4-signed, over a kept-alive connection) until the
 * agent on the host serves the new record on its socket, i.e. until
 * wicket-authorized-keys would find it. Also reports the API call alone.
 *
 *   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
 *   bench_push ENDPOINT INSTANCE OS_USER[,OS_USER...] AGENT_SOCKET COUNT
 *       [PAUSE_MS]
 *
 * PAUSE_MS (default 60) spaces the pushes: this measures latency, not
 * throughput, and stays under the per-key push throttle. The pushes take
 * the OS users in turn: wicketd holds at most 64 unexpired keys per
 * instance and OS user, so 300 pushes within a key's lifetime need
 * several users.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_util.h"
#include "cli/aws_client.h"
#include "common/alloc.h"
#include "crypto/sshkey.h"

/* True when the agent's reply for `user` contains `needle`. */
static int
agent_has(const char *sock, const char *user, const char *needle)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char reply[1 << 20];
	size_t got = 0;
	ssize_t n;
	int fd, found;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    dprintf(fd, "LOOKUP 1 %s\n", user) < 0) {
		close(fd);
		return -1;
	}
	while (got < sizeof(reply) - 1 &&
	    (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	reply[got] = '\0';
	found = strstr(reply, needle) != NULL;
	return found;
}

int
main(int argc, char **argv)
{
	struct wk_aws_config cfg = { 0 };
	struct wk_aws_client *client = NULL;
	struct wk_aws_error err;
	uint64_t count, pause_ms = 60, *api, *vis;
	char *users[16], *tok, *next;
	const char *user;
	size_t i, nusers = 0;

	if (argc < 6 || wk_cstr_to_u64(argv[5], 100000, &count) != 0 ||
	    count == 0 || (argc > 6 && wk_cstr_to_u64(argv[6], 10000,
	    &pause_ms) != 0) || getenv("AWS_ACCESS_KEY_ID") == NULL ||
	    getenv("AWS_SECRET_ACCESS_KEY") == NULL) {
		fprintf(stderr, "usage: AWS_ACCESS_KEY_ID=.. "
		    "AWS_SECRET_ACCESS_KEY=.. bench_push ENDPOINT INSTANCE "
		    "OS_USER[,OS_USER...] AGENT_SOCKET COUNT [PAUSE_MS]\n");
		return 2;
	}
	for (tok = argv[3]; tok != NULL &&
	    nusers < sizeof(users) / sizeof(users[0]); tok = next) {
		if ((next = strchr(tok, ',')) != NULL)
			*next++ = '\0';
		if (*tok != '\0')
			users[nusers++] = tok;
	}
	if (nusers == 0)
		return 2;
	cfg.access_key_id = wk_strdup(getenv("AWS_ACCESS_KEY_ID"));
	cfg.secret_access_key = wk_strdup(getenv("AWS_SECRET_ACCESS_KEY"));
	cfg.region = wk_strdup("us-east-1");
	cfg.endpoint_url = wk_strdup(argv[1]);
	if (wk_aws_client_new(&cfg, &client) != 0)
		return 1;
	api = calloc(count, sizeof(*api));
	vis = calloc(count, sizeof(*vis));
	if (api == NULL || vis == NULL)
		return 1;
	for (i = 0; i < count; i++) {
		struct wk_buf pub, priv;
		json_t *req, *reply = NULL;
		const char *b64;
		uint64_t t0, t1;
		int seen = 0;

		user = users[i % nusers];
		wk_buf_init(&pub, 8192);
		wk_buf_init(&priv, 16384);
		if (wk_sshkey_generate_ed25519(&pub, &priv) != 0)
			return 1;
		b64 = strchr(wk_buf_cstr(&pub), ' ') + 1;
		req = json_pack("{s:s, s:s, s:s}", "InstanceId", argv[2],
		    "InstanceOSUser", user, "SSHPublicKey", wk_buf_cstr(&pub));
		t0 = bench_now_ns();
		if (wk_aws_call(client, "ec2-instance-connect",
		    "AWSEC2InstanceConnectService.SendSSHPublicKey", req,
		    &reply, &err) != 0) {
			wk_aws_error_print(stderr, &err, "SendSSHPublicKey",
			    argv[1]);
			return 1;
		}
		t1 = bench_now_ns();
		while (!seen) {
			int r = agent_has(argv[4], user, b64);

			if (r < 0) {
				fprintf(stderr, "bench_push: agent socket\n");
				return 1;
			}
			seen = r;
			if (bench_now_ns() - t0 > 2000000000u) {
				fprintf(stderr, "bench_push: record not visible "
				    "after 2 s\n");
				return 1;
			}
		}
		api[i] = t1 - t0;
		vis[i] = bench_now_ns() - t0;
		json_decref(req);
		json_decref(reply);
		wk_buf_cleanup(&pub);
		wk_buf_cleanup_secret(&priv);
		usleep((useconds_t)(pause_ms * 1000));
	}
	bench_report("SendSSHPublicKey call", api, count);
	bench_report("push -> visible to the helper", vis, count);
	free(api);
	free(vis);
	wk_aws_client_free(client);
	wk_aws_config_cleanup(&cfg);
	return 0;
}
