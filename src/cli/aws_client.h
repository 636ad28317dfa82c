/*
 * aws_client.h - signed AWS JSON 1.1 calls over libcurl.
 *
 * One client holds one curl handle, so consecutive calls reuse the
 * connection. Every call: POST <endpoint> with Content-Type
 * application/x-amz-json-1.1, X-Amz-Target, Host, X-Amz-Date,
 * (X-Amz-Security-Token,) Authorization (SigV4 via wk_sigv4_sign); connect
 * and total timeouts; the reply is size-capped and parsed with jansson.
 */
#ifndef WK_CLI_AWS_CLIENT_H
#define WK_CLI_AWS_CLIENT_H

#include <jansson.h>
#include <stdio.h>

#include "cli/aws_config.h"

#define WK_AWS_REPLY_MAX (8 * 1024 * 1024)	/* bytes */
#define WK_AWS_REQUEST_MAX (256 * 1024)		/* bytes */
#define WK_AWS_CONNECT_TIMEOUT_MS 10000
#define WK_AWS_TOTAL_TIMEOUT_MS 60000

struct wk_aws_client;

/* The error of a failed call, as the aws CLI reports it. */
struct wk_aws_error {
	long http_status;	/* 0 when no HTTP reply was received */
	char code[128];		/* "AuthException"; "": not an AWS error */
	char message[1024];	/* AWS message, or the transport failure */
};

/*
 * A client for cfg->endpoint_url (the endpoint of the service named at
 * resolve time), or for another `endpoint` (copied; e.g. one of
 * cfg->endpoints[]). cfg must outlive the client. Every call trusts
 * cfg->ca_bundle when set (CURLOPT_CAINFO), else the system store.
 */
int wk_aws_client_new(const struct wk_aws_config *cfg,
    struct wk_aws_client **out);
int wk_aws_client_new_at(const struct wk_aws_config *cfg,
    const char *endpoint, struct wk_aws_client **out);
void wk_aws_client_free(struct wk_aws_client *c);	/* NULL-safe */

/*
 * Calls `target` ("AWSEC2InstanceConnectService.SendSSHPublicKey"),
 * signing for `service` ("ec2-instance-connect"). On success *reply gets
 * the JSON object (caller json_decref's it) and 0 is returned. On failure
 * *reply is NULL, err is filled and the return is
 *   WK_ERR_DENIED   the service answered with an AWS error (err->code)
 *   WK_ERR_IO / WK_ERR_TIMEOUT / WK_ERR_UNAVAIL   transport failure
 *   WK_ERR_TOOBIG / WK_ERR_INVAL   oversized or malformed reply
 */
int wk_aws_call(struct wk_aws_client *c, const char *service,
    const char *target, json_t *request, json_t **reply,
    struct wk_aws_error *err);

/*
 * Parses an AWS JSON error body ({"__type": "ns#Code", "message": "..."};
 * also "Message", and the x-amzn-ErrorType header value when given, may
 * be NULL) into err->code/message, as botocore does. Never fails: unknown
 * shapes give code "Unknown" (or the HTTP status text).
 */
void wk_aws_parse_error(const char *body, size_t len, const char *type_hdr,
    long http_status, struct wk_aws_error *err);

/*
 * Prints "\nAn error occurred (Code) when calling the Op operation: msg"
 * the way the aws CLI does (transport failures as
 * "Could not connect to the endpoint URL: ...").
 */
void wk_aws_error_print(FILE *f, const struct wk_aws_error *err,
    const char *operation, const char *endpoint);

#endif
