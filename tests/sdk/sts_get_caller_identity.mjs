// sts_get_caller_identity.mjs: GetCallerIdentity as an SDK program does it
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { call } from "./call.mjs";

await call(new STSClient({}), new GetCallerIdentityCommand({}));
