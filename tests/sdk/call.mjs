// call.mjs - run one SDK command and print what a program sees, as one JSON
// line: the output, or the error's name (AWS error code), HTTP status and
// message. Used by the per-test scripts in this folder.
//
// "retryable" is the SDK's own verdict (its standard retry strategy's
// classification: throttling, transient or server error), "retryType" which
// one, and "attempts" how many times the SDK sent the call (AWS_MAX_ATTEMPTS
// bounds it; lib.sh's sdk_run sets 1).
import {
	isServerError,
	isThrottlingError,
	isTransientError,
} from "@smithy/core/retry";

function retryType(e) {
	if (isThrottlingError(e)) return "THROTTLING";
	if (isTransientError(e)) return "TRANSIENT";
	if (isServerError(e)) return "SERVER_ERROR";
	return "CLIENT_ERROR";
}

export async function call(client, command) {
	try {
		const out = await client.send(command);
		delete out.$metadata;
		console.log(JSON.stringify({ ok: true, out }));
		return out;
	} catch (e) {
		const type = retryType(e);
		console.log(JSON.stringify({
			ok: false,
			name: e.name,
			status: e.$metadata ? e.$metadata.httpStatusCode : null,
			message: e.message,
			retryable: type !== "CLIENT_ERROR",
			retryType: type,
			attempts: e.$metadata ? e.$metadata.attempts : null,
		}));
		return null;
	}
}
