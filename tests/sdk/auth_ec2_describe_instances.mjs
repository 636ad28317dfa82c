// auth_ec2_describe_instances.mjs: EC2 DescribeInstances as an SDK program
// does it, for the tests of how a refused signature looks to an EC2 client.
// WK_CLOCK_OFFSET_S (seconds) sets the client's clock off.
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { call } from "./call.mjs";

const systemClockOffset = Number(process.env.WK_CLOCK_OFFSET_S || 0) * 1000;
await call(new EC2Client({ systemClockOffset }), new DescribeInstancesCommand({}));
