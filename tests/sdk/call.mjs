// call.mjs - run one SDK command and print what a program sees, as one JSON
// line: the output, or the error's name (AWS error code), HTTP status and
// message. Used by the per-test scripts in this folder.
export async function call(client, command) {
	try {
		const out = await client.send(command);
		delete out.$metadata;
		console.log(JSON.stringify({ ok: true, out }));
		return out;
	} catch (e) {
		console.log(JSON.stringify({
			ok: false,
			name: e.name,
			status: e.$metadata ? e.$metadata.httpStatusCode : null,
			message: e.message,
			retryable: e.$retryable ? true : false,
		}));
		return null;
	}
}
