// ec2_describe_instances.mjs: one DescribeInstances call with the input
// given as JSON (argv[2]), as an SDK program makes it.
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { call } from "./call.mjs";

const input = process.argv[2] ? JSON.parse(process.argv[2]) : {};
await call(new EC2Client({}), new DescribeInstancesCommand(input));
