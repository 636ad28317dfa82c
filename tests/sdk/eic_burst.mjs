// eic_burst.mjs: N SendSSHPublicKey calls sent at once from one client, as
// a burst from one program.
//   node eic_burst.mjs N INSTANCE-ID OS-USER PUBKEY-FILE
// Prints call.mjs's JSON line for each call (output, or error name, HTTP
// status, message, retryable).
import { readFileSync } from "node:fs";
import {
	EC2InstanceConnectClient,
	SendSSHPublicKeyCommand,
} from "@aws-sdk/client-ec2-instance-connect";
import { call } from "./call.mjs";

const [n, id, user, keyFile] = process.argv.slice(2);
const input = {
	InstanceId: id,
	InstanceOSUser: user,
	SSHPublicKey: readFileSync(keyFile, "utf8").trim(),
};
const client = new EC2InstanceConnectClient({});
await Promise.all(Array.from({ length: Number(n) },
	() => call(client, new SendSSHPublicKeyCommand(input))));
