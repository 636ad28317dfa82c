// eic_send_ssh_public_key.mjs: SendSSHPublicKey as an SDK program does it.
//   node eic_send_ssh_public_key.mjs INSTANCE-ID OS-USER PUBKEY-FILE [AZ]
// Prints call.mjs's JSON line (output, or error name, HTTP status, message,
// retryable). WK_CLOCK_OFFSET_S (seconds) sets the client's clock off, as
// on a host whose clock is wrong.
import { readFileSync } from "node:fs";
import {
	EC2InstanceConnectClient,
	SendSSHPublicKeyCommand,
} from "@aws-sdk/client-ec2-instance-connect";
import { call } from "./call.mjs";

const [id, user, keyFile, az] = process.argv.slice(2);
const input = {
	InstanceId: id,
	InstanceOSUser: user,
	SSHPublicKey: readFileSync(keyFile, "utf8").trim(),
};
if (az) input.AvailabilityZone = az;
const systemClockOffset = Number(process.env.WK_CLOCK_OFFSET_S || 0) * 1000;
await call(new EC2InstanceConnectClient({ systemClockOffset }),
	new SendSSHPublicKeyCommand(input));
